/**
 * ansible.builtin.lineinfile: make sure one line is (or no matching line is) in a text file,
 * deciding where it goes exactly as Ansible 2.14 does.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { ModuleFailure, fail } from './support/failure.js';
import { applyFileAttributes, statOf, targetUmask, type AttrDiff } from './support/fsattrs.js';
import { backupLocal } from './support/backup.js';
import { pyRegex, pyExpand, PyRegexError } from './support/pyregex.js';
import { resolveLinks, dirname } from './support/paths.js';
import { joinPath } from './support/walk.js';

export interface LineinfileArgs {
  path: string;
  state?: 'present' | 'absent' | null;
  regexp?: string | null;
  search_string?: string | null;
  line?: string | null;
  insertafter?: string | null;
  insertbefore?: string | null;
  backrefs?: boolean | null;
  create?: boolean | null;
  backup?: boolean | null;
  firstmatch?: boolean | null;
  validate?: string | null;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
}

/** Python's readlines on bytes: split after each \n, keeping it */
function readLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

const stripEol = (s: string) => s.replace(/[\r\n]+$/, '');

async function writeChanges(ctx: ModuleContext, args: LineinfileArgs, lines: string[], dest: string, existed: boolean): Promise<void> {
  const data = lines.join('');
  if (args.validate) {
    if (!args.validate.includes('%s')) fail(`validate must contain %s: ${args.validate}`);
    const tmp = joinPath(await ctx.conn.tempDir(), `lineinfile-${process.pid}-${Date.now()}`);
    await ctx.conn.writeFile(tmp, data, { mode: 0o600, become: ctx.become });
    try {
      const res = await ctx.conn.exec(args.validate.split('%s').join(tmp), { become: ctx.become, env: ctx.env });
      if (res.rc !== 0) fail(`failed to validate: rc:${res.rc} error:${res.stderr}`);
    } finally {
      await ctx.conn.remove(tmp, { become: ctx.become }).catch(() => undefined);
    }
  }
  const target = await resolveLinks(ctx, dest);
  await ctx.conn.writeFile(target, data, { mode: existed ? undefined : 0o666 & ~(await targetUmask(ctx)), become: ctx.become });
}

async function checkFileAttrs(ctx: ModuleContext, args: LineinfileArgs, changed: boolean, msg: string) {
  const diff: AttrDiff = { before: {}, after: {} };
  if (await applyFileAttributes(ctx, { path: args.path, mode: args.mode, owner: args.owner, group: args.group }, false, diff)) {
    if (changed) msg += ' and ';
    changed = true;
    msg += 'ownership, perms or SE linux context changed';
  }
  const attrDiff: Record<string, unknown> = {};
  if (Object.keys(diff.before).length) attrDiff.before = diff.before;
  if (Object.keys(diff.after).length) attrDiff.after = diff.after;
  attrDiff.before_header = `${args.path} (file attributes)`;
  attrDiff.after_header = `${args.path} (file attributes)`;
  return { msg, changed, attrDiff };
}

async function present(ctx: ModuleContext, args: LineinfileArgs, insertafter: string | null, insertbefore: string | null): Promise<ModuleResult> {
  const dest = args.path;
  const line = args.line!;
  const diff = { before: '', after: '', before_header: `${dest} (content)`, after_header: `${dest} (content)` };
  const existing = await statOf(ctx, dest);
  let lines: string[];
  if (!existing) {
    if (!args.create) fail(`Destination ${dest} does not exist !`, { rc: 257 });
    const parent = dirname(dest);
    if (parent && !(await statOf(ctx, parent)) && !ctx.check) {
      try {
        await ctx.conn.mkdir(parent, { parents: true, become: ctx.become });
      } catch (err) {
        fail(`Error creating ${parent} (${(err as Error).message})`);
      }
    }
    lines = [];
  } else {
    lines = readLines((await ctx.conn.readFile(dest, { become: ctx.become })).toString('utf8'));
  }
  if (ctx.diff) diff.before = lines.join('');

  const re = args.regexp != null ? pyRegex(args.regexp) : null;
  let insRe: RegExp | null = null;
  if (insertafter !== null && insertafter !== 'BOF' && insertafter !== 'EOF') insRe = pyRegex(insertafter);
  else if (insertbefore !== null && insertbefore !== 'BOF') insRe = pyRegex(insertbefore);

  const index = [-1, -1];
  let match: RegExpExecArray | boolean | null = null;
  let exactLineMatch = false;
  if (re) {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(lines[i]);
      if (m) {
        index[0] = i;
        match = m;
        if (args.firstmatch) break;
      }
    }
  }
  if (args.search_string != null) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].includes(args.search_string)) {
        index[0] = i;
        match = true;
        if (args.firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let i = 0; i < lines.length; i++) {
      if (line === stripEol(lines[i])) {
        index[0] = i;
        exactLineMatch = true;
      } else if (insRe && insRe.test(lines[i])) {
        if (insertafter) {
          index[1] = i + 1;
          if (args.firstmatch) break;
        }
        if (insertbefore) {
          index[1] = i;
          if (args.firstmatch) break;
        }
      }
    }
  }

  let msg = '';
  let changed = false;
  const sep = '\n';
  const endsWithEol = (s: string) => s.endsWith('\n') || s.endsWith('\r');
  if (index[0] !== -1) {
    let newLine = args.backrefs && match && typeof match !== 'boolean' ? pyExpand(line, match) : line;
    if (!newLine.endsWith(sep)) newLine += sep;
    if (args.regexp == null && args.search_string == null && !match && !exactLineMatch) {
      // only reachable with an insertafter/insertbefore regexp match and no line match
      if (insertafter && insertafter !== 'EOF') {
        if (lines.length && !endsWithEol(lines[lines.length - 1])) lines[lines.length - 1] += sep;
        if (lines.length === index[1]) {
          if (stripEol(lines[index[1] - 1]) !== line) {
            lines.push(line + sep);
            msg = 'line added';
            changed = true;
          }
        } else if (stripEol(lines[index[1]]) !== line) {
          lines.splice(index[1], 0, line + sep);
          msg = 'line added';
          changed = true;
        }
      } else if (insertbefore && insertbefore !== 'BOF') {
        const at = index[1] <= 0 ? index[1] : index[1] - 1;
        if (stripEol(lines.at(at) ?? '') !== line) {
          lines.splice(index[1], 0, line + sep);
          msg = 'line added';
          changed = true;
        }
      }
    } else if (lines[index[0]] !== newLine) {
      lines[index[0]] = newLine;
      msg = 'line replaced';
      changed = true;
    }
  } else if (args.backrefs) {
    // backrefs with no regexp match leaves the file alone
  } else if (insertbefore === 'BOF' || insertafter === 'BOF') {
    lines.unshift(line + sep);
    msg = 'line added';
    changed = true;
  } else if (insertafter === 'EOF' || index[1] === -1) {
    if (lines.length && !endsWithEol(lines[lines.length - 1])) lines.push(sep);
    lines.push(line + sep);
    msg = 'line added';
    changed = true;
  } else if (insertafter && index[1] !== -1) {
    if (lines.length === index[1]) {
      if (stripEol(lines[index[1] - 1]) !== line) {
        lines.push(line + sep);
        msg = 'line added';
        changed = true;
      }
    } else if (line !== stripEol(lines[index[1]])) {
      lines.splice(index[1], 0, line + sep);
      msg = 'line added';
      changed = true;
    }
  } else {
    lines.splice(index[1], 0, line + sep);
    msg = 'line added';
    changed = true;
  }
  if (ctx.diff) diff.after = lines.join('');

  let backupdest = '';
  if (changed && !ctx.check) {
    if (args.backup && existing) backupdest = await backupLocal(ctx, dest);
    await writeChanges(ctx, args, lines, dest, !!existing);
  }
  if (ctx.check && !(await statOf(ctx, dest))) return { changed, msg, backup: backupdest, diff };
  const attrs = await checkFileAttrs(ctx, args, changed, msg);
  return { changed: attrs.changed, msg: attrs.msg, backup: backupdest, diff: [diff, attrs.attrDiff] };
}

async function absent(ctx: ModuleContext, args: LineinfileArgs): Promise<ModuleResult> {
  const dest = args.path;
  if (!(await statOf(ctx, dest))) return { changed: false, msg: 'file not present' };
  const diff = { before: '', after: '', before_header: `${dest} (content)`, after_header: `${dest} (content)` };
  let lines = readLines((await ctx.conn.readFile(dest, { become: ctx.become })).toString('utf8'));
  if (ctx.diff) diff.before = lines.join('');
  const re = args.regexp != null ? pyRegex(args.regexp) : null;
  const found: string[] = [];
  lines = lines.filter((l) => {
    const hit = re ? re.test(l) : args.search_string != null ? l.includes(args.search_string) : args.line === stripEol(l);
    if (hit) found.push(l);
    return !hit;
  });
  let changed = found.length > 0;
  if (ctx.diff) diff.after = lines.join('');
  let backupdest = '';
  if (changed && !ctx.check) {
    if (args.backup) backupdest = await backupLocal(ctx, dest);
    await writeChanges(ctx, args, lines, dest, true);
  }
  let msg = changed ? `${found.length} line(s) removed` : '';
  const attrs = await checkFileAttrs(ctx, args, changed, msg);
  msg = attrs.msg;
  changed = attrs.changed;
  return { changed, found: found.length, msg, backup: backupdest, diff: [diff, attrs.attrDiff] };
}

export async function runLineinfile(args: LineinfileArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const warnings: string[] = [];
  let result: ModuleResult;
  try {
    if (args.regexp === '' || args.search_string === '') {
      const which = args.regexp === '' ? 'regular expression' : 'search string';
      let msg = `The ${which} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.`;
      if (args.regexp === '') msg += " If this is desired, use '^' to match every line in the file and avoid this warning.";
      warnings.push(msg);
    }
    if ((await statOf(ctx, args.path))?.type === 'directory') fail(`Path ${args.path} is a directory !`, { rc: 256 });
    if ((args.state ?? 'present') === 'present') {
      if (args.backrefs && args.regexp == null) fail('regexp is required with backrefs=true');
      if (args.line == null) fail('line is required with state=present');
      let insertafter = args.insertafter ?? null;
      const insertbefore = args.insertbefore ?? null;
      if (insertbefore === null && insertafter === null) insertafter = 'EOF';
      result = await present(ctx, args, insertafter, insertbefore);
    } else {
      if (args.regexp == null && args.search_string == null && args.line == null) {
        fail('one of line, search_string, or regexp is required with state=absent');
      }
      result = await absent(ctx, args);
    }
  } catch (err) {
    if (err instanceof PyRegexError) result = { changed: false, failed: true, msg: `Invalid regular expression: ${err.message}` };
    else if (err instanceof ModuleFailure) result = { changed: false, ...err.result, failed: true };
    else throw err;
  }
  if (warnings.length) result.warnings = warnings;
  return result;
}

export const lineinfileModule: ModuleDefinition = defineModule<LineinfileArgs>({
  name: 'ansible.builtin.lineinfile',
  spec: {
    short_description: 'Manage lines in text files',
    options: {
      path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'] },
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
      regexp: { type: 'str', aliases: ['regex'] },
      search_string: { type: 'str' },
      line: { type: 'str', aliases: ['value'] },
      insertafter: { type: 'str' },
      insertbefore: { type: 'str' },
      backrefs: { type: 'bool', default: false },
      create: { type: 'bool', default: false },
      backup: { type: 'bool', default: false },
      firstmatch: { type: 'bool', default: false },
      validate: { type: 'str' },
      ...fileCommonOptions,
    },
    mutually_exclusive: [
      ['insertbefore', 'insertafter'],
      ['regexp', 'search_string'],
      ['backrefs', 'search_string'],
    ],
  },
  supportsCheckMode: true,
  run: (args, ctx) => runLineinfile(args, withStatCache(ctx)),
});
