/**
 * ansible.posix.sysctl on Linux: keep `name=value` in a sysctl file (each other setting kept,
 * rewritten as key=value) and, as asked, set it in the running kernel and reload the file.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { targetUmask } from '../builtin/support/fsattrs.js';
import { run } from './support.js';

export interface SysctlArgs {
  name: string;
  value?: unknown;
  state?: 'present' | 'absent' | null;
  reload?: boolean | null;
  sysctl_set?: boolean | null;
  ignoreerrors?: boolean | null;
  sysctl_file?: string | null;
}

const TRUE_WORDS = ['y', 'yes', 'on', '1', 'true', 't'];
const FALSE_WORDS = ['n', 'no', 'off', '0', 'false', 'f'];

class Failure extends Error {}

function parseValue(value: unknown): string {
  if (value == null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  const text = String(value);
  if (TRUE_WORDS.includes(text.toLowerCase())) return '1';
  if (FALSE_WORDS.includes(text.toLowerCase())) return '0';
  return text.trim();
}

/** Python's str.split() with no separator */
const words = (s: string) => s.split(/\s+/).filter((w) => w !== '');

function sameValues(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  const x = words(a);
  const y = words(b);
  return x.length === y.length && x.every((w, i) => w === y[i]);
}

const stderrFailed = (err: string) => /^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$/m.test(err);
const isSkippable = (line: string) => !line || line.startsWith('#') || line.startsWith(';') || !line.includes('=');

async function sysctl(a: SysctlArgs, ctx: ModuleContext): Promise<ModuleResult> {
  if (a.name == null) throw new Failure('name cannot be None');
  const state = a.state ?? 'present';
  if (state === 'present' && a.value == null) throw new Failure('value cannot be None');
  if (a.name === '') throw new Failure('name cannot be blank');
  if (state === 'present' && a.value === '') throw new Failure('value cannot be blank');
  const file = a.sysctl_file ?? '/etc/sysctl.conf';
  const name = a.name.trim();
  const value = parseValue(a.value);

  const current = await run(ctx, ['sysctl', '-e', '-n', name]);
  const procValue = current.rc === 0 ? current.stdout : null;

  const fileLines: string[] = [];
  const fileValues = new Map<string, string | null>();
  const info = await ctx.conn.stat(file, { follow: true, become: ctx.become });
  if (info?.type === 'file') {
    let text: string;
    try {
      text = (await ctx.conn.readFile(file, { become: ctx.become })).toString('utf8');
    } catch (err) {
      throw new Failure(`Failed to open ${file}: ${(err as Error).message}`);
    }
    for (const raw of text.replace(/\r\n?/g, '\n').match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      const line = raw.trim();
      fileLines.push(line);
      if (isSkippable(line)) continue;
      const at = line.indexOf('=');
      fileValues.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
    }
  }
  if (!fileValues.has(name)) fileValues.set(name, null);

  // every setting once, rewritten as key=value; ours replaced (or dropped when absent)
  const checked: string[] = [];
  const fixed: string[] = [];
  for (const line of fileLines) {
    if (isSkippable(line.trim())) {
      fixed.push(line);
      continue;
    }
    const at = line.indexOf('=');
    const k = line.slice(0, at).trim();
    const v = line.slice(at + 1).trim();
    if (checked.includes(k)) continue;
    checked.push(k);
    if (k === name) {
      if (state === 'present') fixed.push(`${k}=${value}`);
    } else fixed.push(`${k}=${v}`);
  }
  if (!checked.includes(name) && state === 'present') fixed.push(`${name}=${value}`);

  let changed = false;
  let setProc = false;
  let writeFile = false;
  const fileValue = fileValues.get(name) ?? null;
  if (fileValue === null && state === 'present') {
    changed = true;
    writeFile = true;
  } else if (fileValue === null && state === 'absent') {
    changed = false;
  } else if (fileValue && state === 'absent') {
    changed = true;
    writeFile = true;
  } else if (fileValue !== value) {
    changed = true;
    writeFile = true;
  } else if (a.reload ?? true) {
    if (procValue === null || !sameValues(procValue, value)) changed = true;
  }
  if (a.sysctl_set && state === 'present') {
    if (procValue === null) changed = true;
    else if (!sameValues(procValue, value)) {
      changed = true;
      setProc = true;
    }
  }

  if (!ctx.check) {
    if (setProc) {
      const argv = ['sysctl', ...(a.ignoreerrors ? ['-e'] : []), '-w', `${name}=${value}`];
      const res = await run(ctx, argv);
      if (res.rc !== 0 || stderrFailed(res.stderr)) throw new Failure(`setting ${name} failed: ${res.stdout}${res.stderr}`);
    }
    if (writeFile) {
      const data = fixed.map((l) => `${l.trim()}\n`).join('');
      await ctx.conn.writeFile(file, data, { mode: info ? undefined : 0o666 & ~(await targetUmask(ctx)), become: ctx.become });
    }
    if (changed && (a.reload ?? true)) {
      const res = await run(ctx, ['sysctl', ...(a.ignoreerrors ? ['-e'] : []), '-p', file]);
      if (res.rc !== 0 || stderrFailed(res.stderr)) throw new Failure(`Failed to reload sysctl: ${res.stdout}${res.stderr}`);
    }
  }
  return { changed };
}

export const sysctlModule: ModuleDefinition = defineModule<SysctlArgs>({
  name: 'ansible.posix.sysctl',
  aliases: ['sysctl', 'ansible.builtin.sysctl'],
  spec: {
    short_description: 'Manage entries in sysctl.conf.',
    options: {
      name: { type: 'str', aliases: ['key'], required: true },
      value: { type: 'str', aliases: ['val'], required: false },
      state: { type: 'str', default: 'present', choices: ['present', 'absent'] },
      reload: { type: 'bool', default: true },
      sysctl_set: { type: 'bool', default: false },
      ignoreerrors: { type: 'bool', default: false },
      sysctl_file: { type: 'path', default: '/etc/sysctl.conf' },
    },
    required_if: [['state', 'present', ['value']]],
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await sysctl(args, ctx);
    } catch (err) {
      if (err instanceof Failure) return { changed: false, failed: true, msg: err.message };
      throw err;
    }
  },
});
