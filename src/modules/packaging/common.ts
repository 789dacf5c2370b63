/**
 * Small helpers shared by the packaging modules: running commands on the target with the task's
 * privilege and environment, quoting for the shell, parsing file modes, and result shaping.
 */
import type { ExecResult } from '../../connection/types.js';
import type { ModuleContext, ModuleResult } from '../types.js';

/** Quote one word for POSIX sh. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Run a command on the target with the task's become settings and environment (plus `env`). */
export function run(
  ctx: ModuleContext,
  cmd: string[] | string,
  env: Record<string, string> = {},
  stdin?: string,
): Promise<ExecResult> {
  return ctx.conn.exec(cmd, {
    become: ctx.become,
    env: { ...ctx.env, ...env },
    ...(stdin === undefined ? {} : { stdin }),
  });
}

/** Ansible's module results carry `stdout_lines`/`stderr_lines` next to `stdout`/`stderr`. */
export function withLines(result: ModuleResult): ModuleResult {
  if (typeof result.stdout === 'string' && result.stdout_lines === undefined) {
    result.stdout_lines = splitLines(result.stdout);
  }
  if (typeof result.stderr === 'string' && result.stderr_lines === undefined) {
    result.stderr_lines = splitLines(result.stderr);
  }
  return result;
}

/** Python's str.splitlines() for the usual line endings. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export type ModeParse = { ok: true; mode: number } | { ok: false; error: string };

/**
 * A `mode` argument as Ansible reads it: an int is taken as is (YAML 0644 arrives as 420),
 * a string of octal digits is octal; symbolic modes are applied to `current`.
 */
export function parseMode(value: unknown, current = 0): ModeParse {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { ok: true, mode: value & 0o7777 };
  if (typeof value !== 'string') return { ok: false, error: `mode must be in octal or symbolic form` };
  const text = value.trim();
  if (/^0?o?[0-7]{1,4}$/.test(text)) return { ok: true, mode: parseInt(text.replace(/^0?o/, ''), 8) };
  const symbolic = applySymbolicMode(text, current);
  if (symbolic === undefined) {
    return { ok: false, error: `mode must be in octal or symbolic form` };
  }
  return { ok: true, mode: symbolic };
}

/** `u=rw,g=r,o=r` / `a+x` / `go-w` applied to `current`; undefined when malformed. */
function applySymbolicMode(text: string, current: number): number | undefined {
  let mode = current & 0o7777;
  for (const clause of text.split(',')) {
    const match = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!match) return undefined;
    const who = match[1] === '' || match[1].includes('a') ? 'ugo' : match[1];
    const [op, perms] = [match[2], match[3]];
    let bits = 0;
    for (const w of who) {
      const shift = w === 'u' ? 6 : w === 'g' ? 3 : 0;
      if (perms.includes('r')) bits |= 4 << shift;
      if (perms.includes('w')) bits |= 2 << shift;
      if (perms.includes('x')) bits |= 1 << shift;
      if (perms.includes('X') && (current & 0o111) !== 0) bits |= 1 << shift;
      if (perms.includes('s') && w === 'u') bits |= 0o4000;
      if (perms.includes('s') && w === 'g') bits |= 0o2000;
      if (perms.includes('t') && w === 'o') bits |= 0o1000;
    }
    let mask = 0;
    for (const w of who) mask |= w === 'u' ? 0o4700 : w === 'g' ? 0o2070 : 0o1007;
    if (op === '+') mode |= bits;
    else if (op === '-') mode &= ~bits;
    else mode = (mode & ~mask) | bits;
  }
  return mode;
}

/** '0644' as Ansible prints modes in results. */
export function formatMode(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

/** Resolves after `ms` milliseconds, or early when the task is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** A random marker that cannot collide with file contents printed by a probe script. */
export function marker(): string {
  return `@@tsplay-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}@@`;
}

export function fail(msg: string, extra: Record<string, unknown> = {}): ModuleResult {
  return { failed: true, changed: false, msg, ...extra };
}

/** A boolean option that may arrive unvalidated ('yes', 'true', 1) when a module is called directly. */
export function asBool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  const text = String(value).toLowerCase();
  if (['yes', 'on', '1', 'true', 'y', 't'].includes(text)) return true;
  if (['no', 'off', '0', 'false', 'n', 'f'].includes(text)) return false;
  return fallback;
}

/** An optional boolean: undefined/null stays undefined (Ansible's None). */
export function asOptionalBool(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  return asBool(value, false);
}

export function asInt(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : parseInt(String(value), 10);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

/** A list option given as a list or a comma-separated string (Ansible's list coercion). */
export function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (typeof value === 'string') return value === '' ? [] : value.split(',');
  return [String(value)];
}
