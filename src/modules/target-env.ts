/**
 * The environment a module sees on its target, as Ansible's module process there sees it: the
 * target's own environment (one probe per connection, Connection.targetInfo), HOME and USER of the
 * become user when privilege escalation switches user (Ansible's sudo runs with -H), then the
 * task's `environment:` on top. `~` and `$VAR` in paths and argv expand against this, never
 * against the controller's process.
 */
import type { BecomeOptions, Connection } from '../connection/types.js';
import { Accounts } from './builtin/support/users.js';
import { assignOwn } from '../util/dict.js';

export interface TargetEnvironment {
  /** variables for $VAR / ${VAR} */
  env: Record<string, string>;
  /** what `~` means */
  home: string;
  /** the directory a relative path is taken from */
  cwd: string;
  /** `~user` → that user's home on the target (undefined when the user is unknown there) */
  homeOf(user: string): Promise<string | undefined>;
}

export async function targetEnvironment(conn: Connection, become: BecomeOptions | undefined, taskEnv: Record<string, string> = {}): Promise<TargetEnvironment> {
  const info = await conn.targetInfo();
  const env: Record<string, string> = { ...info.env };
  let home = info.home;
  const homeOf = async (user: string): Promise<string | undefined> => {
    if (user === info.user) return info.home;
    return (await Accounts.of(conn)).home(user) ?? (await Accounts.of(conn, true)).home(user);
  };
  if (become?.become) {
    const user = become.user && become.user !== '' ? become.user : 'root';
    if (user !== info.user) {
      home = (await homeOf(user)) ?? (user === 'root' ? '/root' : home);
      env.HOME = home;
      env.USER = user;
      env.LOGNAME = user;
    }
  }
  assignOwn(env, taskEnv);
  // the task's environment may set HOME itself; Python's expanduser reads $HOME first
  if (taskEnv.HOME !== undefined) home = taskEnv.HOME;
  return { env, home, cwd: info.cwd ?? info.home, homeOf };
}

/** Python's os.path.expandvars: $NAME and ${NAME} that are set are replaced; anything else is kept */
export function expandVars(text: string, env: Record<string, string | undefined>): string {
  if (!text.includes('$')) return text;
  return text.replace(/\$(\w+|\{[^}]*\})/gu, (whole, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const value = env[key];
    return value === undefined ? whole : value;
  });
}

/** Python's os.path.expanduser for `~` and `~/…` only (synchronous: no account lookup) */
export function expandHome(text: string, home: string): string {
  if (text !== '~' && !text.startsWith('~/')) return text;
  return home.replace(/\/+$/u, '') + text.slice(1) || '/';
}

/** Python's os.path.expanduser including `~user/…`, looked up on the target */
export async function expandUser(text: string, target: TargetEnvironment): Promise<string> {
  if (!text.startsWith('~')) return text;
  const slash = text.indexOf('/');
  const user = text.slice(1, slash < 0 ? undefined : slash);
  const home = user === '' ? target.home : await target.homeOf(user);
  if (home === undefined) return text;
  return home.replace(/\/$/, '') + (slash < 0 ? '' : text.slice(slash)) || '/';
}

/** does any string in these (templated) arguments need the target's environment to expand */
export function wantsExpansion(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('$') || value.startsWith('~');
  if (Array.isArray(value)) return value.some(wantsExpansion);
  if (value !== null && typeof value === 'object') return Object.values(value).some(wantsExpansion);
  return false;
}
