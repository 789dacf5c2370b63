/** The one place user errors become text: Ansible's `ERROR!` paragraph, plus file:line:column. */
import { readFileSync } from 'node:fs';
import { UserError, UserErrors, formatPos } from '../util/errors.js';
import { sourceExcerpt } from '../load/yaml.js';

export function renderUserError(err: UserError): string {
  const lines = [`ERROR! ${err.message}`];
  if (err.pos) {
    lines.push(
      '',
      `The error appears to be in '${err.pos.file}': line ${err.pos.line}, column ${err.pos.col} (${formatPos(err.pos)}), but may`,
      'be elsewhere in the file depending on the exact syntax problem.',
    );
    let excerpt = err.detail;
    if (!excerpt) {
      try {
        excerpt = sourceExcerpt(readFileSync(err.pos.file, 'utf8'), err.pos);
      } catch {
        excerpt = undefined;
      }
    }
    if (excerpt) lines.push('', excerpt);
  } else if (err.detail) {
    lines.push('', err.detail);
  }
  return lines.join('\n');
}

export function renderErrors(err: UserError | UserErrors): string {
  if (err instanceof UserErrors) return err.errors.map(renderUserError).join('\n\n');
  return renderUserError(err);
}
