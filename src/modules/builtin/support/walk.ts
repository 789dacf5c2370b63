/** Python's os.walk (top-down, not following symlinked directories) over a Connection. */
import type { ModuleContext } from '../../types.js';

export interface WalkStep {
  root: string;
  /** names of subdirectories, including symlinks that point at directories */
  dirs: string[];
  files: string[];
}

export function joinPath(base: string, name: string): string {
  if (name.startsWith('/')) return name;
  if (base === '') return name;
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}

export async function* walk(ctx: ModuleContext, top: string, followLinks = false): AsyncGenerator<WalkStep> {
  let names: string[];
  try {
    names = await ctx.conn.readdir(top, { become: ctx.become });
  } catch {
    return;
  }
  const dirs: string[] = [];
  const files: string[] = [];
  const descend: string[] = [];
  for (const name of names) {
    const full = joinPath(top, name);
    const own = await ctx.conn.stat(full, { follow: false, become: ctx.become });
    if (!own) continue;
    let isDir = own.type === 'directory';
    if (own.type === 'link') {
      const target = await ctx.conn.stat(full, { follow: true, become: ctx.become });
      isDir = target?.type === 'directory';
      if (isDir && followLinks) descend.push(name);
    } else if (isDir) descend.push(name);
    (isDir ? dirs : files).push(name);
  }
  yield { root: top, dirs, files };
  for (const name of descend) yield* walk(ctx, joinPath(top, name), followLinks);
}
