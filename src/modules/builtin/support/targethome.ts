/** `~` and `~user` at the start of a target path, expanded on the target as Ansible's actions do. */
import type { ModuleContext } from '../../types.js';
import { shlexQuote } from '../../../util/shlex.js';

export async function expandTargetUser(ctx: ModuleContext, p: string): Promise<string> {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/');
  const head = slash < 0 ? p : p.slice(0, slash);
  const rest = slash < 0 ? '' : p.slice(slash);
  let user = head.slice(1);
  if (user === '' && !ctx.become.become) return (await ctx.conn.targetInfo()).home + rest;
  if (user === '') user = ctx.become.user ?? 'root';
  // only a plain user name is expanded by the shell; anything else stays as written
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(user)) return p;
  const res = await ctx.conn.exec(`echo ~${shlexQuote(user) === user ? user : ''}`);
  const home = res.stdout.trim().split('\n').pop() ?? '';
  return home && !home.startsWith('~') ? home + rest : p;
}
