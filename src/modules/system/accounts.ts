/**
 * The target's account databases as Python's pwd, grp and spwd see them (through NSS): one
 * `getent` per question, asked again after every change.
 */
import type { ModuleContext } from '../types.js';
import { run } from './support.js';

/** pwd.struct_passwd as a list: name, passwd, uid, gid, gecos, dir, shell */
export type PasswdEntry = [string, string, number, number, string, string, string];
/** grp.struct_group: name, passwd, gid, members */
export type GroupEntry = { name: string; gid: number; members: string[] };
/** spwd.struct_spwd, the fields modules read (-1 for an empty number, as spwd gives) */
export type ShadowEntry = { pwdp: string; min: number; max: number; expire: number };

async function getent(ctx: ModuleContext, db: string, key?: string): Promise<string[]> {
  const res = await run(ctx, key === undefined ? ['getent', db] : ['getent', db, key]);
  if (res.rc !== 0) return [];
  return res.stdout.split('\n').filter((l) => l !== '');
}

export async function getpwnam(ctx: ModuleContext, name: string): Promise<PasswdEntry | null> {
  // getent takes digits as a uid; pwd.getpwnam never does
  const line = (await getent(ctx, 'passwd', name)).find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const f = line.split(':');
  return [f[0], f[1], Number(f[2]), Number(f[3]), f[4] ?? '', f[5] ?? '', f[6] ?? ''];
}

function parseGroup(line: string): GroupEntry {
  const f = line.split(':');
  return { name: f[0], gid: Number(f[2]), members: f[3] ? f[3].split(',') : [] };
}

export async function getgrnam(ctx: ModuleContext, name: string): Promise<GroupEntry | null> {
  const line = (await getent(ctx, 'group', name)).find((l) => l.startsWith(`${name}:`));
  return line ? parseGroup(line) : null;
}

export async function getgrgid(ctx: ModuleContext, gid: number): Promise<GroupEntry | null> {
  const line = (await getent(ctx, 'group', String(gid)))[0];
  return line ? parseGroup(line) : null;
}

export async function getgrall(ctx: ModuleContext): Promise<GroupEntry[]> {
  return (await getent(ctx, 'group')).map(parseGroup);
}

export async function getspnam(ctx: ModuleContext, name: string): Promise<ShadowEntry | null> {
  const line = (await getent(ctx, 'shadow', name)).find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const f = line.split(':');
  const num = (s: string | undefined) => (s === undefined || s === '' ? -1 : Number(s));
  return { pwdp: f[1] ?? '', min: num(f[3]), max: num(f[4]), expire: num(f[7]) };
}
