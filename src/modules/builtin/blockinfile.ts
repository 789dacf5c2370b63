/**
 * ansible.builtin.blockinfile: keep one marker-delimited block of lines in a file (insert,
 * update or remove it), as Ansible 2.14 does. Ansible works on the file's bytes; so does this,
 * holding them as latin-1 strings (one char per byte) so regexps and comparisons see bytes.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { ModuleFailure, fail, errnoText } from './support/failure.js';
import { applyFileAttributes, statOf, targetUmask, type AttrDiff } from './support/fsattrs.js';
import { backupLocal } from './support/backup.js';
import { pyRegex, PyRegexError } from './support/pyregex.js';
import { writeValidated } from './support/validate.js';
import { dirname } from './support/paths.js';

export interface BlockinfileArgs {
  path: string;
  state?: 'present' | 'absent' | null;
  marker?: string | null;
  block?: string | null;
  insertafter?: string | null;
  insertbefore?: string | null;
  create?: boolean | null;
  backup?: boolean | null;
  validate?: string | null;
  marker_begin?: string | null;
  marker_end?: string | null;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
}

/** text → its UTF-8 bytes, one char per byte */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
/** bytes (one char per byte) → text as Ansible shows bytes in a result */
const text = (b: string) => Buffer.from(b, 'latin1').toString('utf8');

/** Python's bytes.splitlines(keepends=True): \n, \r and \r\n end a line */
function splitBytesLines(data: string): string[] {
  return data.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

async function blockinfile(args: BlockinfileArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const path = args.path;
  const info = await statOf(ctx, path);
  if (info?.type === 'directory') fail(`Path ${path} is a directory !`, { rc: 256 });
  let original: string | null = null;
  let lines: string[] = [];
  if (!info) {
    if (!args.create) fail(`Path ${path} does not exist !`, { rc: 257 });
    const parent = dirname(path);
    if (!(await statOf(ctx, parent)) && !ctx.check) {
      try {
        await ctx.conn.mkdir(parent, { parents: true, become: ctx.become });
      } catch (err) {
        fail(`Error creating ${parent}: ${errnoText(err, parent)}`);
      }
    }
  } else {
    original = (await ctx.conn.readFile(path, { become: ctx.become })).toString('latin1');
    lines = splitBytesLines(original);
  }
  const diff = { before: '', after: '', before_header: `${path} (content)`, after_header: `${path} (content)` };
  if (ctx.diff && original) diff.before = text(original);

  const present = (args.state ?? 'present') === 'present';
  if (!present && !info) return { changed: false, msg: `File ${path} not present` };

  const insertbefore = args.insertbefore ?? null;
  let insertafter = args.insertafter ?? null;
  if (insertbefore === null && insertafter === null) insertafter = 'EOF';
  let insertSource: string | null = null;
  if (insertafter !== null && insertafter !== 'EOF') insertSource = insertafter;
  else if (insertbefore !== null && insertbefore !== 'BOF') insertSource = insertbefore;
  const insertre = insertSource !== null ? pyRegex(bytes(insertSource)) : null;
  const insertMultiline = insertSource !== null && /^\(\?[aiLsux]*m/.test(insertSource);

  const marker = bytes(args.marker ?? '# {mark} ANSIBLE MANAGED BLOCK');
  const marker0 = marker.split('{mark}').join(bytes(args.marker_begin ?? 'BEGIN')) + '\n';
  const marker1 = marker.split('{mark}').join(bytes(args.marker_end ?? 'END')) + '\n';
  let block = bytes(args.block ?? '');
  let blocklines: string[] = [];
  if (present && block) {
    if (!block.endsWith('\n')) block += '\n';
    blocklines = [marker0, ...splitBytesLines(block), marker1];
  }

  let n0: number | null = null;
  let n1: number | null = null;
  lines.forEach((line, i) => {
    if (line === marker0) n0 = i;
    if (line === marker1) n1 = i;
  });

  let at: number;
  if (n0 === null || n1 === null) {
    let found: number | null = null;
    if (insertre) {
      if (insertMultiline) {
        const m = insertre.exec(original ?? '');
        if (m) {
          const upto = insertafter ? m.index + m[0].length : m.index;
          found = (original ?? '').slice(0, upto).split('\n').length - 1;
        }
      } else {
        lines.forEach((line, i) => {
          if (insertre.test(line)) found = i;
        });
      }
      if (found === null) at = lines.length;
      else at = insertafter !== null ? found + 1 : found;
    } else if (insertbefore !== null) {
      at = 0;
    } else {
      at = lines.length;
    }
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
    at = n0;
  } else {
    lines.splice(n1, n0 - n1 + 1);
    at = n1;
  }
  if (at > 0 && !lines[at - 1].endsWith('\n')) lines[at - 1] += '\n';
  lines.splice(at, 0, ...blocklines);
  const result = lines.join('');
  if (ctx.diff) diff.after = text(result);

  let msg = '';
  let changed = false;
  if (original === result) {
    // unchanged
  } else if (original === null) {
    msg = 'File created';
    changed = true;
  } else if (!blocklines.length) {
    msg = 'Block removed';
    changed = true;
  } else {
    msg = 'Block inserted';
    changed = true;
  }

  let backupFile: string | undefined;
  if (changed && !ctx.check) {
    if (args.backup && info) backupFile = await backupLocal(ctx, path);
    await writeValidated(ctx, path, Buffer.from(result, 'latin1'), args.validate, info ? undefined : 0o666 & ~(await targetUmask(ctx)));
  }
  if (ctx.check && !info) return { changed, msg, diff };

  const attrDiff: AttrDiff = { before: {}, after: {} };
  if (await applyFileAttributes(ctx, { path, mode: args.mode, owner: args.owner, group: args.group }, false, attrDiff)) {
    if (changed) msg += ' and ';
    changed = true;
    msg += 'ownership, perms or SE linux context changed';
  }
  const attrs: Record<string, unknown> = {};
  if (Object.keys(attrDiff.before).length) attrs.before = attrDiff.before;
  if (Object.keys(attrDiff.after).length) attrs.after = attrDiff.after;
  attrs.before_header = `${path} (file attributes)`;
  attrs.after_header = `${path} (file attributes)`;
  const out: ModuleResult = { changed, msg, diff: [diff, attrs] };
  if (backupFile !== undefined) out.backup_file = backupFile;
  return out;
}

export const blockinfileModule: ModuleDefinition = defineModule<BlockinfileArgs>({
  name: 'ansible.builtin.blockinfile',
  spec: {
    short_description: 'Insert/update/remove a text block surrounded by marker lines',
    options: {
      path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'] },
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
      marker: { type: 'str', default: '# {mark} ANSIBLE MANAGED BLOCK' },
      block: { type: 'str', default: '', aliases: ['content'] },
      insertafter: { type: 'str' },
      insertbefore: { type: 'str' },
      create: { type: 'bool', default: false },
      backup: { type: 'bool', default: false },
      validate: { type: 'str' },
      marker_begin: { type: 'str', default: 'BEGIN' },
      marker_end: { type: 'str', default: 'END' },
      ...fileCommonOptions,
    },
    mutually_exclusive: [['insertbefore', 'insertafter']],
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await blockinfile(args, withStatCache(ctx));
    } catch (err) {
      if (err instanceof PyRegexError) return { changed: false, failed: true, msg: `Invalid regular expression: ${err.message}` };
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
