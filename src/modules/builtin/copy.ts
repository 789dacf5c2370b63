/**
 * ansible.builtin.copy: content, a controller file or tree (found in the role's files/), or a
 * file/tree already on the target (remote_src), with Ansible 2.14's results.
 */
import { promises as fsp } from 'node:fs';
import { decryptIfVaulted } from '../../vault/index.js';
import { PyFloat, pyStr } from '../../template/values.js';
import * as nodePath from 'node:path';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { copyArgumentError, copyFile, type CopyArgs, type SourceFile } from './copy-core.js';
import { pyJsonDumps } from './support/pyjson.js';
import { ModuleFailure, fail } from './support/failure.js';
import { addPathInfo, applyFileAttributes, statOf } from './support/fsattrs.js';
import { sha1, md5 } from './support/hash.js';
import { joinPath, walk } from './support/walk.js';
import { basename } from './support/paths.js';
import { runFile } from './file.js';

interface ControllerTree {
  files: Array<{ full: string; rel: string }>;
  directories: Array<{ full: string; rel: string }>;
}

/** Ansible's _walk_dirs with local_follow: links to files become files, links to dirs are walked */
async function walkController(top: string, trailingSlash: boolean): Promise<ControllerTree> {
  const tree: ControllerTree = { files: [], directories: [] };
  const base = trailingSlash ? top.replace(/\/+$/, '') : nodePath.dirname(top.replace(/\/+$/, ''));
  const seen = new Set<string>();
  const recurse = async (dir: string, relBase: string) => {
    const real = await fsp.realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of (await fsp.readdir(dir, { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const full = nodePath.join(dir, entry.name);
      const rel = relBase ? `${relBase}/${entry.name}` : entry.name;
      const st = await fsp.stat(full).catch(() => null);
      if (!st) continue;
      if (st.isDirectory()) {
        tree.directories.push({ full, rel });
        await recurse(full, rel);
      } else if (st.isFile()) {
        tree.files.push({ full, rel });
      }
    }
  };
  const startRel = trailingSlash ? '' : nodePath.relative(base, top.replace(/\/+$/, ''));
  await recurse(top, startRel);
  return tree;
}

async function readController(full: string, rel: string, decrypt: boolean): Promise<SourceFile> {
  const [data, st] = await Promise.all([fsp.readFile(full), fsp.stat(full)]);
  return { data: decrypt ? decryptIfVaulted(data, full) : data, rel, header: full, mode: st.mode & 0o7777 };
}

/** remote_src: the copy module run against a source already on the target */
async function remoteCopy(ctx: ModuleContext, args: CopyArgs): Promise<ModuleResult> {
  const src = args.src!;
  let dest = args.dest;
  const srcInfo = await statOf(ctx, src);
  const res: ModuleResult = {};
  try {
    if (!srcInfo) fail(`Source ${src} not found`);
    if (srcInfo.type === 'file') {
      const data = await ctx.conn.readFile(src, { become: ctx.become });
      const source: SourceFile = { data, rel: args._original_basename ?? basename(src), header: src, mode: srcInfo.mode };
      if (dest.endsWith('/') || (await statOf(ctx, dest))?.type === 'directory') dest = joinPath(dest, source.rel);
      const existing = await statOf(ctx, dest);
      if (existing && args.force === false) return { msg: 'file already exists', src, dest, changed: false };
      const copied = await copyFile(ctx, { ...args, backup: args.backup }, source, dest, !!args.follow, false, src);
      const out = copied ?? { changed: false, dest, src };
      // the module reports these keys itself when it copies nothing (remote_src has no file-module detour)
      delete out.diff;
      if (!out.failed) {
        delete out.path;
        Object.assign(out, { dest, src, md5sum: md5(data), checksum: sha1(data) });
      }
      return out;
    }
    if (srcInfo.type !== 'directory') fail(`Cannot copy invalid source '${src}': not a file`);
    // a tree: src/ copies what is inside, src copies the directory itself into dest
    const destInfo = await statOf(ctx, dest);
    const target = src.endsWith('/') ? (destInfo ? dest : joinPath(dest, basename(src))) : joinPath(dest, basename(src));
    let changed = false;
    const ensureDir = async (d: string) => {
      if (await statOf(ctx, d)) return;
      changed = true;
      if (!ctx.check) await ctx.conn.mkdir(d, { parents: true, become: ctx.become });
    };
    await ensureDir(target);
    for await (const step of walk(ctx, src.replace(/\/+$/, '') || '/')) {
      const relRoot = step.root.slice((src.replace(/\/+$/, '') || '/').length).replace(/^\//, '');
      const destRoot = relRoot ? joinPath(target, relRoot) : target;
      for (const d of step.dirs) await ensureDir(joinPath(destRoot, d));
      for (const f of step.files) {
        const from = joinPath(step.root, f);
        const to = joinPath(destRoot, f);
        const data = await ctx.conn.readFile(from, { become: ctx.become });
        const info = await statOf(ctx, to);
        const current = info?.type === 'file' && info.size === data.length ? await ctx.conn.readFile(to, { become: ctx.become }) : null;
        if (current && current.equals(data)) continue;
        changed = true;
        if (!ctx.check) {
          const fromInfo = await statOf(ctx, from);
          await ctx.conn.writeFile(to, data, { mode: fromInfo?.mode, become: ctx.become });
        }
      }
    }
    Object.assign(res, { dest: args.dest, src, md5sum: null, checksum: null, changed });
    res.changed = await applyFileAttributes(ctx, { path: args.dest, mode: args.mode, owner: args.owner, group: args.group }, changed);
  } catch (err) {
    if (!(err instanceof ModuleFailure)) throw err;
    return { changed: false, ...err.result, failed: true };
  }
  await addPathInfo(ctx, res);
  return res;
}

/**
 * The copy action for content or controller files; `sources` replaces the lookup of
 * args.src when the caller (template) already has the bytes.
 */
export async function runCopy(args: CopyArgs, ctx: ModuleContext, rendered?: SourceFile): Promise<ModuleResult> {
  const problem = rendered ? undefined : copyArgumentError(args);
  if (problem) return { changed: false, failed: true, msg: problem };
  let dest = args.dest;
  let files: SourceFile[];
  let directories: Array<{ rel: string }> = [];
  let srcLabel: string;
  let isContent = false;
  let isTree = false;
  if (rendered) {
    files = [rendered];
    srcLabel = rendered.header;
  } else if (args.content != null) {
    isContent = true;
    // the action writes to_bytes(content): str() of a native value, so true is 'True'
    const text = typeof args.content === 'object' && !(args.content instanceof PyFloat) ? pyJsonDumps(args.content) : pyStr(args.content);
    const tmp = joinPath(await ctx.conn.tempDir(), 'source');
    files = [{ data: Buffer.from(text, 'utf8'), rel: basename(tmp), header: tmp, mode: 0o600 }];
    srcLabel = tmp;
  } else if (args.remote_src) {
    return remoteCopy(ctx, args);
  } else {
    const wanted = args.src!;
    const trailing = wanted.endsWith('/');
    let found = ctx.findFile('files', wanted.replace(/\/+$/, '') || '/');
    if (!found) {
      return {
        changed: false,
        failed: true,
        msg: `Could not find or access '${wanted}' on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option`,
      };
    }
    if (trailing && !found.endsWith('/')) found += '/';
    srcLabel = found;
    const st = await fsp.stat(found).catch(() => null);
    if (st?.isDirectory()) {
      isTree = true;
      const tree = await walkController(found, trailing);
      files = await Promise.all(tree.files.map((f) => readController(f.full, f.rel, args.decrypt !== false)));
      directories = tree.directories;
      if (!dest.endsWith('/')) dest = `${dest}/`;
    } else {
      try {
        files = [await readController(found, basename(found), args.decrypt !== false)];
      } catch (err) {
        return { changed: false, failed: true, msg: `could not find src=${found}, ${(err as Error).message}` };
      }
    }
  }

  let changed = false;
  let executed = false;
  let last: ModuleResult = { changed: false };
  // Ansible reports the module's src: the transferred copy in the target's temp dir
  const transferred = files.length ? joinPath(await ctx.conn.tempDir(), 'source') : '';
  for (const source of files) {
    const follow = isTree ? false : !!args.follow;
    const r = await copyFile(ctx, args, source, dest, follow, isContent, transferred);
    if (r === null) continue;
    if (r.failed) return { changed: false, ...r };
    executed = true;
    changed = changed || !!r.changed;
    last = r;
  }
  for (const d of directories) {
    const r = await runFile(
      { path: joinPath(dest, d.rel), state: 'directory', mode: args.directory_mode ?? null, recurse: false, follow: true, owner: args.owner, group: args.group },
      ctx,
    );
    if (r.failed) return r;
    executed = true;
    changed = changed || !!r.changed;
  }
  if (executed && files.length === 1 && !isTree) {
    if ('path' in last && !('dest' in last)) last.dest = last.path;
    return last;
  }
  return { dest, src: srcLabel, changed };
}

export const copyModule: ModuleDefinition = defineModule<CopyArgs>({
  name: 'ansible.builtin.copy',
  spec: {
    short_description: 'Copy files to remote locations',
    options: {
      src: { type: 'path' },
      _original_basename: { type: 'str' },
      // raw, not str: the copy action writes a dict or list as JSON, which a str coercion would lose
      content: { type: 'raw', no_log: true },
      dest: { type: 'path', required: true },
      backup: { type: 'bool', default: false },
      force: { type: 'bool', default: true },
      validate: { type: 'str' },
      directory_mode: { type: 'raw' },
      remote_src: { type: 'bool' },
      local_follow: { type: 'bool' },
      checksum: { type: 'str' },
      follow: { type: 'bool', default: false },
      decrypt: { type: 'bool', default: true },
      ...fileCommonOptions,
    },
  },
  supportsCheckMode: true,
  run: (args, ctx) => runCopy(args, withStatCache(ctx)),
});
