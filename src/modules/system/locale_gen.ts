/**
 * community.general.locale_gen: enable or disable a locale in /etc/locale.gen and run
 * locale-gen (Debian), or Ubuntu's `locale-gen NAME` / supported.d list, deciding "present" from
 * `locale -a` as the collection's module does.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail } from '../builtin/support/failure.js';
import { splitLines, splitLinesKeepEnds } from '../builtin/support/lines.js';
import { pyRegex } from '../builtin/support/pyregex.js';
import { pySubn } from '../builtin/support/pysub.js';
import { run } from './support.js';

export interface LocaleGenArgs {
  name: string;
  state?: 'present' | 'absent' | null;
}

const LOCALE_GEN = '/etc/locale.gen';
const SUPPORTED_D = '/var/lib/locales/supported.d/';
const UBUNTU_LOCAL = '/var/lib/locales/supported.d/local';

/** `locale -a` spells charsets in lower case without dashes */
const NORMALIZATION: Array<[string, string]> = [
  ['.utf8', '.UTF-8'],
  ['.eucjp', '.EUC-JP'],
  ['.iso885915', '.ISO-8859-15'],
  ['.cp1251', '.CP1251'],
  ['.koi8r', '.KOI8-R'],
  ['.armscii8', '.ARMSCII-8'],
  ['.euckr', '.EUC-KR'],
  ['.gbk', '.GBK'],
  ['.gb18030', '.GB18030'],
  ['.euctw', '.EUC-TW'],
];

const fixCase = (name: string) => NORMALIZATION.reduce((n, [s, r]) => n.split(s).join(r), name);

/** Python's open() for reading in text mode: universal newlines */
async function readText(ctx: ModuleContext, path: string): Promise<string> {
  return (await ctx.conn.readFile(path, { become: ctx.become })).toString('utf8').replace(/\r\n?/g, '\n');
}

async function exists(ctx: ModuleContext, path: string): Promise<boolean> {
  return (await ctx.conn.stat(path, { follow: true, become: ctx.become })) !== null;
}

async function writeKeeping(ctx: ModuleContext, path: string, content: string): Promise<void> {
  const info = await ctx.conn.stat(path, { follow: true, become: ctx.become });
  await ctx.conn.writeFile(path, content, { mode: info?.mode, become: ctx.become });
}

async function isAvailable(ctx: ModuleContext, name: string, ubuntu: boolean): Promise<boolean> {
  const re = ubuntu ? /^(\S+_\S+) (\S+)\s*$/ : /^#?\s*(\S+_\S+) (\S+)\s*$/;
  const text = await readText(ctx, ubuntu ? '/usr/share/i18n/SUPPORTED' : LOCALE_GEN);
  return (text.match(/[^\n]*\n|[^\n]+$/g) ?? []).some((line) => re.exec(line)?.[1] === name);
}

async function isPresent(ctx: ModuleContext, name: string): Promise<boolean> {
  const res = await run(ctx, ['locale', '-a']);
  return splitLines(res.stdout).some((line) => fixCase(line) === fixCase(name));
}

function localeGenFailed(rc: number): never {
  return fail(`[Errno ${rc}] locale.gen failed to execute, it returned ${rc}`, { exitValue: rc });
}

async function applyChange(ctx: ModuleContext, state: string, name: string): Promise<void> {
  // the name is used as a pattern, unescaped, as the collection's module uses it
  const search = pyRegex(`#{0,1}\\s*${name} (?P<charset>.+)`);
  const replacement = state === 'present' ? `${name} \\g<charset>` : `# ${name} \\g<charset>`;
  const lines = splitLinesKeepEnds(await readText(ctx, LOCALE_GEN)).map((line) => pySubn(search, replacement, line)[0]);
  await writeKeeping(ctx, LOCALE_GEN, lines.join(''));
  const res = await run(ctx, ['locale-gen']);
  if (res.rc !== 0) localeGenFailed(res.rc);
}

async function applyChangeUbuntu(ctx: ModuleContext, state: string, name: string): Promise<void> {
  let rc: number;
  if (state === 'present') {
    rc = (await run(ctx, ['locale-gen', name])).rc;
  } else {
    const kept = splitLinesKeepEnds(await readText(ctx, UBUNTU_LOCAL)).filter((line) => line.split(' ')[0] !== name);
    await writeKeeping(ctx, UBUNTU_LOCAL, kept.join(''));
    rc = (await run(ctx, ['locale-gen', '--purge'])).rc;
  }
  if (rc !== 0) localeGenFailed(rc);
}

async function localeGen(a: LocaleGenArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const state = a.state ?? 'present';
  let ubuntu: boolean;
  if (await exists(ctx, SUPPORTED_D)) ubuntu = true;
  else if (await exists(ctx, LOCALE_GEN)) ubuntu = false;
  else return fail('/etc/locale.gen and /var/lib/locales/supported.d/local are missing. Is the package "locales" installed?');
  if (!(await isAvailable(ctx, a.name, ubuntu))) fail("The locale you've entered is not available on your system.");
  const prev = (await isPresent(ctx, a.name)) ? 'present' : 'absent';
  const changed = prev !== state;
  if (ctx.check) return { changed };
  if (changed) {
    if (ubuntu) await applyChangeUbuntu(ctx, state, a.name);
    else await applyChange(ctx, state, a.name);
  }
  return { name: a.name, changed, msg: 'OK' };
}

export const localeGenModule: ModuleDefinition = defineModule<LocaleGenArgs>({
  name: 'community.general.locale_gen',
  aliases: ['locale_gen', 'ansible.builtin.locale_gen'],
  spec: {
    short_description: 'Creates or removes locales',
    options: {
      name: { type: 'str', required: true },
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await localeGen(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
