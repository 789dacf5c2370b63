/**
 * Ansible's owner/group/mode handling for file-like modules (what the file, copy, template and
 * lineinfile modules share): parse a mode the way Ansible does (int, octal string, symbolic),
 * then change owner, group and mode only where they differ, recording before/after in the diff.
 */
import type { ModuleContext } from '../../types.js';
import type { FileInfoDetail, PathState } from './fileinfo.js';
import { octalMode } from './fileinfo.js';
import { fail } from './failure.js';
import { Accounts } from './users.js';

export type DiffSide = Record<string, unknown>;
export interface AttrDiff {
  before: DiffSide;
  after: DiffSide;
}

export interface FileAttrArgs {
  path: string;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
}

/** the umask new files get on the target (from the connection's one probe of it) */
export async function targetUmask(ctx: ModuleContext): Promise<number> {
  return (await ctx.conn.targetInfo()).umask;
}

export async function lstatOf(ctx: ModuleContext, path: string): Promise<FileInfoDetail | null> {
  return (await ctx.conn.stat(path, { follow: false, become: ctx.become })) as FileInfoDetail | null;
}

export async function statOf(ctx: ModuleContext, path: string): Promise<FileInfoDetail | null> {
  return (await ctx.conn.stat(path, { follow: true, become: ctx.become })) as FileInfoDetail | null;
}

/** Ansible's get_state: what is at `path` now */
export async function pathState(ctx: ModuleContext, path: string): Promise<{ state: PathState; info: FileInfoDetail | null }> {
  return stateOf(await lstatOf(ctx, path));
}

/** get_state from an lstat already made */
export function stateOf(info: FileInfoDetail | null): { state: PathState; info: FileInfoDetail | null } {
  if (!info) return { state: 'absent', info };
  if (info.type === 'link') return { state: 'link', info };
  if (info.type === 'directory') return { state: 'directory', info };
  if ((info.nlink ?? 1) > 1) return { state: 'hard', info };
  return { state: 'file', info };
}

const PERM_BITS = 0o7777;
const EXEC_BITS = 0o111;

function symbolicPermBits(current: FileInfoDetail, who: string, perms: string, useUmask: boolean, umask: number): number {
  const prev = current.mode & PERM_BITS;
  const allowX = current.type === 'directory' || (prev & EXEC_BITS) > 0;
  const allowed = useUmask ? umask ^ PERM_BITS : PERM_BITS;
  const table: Record<string, Record<string, number>> = {
    u: {
      r: allowed & 0o400, w: allowed & 0o200, x: allowed & 0o100, s: 0o4000, t: 0,
      u: prev & 0o700, g: (prev & 0o070) << 3, o: (prev & 0o007) << 6, X: allowX ? 0o100 : 0,
    },
    g: {
      r: allowed & 0o040, w: allowed & 0o020, x: allowed & 0o010, s: 0o2000, t: 0,
      u: (prev & 0o700) >> 3, g: prev & 0o070, o: (prev & 0o007) << 3, X: allowX ? 0o010 : 0,
    },
    o: {
      r: allowed & 0o004, w: allowed & 0o002, x: allowed & 0o001, s: 0, t: 0o1000,
      u: (prev & 0o700) >> 6, g: (prev & 0o070) >> 3, o: prev & 0o007, X: allowX ? 0o001 : 0,
    },
  };
  let bits = 0;
  for (const p of perms) {
    const v = table[who][p];
    // Python raises KeyError('z'), which Ansible reports as the details "'z'"
    if (v === undefined) throw new Error(`'${p}'`);
    bits |= v;
  }
  return bits;
}

/** chmod-style symbolic modes ("u=rwX,g-w,+x"), resolved against the file's current mode */
export function symbolicToOctal(current: FileInfoDetail, symbolic: string, umask: number): number {
  let mode = current.mode & PERM_BITS;
  for (const clause of symbolic.split(',')) {
    const parts = clause.split(/[+=-]/);
    const ops = clause.match(/[+=-]/g) ?? [];
    let who = parts.shift() ?? '';
    const useUmask = who === '';
    if (who === 'a' || who === '') who = 'ugo';
    // Ansible only looks at the first character of each piece here
    if (/^[^ugo]/.test(who)) throw new Error(`bad symbolic permission for mode: ${clause}`);
    parts.forEach((perms, i) => {
      if (/^[^rwxXstugo]/.test(perms)) throw new Error(`bad symbolic permission for mode: ${clause}`);
      for (const w of who) {
        const bits = symbolicPermBits(current, w, perms, useUmask, umask);
        const op = ops[i];
        if (op === '=') {
          const mask = w === 'u' ? 0o4700 : w === 'g' ? 0o2070 : 0o1007;
          mode = (mode & (mask ^ PERM_BITS)) | bits;
        } else if (op === '+') {
          mode |= bits;
        } else {
          mode -= mode & bits;
        }
      }
    });
  }
  return mode;
}

/** Ansible's mode argument (type raw) → permission bits for this file; fails as Ansible does */
export function resolveMode(mode: unknown, current: FileInfoDetail, path: string, umask: number): number {
  if (typeof mode === 'number' && Number.isInteger(mode)) return mode;
  const text = String(mode);
  if (/^[0-7]+$/.test(text.trim())) return parseInt(text.trim(), 8);
  let resolved: number;
  try {
    resolved = symbolicToOctal(current, text, umask);
  } catch (err) {
    fail('mode must be in octal or symbolic form', { path, details: (err as Error).message });
  }
  if (resolved !== (resolved & PERM_BITS)) {
    fail('Invalid mode supplied, only permission info is allowed', { path, details: resolved });
  }
  return resolved;
}

async function uidFor(ctx: ModuleContext, owner: string, path: string): Promise<number> {
  if (/^\d+$/.test(owner)) return Number(owner);
  const uid = (await Accounts.of(ctx.conn)).uid(owner) ?? (await Accounts.of(ctx.conn, true)).uid(owner);
  if (uid === undefined) fail(`chown failed: failed to look up user ${owner}`, { path });
  return uid;
}

async function gidFor(ctx: ModuleContext, group: string, path: string): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const gid = (await Accounts.of(ctx.conn)).gid(group) ?? (await Accounts.of(ctx.conn, true)).gid(group);
  if (gid === undefined) fail(`chgrp failed: failed to look up group ${group}`, { path });
  return gid;
}

function record(diff: AttrDiff | undefined, key: string, before: unknown, after: unknown): void {
  if (!diff) return;
  diff.before[key] = before;
  diff.after[key] = after;
}

/**
 * Ansible's set_fs_attributes_if_different for owner, group and mode (in that order), against
 * the path itself (lchown; a symlink's own mode cannot change on Linux). Returns the new
 * `changed`. In check mode a missing path counts as a change.
 */
export async function applyFileAttributes(
  ctx: ModuleContext,
  args: FileAttrArgs,
  changed: boolean,
  diff?: AttrDiff,
): Promise<boolean> {
  const wanted = args.owner != null || args.group != null || args.mode != null;
  if (!wanted) return changed;
  const info = await lstatOf(ctx, args.path);
  if (!info) {
    if (ctx.check) return true;
    fail(`file (${args.path}) does not exist`, { path: args.path });
  }
  const opts = { become: ctx.become };
  if (args.owner != null) {
    const uid = await uidFor(ctx, String(args.owner), args.path);
    if (uid !== info.uid) {
      record(diff, 'owner', info.uid, uid);
      if (ctx.check) return true;
      try {
        await ctx.conn.chown(args.path, uid, -1, { ...opts, follow: false });
      } catch (err) {
        fail(`chown failed: ${(err as Error).message}`, { path: args.path });
      }
      info.uid = uid;
      changed = true;
    }
  }
  if (args.group != null) {
    const gid = await gidFor(ctx, String(args.group), args.path);
    if (gid !== info.gid) {
      record(diff, 'group', info.gid, gid);
      if (ctx.check) return true;
      try {
        await ctx.conn.chown(args.path, -1, gid, { ...opts, follow: false });
      } catch {
        fail('chgrp failed', { path: args.path });
      }
      info.gid = gid;
      changed = true;
    }
  }
  if (args.mode != null) {
    const mode = resolveMode(args.mode, info, args.path, await targetUmask(ctx));
    const prev = info.mode & PERM_BITS;
    if (prev !== mode) {
      record(diff, 'mode', octalMode(prev), octalMode(mode));
      if (ctx.check) return true;
      // Linux cannot chmod a symlink itself; Ansible leaves it (and its target) alone
      if (info.type !== 'link') {
        try {
          await ctx.conn.chmod(args.path, mode, opts);
        } catch (err) {
          fail('chmod failed', { path: args.path, details: (err as Error).message });
        }
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * Ansible's add_path_info: a result naming a path that exists gets its owner, group, mode,
 * state and size (state and mode of the path itself, like lstat).
 */
export async function addPathInfo(ctx: ModuleContext, result: Record<string, unknown>): Promise<void> {
  const p = (result.path ?? result.dest) as string | undefined;
  if (typeof p !== 'string') return;
  const info = await lstatOf(ctx, p);
  if (!info) return;
  let followed: FileInfoDetail | null = info;
  if (info.type === 'link') {
    followed = await statOf(ctx, p);
    if (!followed) return;
  }
  let accounts = await Accounts.of(ctx.conn);
  if (accounts.userName(info.uid) === undefined || accounts.groupName(info.gid) === undefined) {
    accounts = await Accounts.of(ctx.conn, true);
  }
  result.uid = info.uid;
  result.gid = info.gid;
  result.owner = accounts.userName(info.uid) ?? String(info.uid);
  result.group = accounts.groupName(info.gid) ?? String(info.gid);
  result.mode = octalMode(info.mode & PERM_BITS);
  result.state =
    info.type === 'link' ? 'link' : followed.type === 'directory' ? 'directory' : (followed.nlink ?? 1) > 1 ? 'hard' : 'file';
  result.size = info.size;
}
