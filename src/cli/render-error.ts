/** The one place user errors become text: Ansible's `ERROR!` line, the place as file:line:column once, and the offending source lines. */
import { readFileSync } from 'node:fs';
import { UserError, UserErrors, formatPos } from '../util/errors.js';
import { sourceExcerpt } from '../load/yaml.js';

export function renderUserError(err: UserError): string {
  const lines = [`ERROR! ${err.message}`];
  if (err.pos) {
    // Ansible names the place twice and hedges over a line break ("..., but may\nbe elsewhere");
    // one file:line:column, which editors and terminals open, says it once.
    lines.push('', `  in ${formatPos(err.pos)}`);
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
