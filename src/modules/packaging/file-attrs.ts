/**
 * A file's ownership and permissions on the target, read in one command, and the small part of
 * Ansible's file-attribute handling get_url needs: the path facts every result carrying `dest`
 * gets (state, mode, owner, group, uid, gid, size) and applying mode/owner/group when they differ.
 */
import type { ModuleContext } from '../types.js';
import { formatMode, parseMode, run, shellQuote } from './common.js';

export interface PathFacts {
  state: 'file' | 'directory' | 'link' | 'hard';
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
}

export interface RawStat {
  kind: string;
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  links: number;
  mtime: number;
}

export async function statOnTarget(ctx: ModuleContext, path: string): Promise<RawStat | undefined> {
  const out = await run(ctx, `stat -c '%F|%a|%u|%g|%U|%G|%s|%h|%Y' -- ${shellQuote(path)} 2>/dev/null || true`);
  const line = out.stdout.trim();
  if (!line) return undefined;
  const [kind, mode, uid, gid, owner, group, size, links, mtime] = line.split('|');
  return { kind, mode: parseInt(mode, 8), uid: Number(uid), gid: Number(gid), owner, group, size: Number(size), links: Number(links), mtime: Number(mtime) };
}

/** nothing for a missing path, as Ansible adds nothing then */
export function pathFacts(st: RawStat | undefined): Partial<PathFacts> {
  if (!st) return {};
  const state = st.kind.includes('symbolic link') ? 'link' : st.kind.includes('directory') ? 'directory' : st.links > 1 ? 'hard' : 'file';
  return { state, mode: formatMode(st.mode), owner: st.owner, group: st.group, uid: st.uid, gid: st.gid, size: st.size };
}

export type AttrOutcome = { ok: true; changed: boolean } | { ok: false; msg: string };

/** owner/group/mode as in Ansible's set_fs_attributes_if_different (without diff output). */
export async function applyAttributes(
  ctx: ModuleContext,
  path: string,
  wanted: { mode?: unknown; owner?: string; group?: string },
): Promise<AttrOutcome> {
  if (wanted.mode === undefined && wanted.owner === undefined && wanted.group === undefined) return { ok: true, changed: false };
  const st = await statOnTarget(ctx, path);
  if (!st) return { ok: false, msg: `path ${path} does not exist` };
  let changed = false;
  let uid = st.uid;
  let gid = st.gid;
  if (wanted.owner !== undefined || wanted.group !== undefined) {
    const lookup = await run(
      ctx,
      `${wanted.owner !== undefined ? `id -u -- ${shellQuote(wanted.owner)}` : `echo ${st.uid}`}; ` +
        `${wanted.group !== undefined ? `getent group -- ${shellQuote(wanted.group)} | cut -d: -f3` : `echo ${st.gid}`}`,
    );
    const [u = '', g = ''] = lookup.stdout.split('\n');
    if (wanted.owner !== undefined) {
      if (!/^\d+$/.test(u.trim())) return { ok: false, msg: `chown failed: failed to look up user ${wanted.owner}` };
      uid = Number(u.trim());
    }
    if (wanted.group !== undefined) {
      const numeric = /^\d+$/.test(wanted.group) ? wanted.group : g.trim();
      if (!/^\d+$/.test(numeric)) return { ok: false, msg: `chgrp failed: failed to look up group ${wanted.group}` };
      gid = Number(numeric);
    }
    if (uid !== st.uid || gid !== st.gid) {
      if (!ctx.check) await ctx.conn.chown(path, uid, gid, { become: ctx.become });
      changed = true;
    }
  }
  if (wanted.mode !== undefined && wanted.mode !== null) {
    const parsed = parseMode(wanted.mode, st.mode);
    if (!parsed.ok) return { ok: false, msg: parsed.error };
    if (parsed.mode !== (st.mode & 0o7777)) {
      if (!ctx.check) await ctx.conn.chmod(path, parsed.mode, { become: ctx.become });
      changed = true;
    }
  }
  return { ok: true, changed };
}
