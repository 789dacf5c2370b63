/**
 * ansible.builtin.replace: substitute every match of a Python regular expression in a file
 * (optionally only between `after` and `before`), as Ansible 2.14 does.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { ModuleFailure, fail, errnoText } from './support/failure.js';
import { applyFileAttributes, statOf } from './support/fsattrs.js';
import { backupLocal } from './support/backup.js';
import { pyRegex, PyRegexError } from './support/pyregex.js';
import { pySubn } from './support/pysub.js';
import { decodeText, encodeText } from './support/encoding.js';
import { writeValidated } from './support/validate.js';

export interface ReplaceArgs {
  path: string;
  regexp: string;
  replace?: string | null;
  after?: string | null;
  before?: string | null;
  backup?: boolean | null;
  validate?: string | null;
  encoding?: string | null;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
}

/** Ansible's check_file_attrs: owner/group/mode after the edit, folded into msg and changed */
export async function checkFileAttrs(ctx: ModuleContext, args: { path: string; mode?: unknown; owner?: string | null; group?: string | null }, changed: boolean, msg: string) {
  if (await applyFileAttributes(ctx, { path: args.path, mode: args.mode, owner: args.owner, group: args.group }, false)) {
    if (changed) msg += ' and ';
    changed = true;
    msg += 'ownership, perms or SE linux context changed';
  }
  return { msg, changed };
}

async function replace(args: ReplaceArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const path = args.path;
  const encoding = args.encoding ?? 'utf-8';
  const result: ModuleResult = { rc: 0 };
  const info = await statOf(ctx, path);
  if (info?.type === 'directory') fail(`Path ${path} is a directory !`, { rc: 256 });
  if (!info) fail(`Path ${path} does not exist !`, { rc: 257 });
  let contents: string;
  try {
    contents = decodeText(await ctx.conn.readFile(path, { become: ctx.become }), encoding);
  } catch (err) {
    if (err instanceof ModuleFailure) throw err;
    fail(`Unable to read the contents of ${path}: ${errnoText(err, path)}`);
  }

  let pattern = '';
  if (args.after && args.before) pattern = `${args.after}(?P<subsection>.*?)${args.before}`;
  else if (args.after) pattern = `${args.after}(?P<subsection>.*)`;
  else if (args.before) pattern = `(?P<subsection>.*)${args.before}`;

  let section = contents;
  let start = 0;
  let end = contents.length;
  if (pattern) {
    const m = pyRegex(pattern, 'sd').exec(contents);
    if (!m) {
      return { ...result, msg: `Pattern for before/after params did not match the given file: ${pattern}`, changed: false };
    }
    section = m.groups!.subsection;
    [start, end] = m.indices!.groups!.subsection!;
  }

  const [replaced, count] = pySubn(pyRegex(args.regexp, 'm'), args.replace ?? '', section);
  let changed = false;
  let msg = '';
  let after = contents;
  if (count > 0 && replaced !== section) {
    after = pattern ? contents.slice(0, start) + replaced + contents.slice(end) : replaced;
    msg = `${count} replacements made`;
    changed = true;
    if (ctx.diff) result.diff = { before_header: path, before: contents, after_header: path, after };
  }
  if (changed && !ctx.check) {
    if (args.backup) result.backup_file = await backupLocal(ctx, path);
    await writeValidated(ctx, path, encodeText(after, encoding), args.validate);
  }
  const attrs = await checkFileAttrs(ctx, args, changed, msg);
  return { ...result, msg: attrs.msg, changed: attrs.changed };
}

export const replaceModule: ModuleDefinition = defineModule<ReplaceArgs>({
  name: 'ansible.builtin.replace',
  spec: {
    short_description: 'Replace all instances of a particular string in a file using a back-referenced regular expression',
    options: {
      path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'] },
      regexp: { type: 'str', required: true },
      replace: { type: 'str', default: '' },
      after: { type: 'str' },
      before: { type: 'str' },
      backup: { type: 'bool', default: false },
      validate: { type: 'str' },
      encoding: { type: 'str', default: 'utf-8' },
      ...fileCommonOptions,
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await replace(args, withStatCache(ctx));
    } catch (err) {
      if (err instanceof PyRegexError) return { changed: false, failed: true, msg: `Invalid regular expression: ${err.message}` };
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
