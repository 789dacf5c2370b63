/** Path helpers over a Connection (which has no realpath of its own). */
import * as posix from 'node:path/posix';
import type { ModuleContext } from '../../types.js';

/** follows a chain of symlinks at `path` to what it finally names (Python's realpath for the last component) */
export async function resolveLinks(ctx: ModuleContext, path: string): Promise<string> {
  let current = posix.resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    const info = await ctx.conn.stat(current, { follow: false, become: ctx.become });
    if (!info || info.type !== 'link') return current;
    const target = info.linkTarget ?? (await ctx.conn.readlink(current, { become: ctx.become }));
    current = posix.resolve(posix.dirname(current), target);
  }
  return current;
}

export const dirname = posix.dirname;
export const basename = posix.basename;
export const join = posix.join;
