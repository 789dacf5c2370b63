/**
 * Ansible's "write to a temp file, run `validate` on it, then move it into place" for the
 * text-editing modules (replace, blockinfile): a failing validation leaves the file untouched.
 */
import type { ModuleContext } from '../../types.js';
import { fail } from './failure.js';
import { joinPath } from './walk.js';
import { resolveLinks } from './paths.js';
import { shlexSplit } from '../../../util/shlex.js';

/** Python's `validate % tmpfile`: every %s becomes the path, %% a single % */
export function validateCommand(validate: string, file: string): string {
  return validate.replace(/%([s%])/g, (_m, c: string) => (c === 's' ? file : '%'));
}

/**
 * Writes `data` to the file `path` names (through its symlinks), atomically; with `validate`,
 * first checks a temp copy with it and fails with Ansible's message when the check fails.
 * `newMode` is the mode a file that did not exist gets.
 */
export async function writeValidated(
  ctx: ModuleContext,
  path: string,
  data: Buffer | string,
  validate: string | null | undefined,
  newMode?: number,
): Promise<void> {
  if (validate) {
    if (!validate.includes('%s')) fail(`validate must contain %s: ${validate}`);
    const tmp = joinPath(await ctx.conn.tempDir(), `validate-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    await ctx.conn.writeFile(tmp, data, { mode: 0o600, become: ctx.become });
    try {
      // run_command with a string and no shell: split as shlex does, run without /bin/sh
      const res = await ctx.conn.exec(shlexSplit(validateCommand(validate, tmp)), { become: ctx.become, env: ctx.env });
      if (res.rc !== 0) fail(`failed to validate: rc:${res.rc} error:${res.stderr}`);
    } finally {
      await ctx.conn.remove(tmp, { become: ctx.become }).catch(() => undefined);
    }
  }
  const target = await resolveLinks(ctx, path);
  await ctx.conn.writeFile(target, data, { mode: newMode, become: ctx.become });
}
