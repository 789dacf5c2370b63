/**
 * ansible.builtin.file: make a path a file, directory, symlink, hard link or nothing, and set
 * its owner, group, mode and times. Follows Ansible 2.14's decision order, messages and result.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { ModuleFailure, fail, errnoText } from './support/failure.js';
import { addPathInfo, applyFileAttributes, lstatOf, pathState, stateOf, statOf, type AttrDiff, type FileAttrArgs } from './support/fsattrs.js';
import type { FileInfoDetail, PathState } from './support/fileinfo.js';
import { defaultTimeArg, parseTime, updateTimestamps, type TimeWish } from './support/timestamps.js';
import { walk, joinPath } from './support/walk.js';
import { resolveLinks, dirname, basename } from './support/paths.js';

export interface FileArgs {
  path: string;
  state?: 'absent' | 'directory' | 'file' | 'hard' | 'link' | 'touch' | null;
  recurse?: boolean | null;
  force?: boolean | null;
  follow?: boolean | null;
  src?: string | null;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
  modification_time?: string | null;
  modification_time_format?: string | null;
  access_time?: string | null;
  access_time_format?: string | null;
  _original_basename?: string | null;
  _diff_peek?: boolean | null;
}

interface Times {
  mtime: TimeWish;
  atime: TimeWish;
}

function initialDiff(path: string, state: string, prev: PathState): AttrDiff {
  const diff: AttrDiff = { before: { path }, after: { path } };
  if (prev !== state) {
    diff.before.state = prev;
    diff.after.state = state;
  }
  return diff;
}

/** Ansible's load_file_common_arguments: with follow, attributes go to the link's target */
async function attrArgs(ctx: ModuleContext, args: FileArgs, path: string): Promise<FileAttrArgs> {
  let target = path;
  if (args.follow) {
    const own = await ctx.conn.stat(path, { follow: false, become: ctx.become });
    if (own?.type === 'link') target = await resolveLinks(ctx, path);
  }
  return { path: target, mode: args.mode, owner: args.owner, group: args.group };
}

async function settleAttrs(ctx: ModuleContext, fa: FileAttrArgs, changed: boolean, diff: AttrDiff, times: Times): Promise<boolean> {
  changed = await applyFileAttributes(ctx, fa, changed, diff);
  changed = (await updateTimestamps(ctx, fa.path, times.mtime, times.atime, diff)) || changed;
  return changed;
}

async function ensureAbsent(ctx: ModuleContext, path: string): Promise<ModuleResult> {
  const { state: prev } = await pathState(ctx, path);
  if (prev === 'absent') return { path, changed: false, state: 'absent' };
  const diff = initialDiff(path, 'absent', prev);
  if (prev === 'directory') {
    const content = { directories: [] as string[], files: [] as string[] };
    for await (const step of walk(ctx, path)) {
      for (const d of step.dirs) content.directories.push(joinPath(step.root, d));
      for (const f of step.files) content.files.push(joinPath(step.root, f));
    }
    diff.before.path_content = content;
  }
  if (!ctx.check) {
    try {
      await ctx.conn.remove(path, { become: ctx.become });
    } catch (err) {
      if (prev === 'directory') fail(`rmtree failed: ${errnoText(err)}`);
      fail(`unlinking failed: ${errnoText(err)} `, { path });
    }
  }
  return { path, changed: true, diff, state: 'absent' };
}

async function executeTouch(ctx: ModuleContext, args: FileArgs, path: string, times: Times): Promise<ModuleResult> {
  const { state: prev } = await pathState(ctx, path);
  let changed = false;
  if (prev === 'absent') {
    if (ctx.check) return { dest: path, changed: true };
    try {
      await ctx.conn.writeFile(path, '', { become: ctx.become });
    } catch (err) {
      fail(`Error, could not touch target: ${errnoText(err)}`, { path });
    }
    changed = true;
  }
  const diff = initialDiff(path, 'touch', prev);
  const fa = await attrArgs(ctx, args, path);
  try {
    changed = await settleAttrs(ctx, fa, changed, diff, times);
  } catch (err) {
    // a file we created must not stay behind when its attributes could not be set
    if (prev === 'absent') await ctx.conn.remove(path, { become: ctx.become }).catch(() => undefined);
    throw err;
  }
  return { dest: path, changed, diff };
}

async function ensureFileAttributes(ctx: ModuleContext, args: FileArgs, path: string, times: Times): Promise<ModuleResult> {
  let { state: prev } = await pathState(ctx, path);
  const fa = await attrArgs(ctx, args, path);
  if (prev !== 'file' && args.follow && prev === 'link') {
    path = await resolveLinks(ctx, path);
    prev = (await pathState(ctx, path)).state;
    fa.path = path;
  }
  if (prev !== 'file' && prev !== 'hard') {
    fail(`file (${path}) is ${prev}, cannot continue`, { path, state: prev });
  }
  const diff = initialDiff(path, 'file', prev);
  const changed = await settleAttrs(ctx, fa, false, diff, times);
  return { path, changed, diff };
}

async function recursiveSetAttributes(ctx: ModuleContext, top: string, args: FileArgs, fa: FileAttrArgs, times: Times): Promise<boolean> {
  let changed = false;
  for await (const step of walk(ctx, top)) {
    for (const name of [...step.dirs, ...step.files]) {
      const entry = joinPath(step.root, name);
      changed = (await applyFileAttributes(ctx, { ...fa, path: entry }, changed)) || changed;
      changed = (await updateTimestamps(ctx, entry, times.mtime, times.atime)) || changed;
      const own = await ctx.conn.stat(entry, { follow: false, become: ctx.become });
      if (own?.type === 'link' && args.follow) {
        const target = joinPath(step.root, own.linkTarget ?? (await ctx.conn.readlink(entry, { become: ctx.become })));
        const targetInfo = await statOf(ctx, target);
        if (targetInfo) {
          if (targetInfo.type === 'directory') changed = (await recursiveSetAttributes(ctx, target, args, fa, times)) || changed;
          changed = (await applyFileAttributes(ctx, { ...fa, path: target }, changed)) || changed;
          changed = (await updateTimestamps(ctx, target, times.mtime, times.atime)) || changed;
        }
      }
    }
  }
  return changed;
}

async function ensureDirectory(ctx: ModuleContext, args: FileArgs, path: string, times: Times): Promise<ModuleResult> {
  let { state: prev } = await pathState(ctx, path);
  const fa = await attrArgs(ctx, args, path);
  if (args.follow && prev === 'link') {
    path = await resolveLinks(ctx, path);
    fa.path = path;
    prev = (await pathState(ctx, path)).state;
  }
  let changed = false;
  const diff = initialDiff(path, 'directory', prev);
  if (prev === 'absent') {
    if (ctx.check) return { path, changed: true, diff };
    // create each missing ancestor in turn, giving each new one the requested attributes; the
    // first missing one is found from the path upward (usually only its parent is looked at)
    const ancestors: string[] = [];
    let current = '';
    for (const part of path.replace(/^\/+|\/+$/g, '').split('/')) {
      current = `${current}/${part}`;
      if (!path.startsWith('/')) current = current.replace(/^\/+/, '');
      ancestors.push(current);
    }
    let firstMissing = ancestors.length - 1;
    while (firstMissing > 0 && !(await statOf(ctx, ancestors[firstMissing - 1]))) firstMissing--;
    try {
      for (current of ancestors.slice(firstMissing)) {
        try {
          await ctx.conn.mkdir(current, { become: ctx.become });
          changed = true;
        } catch (err) {
          const existing = await statOf(ctx, current);
          if (!((err as NodeJS.ErrnoException).code === 'EEXIST' && existing?.type === 'directory')) throw err;
        }
        changed = await applyFileAttributes(ctx, { ...fa, path: current }, changed, diff);
        changed = (await updateTimestamps(ctx, fa.path, times.mtime, times.atime, diff)) || changed;
      }
    } catch (err) {
      if (err instanceof ModuleFailure) throw err;
      fail(`There was an issue creating ${current} as requested: ${errnoText(err)}`, { path });
    }
    return { path, changed, diff };
  }
  if (prev !== 'directory') fail(`${path} already exists as a ${prev}`, { path });
  changed = await settleAttrs(ctx, fa, changed, diff, times);
  if (args.recurse) changed = (await recursiveSetAttributes(ctx, path, args, fa, times)) || changed;
  return { path, changed, diff };
}

async function ensureSymlink(ctx: ModuleContext, args: FileArgs, path: string, times: Times): Promise<ModuleResult> {
  const { state: prev, info } = await pathState(ctx, path);
  let src = args.src ?? null;
  const force = !!args.force;
  if (src === null && args.follow && (await statOf(ctx, path))) {
    src = info?.linkTarget ?? (await ctx.conn.readlink(path, { become: ctx.become }));
  }
  const relBase = prev === 'directory' ? path : dirname(path);
  const absrc = src === null ? null : joinPath(relBase, src);
  if (!force && src !== null && absrc !== null && !(await statOf(ctx, absrc))) {
    fail(`src file does not exist, use "force=yes" if you really want to create the link: ${absrc}`, { path, src });
  }
  if (prev === 'directory') {
    if (!force) fail(`refusing to convert from ${prev} to symlink for ${path}`, { path });
    if ((await ctx.conn.readdir(path, { become: ctx.become })).length > 0) {
      fail(`the directory ${path} is not empty, refusing to convert it`, { path });
    }
  } else if ((prev === 'file' || prev === 'hard') && !force) {
    fail(`refusing to convert from ${prev} to symlink for ${path}`, { path });
  }
  const diff = initialDiff(path, 'link', prev);
  let changed = false;
  if (prev !== 'link') {
    if (src === null) fail('src is required for creating new symlinks');
    changed = true;
  } else if (src !== null) {
    const oldSrc = info?.linkTarget ?? (await ctx.conn.readlink(path, { become: ctx.become }));
    if (oldSrc !== src) {
      diff.before.src = oldSrc;
      diff.after.src = src;
      changed = true;
    }
  }
  if (changed && !ctx.check) {
    const opts = { become: ctx.become };
    if (prev !== 'absent') {
      // build the link beside the old path and rename it over, so the path never goes missing
      const tmp = joinPath(dirname(path), `.${process.pid}.${Date.now() / 1000}.tmp`);
      try {
        if (prev === 'directory') await ctx.conn.remove(path, opts);
        await ctx.conn.symlink(src!, tmp, opts);
        await ctx.conn.rename(tmp, path, opts);
      } catch (err) {
        await ctx.conn.remove(tmp, opts).catch(() => undefined);
        fail(`Error while replacing: ${errnoText(err)}`, { path });
      }
    } else {
      try {
        await ctx.conn.symlink(src!, path, opts);
      } catch (err) {
        fail(`Error while linking: ${errnoText(err)}`, { path });
      }
    }
  }
  if (ctx.check && !(await statOf(ctx, path))) return { dest: path, src, changed, diff };
  const fa = await attrArgs(ctx, args, path);
  const own = await ctx.conn.stat(path, { follow: false, become: ctx.become });
  const warnings: string[] = [];
  if (args.follow && own?.type === 'link' && !(await statOf(ctx, fa.path))) {
    warnings.push('Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this.');
  } else {
    changed = await settleAttrs(ctx, fa, changed, diff, times);
  }
  const result: ModuleResult = { dest: path, src, changed, diff };
  if (warnings.length) result.warnings = warnings;
  return result;
}

async function ensureHardlink(ctx: ModuleContext, args: FileArgs, path: string, times: Times): Promise<ModuleResult> {
  const { state: prev, info } = await pathState(ctx, path);
  const src = args.src ?? null;
  const force = !!args.force;
  const fa = await attrArgs(ctx, args, path);
  if (prev !== 'hard' && src === null) fail('src is required for creating new hardlinks');
  const srcInfo = src === null ? null : await statOf(ctx, src);
  if (src !== null && !srcInfo) fail('src does not exist', { dest: path, src });
  const diff = initialDiff(path, 'hard', prev);
  let changed = false;
  if (prev === 'absent') {
    changed = true;
  } else if (prev === 'link') {
    const oldSrc = info?.linkTarget ?? '';
    if (oldSrc !== src) {
      diff.before.src = oldSrc;
      diff.after.src = src;
      changed = true;
    }
  } else if (prev === 'hard') {
    const here = await statOf(ctx, path);
    if (src !== null && here?.ino !== undefined && here.ino !== srcInfo?.ino) {
      changed = true;
      if (!force) fail('Cannot link, different hard link exists at destination', { dest: path, src });
    }
  } else if (prev === 'file') {
    changed = true;
    if (!force) fail(`Cannot link, ${prev} exists at destination`, { dest: path, src });
  } else if (prev === 'directory') {
    changed = true;
    const here = await statOf(ctx, path);
    if (here) {
      if (here.ino !== undefined && here.ino === srcInfo?.ino) return { path, changed: false };
      if (!force) fail('Cannot link: different hard link exists at destination', { dest: path, src });
    }
  }
  if (changed && !ctx.check) {
    // the Connection has no link(2); ln -f does the same atomically enough and costs one spawn
    const res = await ctx.conn.exec(['ln', '-f', '--', src!, path], { become: ctx.become });
    if (res.rc !== 0) {
      fail(`${prev !== 'absent' ? 'Error while replacing' : 'Error while linking'}: ${res.stderr.trim()}`, { path });
    }
  }
  if (ctx.check && !(await statOf(ctx, path))) return { dest: path, src, changed, diff };
  changed = await settleAttrs(ctx, fa, changed, diff, times);
  return { dest: path, src, changed, diff };
}

export async function runFile(args: FileArgs, ctx: ModuleContext): Promise<ModuleResult> {
  let result: ModuleResult;
  const params = { ...args };
  const warnings: string[] = [];
  if (args._diff_peek != null) {
    // the copy/template actions' probe: does the file look binary (a NUL in its first 8 KiB)?
    let appearsBinary = false;
    try {
      appearsBinary = (await ctx.conn.readFile(params.path, { become: ctx.become })).subarray(0, 8192).includes(0);
    } catch {
      // unreadable or missing: not binary, as in Ansible
    }
    const peek: ModuleResult = { path: params.path, changed: false, appears_binary: appearsBinary };
    await addPathInfo(ctx, peek);
    return peek;
  }
  try {
    // Ansible's additional_parameter_handling
    let path = params.path;
    // the lstat of `path` when it is known already: one round trip less per task over SSH
    let lstatHere: FileInfoDetail | null | undefined;
    if (params.state !== 'link' && params.state !== 'absent') {
      lstatHere = await lstatOf(ctx, path);
      const here = lstatHere?.type === 'link' ? await statOf(ctx, path) : lstatHere;
      if (here?.type === 'directory') {
        const name = params._original_basename ?? (params.src ? basename(params.src) : null);
        if (name) {
          path = joinPath(path, name);
          lstatHere = undefined;
        }
      }
    }
    const { state: prev } = lstatHere !== undefined ? stateOf(lstatHere) : await pathState(ctx, path);
    let state = params.state ?? null;
    if (state === null) state = prev !== 'absent' ? prev : params.recurse ? 'directory' : 'file';
    if (params.recurse && state !== 'directory') {
      fail("recurse option requires state to be 'directory'", { path });
    }
    if (params.src && state !== 'link' && state !== 'hard') {
      fail("src option requires state to be 'link' or 'hard'", { path });
    }
    const times: Times = {
      mtime: parseTime(defaultTimeArg(params.modification_time, state)!, params.modification_time_format ?? '%Y%m%d%H%M.%S'),
      atime: parseTime(defaultTimeArg(params.access_time, state)!, params.access_time_format ?? '%Y%m%d%H%M.%S'),
    };
    if (ctx.check && state !== 'absent') {
      // Ansible only warns here: the user may be created by an earlier task in a real run
      const { Accounts } = await import('./support/users.js');
      const accounts = await Accounts.of(ctx.conn, true);
      const owner = params.owner;
      if (owner != null) {
        if (/^\d+$/.test(String(owner))) {
          if (accounts.userName(Number(owner)) === undefined)
            warnings.push(`failed to look up user with uid ${owner}. Create user up to this point in real play`);
        } else if (accounts.uid(String(owner)) === undefined) {
          warnings.push(`failed to look up user ${owner}. Create user up to this point in real play`);
        }
      }
      const group = params.group;
      if (group != null) {
        if (/^\d+$/.test(String(group))) {
          if (accounts.groupName(Number(group)) === undefined)
            warnings.push(`failed to look up group with gid ${group}. Create group up to this point in real play`);
        } else if (accounts.gid(String(group)) === undefined) {
          warnings.push(`failed to look up group ${group}. Create group up to this point in real play`);
        }
      }
    }
    const follow = params.follow ?? true;
    const eff = { ...params, follow, path };
    switch (state) {
      case 'file':
        result = await ensureFileAttributes(ctx, eff, path, times);
        break;
      case 'directory':
        result = await ensureDirectory(ctx, eff, path, times);
        break;
      case 'link':
        result = await ensureSymlink(ctx, eff, path, times);
        break;
      case 'hard':
        result = await ensureHardlink(ctx, eff, path, times);
        break;
      case 'touch':
        result = await executeTouch(ctx, eff, path, times);
        break;
      default:
        result = await ensureAbsent(ctx, path);
    }
  } catch (err) {
    if (!(err instanceof ModuleFailure)) throw err;
    result = { changed: false, ...err.result, failed: true };
  }
  if (warnings.length) result.warnings = [...warnings, ...((result.warnings as string[]) ?? [])];
  await addPathInfo(ctx, result);
  return result;
}

export const fileModule: ModuleDefinition = defineModule<FileArgs>({
  name: 'ansible.builtin.file',
  spec: {
    short_description: 'Manage files and file properties',
    options: {
      state: { type: 'str', choices: ['absent', 'directory', 'file', 'hard', 'link', 'touch'] },
      path: { type: 'path', required: true, aliases: ['dest', 'name'] },
      _original_basename: { type: 'str' },
      recurse: { type: 'bool', default: false },
      force: { type: 'bool', default: false },
      follow: { type: 'bool', default: true },
      _diff_peek: { type: 'bool' },
      src: { type: 'path' },
      modification_time: { type: 'str' },
      modification_time_format: { type: 'str', default: '%Y%m%d%H%M.%S' },
      access_time: { type: 'str' },
      access_time_format: { type: 'str', default: '%Y%m%d%H%M.%S' },
      ...fileCommonOptions,
    },
  },
  supportsCheckMode: true,
  run: (args, ctx) => runFile(args, withStatCache(ctx)),
});
