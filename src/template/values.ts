/**
 * Python's value model over JavaScript values, as Jinja2 in Ansible sees them.
 *
 * None = null, bool = boolean, int = integral number, float = non-integral number or a PyFloat
 * (an integral float such as 2.0 must still print as "2.0"), str = string, list = Array,
 * tuple = Array registered in TUPLES, dict = plain object (own keys only).
 */

import { PyDatetime, PyTimedelta } from './datetime.js';

export class TemplateError extends Error {
  /** 1-based position inside the template text, when known (for file:line:column reports) */
  line?: number;
  column?: number;
  constructor(message: string, line?: number, column?: number) {
    super(message);
    this.name = 'TemplateError';
    this.line = line;
    this.column = column;
  }
}

/** Jinja's Undefined as Ansible configures it: chainable, fails on any real use. */
export class Undefined {
  constructor(readonly message: string) {}
  fail(): never {
    throw new UndefinedError(this.message);
  }
}

/** Jinja's plain Undefined (an inline if without else): prints as '' and is falsy. */
export class LenientUndefined extends Undefined {}

export class UndefinedError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = 'UndefinedError';
  }
}

/**
 * A `!vault` value the run's secrets could not decrypt. Ansible decrypts inline vault values
 * lazily, so such a value fails only where a template reads it, with the vault's message.
 */
export class UndecryptableVault {
  constructor(readonly message: string) {}
  fail(): never {
    throw new VaultValueError(this.message);
  }
}

/** reading an UndecryptableVault: Ansible's task message is the vault's alone, with no position */
export class VaultValueError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = 'VaultValueError';
  }
}

/**
 * Python's TypeError inside a render (a macro called with too many arguments…): Ansible reports
 * it as "Unexpected templating type error occurred on (<template>): <message>".
 */
export class PyTypeError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = 'PyTypeError';
  }
}

/**
 * markupsafe's Markup: text already escaped (`escape`, `safe`, `urlize` results). Only `is
 * escaped` and a second `escape` (which leaves it alone) tell it from a str; it is not unsafe.
 */
export class Markup extends String {}

/** A float whose value happens to be integral (2.0). */
export class PyFloat {
  constructor(readonly v: number) {}
  valueOf(): number {
    return this.v;
  }
  toJSON(): number {
    return this.v;
  }
}

const TUPLES = new WeakSet<object>();
export function tuple<T>(items: T[]): T[] {
  TUPLES.add(items);
  return items;
}
export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && TUPLES.has(v);
}

/** Things the template may call: wrapped functions only, never raw JS functions from data. */
export const CALLABLE = Symbol('tsplay.callable');
export type PyCallable = ((args: unknown[], kwargs: Record<string, unknown>) => unknown) & {
  [CALLABLE]: true;
  pyName?: string;
  /** how Python prints it, when not `<function name>` (`<Macro 'm'>`, `<class 'jinja2.utils.Cycler'>`) */
  pyText?: string;
};
export function pyFunction(name: string, fn: (args: unknown[], kwargs: Record<string, unknown>) => unknown): PyCallable {
  const f = fn as PyCallable;
  f[CALLABLE] = true;
  f.pyName = name;
  return f;
}
export function isCallable(v: unknown): v is PyCallable {
  return typeof v === 'function' && (v as Partial<PyCallable>)[CALLABLE] === true;
}

// ---- unsafe ---------------------------------------------------------------------------------

const UNSAFE = Symbol('tsplay.unsafe');
const UNSAFE_OBJECTS = new WeakSet<object>();

/**
 * Marks host-originated data (registered results, facts, lookup results, `!unsafe`) so it is
 * never templated again. Strings become String objects carrying a marker (a primitive cannot be
 * tagged); containers are remembered in a WeakSet and everything inside them counts as unsafe.
 */
export function markUnsafe<T>(v: T): T {
  if (typeof v === 'string') {
    const boxed = new String(v) as String & { [UNSAFE]?: true };
    boxed[UNSAFE] = true;
    return boxed as unknown as T;
  }
  if (v !== null && typeof v === 'object') UNSAFE_OBJECTS.add(v as object);
  return v;
}

/** Python's wrap_var: a copy in which every string is unsafe (containers themselves untouched). */
export function wrapVar(v: unknown): unknown {
  if (typeof v === 'string') return markUnsafe(v);
  if (v instanceof Markup) return markUnsafe(v.valueOf());
  if (v instanceof String) return v;
  if (Array.isArray(v)) {
    const out = v.map(wrapVar);
    return TUPLES.has(v) ? tuple(out) : out;
  }
  if (isDict(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (k === '__proto__') Object.defineProperty(out, k, { value: wrapVar(v[k]), enumerable: true, writable: true, configurable: true });
      else out[k] = wrapVar(v[k]);
    }
    return out;
  }
  return v;
}

export function isUnsafe(v: unknown): boolean {
  if (v instanceof String) return (v as String & { [UNSAFE]?: true })[UNSAFE] === true;
  return v !== null && typeof v === 'object' && UNSAFE_OBJECTS.has(v as object);
}

/** Deep copy with unsafe strings turned back into primitives, for handing values to modules. */
export function stripUnsafe(v: unknown): unknown {
  if (v instanceof String) return v.valueOf();
  if (v instanceof PyFloat) return v.v;
  if (Array.isArray(v)) return v.map(stripUnsafe);
  if (isDict(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = stripUnsafe(v[k]);
    return out;
  }
  return v;
}

/**
 * Bounds on values a template builds (a list from `*` or a lookup, a string from `*`): Ansible
 * would try to build `'x' * 10**10` or `[0] * 10**9` and use up the machine's memory; in
 * tsplay that would end the process (V8 out of memory, no recap), so the task fails instead.
 */
export const MAX_TEMPLATE_ITEMS = 10_000_000;
export const MAX_TEMPLATE_CHARS = 100_000_000;

/** fails the render when a value about to be built would exceed the bounds above */
export function checkSize(count: number, unit: 'items' | 'characters', what: string): void {
  const max = unit === 'items' ? MAX_TEMPLATE_ITEMS : MAX_TEMPLATE_CHARS;
  if (count > max) {
    throw new TemplateError(`${what} would hold ${count} ${unit}; tsplay refuses to build a template value of more than ${max} ${unit}`);
  }
}

// ---- type predicates --------------------------------------------------------------------------

export type Dict = Record<string, unknown>;

export function isDict(v: unknown): v is Dict {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isStr(v: unknown): v is string {
  return typeof v === 'string';
}

export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TemplateError(`expected a number, got ${typeName(v)}`);
}

export function mkFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** Python's type name of a value, as error messages and type_debug print it. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof Markup) return 'Markup';
  if (v instanceof String) return 'AnsibleUnsafeText';
  if (isTuple(v)) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Undefined) return 'AnsibleUndefined';
  if (isCallable(v)) return 'function';
  if (isDict(v)) return 'dict';
  if (v instanceof PyDatetime) return 'datetime';
  if (v instanceof PyTimedelta) return 'timedelta';
  return 'object';
}

// ---- truthiness, equality, ordering ---------------------------------------------------------

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  switch (typeof v) {
    case 'boolean': return v;
    case 'number': return v !== 0;
    case 'string': return v.length > 0;
  }
  if (v instanceof LenientUndefined) return false;
  if (v instanceof Undefined) v.fail();
  if (v instanceof PyFloat) return v.v !== 0;
  if (v instanceof String) return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

/** an operand as Python sees it: an undefined variable fails here, a boxed string is a string */
function operand(v: unknown): unknown {
  if (v instanceof Undefined) v.fail();
  return v instanceof String ? v.valueOf() : v;
}

/** bool is an int in Python: both compare as numbers */
function isNumeric(v: unknown): boolean {
  return isNumber(v) || typeof v === 'boolean';
}

export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return a !== undefined || b !== undefined;
  a = operand(a);
  b = operand(b);
  const an = isNumeric(a);
  const bn = isNumeric(b);
  if (an && bn) return num(a) === num(b);
  if (an || bn) return false;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a === null || b === null || a === undefined || b === undefined) return a == b;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pyEq(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof PyDatetime && b instanceof PyDatetime) return a.epochMicros === b.epochMicros;
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return a.micros === b.micros;
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !pyEq(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** Python's `<` family; returns negative/0/positive or throws TypeError as Python would. */
export function pyCompare(a: unknown, b: unknown, op: string): number {
  a = operand(a);
  b = operand(b);
  if (isNumeric(a) && isNumeric(b)) return num(a) - num(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof PyDatetime && b instanceof PyDatetime) return a.epochMicros < b.epochMicros ? -1 : a.epochMicros > b.epochMicros ? 1 : 0;
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEq(a[i], b[i])) return pyCompare(a[i], b[i], op);
    }
    return a.length - b.length;
  }
  throw new TemplateError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function pyIn(needle: unknown, hay: unknown): boolean {
  if (hay instanceof Undefined) hay.fail();
  if (needle instanceof Undefined) needle.fail();
  if (hay instanceof String) hay = hay.valueOf();
  if (needle instanceof String) needle = needle.valueOf();
  if (typeof hay === 'string') {
    if (typeof needle !== 'string') throw new TemplateError(`'in <string>' requires string as left operand, not ${typeName(needle)}`);
    return hay.includes(needle);
  }
  if (Array.isArray(hay)) return hay.some((x) => pyEq(x, needle));
  if (isDict(hay)) return typeof needle === 'string' || typeof needle === 'number' ? Object.prototype.hasOwnProperty.call(hay, String(needle)) : false;
  throw new TemplateError(`argument of type '${typeName(hay)}' is not iterable`);
}

// ---- printing ---------------------------------------------------------------------------------

export function pyReprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

export function floatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0.0';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  let s = String(n);
  if (s.includes('e')) {
    // JS: 1e+21, 1.5e-7 ; Python: 1e+21, 1.5e-07
    s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  } else if (Math.abs(n) >= 1e16) {
    s = n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return s;
}

export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return pyReprStr(v);
  if (v instanceof Markup) return `Markup(${pyReprStr(v.valueOf())})`;
  if (v instanceof String) return pyReprStr(v.valueOf());
  return pyStr(v, true);
}

export function pyStr(v: unknown, nested = false): string {
  if (v === null || v === undefined) return 'None';
  switch (typeof v) {
    case 'string': return nested ? pyReprStr(v) : v;
    case 'boolean': return v ? 'True' : 'False';
    case 'number': return Number.isInteger(v) && Math.abs(v) < 1e16 ? String(v) : Number.isInteger(v) && !nested ? String(BigInt(v)) : floatRepr(v);
  }
  if (v instanceof Markup && nested) return pyRepr(v);
  if (v instanceof String) return nested ? pyReprStr(v.valueOf()) : v.valueOf();
  if (v instanceof PyFloat) return floatRepr(v.v);
  if (v instanceof Undefined) v.fail();
  if (Array.isArray(v)) {
    const inner = v.map((x) => pyRepr(x)).join(', ');
    if (isTuple(v)) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (isDict(v)) {
    return '{' + Object.keys(v).map((k) => `${pyReprStr(k)}: ${pyRepr(v[k])}`).join(', ') + '}';
  }
  if (isCallable(v)) return v.pyText ?? `<function ${v.pyName ?? 'f'}>`;
  if (nested && v instanceof PyDatetime) return `datetime.datetime(${datetimeReprArgs(v)})`;
  if (nested && v instanceof PyTimedelta) return `datetime.timedelta(${timedeltaReprArgs(v)})`;
  return String(v);
}

/** The exact decimal expansion of a double (every double is a finite binary fraction). */
function exactDecimal(x: number): { neg: boolean; int: string; frac: string } {
  const neg = x < 0 || Object.is(x, -0);
  x = Math.abs(x);
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  if (exp >= 0) return { neg, int: (mant << BigInt(exp)).toString(), frac: '' };
  // mant / 2^-exp = mant * 5^-exp / 10^-exp
  const digits = (mant * 5n ** BigInt(-exp)).toString().padStart(-exp + 1, '0');
  return { neg, int: digits.slice(0, digits.length + exp), frac: digits.slice(digits.length + exp) };
}

/** Python's '%.Nf' formatting: correctly rounded (half-even on the exact binary value). */
export function pyToFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const { neg, int, frac } = exactDecimal(x);
  let kept = int + frac.slice(0, digits).padEnd(digits, '0');
  const rest = frac.slice(digits);
  const first = rest.charCodeAt(0) - 48;
  const roundUp = rest.length > 0 && (first > 5 || (first === 5 && (/[1-9]/.test(rest.slice(1)) || (kept.charCodeAt(kept.length - 1) - 48) % 2 === 1)));
  if (roundUp) kept = (BigInt(kept) + 1n).toString().padStart(kept.length, '0');
  const intPart = kept.slice(0, kept.length - digits).replace(/^0+(?=\d)/, '') || '0';
  const fracPart = kept.slice(kept.length - digits);
  const body = digits > 0 ? `${intPart}.${fracPart}` : intPart;
  return neg ? '-' + body : body;
}

/** Python's round(x, ndigits) for floats (half-even on the exact value). */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x)) return x;
  if (ndigits >= 0) return parseFloat(pyToFixed(x, ndigits));
  const f = 10 ** -ndigits;
  return parseFloat(pyToFixed(x / f, 0)) * f;
}

function datetimeReprArgs(d: PyDatetime): string {
  const parts = ['year', 'month', 'day', 'hour', 'minute', 'second'].map((k) => d.attr(k) as number);
  while (parts.length > 3 && parts[parts.length - 1] === 0 && d.micro === 0) parts.pop();
  if (d.micro) parts.push(d.micro);
  return parts.join(', ');
}

function timedeltaReprArgs(t: PyTimedelta): string {
  const out: string[] = [];
  if (t.days) out.push(`days=${t.days}`);
  if (t.seconds) out.push(`seconds=${t.seconds}`);
  if (t.microseconds) out.push(`microseconds=${t.microseconds}`);
  return out.join(', ');
}

/** Normalises a value read from variables: unsafe String objects become primitives. */
export function prim(v: unknown): unknown {
  return v instanceof String ? v.valueOf() : v;
}
