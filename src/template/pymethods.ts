/** The Python str/list/dict methods roles call (`s.split(',')`, `d.get('k')`, `l.append(x)`). */
import { TemplateError, Undefined, isDict, tuple, isTuple, pyEq, prim, typeName, pyFunction, type PyCallable, isNumber, num, pyStr, truthy } from './values.js';
import { strFormat } from './format.js';
import { type Taint, getAttr, getItem, pyIter } from './access.js';
import { pyCompareSort } from './sorting.js';

type Method = (self: never, args: unknown[], kwargs: Record<string, unknown>, taint: Taint) => unknown;

const VIEWS = new WeakMap<object, string>();
/** dict.keys()/values()/items() print as dict_keys([...]) etc. */
export function view(kind: string, items: unknown[]): unknown[] {
  VIEWS.set(items, kind);
  return items;
}
export function viewKind(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? VIEWS.get(v as object) : undefined;
}

function argStr(v: unknown, what = 'argument'): string {
  v = prim(v);
  if (v instanceof Undefined) v.fail();
  if (typeof v !== 'string') throw new TemplateError(`${what} must be str, not ${typeName(v)}`);
  return v;
}

function optInt(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  return num(v);
}

const WS = /[\s\x1c-\x1f\x85]/;

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? null : argStr(chars);
  const keep = (c: string) => (set === null ? !WS.test(c) : !set.includes(c));
  let a = 0;
  let b = s.length;
  if (left) while (a < b && !keep(s[a])) a++;
  if (right) while (b > a && !keep(s[b - 1])) b--;
  return s.slice(a, b);
}

export function pySplit(s: string, sep: unknown, maxsplit: unknown): string[] {
  const max = optInt(maxsplit) ?? -1;
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let i = 0;
    while (i < s.length) {
      while (i < s.length && WS.test(s[i])) i++;
      if (i >= s.length) break;
      if (max >= 0 && out.length === max) {
        out.push(s.slice(i).replace(/\s+$/, ''));
        return out;
      }
      let j = i;
      while (j < s.length && !WS.test(s[j])) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  const d = argStr(sep);
  if (d === '') throw new TemplateError('empty separator');
  const parts = s.split(d);
  if (max >= 0 && parts.length > max + 1) return [...parts.slice(0, max), parts.slice(max).join(d)];
  return parts;
}

function pyRsplit(s: string, sep: unknown, maxsplit: unknown): string[] {
  const max = optInt(maxsplit) ?? -1;
  if (max < 0) return pySplit(s, sep, -1);
  if (sep === undefined || sep === null) {
    const words = pySplit(s, null, -1);
    if (words.length <= max + 1) return words;
    // keep the leading part as one piece with inner whitespace intact
    let end = s.replace(/\s+$/, '').length;
    const tail: string[] = [];
    for (let k = 0; k < max; k++) {
      let st = end;
      while (st > 0 && !WS.test(s[st - 1])) st--;
      tail.unshift(s.slice(st, end));
      end = st;
      while (end > 0 && WS.test(s[end - 1])) end--;
    }
    return [s.slice(0, end).replace(/^\s+/, ''), ...tail];
  }
  const d = argStr(sep);
  const parts = s.split(d);
  if (parts.length > max + 1) return [parts.slice(0, parts.length - max).join(d), ...parts.slice(parts.length - max)];
  return parts;
}

function splitlines(s: string, keepends: unknown): string[] {
  const out: string[] = [];
  const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    out.push(s.slice(last, truthy(keepends) ? m.index + m[0].length : m.index));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

function sliceArgs(s: string, start: unknown, end: unknown): [number, number] {
  const len = s.length;
  let a = optInt(start) ?? 0;
  let b = optInt(end) ?? len;
  if (a < 0) a = Math.max(0, a + len);
  if (b < 0) b = Math.max(0, b + len);
  return [Math.min(a, len), Math.min(b, len)];
}

function prefixMatch(s: string, arg: unknown, start: unknown, end: unknown, suffix: boolean): boolean {
  const [a, b] = sliceArgs(s, start, end);
  const sub = s.slice(a, b);
  const cands = Array.isArray(arg) ? arg.map((x) => argStr(x)) : [argStr(arg, suffix ? 'endswith first arg' : 'startswith first arg')];
  return cands.some((c) => (suffix ? sub.endsWith(c) : sub.startsWith(c)));
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
}

export function titleCase(s: string): string {
  return s.replace(/[A-Za-z\u00C0-\uFFFF]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
}

const STR: Record<string, Method> = Object.assign(Object.create(null), {
  startswith: (s: string, [p, a, b]: unknown[]) => prefixMatch(s, p, a, b, false),
  endswith: (s: string, [p, a, b]: unknown[]) => prefixMatch(s, p, a, b, true),
  split: (s: string, [sep, max]: unknown[], kw: Record<string, unknown>) => pySplit(s, sep ?? kw.sep, max ?? kw.maxsplit),
  rsplit: (s: string, [sep, max]: unknown[], kw: Record<string, unknown>) => pyRsplit(s, sep ?? kw.sep, max ?? kw.maxsplit),
  splitlines: (s: string, [keep]: unknown[], kw: Record<string, unknown>) => splitlines(s, keep ?? kw.keepends),
  strip: (s: string, [c]: unknown[]) => stripChars(s, c, true, true),
  lstrip: (s: string, [c]: unknown[]) => stripChars(s, c, true, false),
  rstrip: (s: string, [c]: unknown[]) => stripChars(s, c, false, true),
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  casefold: (s: string) => s.toLowerCase(),
  capitalize: (s: string) => capitalize(s),
  title: (s: string) => titleCase(s),
  swapcase: (s: string) => Array.from(s).map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  replace: (s: string, [old, rep, count]: unknown[]) => {
    const o = argStr(old);
    const r = argStr(rep);
    const n = optInt(count) ?? -1;
    if (n < 0) return o === '' ? Array.from(s).map((c) => r + c).join('') + r : s.split(o).join(r);
    let out = s;
    let idx = 0;
    for (let k = 0; k < n; k++) {
      const at = out.indexOf(o, idx);
      if (at === -1) break;
      out = out.slice(0, at) + r + out.slice(at + o.length);
      idx = at + r.length + (o === '' ? 1 : 0);
    }
    return out;
  },
  find: (s: string, [sub, a, b]: unknown[]) => {
    const [x, y] = sliceArgs(s, a, b);
    const i = s.slice(x, y).indexOf(argStr(sub));
    return i === -1 ? -1 : i + x;
  },
  rfind: (s: string, [sub, a, b]: unknown[]) => {
    const [x, y] = sliceArgs(s, a, b);
    const i = s.slice(x, y).lastIndexOf(argStr(sub));
    return i === -1 ? -1 : i + x;
  },
  index: (s: string, [sub, a, b]: unknown[]) => {
    const [x, y] = sliceArgs(s, a, b);
    const i = s.slice(x, y).indexOf(argStr(sub));
    if (i === -1) throw new TemplateError('substring not found');
    return i + x;
  },
  rindex: (s: string, [sub, a, b]: unknown[]) => {
    const [x, y] = sliceArgs(s, a, b);
    const i = s.slice(x, y).lastIndexOf(argStr(sub));
    if (i === -1) throw new TemplateError('substring not found');
    return i + x;
  },
  count: (s: string, [sub, a, b]: unknown[]) => {
    const [x, y] = sliceArgs(s, a, b);
    const t = argStr(sub);
    const part = s.slice(x, y);
    if (t === '') return part.length + 1;
    return part.split(t).length - 1;
  },
  join: (s: string, [items]: unknown[], _kw: Record<string, unknown>, taint: Taint) => {
    const list = iterItems(items, taint);
    return list
      .map((x) => {
        const v = prim(x);
        if (typeof v !== 'string') throw new TemplateError(`sequence item: expected str instance, ${typeName(v)} found`);
        return v;
      })
      .join(s);
  },
  format: (s: string, args: unknown[], kw: Record<string, unknown>, taint: Taint) =>
    strFormat(s, args, kw, (obj, name, isIndex) => {
      // a format field may reach into values, through the same safe access as templates
      return isIndex ? getItem(obj, Number(name), taint) : getAttr(obj, name, taint);
    }),
  isdigit: (s: string) => s.length > 0 && /^\d+$/.test(s),
  isdecimal: (s: string) => s.length > 0 && /^\d+$/.test(s),
  isnumeric: (s: string) => s.length > 0 && /^\p{N}+$/u.test(s),
  isalpha: (s: string) => s.length > 0 && /^\p{L}+$/u.test(s),
  isalnum: (s: string) => s.length > 0 && /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s: string) => s.length > 0 && /^\s+$/.test(s),
  isupper: (s: string) => /\p{Lu}/u.test(s) && !/\p{Ll}/u.test(s),
  islower: (s: string) => /\p{Ll}/u.test(s) && !/\p{Lu}/u.test(s),
  istitle: (s: string) => /[A-Za-z]/.test(s) && titleCase(s) === s,
  isidentifier: (s: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s),
  zfill: (s: string, [w]: unknown[]) => {
    const width = num(w);
    if (s.length >= width) return s;
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  },
  ljust: (s: string, [w, f]: unknown[]) => s + (f === undefined ? ' ' : argStr(f)).repeat(Math.max(0, num(w) - s.length)),
  rjust: (s: string, [w, f]: unknown[]) => (f === undefined ? ' ' : argStr(f)).repeat(Math.max(0, num(w) - s.length)) + s,
  center: (s: string, [w, f]: unknown[]) => {
    const fill = f === undefined ? ' ' : argStr(f);
    const total = Math.max(0, num(w) - s.length);
    const left = Math.floor(total / 2) + (total & num(w) & 1);
    return fill.repeat(left) + s + fill.repeat(total - left);
  },
  partition: (s: string, [sep]: unknown[]) => {
    const d = argStr(sep);
    const i = s.indexOf(d);
    return i === -1 ? tuple([s, '', '']) : tuple([s.slice(0, i), d, s.slice(i + d.length)]);
  },
  rpartition: (s: string, [sep]: unknown[]) => {
    const d = argStr(sep);
    const i = s.lastIndexOf(d);
    return i === -1 ? tuple(['', '', s]) : tuple([s.slice(0, i), d, s.slice(i + d.length)]);
  },
  removeprefix: (s: string, [p]: unknown[]) => (s.startsWith(argStr(p)) ? s.slice(argStr(p).length) : s),
  removesuffix: (s: string, [p]: unknown[]) => (argStr(p) && s.endsWith(argStr(p)) ? s.slice(0, s.length - argStr(p).length) : s),
  expandtabs: (s: string, [n]: unknown[]) => s.replace(/\t/g, ' '.repeat(n === undefined ? 8 : num(n))),
  encode: (s: string) => s,
  decode: (s: string) => s,
});

function iterItems(v: unknown, taint: Taint): unknown[] {
  return pyIter(v, taint);
}

const LIST: Record<string, Method> = Object.assign(Object.create(null), {
  append: (l: unknown[], [x]: unknown[]) => {
    l.push(x);
    return null;
  },
  extend: (l: unknown[], [x]: unknown[], _kw: Record<string, unknown>, taint: Taint) => {
    l.push(...iterItems(x, taint));
    return null;
  },
  insert: (l: unknown[], [i, x]: unknown[]) => {
    let idx = num(i);
    if (idx < 0) idx = Math.max(0, idx + l.length);
    l.splice(Math.min(idx, l.length), 0, x);
    return null;
  },
  pop: (l: unknown[], [i]: unknown[]) => {
    if (!l.length) throw new TemplateError('pop from empty list');
    let idx = i === undefined ? l.length - 1 : num(i);
    if (idx < 0) idx += l.length;
    if (idx < 0 || idx >= l.length) throw new TemplateError('pop index out of range');
    return l.splice(idx, 1)[0];
  },
  remove: (l: unknown[], [x]: unknown[]) => {
    const i = l.findIndex((y) => pyEq(y, x));
    if (i === -1) throw new TemplateError('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  index: (l: unknown[], [x]: unknown[]) => {
    const i = l.findIndex((y) => pyEq(y, x));
    if (i === -1) throw new TemplateError(`${pyStr(x, true)} is not in list`);
    return i;
  },
  count: (l: unknown[], [x]: unknown[]) => l.filter((y) => pyEq(y, x)).length,
  copy: (l: unknown[]) => [...l],
  reverse: (l: unknown[]) => {
    l.reverse();
    return null;
  },
  sort: (l: unknown[], _a: unknown[], kw: Record<string, unknown>) => {
    const sorted = pyCompareSort(l, truthy(kw.reverse ?? false));
    l.splice(0, l.length, ...sorted);
    return null;
  },
  clear: (l: unknown[]) => {
    l.length = 0;
    return null;
  },
});

const TUPLE_METHODS = new Set(['index', 'count']);

const SAFE_KEY = (k: unknown): string => {
  const key = prim(k);
  if (typeof key === 'string') return key;
  if (isNumber(key) || typeof key === 'boolean') return String(key === true ? 1 : key === false ? 0 : num(key));
  if (key === null) return 'None';
  throw new TemplateError(`unhashable type: '${typeName(key)}'`);
};
const BAD_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export function dictSet(d: Record<string, unknown>, k: string, v: unknown): void {
  if (BAD_KEYS.has(k)) Object.defineProperty(d, k, { value: v, enumerable: true, writable: true, configurable: true });
  else d[k] = v;
}

const DICT: Record<string, Method> = Object.assign(Object.create(null), {
  get: (d: Record<string, unknown>, [k, dflt]: unknown[]) => {
    const key = SAFE_KEY(k);
    return Object.prototype.hasOwnProperty.call(d, key) ? d[key] : dflt === undefined ? null : dflt;
  },
  keys: (d: Record<string, unknown>) => view('dict_keys', Object.keys(d)),
  values: (d: Record<string, unknown>) => view('dict_values', Object.keys(d).map((k) => d[k])),
  items: (d: Record<string, unknown>) => view('dict_items', Object.keys(d).map((k) => tuple([k, d[k]]))),
  update: (d: Record<string, unknown>, [other]: unknown[], kw: Record<string, unknown>) => {
    if (other !== undefined && other !== null) {
      if (isDict(other)) for (const k of Object.keys(other)) dictSet(d, k, other[k]);
      else if (Array.isArray(other)) for (const pair of other) dictSet(d, SAFE_KEY((pair as unknown[])[0]), (pair as unknown[])[1]);
      else throw new TemplateError(`'${typeName(other)}' object is not iterable`);
    }
    for (const k of Object.keys(kw)) dictSet(d, k, kw[k]);
    return null;
  },
  pop: (d: Record<string, unknown>, [k, dflt]: unknown[]) => {
    const key = SAFE_KEY(k);
    if (Object.prototype.hasOwnProperty.call(d, key)) {
      const v = d[key];
      delete d[key];
      return v;
    }
    if (dflt === undefined) throw new TemplateError(pyStr(k, true));
    return dflt;
  },
  setdefault: (d: Record<string, unknown>, [k, dflt]: unknown[]) => {
    const key = SAFE_KEY(k);
    if (!Object.prototype.hasOwnProperty.call(d, key)) dictSet(d, key, dflt === undefined ? null : dflt);
    return d[key];
  },
  copy: (d: Record<string, unknown>) => ({ ...d }),
  clear: (d: Record<string, unknown>) => {
    for (const k of Object.keys(d)) delete d[k];
    return null;
  },
  popitem: (d: Record<string, unknown>) => {
    const keys = Object.keys(d);
    if (!keys.length) throw new TemplateError("'popitem(): dictionary is empty'");
    const k = keys[keys.length - 1];
    const v = d[k];
    delete d[k];
    return tuple([k, v]);
  },
});

export function pyMethod(obj: unknown, name: string, taint: Taint): PyCallable | undefined {
  let table: Record<string, Method> | undefined;
  if (typeof obj === 'string') table = STR;
  else if (Array.isArray(obj)) table = viewKind(obj) ? undefined : LIST;
  else if (isDict(obj) && !NAMESPACES.has(obj)) table = DICT;
  if (!table) return undefined;
  const m = table[name];
  if (!m) return undefined;
  if (Array.isArray(obj) && isTuple(obj) && !TUPLE_METHODS.has(name)) return undefined;
  return pyFunction(name, (args, kwargs) => (m as (s: unknown, a: unknown[], k: Record<string, unknown>, t: Taint) => unknown)(obj, args, kwargs, taint));
}

/** attributes of callables (a recursive for loop's `loop` is callable and has loop.index …) */
export const CALLABLE_ATTRS = new WeakMap<object, Record<string, unknown>>();

/** namespace() objects: attribute assignment allowed, no dict methods */
export const NAMESPACES = new WeakSet<object>();

