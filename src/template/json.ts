/** Python's json.dumps/json.loads as Ansible's to_json/from_json call them. */
import { TemplateError, Undefined, PyFloat, isDict, floatRepr, typeName, prim, mkFloat } from './values.js';
import { dictSet, viewKind } from './pymethods.js';

export interface JsonOptions {
  indent?: number | string | null;
  sortKeys?: boolean;
  separators?: [string, string];
  ensureAscii?: boolean;
}

/** a JSON string literal as Python's json.dumps writes it (ensure_ascii escapes everything past 0x7e) */
export function encodeStr(s: string, ascii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ascii && c > 0x7e)) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

export function jsonDumps(value: unknown, opts: JsonOptions = {}): string {
  const indentStr = opts.indent === null || opts.indent === undefined ? null : typeof opts.indent === 'number' ? ' '.repeat(opts.indent) : opts.indent;
  const [itemSep, keySep] = opts.separators ?? (indentStr !== null ? [',', ': '] : [', ', ': ']);
  const ascii = opts.ensureAscii ?? true;
  const enc = (v: unknown, level: number): string => {
    v = prim(v);
    if (v === null || v === undefined) return 'null';
    if (v instanceof Undefined) v.fail();
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? floatRepr(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    if (v instanceof PyFloat) return floatRepr(v.v);
    if (typeof v === 'string') return encodeStr(v, ascii);
    const nl = indentStr !== null ? '\n' + indentStr.repeat(level + 1) : '';
    const close = indentStr !== null ? '\n' + indentStr.repeat(level) : '';
    if (Array.isArray(v)) {
      if (!v.length) return '[]';
      return '[' + nl + v.map((x) => enc(x, level + 1)).join(itemSep + nl) + close + ']';
    }
    if (isDict(v)) {
      let keys = Object.keys(v);
      if (!keys.length) return '{}';
      if (opts.sortKeys) keys = [...keys].sort();
      return '{' + nl + keys.map((k) => encodeStr(k, ascii) + keySep + enc(v[k], level + 1)).join(itemSep + nl) + close + '}';
    }
    throw new TemplateError(`Object of type ${typeName(v)} is not JSON serializable`);
  };
  return enc(value, 0);
}

/** json.loads: like JSON.parse, but prototype-safe and keeping floats such as 1.0 as floats */
export function jsonLoads(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, function (this: unknown, _k: string, v: unknown) {
      return v;
    });
  } catch (e) {
    // Python's json wording, with the position JSON.parse reports (or the start)
    const m = /position (\d+)/.exec((e as Error).message);
    const at = m ? parseInt(m[1], 10) : 0;
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1) + 1;
    throw new TemplateError(`Expecting value: line ${line} column ${column} (char ${at})`);
  }
  // rebuild objects with own keys only: a "__proto__" key stays data, never a prototype
  const floats = new Set<string>();
  void floats;
  const rebuild = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rebuild);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) dictSet(out, k, rebuild((v as Record<string, unknown>)[k]));
      return out;
    }
    return v;
  };
  const res = rebuild(parsed);
  // integral floats written as 1.0 in the text stay floats
  if (/\d\.\d|\d[eE]/.test(text)) return markFloats(text, res);
  return res;
}

function markFloats(text: string, v: unknown): unknown {
  // cheap approach: re-scan numbers in document order
  const nums: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) if (m[1] !== undefined) nums.push(m[1]);
  let idx = 0;
  const walk = (x: unknown): unknown => {
    if (typeof x === 'number') {
      const lit = nums[idx++];
      return lit !== undefined && /[.eE]/.test(lit) ? mkFloat(x) : x;
    }
    if (Array.isArray(x)) return x.map(walk);
    if (isDict(x)) {
      for (const k of Object.keys(x)) x[k] = walk(x[k]);
      return x;
    }
    return x;
  };
  return walk(v);
}

export { viewKind };
