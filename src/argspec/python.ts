/**
 * The slice of Python's value model that Ansible's argument validation exposes in its messages
 * and comparisons: str()/repr() formatting, `type(v)` spelling, `==` (bool ⊂ int, 1 == 1.0) and
 * json.dumps. Values follow the project's model (src/template/values.ts): null = None,
 * integral number = int, non-integral number or PyFloat = float, bigint = int, boxed String =
 * an unsafe string (AnsibleUnsafeText), Array = list, plain object = dict.
 */
import { PyFloat } from '../template/values.js';
import { encodeStr } from '../template/json.js';
import { setOwn } from '../util/dict.js';

/** How plain strings are spelled by `type()`: modules get `str`, YAML-born role values `AnsibleUnicode`. */
export type StringClass = 'str' | 'AnsibleUnicode';

export const ANSIBLE_UNICODE = "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";
const UNSAFE_TEXT = "<class 'ansible.utils.unsafe_proxy.AnsibleUnsafeText'>";

/**
 * A string Ansible holds as a plain `str` where a role's values are otherwise YAML-born
 * AnsibleUnicode: the result of templating (Jinja returns str). Boxed so `type()` can tell.
 */
export class PlainStr extends String {}

const TEMPLATE_MARK = /\{\{|\{%/u;

/** every primitive string inside a templated value becomes a PlainStr */
function plainDeep(v: unknown): unknown {
  if (typeof v === 'string') return new PlainStr(v);
  if (Array.isArray(v)) return v.map(plainDeep);
  if (isPyDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainDeep(x)]));
  return v;
}

/**
 * `rendered` (the templated `raw`) with the strings that came out of a template marked as
 * PlainStr: those are `<class 'str'>` in argument errors, the others stay AnsibleUnicode.
 */
export function markTemplated(raw: unknown, rendered: unknown): unknown {
  if (typeof raw === 'string') return TEMPLATE_MARK.test(raw) ? plainDeep(rendered) : rendered;
  if (Array.isArray(raw) && Array.isArray(rendered) && raw.length === rendered.length) return rendered.map((x, i) => markTemplated(raw[i], x));
  if (isPyDict(raw) && isPyDict(rendered)) {
    return Object.fromEntries(Object.entries(rendered).map(([k, x]) => [k, Object.hasOwn(raw, k) ? markTemplated(raw[k], x) : x]));
  }
  return rendered;
}

export function isPyStr(v: unknown): v is string | String {
  return typeof v === 'string' || v instanceof String;
}

export function strValue(v: string | String): string {
  return typeof v === 'string' ? v : v.valueOf();
}

export function isPyBool(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

/** int in Python's sense, excluding bool */
export function isPyIntNotBool(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

export function isPyFloat(v: unknown): v is number | PyFloat {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function isPyList(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

export function isPyDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof String || v instanceof PyFloat) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function numberOf(v: number | bigint | PyFloat | boolean): number {
  if (v instanceof PyFloat) return v.v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

/** Python's `type(v)` as str() prints it */
export function pyClass(v: unknown, strClass: StringClass): string {
  if (v === null || v === undefined) return "<class 'NoneType'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (v instanceof PlainStr) return "<class 'str'>";
  if (v instanceof String) return UNSAFE_TEXT;
  if (typeof v === 'string') return strClass === 'AnsibleUnicode' ? ANSIBLE_UNICODE : "<class 'str'>";
  if (isPyIntNotBool(v)) return "<class 'int'>";
  if (isPyFloat(v)) return "<class 'float'>";
  if (Array.isArray(v)) return "<class 'list'>";
  return "<class 'dict'>";
}

/** the bare class name, as `{0.__class__.__name__}` prints it */
export function pyClassName(v: unknown, strClass: StringClass): string {
  const full = pyClass(v, strClass);
  const inner = full.slice("<class '".length, -2);
  return inner.slice(inner.lastIndexOf('.') + 1);
}

/** repr() of a float: shortest round-trip digits, exponent form outside [1e-4, 1e16) */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${sign}${body}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** repr() of a str: single quotes unless the text has ' and no " */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

export function pyRepr(v: unknown): string {
  if (isPyStr(v)) return pyStrRepr(strValue(v));
  return pyStrOf(v, true);
}

/** str() of any value */
export function pyStr(v: unknown): string {
  if (isPyStr(v)) return strValue(v);
  return pyStrOf(v, false);
}

function pyStrOf(v: unknown, _nested: boolean): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof PyFloat) return pyFloatRepr(v.v);
  if (typeof v === 'number') return Number.isInteger(v) ? numberText(v) : pyFloatRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isPyDict(v)) {
    return `{${Object.keys(v)
      .map((k) => `${pyStrRepr(k)}: ${pyRepr(v[k])}`)
      .join(', ')}}`;
  }
  return String(v);
}

function numberText(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** Python `a == b` for the JSON-like values Ansible compares (choices, required_if). */
export function pyEq(a: unknown, b: unknown): boolean {
  const aNum = numericOf(a);
  const bNum = numericOf(b);
  if (aNum !== undefined || bNum !== undefined) return aNum !== undefined && bNum !== undefined && aNum === bNum;
  if (isPyStr(a) || isPyStr(b)) return isPyStr(a) && isPyStr(b) && strValue(a) === strValue(b);
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  }
  if (isPyDict(a) && isPyDict(b)) {
    const ak = Object.keys(a);
    return ak.length === Object.keys(b).length && ak.every((k) => Object.hasOwn(b, k) && pyEq(a[k], b[k]));
  }
  return false;
}

function numericOf(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof PyFloat) return v.v;
  return undefined;
}

/** `x in seq` */
export function pyIn(x: unknown, seq: readonly unknown[]): boolean {
  return seq.some((item) => pyEq(x, item));
}

/** json.dumps(v) with Python's defaults: ", " and ": " separators, ensure_ascii */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof PyFloat) return jsonFloat(v.v);
  if (typeof v === 'number') return Number.isInteger(v) ? numberText(v) : jsonFloat(v);
  if (isPyStr(v)) return jsonString(strValue(v));
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  if (isPyDict(v)) {
    return `{${Object.keys(v)
      .map((k) => `${jsonString(k)}: ${pyJsonDumps(v[k])}`)
      .join(', ')}}`;
  }
  return jsonString(String(v));
}

function jsonFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return pyFloatRepr(n);
}

/** argument spec messages quote values as Python's json.dumps does, with ensure_ascii */
function jsonString(s: string): string {
  return encodeStr(s, true);
}

/** Python's str.strip() whitespace set (ASCII plus the common Unicode spaces) */
export function pyStrip(s: string): string {
  return s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, '');
}

/** deep copy of a JSON-like value, keeping PyFloat and boxed strings as they are */
export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepCopy) as T;
  if (isPyDict(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, deepCopy(v[k]));
    return out as T;
  }
  return v;
}
