/**
 * The types of the task keywords Ansible converts with Python's int() (`retries`, `delay`,
 * `async`, `poll`) and its strict boolean() (`ignore_errors`), with Ansible's wording.
 *
 * ansible-core 2.14 converts them when the task is about to run on a host (Base.post_validate),
 * so a wrong value fails that host's task, even a value written literally. tsplay refuses a
 * literal wrong value when it loads the file (nothing has run yet); a templated one can only be
 * judged once rendered, so it fails the task at run time as in Ansible.
 */
import { PyFloat, pyStr } from '../template/values.js';

/** the keyword → the field name Ansible's message uses (`async` is stored as `async_val`) */
export const INT_KEYWORDS: Record<string, string> = { retries: 'retries', delay: 'delay', async: 'async_val', poll: 'poll' };

export type Converted<T> = { ok: true; value: T } | { ok: false; error: string };

/** a string Ansible would template (its templar looks for any of Jinja's start markers) */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%') || value.includes('{#'));
}

function pyTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (v === null || v === undefined) return 'NoneType';
  return typeof v === 'object' ? 'dict' : typeof v;
}

/** Python's int(value): booleans and floats truncate, strings must be a base-10 integer */
export function pyInt(value: unknown): Converted<number> {
  const v = value instanceof PyFloat ? value.v : value instanceof String ? value.valueOf() : value;
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { ok: false, error: 'cannot convert float NaN to integer' };
    if (!Number.isFinite(v)) return { ok: false, error: 'cannot convert float infinity to integer' };
    return { ok: true, value: Math.trunc(v) };
  }
  if (typeof v === 'string') {
    // Python strips whitespace and allows single underscores between digits
    const text = v.trim();
    if (/^[+-]?\d+(?:_\d+)*$/.test(text)) return { ok: true, value: Number(text.replace(/_/g, '')) };
    return { ok: false, error: `invalid literal for int() with base 10: '${v}'` };
  }
  return { ok: false, error: `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'` };
}

const TRUE_VALUES = ['y', 'yes', 'on', '1', 'true', 't'];
const FALSE_VALUES = ['n', 'no', 'off', '0', 'false', 'f'];
/** Ansible prints its set of valid booleans in no fixed order; this is one of its orders */
const VALID_BOOLEANS = "'y', 'yes', 'on', '1', 'true', 't', 1, 'n', 'no', 'off', '0', 'false', 'f', 0";

/** ansible.module_utils.parsing.convert_bool.boolean(value, strict=True) */
export function strictBool(value: unknown): Converted<boolean> {
  const v = value instanceof String ? value.valueOf() : value;
  if (typeof v === 'boolean') return { ok: true, value: v };
  const normal = typeof v === 'string' ? v.toLowerCase().trim() : typeof v === 'number' || v instanceof PyFloat ? Number(v) : undefined;
  if (normal === 1 || (typeof normal === 'string' && TRUE_VALUES.includes(normal))) return { ok: true, value: true };
  if (normal === 0 || (typeof normal === 'string' && FALSE_VALUES.includes(normal))) return { ok: true, value: false };
  return { ok: false, error: `The value '${pyStr(v)}' is not a valid boolean.  Valid booleans include: ${VALID_BOOLEANS}` };
}

/** Ansible's message for a keyword whose value does not convert (`raw` is the value as written) */
export function invalidFieldMessage(field: string, raw: unknown, kind: 'int' | 'bool', error: string): string {
  return `the field '${field}' has an invalid value (${pyStr(raw)}), and could not be converted to an ${kind}.The error was: ${error}`;
}

/** Python's truthiness of a value as written, which decides ignore_errors when it does not convert */
export function pyTruthy(value: unknown): boolean {
  const v = value instanceof String || value instanceof PyFloat ? value.valueOf() : value;
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/**
 * An integer keyword's value at run time: rendered, then converted as Ansible does; a value that
 * does not convert throws Ansible's message naming the value as written (the task fails).
 */
export function intKeyword(key: string, raw: unknown, render: (value: unknown) => unknown): number {
  const n = pyInt(render(raw));
  if (!n.ok) throw new KeywordTypeError(invalidFieldMessage(INT_KEYWORDS[key] ?? key, raw, 'int', n.error));
  return n.value;
}

/** a keyword's value that does not have its type, found while the task runs */
export class KeywordTypeError extends Error {}
