/** What the system modules share: running a command on the target the way run_command does. */
import type { ModuleContext } from '../types.js';
import type { ExecResult } from '../../connection/types.js';

/**
 * Runs argv on the target (no shell) with the task's become and environment. Ansible modules
 * run with the C locale for messages, so tools answer in the English Ansible's parsing expects.
 */
export function run(ctx: ModuleContext, argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<ExecResult> {
  return ctx.conn.exec(argv, {
    become: ctx.become,
    env: { ...ctx.env, LANG: 'C', LC_ALL: 'C', LC_MESSAGES: 'C', ...opts.env },
    stdin: opts.stdin,
    signal: ctx.signal,
  });
}

/** Ansible's get_bin_path(name, required=True) failure message */
export function missingBinary(name: string): string {
  return `Failed to find required executable "${name}" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
}

/** Python's repr() of a str, as messages quoting a KeyError or a name show it */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .split(quote)
    .join(`\\${quote}`);
  return `${quote}${body}${quote}`;
}

/** Python's os.path.realpath on the target (every link on the way resolved, missing parts kept) */
export async function realpath(ctx: ModuleContext, path: string): Promise<string> {
  const res = await run(ctx, ['realpath', '-m', '--', path]);
  const out = res.stdout.replace(/\n$/, '');
  return res.rc === 0 && out !== '' ? out : path;
}
