/**
 * ansible.builtin.find: list files below directories on the target matching names, age, size
 * and content, with the per-file keys Ansible 2.14 returns. One readdir per directory and one
 * lstat per entry; file contents are read only for `contains` or checksums.
 */
import * as posix from 'node:path/posix';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { permissionFlags, rawMode, statCore, S_IFMT, TYPE_BITS as T, type FileInfoDetail } from './support/fileinfo.js';
import { fnmatchToRegExp } from './support/glob.js';
import { pyRegex, PyRegexError } from './support/pyregex.js';
import { Accounts } from './support/users.js';
import { sha1 } from './support/hash.js';

export interface FindArgs {
  paths: string[];
  patterns?: string[] | null;
  excludes?: string[] | null;
  contains?: string | null;
  read_whole_file?: boolean | null;
  file_type?: 'any' | 'directory' | 'file' | 'link' | null;
  age?: string | null;
  age_stamp?: 'atime' | 'ctime' | 'mtime' | null;
  size?: string | null;
  recurse?: boolean | null;
  hidden?: boolean | null;
  follow?: boolean | null;
  get_checksum?: boolean | null;
  use_regex?: boolean | null;
  depth?: number | null;
}


/** re.match: anchored at the start only */
function startMatcher(pattern: string): (s: string) => boolean {
  const re = pyRegex(pattern);
  const sticky = new RegExp(re.source, re.flags.replace('g', '') + 'y');
  return (s) => {
    sticky.lastIndex = 0;
    return sticky.test(s);
  };
}

function nameFilter(patterns: string[], excludes: string[] | null | undefined, useRegex: boolean): (name: string) => boolean {
  const compile = (p: string) => (useRegex ? startMatcher(p) : ((re: RegExp) => (s: string) => re.test(s))(fnmatchToRegExp(p)));
  const inc = patterns.map(compile);
  const exc = (excludes ?? []).map(compile);
  if (!patterns.length && !exc.length) return () => true;
  return (name) => inc.some((m) => m(name)) && !exc.some((m) => m(name));
}

function statInfo(info: FileInfoDetail, accounts: Accounts): Record<string, unknown> {
  const mode = rawMode(info);
  const out: Record<string, unknown> = {
    ...statCore(info),
    gr_name: accounts.groupName(info.gid) ?? '',
    pw_name: accounts.userName(info.uid) ?? '',
    ...permissionFlags(mode),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function parseWithUnits(text: string, re: RegExp, units: Record<string, number>): number | undefined {
  const m = re.exec(text.toLowerCase());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? units[m[2]] : 1);
}

export async function runFind(args: FindArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const useRegex = !!args.use_regex;
  const patterns = args.patterns && args.patterns.length ? args.patterns : [useRegex ? '.*' : '*'];
  let age: number | undefined;
  if (args.age != null) {
    age = parseWithUnits(args.age, /^(-?\d+)(s|m|h|d|w)?$/, { s: 1, m: 60, h: 3600, d: 86400, w: 604800 });
    if (age === undefined) return { changed: false, failed: true, age: args.age, msg: 'failed to process age' };
  }
  let size: number | undefined;
  if (args.size != null) {
    size = parseWithUnits(args.size, /^(-?\d+)(b|k|m|g|t)?$/, { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 });
    if (size === undefined) return { changed: false, failed: true, size: args.size, msg: 'failed to process size' };
  }
  let matchName: (name: string) => boolean;
  let contentRe: RegExp | undefined;
  let contentLine: ((s: string) => boolean) | undefined;
  try {
    matchName = nameFilter(patterns, args.excludes, useRegex);
    if (args.contains != null) {
      contentRe = pyRegex(args.contains);
      contentLine = startMatcher(args.contains);
    }
  } catch (err) {
    if (err instanceof PyRegexError) return { changed: false, failed: true, msg: `Invalid regular expression: ${err.message}` };
    throw err;
  }
  const now = Date.now() / 1000;
  const stampOf = (info: FileInfoDetail) =>
    (args.age_stamp === 'atime' ? info.atimeMs : args.age_stamp === 'ctime' ? info.ctimeMs ?? info.mtimeMs : info.mtimeMs) / 1000;
  const ageOk = (info: FileInfoDetail) => {
    if (age === undefined) return true;
    const elapsed = now - stampOf(info);
    return age >= 0 ? elapsed >= Math.abs(age) : elapsed <= Math.abs(age);
  };
  const sizeOk = (info: FileInfoDetail) => size === undefined || (size >= 0 ? info.size >= Math.abs(size) : info.size <= Math.abs(size));
  const contentOk = async (path: string) => {
    if (!contentRe) return true;
    let text: string;
    try {
      text = (await ctx.conn.readFile(path, { become: ctx.become })).toString('utf8');
    } catch {
      return false;
    }
    if (args.read_whole_file) return contentRe.test(text);
    return text.split(/(?<=\n)/).some((line) => contentLine!(line));
  };

  const accounts = await Accounts.of(ctx.conn);
  const fileType = args.file_type ?? 'file';
  const files: Record<string, unknown>[] = [];
  const skipped: Record<string, string> = {};
  const warnings: string[] = [];
  let examined = 0;
  const opts = { become: ctx.become };

  const visit = async (top: string, root: string): Promise<void> => {
    const names = await ctx.conn.readdir(root, opts);
    const fileNames: string[] = [];
    const dirNames: string[] = [];
    const infos = new Map<string, FileInfoDetail | null>();
    for (const name of names) {
      const full = posix.join(root, name);
      const own = (await ctx.conn.stat(full, { follow: false, ...opts })) as FileInfoDetail | null;
      infos.set(name, own);
      let isDir = own?.type === 'directory';
      if (own?.type === 'link') isDir = (await ctx.conn.stat(full, { follow: true, ...opts }))?.type === 'directory';
      (isDir ? dirNames : fileNames).push(name);
    }
    examined += fileNames.length + dirNames.length;
    let descend = [...dirNames];
    for (const name of [...fileNames, ...dirNames]) {
      const full = posix.normalize(posix.join(root, name));
      if (args.depth) {
        const wpath = top.replace(/\/+$/, '') + '/';
        const depth = (full.match(/\//g) ?? []).length - (wpath.match(/\//g) ?? []).length + 1;
        if (depth > args.depth) {
          descend = [];
          continue;
        }
      }
      if (name.startsWith('.') && !args.hidden) continue;
      const info = infos.get(name);
      if (!info) {
        const why = `[Errno 2] No such file or directory: '${full}'`;
        warnings.push(`Skipped entry '${full}' due to this access issue: ${why}\n`);
        skipped[full] = why;
        continue;
      }
      const r: Record<string, unknown> = { path: full };
      const fmt = rawMode(info) & S_IFMT;
      if (fileType === 'any') {
        if (matchName(name) && ageOk(info)) {
          Object.assign(r, statInfo(info, accounts));
          if (fmt === T.reg && args.get_checksum) r.checksum = sha1(await ctx.conn.readFile(full, opts));
          if (fmt !== T.reg || sizeOk(info)) files.push(r);
        }
      } else if (fmt === T.dir && fileType === 'directory') {
        if (matchName(name) && ageOk(info)) files.push(Object.assign(r, statInfo(info, accounts)));
      } else if (fmt === T.reg && fileType === 'file') {
        if (matchName(name) && ageOk(info) && sizeOk(info) && (await contentOk(full))) {
          Object.assign(r, statInfo(info, accounts));
          if (args.get_checksum) r.checksum = sha1(await ctx.conn.readFile(full, opts));
          files.push(r);
        }
      } else if (fmt === T.lnk && fileType === 'link') {
        if (matchName(name) && ageOk(info)) files.push(Object.assign(r, statInfo(info, accounts)));
      }
    }
    if (!args.recurse) return;
    for (const name of descend) {
      const info = infos.get(name);
      // os.walk only enters a symlinked directory when following links
      if (info?.type === 'link' && !args.follow) continue;
      await visit(top, posix.join(root, name));
    }
  };

  for (const path of args.paths) {
    try {
      const info = await ctx.conn.stat(path, { follow: true, ...opts });
      if (info?.type !== 'directory') throw new Error(`'${path}' is not a directory`);
      await visit(path, path);
    } catch (err) {
      skipped[path] = (err as Error).message;
      warnings.push(`Skipped '${path}' path due to this access issue: ${skipped[path]}\n`);
    }
  }
  const result: ModuleResult = {
    files,
    changed: false,
    msg: warnings.length ? 'Not all paths examined, check warnings for details' : 'All paths examined',
    matched: files.length,
    examined,
    skipped_paths: skipped,
  };
  if (warnings.length) result.warnings = warnings;
  return result;
}

export const findModule: ModuleDefinition = defineModule<FindArgs>({
  name: 'ansible.builtin.find',
  spec: {
    short_description: 'Return a list of files based on specific criteria',
    options: {
      paths: { type: 'list', required: true, aliases: ['name', 'path'], elements: 'str' },
      patterns: { type: 'list', default: [], aliases: ['pattern'], elements: 'str' },
      excludes: { type: 'list', aliases: ['exclude'], elements: 'str' },
      contains: { type: 'str' },
      read_whole_file: { type: 'bool', default: false },
      file_type: { type: 'str', default: 'file', choices: ['any', 'directory', 'file', 'link'] },
      age: { type: 'str' },
      age_stamp: { type: 'str', default: 'mtime', choices: ['atime', 'ctime', 'mtime'] },
      size: { type: 'str' },
      recurse: { type: 'bool', default: false },
      hidden: { type: 'bool', default: false },
      follow: { type: 'bool', default: false },
      get_checksum: { type: 'bool', default: false },
      use_regex: { type: 'bool', default: false },
      depth: { type: 'int' },
    },
  },
  supportsCheckMode: true,
  run: (args, ctx) => runFind(args, withStatCache(ctx)),
});
