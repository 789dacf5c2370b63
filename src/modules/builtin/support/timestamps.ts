/**
 * The file module's modification_time/access_time: 'preserve', 'now', or a time in a strptime
 * format (local time), and the update that records before/after in the diff.
 */
import type { ModuleContext } from '../../types.js';
import type { AttrDiff } from './fsattrs.js';
import { fail } from './failure.js';

export type TimeWish = null | 'now' | number;

/** Python's time.strptime for the directives Ansible's default formats use, then mktime */
export function parseTime(text: string, format: string): TimeWish {
  if (text === 'preserve') return null;
  if (text === 'now') return 'now';
  const parts: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  let pos = 0;
  const bad = (): never =>
    fail(`Error while obtaining timestamp for time ${text} using format ${format}: time data '${text}' does not match format '${format}'`);
  for (let i = 0; i < format.length; i++) {
    const f = format[i];
    if (f === '%' && i + 1 < format.length) {
      const d = format[++i];
      const width = d === 'Y' ? 4 : d === 'y' ? 2 : 2;
      const m = /^\d+/.exec(text.slice(pos, pos + width));
      if (!m || !'YymdHMS'.includes(d)) bad();
      const n = Number(m![0]);
      if (d === 'y') parts.Y = n < 69 ? 2000 + n : 1900 + n;
      else parts[d] = n;
      pos += m![0].length;
    } else {
      if (text[pos] !== f) bad();
      pos++;
    }
  }
  if (pos !== text.length) bad();
  return new Date(parts.Y, parts.m - 1, parts.d, parts.H, parts.M, parts.S).getTime() / 1000;
}

/** Ansible's keep_backward_compatibility_on_timestamps */
export function defaultTimeArg(value: string | null | undefined, state: string): string | null {
  if (value != null) return value;
  if (state === 'touch') return 'now';
  return 'preserve';
}

/** Ansible's update_timestamp_for_file; returns whether a time changed */
export async function updateTimestamps(
  ctx: ModuleContext,
  path: string,
  mtime: TimeWish,
  atime: TimeWish,
  diff?: AttrDiff,
): Promise<boolean> {
  if (mtime === null && atime === null) return false;
  const info = await ctx.conn.stat(path, { follow: true, become: ctx.become });
  if (!info) fail(`Error while updating modification or access time: [Errno 2] No such file or directory: '${path}'`, { path });
  const prevM = info.mtimeMs / 1000;
  const prevA = info.atimeMs / 1000;
  const now = Date.now() / 1000;
  let newM: number;
  let newA: number;
  if (mtime === 'now' && atime === 'now') {
    newM = newA = now;
  } else {
    newM = mtime === null ? prevM : mtime === 'now' ? now : mtime;
    newA = atime === null ? prevA : atime === 'now' ? now : atime;
    if (newM === prevM && newA === prevA) return false;
  }
  if (!ctx.check) await ctx.conn.utimes(path, newA * 1000, newM * 1000, { become: ctx.become });
  if (diff) {
    if (newM !== prevM) {
      diff.before.mtime = prevM;
      diff.after.mtime = newM;
    }
    if (newA !== prevA) {
      diff.before.atime = prevA;
      diff.after.atime = newA;
    }
  }
  return true;
}
