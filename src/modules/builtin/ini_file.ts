/**
 * community.general.ini_file: set, add or remove `option = value` lines (or whole sections) in
 * an INI file, placing them exactly where the collection's module (as installed with Ansible
 * 2.14) places them. The file is read as Python's text mode reads it: BOM dropped, \r\n and \r
 * turned into \n.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { ModuleFailure, fail, errnoText } from './support/failure.js';
import { addPathInfo, applyFileAttributes, statOf, targetUmask } from './support/fsattrs.js';
import { backupLocal } from './support/backup.js';
import { dirname } from './support/paths.js';

export interface IniFileArgs {
  path: string;
  section?: string | null;
  option?: string | null;
  value?: string | null;
  values?: string[] | null;
  backup?: boolean | null;
  state?: 'present' | 'absent' | null;
  exclusive?: boolean | null;
  no_extra_spaces?: boolean | null;
  allow_no_value?: boolean | null;
  create?: boolean | null;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
}

const FAKE_SECTION = 'ad01e11446efb704fcdbdb21f2c43757423d91c5';
const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** `[#;]? option (=|end) value`, anchored at the line start as re.match is; group 6 is the value */
function optionMatcher(option: string, commented: boolean): (line: string) => RegExpExecArray | null {
  const re = new RegExp(`^${commented ? '[#;]?' : ''}( |\\t)*(${reEscape(option)})( |\\t)*(=|(?=\\n?$))( |\\t)*([^\\n]*)`);
  return (line) => re.exec(line);
}

const blankOrComment = (line: string) => /^[ \t]*([#;][^\n]*)?\n?$/.test(line);

/** Python's readlines in text mode with universal newlines */
function readLines(data: Buffer): string[] {
  let text = data.toString('utf8');
  if (text.startsWith('\ufeff')) text = text.slice(1);
  text = text.replace(/\r\n?/g, '\n');
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

async function doIni(ctx: ModuleContext, a: IniFileArgs, valuesIn: string[]) {
  const filename = a.path;
  const state = a.state ?? 'present';
  const exclusive = a.exclusive ?? true;
  const allowNoValue = !!a.allow_no_value;
  const option = a.option ?? null;
  const values: string[] = [];
  for (const v of valuesIn) if (v != null && !values.includes(v)) values.push(v);
  const diff = { before: '', after: '', before_header: `${filename} (content)`, after_header: `${filename} (content)` };

  let lines: string[];
  if (!(await statOf(ctx, filename))) {
    if (!(a.create ?? true)) fail(`Destination ${filename} does not exist!`, { rc: 257 });
    const parent = dirname(filename);
    if (!(await statOf(ctx, parent)) && !ctx.check) {
      try {
        await ctx.conn.mkdir(parent, { parents: true, become: ctx.become });
      } catch (err) {
        fail(errnoText(err, parent));
      }
    }
    lines = [];
  } else {
    lines = readLines(await ctx.conn.readFile(filename, { become: ctx.become }));
  }
  if (ctx.diff) diff.before = lines.join('');

  let changed = false;
  if (!lines.length) lines.push('\n');
  if (lines[lines.length - 1] === '' || !lines[lines.length - 1].endsWith('\n')) {
    lines[lines.length - 1] += '\n';
    changed = true;
  }
  lines.unshift(`[${FAKE_SECTION}]`);
  lines.push('[');
  const section = a.section ? a.section : FAKE_SECTION;
  let within = false;
  let start = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith(`[${section}]`)) {
      within = true;
      start = i;
    } else if (lines[i].startsWith('[') && within) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start);
  let sectionLines = lines.slice(start, end);
  const after = lines.slice(end);
  const changedLines: number[] = sectionLines.map(() => 0);
  let msg = 'OK';
  const assign = (opt: string, value: string) => (a.no_extra_spaces ? `${opt}=${value}\n` : `${opt} = ${value}\n`);
  const update = (index: number, newline: string) => {
    if (sectionLines[index] !== newline) {
      changed = true;
      msg = 'option changed';
    }
    sectionLines[index] = newline;
    changedLines[index] = 1;
  };
  let noValuePresent = false;

  if (state === 'present' && option) {
    const matchOpt = optionMatcher(option, true);
    for (let i = 0; i < sectionLines.length; i++) {
      const m = matchOpt(sectionLines[i]);
      if (!m) continue;
      if (values.length && values.includes(m[6])) {
        const matched = m[6];
        if (!matched && allowNoValue) {
          update(i, `${option}\n`);
          noValuePresent = true;
        } else update(i, assign(option, matched));
        values.splice(values.indexOf(matched), 1);
      } else if (!values.length && allowNoValue) {
        update(i, `${option}\n`);
        noValuePresent = true;
        break;
      }
    }
  }
  if (state === 'present' && exclusive && !allowNoValue) {
    // option may be null here (only a section wanted): Python's re.escape(None) would fail,
    // but only when some line is tested, which needs values, which need an option
    const matchOpt = optionMatcher(option ?? '', true);
    if (values.length) {
      for (let i = 0; i < sectionLines.length; i++) {
        if (!changedLines[i] && matchOpt(sectionLines[i])) {
          update(i, assign(option!, values.shift()!));
          if (!values.length) break;
        }
      }
    }
    if (option !== null) {
      for (let i = sectionLines.length - 1; i > 0; i--) {
        if (!changedLines[i] && matchOpt(sectionLines[i])) {
          sectionLines.splice(i, 1);
          changedLines.splice(i, 1);
          changed = true;
          msg = 'option changed';
        }
      }
    }
  }
  if (state === 'present') {
    for (let i = sectionLines.length; i > 0; i--) {
      if (!blankOrComment(sectionLines[i - 1])) {
        if (option && values.length) {
          for (const v of [...values].reverse()) {
            sectionLines.splice(i, 0, assign(option, v));
            msg = 'option added';
            changed = true;
          }
        } else if (option && !values.length && allowNoValue && !noValuePresent) {
          sectionLines.splice(i, 0, `${option}\n`);
          msg = 'option added';
          changed = true;
        }
        break;
      }
    }
  }
  if (state === 'absent') {
    if (option) {
      const active = optionMatcher(option, false);
      let kept: string[] | null = null;
      if (exclusive) kept = sectionLines.filter((l) => !active(l));
      else if (values.length) kept = sectionLines.filter((l) => !(active(l) && values.includes(active(l)![6])));
      if (kept && kept.length !== sectionLines.length) {
        changed = true;
        msg = 'option changed';
        sectionLines = kept;
      }
    } else if (sectionLines.length) {
      sectionLines = [];
      msg = 'section removed';
      changed = true;
    }
  }
  let out = [...before, ...sectionLines, ...after];
  out = out.slice(1, -1);
  if (!within && state === 'present') {
    out.push(`[${section}]\n`);
    msg = 'section and option added';
    if (option && values.length) for (const v of values) out.push(assign(option, v));
    else if (option && !values.length && allowNoValue) out.push(`${option}\n`);
    else msg = 'only section added';
    changed = true;
  }
  if (ctx.diff) diff.after = out.join('');

  let backupFile: string | null = null;
  if (changed && !ctx.check) {
    const existed = !!(await statOf(ctx, filename));
    if (a.backup) backupFile = await backupLocal(ctx, filename);
    await ctx.conn.writeFile(filename, Buffer.from(out.join(''), 'utf8'), { mode: existed ? undefined : 0o666 & ~(await targetUmask(ctx)), become: ctx.become });
  }
  return { changed, backupFile, diff, msg };
}

async function iniFile(a: IniFileArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const state = a.state ?? 'present';
  if (state === 'present' && !a.allow_no_value && a.value == null && !a.values?.length) {
    fail("Parameter 'value(s)' must be defined if state=present and allow_no_value=False.");
  }
  const values = a.value != null ? [a.value] : a.values ?? [];
  const res = await doIni(ctx, a, values);
  let changed = res.changed;
  if (!ctx.check && (await statOf(ctx, a.path))) {
    changed = await applyFileAttributes(ctx, { path: a.path, mode: a.mode, owner: a.owner, group: a.group }, changed);
  }
  const result: ModuleResult = { changed, diff: res.diff, msg: res.msg, path: a.path };
  if (res.backupFile !== null) result.backup_file = res.backupFile;
  // exit_json's add_path_info: a result naming an existing path carries its attributes
  await addPathInfo(ctx, result);
  return result;
}

export const iniFileModule: ModuleDefinition = defineModule<IniFileArgs>({
  name: 'community.general.ini_file',
  aliases: ['ini_file', 'ansible.builtin.ini_file', 'community.general.files.ini_file'],
  spec: {
    short_description: 'Tweak settings in INI files',
    options: {
      path: { type: 'path', required: true, aliases: ['dest'] },
      section: { type: 'str' },
      option: { type: 'str' },
      value: { type: 'str' },
      values: { type: 'list', elements: 'str' },
      backup: { type: 'bool', default: false },
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
      exclusive: { type: 'bool', default: true },
      no_extra_spaces: { type: 'bool', default: false },
      allow_no_value: { type: 'bool', default: false },
      create: { type: 'bool', default: true },
      ...fileCommonOptions,
    },
    mutually_exclusive: [['value', 'values']],
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await iniFile(args, withStatCache(ctx));
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
