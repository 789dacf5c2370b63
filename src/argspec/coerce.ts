/**
 * Ansible 2.14's type coercers (module_utils/common/validation.py check_type_*), re-expressed:
 * each returns the converted value or throws a CoercionError whose message is the inner text
 * Ansible puts after "we were unable to convert to <type>: ".
 */
import { homedir } from 'node:os';
import { PyFloat } from '../template/values.js';
import {
  isPyDict,
  isPyFloat,
  isPyIntNotBool,
  isPyStr,
  numberOf,
  pyClass,
  pyJsonDumps,
  pyStr,
  pyStrip,
  strValue,
  type StringClass,
} from './python.js';
import { parsePythonLiteral } from './pyliteral.js';

export class CoercionError extends Error {}

/**
 * A coercer gets the class name to print for `value` if it is a string, and `derive`, which
 * records containers it builds itself: strings inside those are plain `str` in Ansible (they come
 * from split(), json.loads() or key=value parsing), not the YAML-born AnsibleUnicode.
 */
export type Coercer = (value: unknown, strClass: StringClass, derive?: (container: object) => void, paths?: PathExpansion) => unknown;

/**
 * What `~` and `$VAR` mean in a `type: path` option: the module's own environment on its target
 * (a module runs there in Ansible). Without one, the controller's process (role argument specs,
 * which Ansible validates on the controller).
 */
export interface PathExpansion {
  env: Record<string, string | undefined>;
  home: string;
}

function deriveDeep(v: unknown, derive: ((c: object) => void) | undefined): void {
  if (!derive) return;
  if (Array.isArray(v)) {
    derive(v);
    v.forEach((x) => deriveDeep(x, derive));
  } else if (isPyDict(v)) {
    derive(v);
    Object.values(v).forEach((x) => deriveDeep(x, derive));
  }
}

/** ansible's BOOLEANS set as one run printed it; the real order varies per Python process */
export const VALID_BOOLEANS_TEXT = "0, 1, 't', 'off', 'true', 'on', 'no', '0', 'n', 'f', 'false', '1', 'y', 'yes'";
const TRUE_STRINGS = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE_STRINGS = new Set(['n', 'no', 'off', '0', 'false', 'f']);

export function checkStr(value: unknown): unknown {
  if (isPyStr(value)) return value;
  return pyStr(value);
}

export function checkList(value: unknown, strClass: StringClass, derive?: (c: object) => void): unknown {
  if (Array.isArray(value)) return value;
  if (isPyStr(value)) {
    const text = strValue(value);
    // CPython's split() hands back the very object for an empty subclass instance: it stays AnsibleUnicode
    return text === '' ? [value] : derived(text.split(','), derive);
  }
  if (typeof value === 'boolean' || isPyIntNotBool(value) || isPyFloat(value)) return derived([pyStr(value)], derive);
  throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to a list`);
}

function derived<T extends object>(container: T, derive: ((c: object) => void) | undefined): T {
  deriveDeep(container, derive);
  return container;
}

export function checkDict(value: unknown, strClass: StringClass, derive?: (c: object) => void): unknown {
  if (isPyDict(value)) return value;
  if (isPyStr(value)) {
    const result = dictFromString(strValue(value));
    deriveDeep(result, derive);
    return result;
  }
  throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to a dict`);
}

function dictFromString(text: string): unknown {
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Ansible falls back to safe_eval, which leaves strings that look like calls or imports untouched
      if (/\w\.\w+\(/u.test(text) || /import \w+/u.test(text)) return text;
      const literal = parsePythonLiteral(text);
      if (literal.ok) return literal.value;
      throw new CoercionError('unable to evaluate string as dictionary');
    }
  }
  if (text.includes('=')) return dictFromKeyValues(text);
  throw new CoercionError('dictionary requested, could not parse JSON or key=value');
}

/** `a=1 b="x y",c=3`: fields split on unquoted commas/spaces, values stay strings */
function dictFromKeyValues(text: string): Record<string, unknown> {
  const fields: string[] = [];
  let buffer = '';
  let quote: string | undefined;
  let escaped = false;
  for (const ch of pyStrip(text)) {
    if (escaped) {
      buffer += ch;
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (!quote && (ch === "'" || ch === '"')) quote = ch;
    else if (quote && ch === quote) quote = undefined;
    else if (!quote && (ch === ',' || ch === ' ')) {
      if (buffer) fields.push(buffer);
      buffer = '';
    } else buffer += ch;
  }
  if (buffer) fields.push(buffer);
  const out: Record<string, unknown> = {};
  fields.forEach((field, index) => {
    const eq = field.indexOf('=');
    if (eq < 0) throw new CoercionError(`dictionary update sequence element #${index} has length 1; 2 is required`);
    out[field.slice(0, eq)] = field.slice(eq + 1);
  });
  return out;
}

export function checkBool(value: unknown, strClass: StringClass): unknown {
  if (typeof value === 'boolean') return value;
  if (isPyStr(value)) {
    const normalized = pyStrip(strValue(value).toLowerCase());
    if (TRUE_STRINGS.has(normalized)) return true;
    if (FALSE_STRINGS.has(normalized)) return false;
    throw invalidBoolean(value);
  }
  if (isPyIntNotBool(value) || isPyFloat(value)) {
    const n = numberOf(value);
    if (n === 1) return true;
    if (n === 0) return false;
    throw invalidBoolean(value);
  }
  throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to a bool`);
}

function invalidBoolean(value: unknown): CoercionError {
  return new CoercionError(`The value '${pyStr(value)}' is not a valid boolean.  Valid booleans include: ${VALID_BOOLEANS_TEXT}`);
}

export function checkInt(value: unknown, strClass: StringClass): unknown {
  if (typeof value === 'boolean' || isPyIntNotBool(value)) return value;
  if (isPyStr(value)) {
    const parsed = pyIntFromString(strValue(value));
    if (parsed !== undefined) return parsed;
  }
  throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to an int`);
}

/** Python int(str): optional whitespace and sign, digits with single underscores between them */
export function pyIntFromString(text: string): number | bigint | undefined {
  const m = /^[+-]?\d+(?:_\d+)*$/u.exec(pyStrip(text));
  if (!m) return undefined;
  const big = BigInt(m[0].replace(/_/g, ''));
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

export function checkFloat(value: unknown, strClass: StringClass): unknown {
  if (isPyFloat(value)) return value;
  if (typeof value === 'boolean' || isPyIntNotBool(value)) return asFloat(numberOf(value));
  if (isPyStr(value)) {
    const parsed = pyFloatFromString(strValue(value));
    if (parsed !== undefined) return asFloat(parsed);
  }
  throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to a float`);
}

function asFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

const DIGITS = String.raw`\d+(?:_\d+)*`;
const FLOAT_TEXT = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`, 'u');

/** Python float(str) */
export function pyFloatFromString(text: string): number | undefined {
  const t = pyStrip(text);
  const special = /^([+-]?)(nan|inf|infinity)$/iu.exec(t);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!FLOAT_TEXT.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

export function checkPath(value: unknown, _strClass?: StringClass, _derive?: unknown, paths?: PathExpansion): unknown {
  const text = pyStr(value);
  const env = paths?.env ?? process.env;
  return expandUser(expandVars(text, env), paths?.home ?? process.env.HOME ?? homedir());
}

function expandVars(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(\w+|\{[^}]*\})/gu, (whole, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const v = env[key];
    return v === undefined ? whole : v;
  });
}

function expandUser(text: string, home: string): string {
  if (text !== '~' && !text.startsWith('~/')) return text;
  return home.replace(/\/+$/u, '') + text.slice(1) || '/';
}

export function checkRaw(value: unknown): unknown {
  return value;
}

export function checkJsonArg(value: unknown, strClass: StringClass): unknown {
  if (isPyStr(value)) return pyStrip(strValue(value));
  if (Array.isArray(value) || isPyDict(value)) return pyJsonDumps(value);
  throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to a json string`);
}

const SIZE_POWERS: Record<string, number> = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6, Z: 7, Y: 8 };

/** human_to_bytes() of 2.14: a lenient prefix match, so trailing text after the unit is ignored */
function humanToBytes(value: unknown, isBits: boolean): number | bigint {
  const text = pyStr(value);
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?/u.exec(text);
  if (!m || !/^(\d+\.?\d*|\.\d+)$/u.test(m[1])) throw new Error('not a number');
  const num = Number(m[1]);
  const unit = m[2];
  if (unit === undefined) return pyRound(num);
  const rangeKey = unit[0].toUpperCase();
  const power = SIZE_POWERS[rangeKey];
  if (power === undefined) throw new Error('bad unit');
  if (unit.length > 1) {
    const unitClass = isBits ? 'b' : 'B';
    const unitClassName = isBits ? 'bit' : 'byte';
    if (!unit.toLowerCase().includes(unitClassName) && unit[1] !== unitClass) throw new Error('bad unit class');
  }
  const scaled = num * 1024 ** power;
  return pyRound(scaled);
}

/** int(round(x)) with Python's round-half-to-even */
function pyRound(x: number): number | bigint {
  const floor = Math.floor(x);
  const diff = x - floor;
  let r: number;
  if (diff > 0.5) r = floor + 1;
  else if (diff < 0.5) r = floor;
  else r = floor % 2 === 0 ? floor : floor + 1;
  return Number.isSafeInteger(r) ? r : BigInt(r);
}

export function checkBytes(value: unknown, strClass: StringClass): unknown {
  try {
    return humanToBytes(value, false);
  } catch {
    throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to a Byte value`);
  }
}

export function checkBits(value: unknown, strClass: StringClass): unknown {
  try {
    return humanToBytes(value, true);
  } catch {
    throw new CoercionError(`${pyClass(value, strClass)} cannot be converted to a Bit value`);
  }
}

export const COERCERS: Record<string, Coercer> = {
  str: checkStr,
  list: checkList,
  dict: checkDict,
  bool: checkBool,
  int: checkInt,
  float: checkFloat,
  path: checkPath,
  raw: checkRaw,
  jsonarg: checkJsonArg,
  json: checkJsonArg,
  bytes: checkBytes,
  bits: checkBits,
};

/** A coercer for a type name; unknown names fail as Ansible does when it calls a missing checker. */
export function coercerFor(typeName: string): Coercer {
  return (
    COERCERS[typeName] ??
    (() => {
      throw new CoercionError("'NoneType' object is not callable");
    })
  );
}
