/**
 * ansible.builtin.assemble: concatenate the fragments of a directory (sorted by name, optionally
 * filtered by a regexp, with a delimiter between them) into one file. With remote_src (the
 * default) the fragments are on the target, as Ansible's module reads them there; otherwise they
 * are the controller's, assembled here and written by the copy module's code, as Ansible's action
 * plugin does. Ansible's action supports no check mode: the task is skipped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { ModuleFailure, fail } from './support/failure.js';
import { addPathInfo, applyFileAttributes, targetUmask } from './support/fsattrs.js';
import { backupLocal } from './support/backup.js';
import { sha1, md5 } from './support/hash.js';
import { pyRegex, PyRegexError } from './support/pyregex.js';
import { validateCommand } from './support/validate.js';
import { joinPath } from './support/walk.js';
import { shlexSplit } from '../../util/shlex.js';
import { diffData, writeOne } from './copy-core.js';

export interface AssembleArgs {
  src: string;
  dest: string;
  delimiter?: string | null;
  backup?: boolean | null;
  remote_src?: boolean | null;
  regexp?: string | null;
  ignore_hidden?: boolean | null;
  validate?: string | null;
  decrypt?: boolean | null;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
}

const SIMPLE_ESCAPES: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Python's codecs.escape_decode: backslash escapes in bytes turned into the bytes they name */
export function escapeDecode(input: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== 0x5c || i + 1 >= input.length) {
      out.push(c);
      continue;
    }
    const n = String.fromCharCode(input[i + 1]);
    if (n === '\n') {
      i++; // a backslash-newline is a line continuation
    } else if (n in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[n]);
      i++;
    } else if (/[0-7]/.test(n)) {
      let digits = '';
      let j = i + 1;
      while (j < input.length && digits.length < 3 && /[0-7]/.test(String.fromCharCode(input[j]))) digits += String.fromCharCode(input[j++]);
      out.push(parseInt(digits, 8) & 0xff);
      i = j - 1;
    } else if (n === 'x') {
      const hex = input.subarray(i + 2, i + 4).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ModuleFailure({ msg: `invalid \\x escape at position ${i}` });
      out.push(parseInt(hex, 16));
      i += 3;
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}

interface Fragment {
  name: string;
  isFile: boolean;
  read(): Promise<Buffer>;
}

/** the fragments joined as Ansible joins them: a newline after one that lacks it, the delimiter between */
async function assembleFragments(fragments: Fragment[], delimiterArg: string | null, re: RegExp | null, ignoreHidden: boolean): Promise<Buffer> {
  const parts: Buffer[] = [];
  let delimitMe = false;
  let addNewline = false;
  // Python re-decodes the (already decoded) delimiter before each use, so escapes unfold once per fragment
  let delimiter: Buffer | null = delimiterArg ? Buffer.from(delimiterArg, 'utf8') : null;
  for (const f of [...fragments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (re && !re.test(f.name)) continue;
    if (!f.isFile || (ignoreHidden && f.name.startsWith('.'))) continue;
    const content = await f.read();
    if (addNewline) parts.push(Buffer.from('\n'));
    if (delimitMe && delimiter && delimiter.length) {
      delimiter = escapeDecode(delimiter);
      parts.push(delimiter);
      if (delimiter[delimiter.length - 1] !== 10) parts.push(Buffer.from('\n'));
    }
    parts.push(content);
    delimitMe = true;
    addNewline = !(content.length && content[content.length - 1] === 10);
  }
  return Buffer.concat(parts);
}

function compileRegexp(regexp: string | null | undefined): RegExp | null {
  if (regexp == null) return null;
  try {
    return pyRegex(regexp);
  } catch (err) {
    if (err instanceof PyRegexError) fail(`Invalid Regexp (${err.message}) in "${regexp}"`);
    throw err;
  }
}

/** the module on the target: fragments read there, the result moved over dest */
async function remoteAssemble(a: AssembleArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const result: ModuleResult = { src: a.src, dest: a.dest };
  const opts = { become: ctx.become };
  const srcInfo = await ctx.conn.stat(a.src, { follow: true, ...opts });
  if (!srcInfo) fail(`Source (${a.src}) does not exist`);
  if (srcInfo.type !== 'directory') fail(`Source (${a.src}) is not a directory`);
  const re = compileRegexp(a.regexp);
  if (a.validate && !a.validate.includes('%s')) fail(`validate must contain %s: ${a.validate}`);

  const names = await ctx.conn.readdir(a.src, opts);
  const fragments: Fragment[] = await Promise.all(
    names.map(async (name) => {
      const path = joinPath(a.src, name);
      const info = await ctx.conn.stat(path, { follow: true, ...opts });
      return { name, isFile: info?.type === 'file', read: () => ctx.conn.readFile(path, opts) };
    }),
  );
  const data = await assembleFragments(fragments, a.delimiter ?? null, re, a.ignore_hidden ?? false);
  const sum = sha1(data);
  result.checksum = sum;
  result.md5sum = md5(data);
  const destSum = await ctx.conn.checksum(a.dest, opts);

  let changed = false;
  if (sum !== destSum) {
    if (a.validate) {
      const tmp = joinPath(await ctx.conn.tempDir(), `assemble-${process.pid}-${Date.now()}`);
      await ctx.conn.writeFile(tmp, data, { mode: 0o600, ...opts });
      try {
        const res = await ctx.conn.exec(shlexSplit(validateCommand(a.validate, tmp)), { ...opts, env: ctx.env });
        result.validation = { rc: res.rc, stdout: res.stdout, stderr: res.stderr };
        if (res.rc !== 0) fail(`failed to validate: rc:${res.rc} error:${res.stderr}`);
      } finally {
        await ctx.conn.remove(tmp, opts).catch(() => undefined);
      }
    }
    const before = await ctx.conn.stat(a.dest, { follow: true, ...opts });
    if (a.backup && destSum !== null) result.backup_file = await backupLocal(ctx, a.dest);
    // Ansible's atomic_move: an existing dest keeps its mode and owner, a new one gets 0666 & ~umask
    await ctx.conn.writeFile(a.dest, data, { mode: before?.mode ?? 0o666 & ~(await targetUmask(ctx)), ...opts });
    if (before) await ctx.conn.chown(a.dest, before.uid, before.gid, opts).catch(() => undefined);
    changed = true;
  }
  result.changed = await applyFileAttributes(ctx, { path: a.dest, mode: a.mode, owner: a.owner, group: a.group }, changed);
  result.msg = 'OK';
  await addPathInfo(ctx, result);
  return result;
}

/** the action on the controller: fragments from the role's files/, then copy (or file) on the target */
async function localAssemble(a: AssembleArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const src = ctx.findFile('files', a.src);
  if (!src) fail(`Could not find or access '${a.src}'\nSearched in:\n\t${a.src}`);
  const st = await stat(src).catch(() => null);
  if (!st?.isDirectory()) fail(`Source (${src}) is not a directory`);
  const re = compileRegexp(a.regexp);
  const names = await readdir(src);
  const fragments: Fragment[] = await Promise.all(
    names.map(async (name) => {
      const path = `${src}/${name}`;
      const info = await stat(path).catch(() => null);
      return { name, isFile: info?.isFile() ?? false, read: () => readFile(path) };
    }),
  );
  const data = await assembleFragments(fragments, a.delimiter ?? null, re, a.ignore_hidden ?? false);
  // Ansible's action compares dest's checksum with the checksum of the temp file's *name*, so it
  // always computes a diff and runs the copy module (which then changes nothing when the bytes match)
  const tmp = joinPath(await ctx.conn.tempDir(), 'src');
  const source = { data, rel: 'src', header: `${tmpdir()}/tsplay-assemble-${process.pid}`, mode: 0o600 };
  const diff = ctx.diff ? await diffData(ctx, a.dest, source) : undefined;
  const res = await writeOne(ctx, { dest: a.dest, mode: a.mode, owner: a.owner, group: a.group, src: tmp, backup: a.backup, validate: a.validate, force: true }, a.dest, source, tmp);
  if (diff && Object.keys(diff).length) res.diff = diff;
  return res;
}

async function assemble(a: AssembleArgs, ctx: ModuleContext): Promise<ModuleResult> {
  // Ansible's action plugin refuses check mode before anything runs
  if (ctx.check) return { changed: false, skipped: true, msg: 'check mode is not supported for this task.' };
  return (a.remote_src ?? true) ? remoteAssemble(a, ctx) : localAssemble(a, ctx);
}

export const assembleModule: ModuleDefinition = defineModule<AssembleArgs>({
  name: 'ansible.builtin.assemble',
  spec: {
    short_description: 'Assemble configuration files from fragments',
    options: {
      src: { type: 'path', required: true },
      delimiter: { type: 'str' },
      dest: { type: 'path', required: true },
      backup: { type: 'bool', default: false },
      remote_src: { type: 'bool', default: true },
      regexp: { type: 'str' },
      ignore_hidden: { type: 'bool', default: false },
      validate: { type: 'str' },
      decrypt: { type: 'bool', default: true },
      ...fileCommonOptions,
    },
  },
  // the check-mode skip is the action's own message, answered by run()
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await assemble(args, withStatCache(ctx));
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
