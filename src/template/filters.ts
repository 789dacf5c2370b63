/** Jinja2's built-in filters and Ansible's (ansible.builtin) filters. */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import {
  TemplateError, Undefined, isDict, tuple, truthy, pyEq, pyStr, pyRepr, prim, typeName, isNumber, isFloat, num, mkFloat, PyFloat,
  pyRound, pyToFixed,
} from './values.js';
import { getItem, pyIter, objDesc, TUPLE_FIELDS } from './access.js';
import { pySplit, titleCase, dictSet, pyMethod as pyMethodOf } from './pymethods.js';
import { percentFormat } from './format.js';
import { jsonDumps, jsonLoads } from './json.js';
import { pyCompareSort } from './sorting.js';
import { pySub, regexSearch, regexFindall, regexEscape } from './regex.js';
import { yamlDump, yamlLoad, yamlLoadAll } from './yaml.js';
import { sha512Crypt, md5Crypt, sha256Crypt } from './crypt.js';
import { pyAdd } from './ops.js';
import { escape, forceEscape, markSafe, urlize } from './html.js';
import type { Filter, Render } from './runtime.js';
import { pyRandom } from './random.js';
import { strptime } from './datetime.js';

type Args = unknown[];
type Kw = Record<string, unknown>;

/** positional-or-keyword argument, Python style */
export function arg(args: Args, kw: Kw, i: number, name: string, dflt?: unknown): unknown {
  if (i < args.length) return args[i];
  if (Object.prototype.hasOwnProperty.call(kw, name)) return kw[name];
  return dflt;
}

function str(v: unknown): string {
  v = prim(v);
  if (v instanceof Undefined) v.fail();
  return typeof v === 'string' ? v : pyStr(v);
}

function list(v: unknown, rt: Render): unknown[] {
  return pyIter(v, rt);
}

/** Jinja's attribute getter: 'a.b.0' walks nested items */
function attrGetter(attribute: unknown, rt: Render, dflt?: unknown): (v: unknown) => unknown {
  const parts = typeof attribute === 'number' ? [attribute] : String(attribute).split('.').map((p) => (/^\d+$/.test(p) ? parseInt(p, 10) : p));
  return (v) => {
    let cur = v;
    for (const p of parts) {
      cur = getItem(cur, p, rt);
      if (cur instanceof Undefined) return dflt !== undefined ? dflt : cur;
    }
    return cur;
  };
}

function toInt(v: unknown, dflt: unknown = 0, base: unknown = 10): unknown {
  v = prim(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNumber(v)) return Math.trunc(num(v));
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '');
    const b = num(base);
    if (b === 10 && /^[-+]?\d+$/.test(s)) return parseInt(s, 10);
    if (b === 16 && /^[-+]?(0[xX])?[0-9a-fA-F]+$/.test(s)) return parseInt(s.replace(/0[xX]/, ''), 16);
    if (b === 8 && /^[-+]?(0[oO])?[0-7]+$/.test(s)) return parseInt(s.replace(/0[oO]/, ''), 8);
    if (b === 2 && /^[-+]?(0[bB])?[01]+$/.test(s)) return parseInt(s.replace(/0[bB]/, ''), 2);
    if (b === 0 && /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[1-9]\d*|0+)$/.test(s)) return Number(s.replace(/^([-+]?)0[oO]/, '$10o'));
    // Jinja falls back to float parsing
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Math.trunc(parseFloat(s));
    return dflt;
  }
  return dflt;
}

function toFloat(v: unknown, dflt: unknown = mkFloat(0)): unknown {
  v = prim(v);
  if (typeof v === 'boolean') return mkFloat(v ? 1 : 0);
  if (isNumber(v)) return mkFloat(num(v));
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase().replace(/_/g, '');
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(s)) return mkFloat(parseFloat(s));
    if (/^[-+]?(inf|infinity)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[-+]?nan$/.test(s)) return NaN;
    return dflt;
  }
  return dflt;
}

function toBool(v: unknown): unknown {
  v = prim(v);
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'string') v = v.toLowerCase();
  return v === 'yes' || v === 'on' || v === '1' || v === 'true' || v === 1 || (v instanceof PyFloat && v.v === 1);
}

function length(v: unknown): number {
  v = prim(v);
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isDict(v)) return Object.keys(v).length;
  throw new TemplateError(`object of type '${typeName(v)}' has no len()`);
}

/** Python's shlex.quote */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, `'"'"'`) + "'";
}

function uniq(items: unknown[], caseSensitive = true, attribute?: unknown, rt?: Render): unknown[] {
  const out: unknown[] = [];
  const seen: unknown[] = [];
  const getter = attribute !== undefined && attribute !== null && rt ? attrGetter(attribute, rt) : (x: unknown) => x;
  for (const x of items) {
    let key = getter(x);
    if (!caseSensitive && typeof key === 'string') key = key.toLowerCase();
    if (!seen.some((s) => pyEq(s, key))) {
      seen.push(key);
      out.push(x);
    }
  }
  return out;
}

function deepMergeHash(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a)) dictSet(out, k, a[k]);
  for (const k of Object.keys(b)) {
    const bv = b[k];
    const av = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
    if (recursive && isDict(av) && isDict(bv)) {
      dictSet(out, k, deepMergeHash(av, bv, recursive, listMerge));
    } else if (Array.isArray(av) && Array.isArray(bv) && listMerge !== 'replace') {
      switch (listMerge) {
        case 'keep': break;
        case 'append': dictSet(out, k, [...av, ...bv]); break;
        case 'prepend': dictSet(out, k, [...bv, ...av]); break;
        case 'append_rp': dictSet(out, k, [...av.filter((x) => !bv.some((y) => pyEq(x, y))), ...bv]); break;
        case 'prepend_rp': dictSet(out, k, [...bv, ...av.filter((x) => !bv.some((y) => pyEq(x, y)))]); break;
      }
    } else {
      dictSet(out, k, bv);
    }
  }
  return out;
}

function flatten(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x0 of items) {
    const x = prim(x0);
    if (skipNulls && (x === null || x === 'None' || x === 'null')) continue;
    if (Array.isArray(x)) {
      if (levels === null) out.push(...flatten(x, null, skipNulls));
      else if (levels >= 1) out.push(...flatten(x, levels - 1, skipNulls));
      else out.push(x);
    } else out.push(x);
  }
  return out;
}

function humanReadable(size: number, isbits: boolean, unit: string | null): string {
  const SIZE_RANGES: [string, number][] = [['Y', 1 << 30 ? 1024 ** 8 : 0], ['Z', 1024 ** 7], ['E', 1024 ** 6], ['P', 1024 ** 5], ['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024], ['B', 1]];
  const base = isbits ? 'bits' : 'Bytes';
  let suffix = '';
  let limit = 1;
  for (const [s, l] of SIZE_RANGES) {
    if ((unit === null && size >= l) || (unit !== null && unit.toUpperCase().startsWith(s))) {
      suffix = s;
      limit = l;
      break;
    }
  }
  if (!suffix) {
    suffix = 'B';
    limit = 1;
  }
  if (limit !== 1) suffix += isbits ? 'b' : 'B';
  else suffix = base;
  return `${(size / limit).toFixed(2)} ${suffix}`;
}

function humanToBytes(v: unknown, defaultUnit: unknown, isbits: boolean): number {
  const s = str(v).trim();
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*$/.exec(s);
  if (!m || m[1] === '') throw new TemplateError(`human_to_bytes() can't interpret following string: ${s}`);
  const n = parseFloat(m[1]);
  let unit = m[2] ?? (defaultUnit !== undefined && defaultUnit !== null ? str(defaultUnit) : 'B');
  const letters = 'BKMGTPEZY';
  const idx = letters.indexOf(unit[0].toUpperCase());
  if (idx === -1) throw new TemplateError(`human_to_bytes() failed to convert ${s}. Value is not a valid string (${unit})`);
  if (unit.length > 1) {
    const rest = unit.slice(1);
    const want = isbits ? 'b' : 'B';
    if (idx === 0) {
      if (!['', 'yte', 'ytes', 'it', 'its'].includes(rest) && unit !== 'B') throw new TemplateError(`human_to_bytes() failed to convert ${s}`);
    } else if (rest !== want && rest.toLowerCase() !== (isbits ? 'bit' : 'byte') + '' && rest !== want + (isbits ? 'it' : 'yte')) {
      if (!(rest === 'B' && !isbits) && !(rest === 'b' && isbits)) throw new TemplateError(`human_to_bytes() failed to convert ${s}. Value is not a valid string (expected ${want})`);
    }
  }
  unit = letters[idx];
  return Math.round(n * 1024 ** idx);
}

function urlsplit(value: string, query: string): unknown {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value)!;
  const netloc = m[2] ?? '';
  const at = netloc.lastIndexOf('@');
  const userinfo = at === -1 ? '' : netloc.slice(0, at);
  const hostport = at === -1 ? netloc : netloc.slice(at + 1);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  const hostname = hp && hp[1] ? hp[1].replace(/^\[|\]$/g, '').toLowerCase() : null;
  const port = hp && hp[2] ? parseInt(hp[2], 10) : null;
  const [user, pass] = userinfo ? [userinfo.split(':')[0], userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : null] : [null, null];
  const res: Record<string, unknown> = {
    fragment: m[5] ?? '',
    hostname,
    netloc,
    password: pass,
    path: m[3] ?? '',
    port,
    query: m[4] ?? '',
    scheme: (m[1] ?? '').toLowerCase(),
    username: user,
  };
  if (query) {
    if (!Object.prototype.hasOwnProperty.call(res, query)) throw new TemplateError(`urlsplit: unknown URL component: ${query}`);
    return res[query];
  }
  return res;
}

function b64decode(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

function dictsort(v: unknown, caseSensitive: boolean, by: string, reverse: boolean): unknown[] {
  if (!isDict(v)) throw new TemplateError('You can only sort by either "key" or "value"');
  const items = Object.keys(v).map((k) => tuple([k, v[k]]));
  const pos = by === 'value' ? 1 : 0;
  return pyCompareSort(items, reverse, (it) => {
    const x = (it as unknown[])[pos];
    return !caseSensitive && typeof x === 'string' ? x.toLowerCase() : x;
  });
}

function sortFilter(v: unknown, reverse: boolean, caseSensitive: boolean, attribute: unknown, rt: Render): unknown[] {
  const items = [...list(v, rt)];
  const attrs = attribute === undefined || attribute === null ? [null] : String(attribute).split(',').map((a) => a.trim());
  const getters = attrs.map((a) => (a === null ? (x: unknown) => x : attrGetter(a, rt)));
  return pyCompareSort(items, reverse, (x) => {
    const keys = getters.map((g) => {
      const k = g(x);
      if (k instanceof Undefined) k.fail();
      return !caseSensitive && typeof k === 'string' ? k.toLowerCase() : k;
    });
    return keys.length === 1 ? keys[0] : tuple(keys);
  });
}

function selectOrReject(rt: Render, v: unknown, args: Args, kw: Kw, accept: boolean, byAttr: boolean): unknown[] {
  const items = list(v, rt);
  let rest = args;
  let getter = (x: unknown) => x;
  if (byAttr) {
    getter = attrGetter(rest[0], rt);
    rest = rest.slice(1);
  }
  let test: (x: unknown) => boolean;
  if (rest.length === 0) {
    test = (x) => truthy(x);
  } else {
    const name = String(prim(rest[0])).replace(/^ansible\.builtin\./, '');
    const fn = rt.host.tests[name];
    if (!fn) throw new TemplateError(`No test named '${name}'.`);
    const targs = rest.slice(1);
    test = (x) => fn(x, targs, kw, rt);
  }
  return items.filter((x) => {
    const val = getter(x);
    if (byAttr && val instanceof Undefined && rest.length === 0) val.fail();
    return test(val) === accept;
  });
}

function mapFilter(rt: Render, v: unknown, args: Args, kw: Kw): unknown[] {
  const items = list(v, rt);
  if (Object.prototype.hasOwnProperty.call(kw, 'attribute')) {
    const getter = attrGetter(kw.attribute, rt, kw.default);
    return items.map((x) => getter(x));
  }
  if (!args.length) throw new TemplateError('map requires a filter argument');
  const name = String(prim(args[0])).replace(/^ansible\.builtin\./, '');
  const fn = rt.host.filters[name];
  if (!fn) throw new TemplateError(`Could not load "${name}": '${name}'`);
  const fargs = args.slice(1);
  return items.map((x) => {
    if (x instanceof Undefined && name !== 'default' && name !== 'd') x.fail();
    return fn(x, fargs, kw, rt);
  });
}

function groupby(rt: Render, v: unknown, attribute: unknown, dflt: unknown): unknown[] {
  const getter = attrGetter(attribute, rt, dflt);
  const sorted = pyCompareSort(list(v, rt), false, (x) => {
    const k = getter(x);
    if (k instanceof Undefined) k.fail();
    return k;
  });
  const groups: unknown[][] = [];
  for (const x of sorted) {
    const k = getter(x);
    const last = groups[groups.length - 1];
    if (last && pyEq(last[0], k)) (last[1] as unknown[]).push(x);
    else {
      const group = tuple([k, [x]]);
      // Jinja's _GroupTuple: a namedtuple (grouper, list)
      TUPLE_FIELDS.set(group, { grouper: k, list: group[1] });
      groups.push(group);
    }
  }
  return groups;
}

function batch(rt: Render, v: unknown, n: number, fill: unknown): unknown[] {
  const items = list(v, rt);
  const out: unknown[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  if (fill !== undefined && fill !== null && out.length && out[out.length - 1].length < n) {
    const last = out[out.length - 1];
    while (last.length < n) last.push(fill);
  }
  return out;
}

function sliceFilter(rt: Render, v: unknown, slices: number, fill: unknown): unknown[] {
  const seq = list(v, rt);
  const length = seq.length;
  const per = Math.floor(length / slices);
  const extra = length % slices;
  let offset = 0;
  const out: unknown[] = [];
  for (let i = 0; i < slices; i++) {
    const start = offset + i * per;
    if (i < extra) offset++;
    const end = offset + (i + 1) * per;
    const part = seq.slice(start, end);
    if (fill !== undefined && fill !== null && i >= extra) part.push(fill);
    out.push(part);
  }
  return out;
}

function indent(s: string, width: unknown, first: boolean, blank: boolean): string {
  const pad = typeof width === 'string' ? width : ' '.repeat(num(width));
  const nl = '\n';
  let rv: string;
  if (blank) {
    rv = s.split(nl).join(nl + pad);
  } else {
    const lines = s.split(nl);
    rv = lines.shift()!;
    if (lines.length) rv += nl + lines.map((l) => (l ? pad + l : l)).join(nl);
  }
  if (first) rv = pad + rv;
  return rv;
}

function wordwrap(s: string, width: number, breakLong: boolean, wrapstring: string, breakOnHyphens: boolean): string {
  void breakOnHyphens;
  const out: string[] = [];
  for (const para of s.split(/\r?\n/)) {
    const words = para.split(/\s+/).filter(Boolean);
    let line = '';
    for (let w of words) {
      while (breakLong && w.length > width) {
        if (line) {
          out.push(line);
          line = '';
        }
        out.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ' ' + w;
      else {
        out.push(line);
        line = w;
      }
    }
    if (line) out.push(line);
  }
  return out.join(wrapstring);
}

function truncate(s: string, length: number, killwords: boolean, end: string, leeway: number): string {
  if (s.length <= length + leeway) return s;
  if (killwords) return s.slice(0, length - end.length) + end;
  let result = s.slice(0, length - end.length);
  const idx = result.lastIndexOf(' ');
  result = idx === -1 ? result : result.slice(0, idx);
  return result + end;
}

function commentFilter(text: string, style: string, kw: Kw): string {
  const styles: Record<string, Record<string, unknown>> = {
    plain: { decoration: '# ' },
    erlang: { decoration: '% ' },
    c: { decoration: '// ' },
    cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
    xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
  };
  const styleParams = styles[style];
  if (!styleParams) throw new TemplateError(`'${style}'`);
  const prepostfix = String(Object.prototype.hasOwnProperty.call(kw, 'decoration') ? kw.decoration : styleParams.decoration).replace(/\s+$/, '');
  const p: Record<string, unknown> = { newline: '\n', beginning: '', prefix: prepostfix, prefix_count: 1, decoration: '', postfix: prepostfix, postfix_count: 1, end: '', ...styleParams, ...kw };
  const nl = String(p.newline);
  const deco = String(p.decoration);
  let out = '';
  if (p.beginning) out += `${String(p.beginning)}${nl}`;
  if (p.prefix) out += (p.prefix !== nl ? `${String(p.prefix)}${nl}` : nl).repeat(num(p.prefix_count));
  out += (deco + text.split(nl).join(nl + deco)).split(deco + nl).join(deco.replace(/\s+$/, '') + nl);
  out += ['', ...Array.from({ length: num(p.postfix_count) }, () => String(p.postfix))].join(nl);
  if (p.end) out += `${nl}${String(p.end)}`;
  return out;
}

function subelements(rt: Render, v: unknown, subs: unknown, skipMissing: boolean): unknown[] {
  const items = isDict(v) ? Object.keys(v).map((k) => v[k]) : list(v, rt);
  const path = typeof subs === 'string' ? subs.split('.') : (list(subs, rt) as string[]);
  const out: unknown[] = [];
  for (const el of items) {
    let values: unknown = el;
    let missing = false;
    for (const p of path) {
      if (!isDict(values) || !Object.prototype.hasOwnProperty.call(values, p)) {
        if (skipMissing) {
          missing = true;
          break;
        }
        throw new TemplateError(`could not find '${p}' key in iterated item '${pyStr(el)}'`);
      }
      values = (values as Record<string, unknown>)[p];
    }
    if (missing) continue;
    if (!Array.isArray(values)) throw new TemplateError('the key %s should point to a list, got %r');
    for (const sub of values) out.push(tuple([el, sub]));
  }
  return out;
}

function product(lists: unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
}

function permutations(items: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  const out: unknown[][] = [];
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)], r - 1)) out.push([x, ...rest]);
  });
  return out;
}

function combinations(items: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  const out: unknown[][] = [];
  items.forEach((x, i) => {
    for (const rest of combinations(items.slice(i + 1), r - 1)) out.push([x, ...rest]);
  });
  return out;
}

function hashOf(algo: string, s: string): string {
  const map: Record<string, string> = { sha1: 'sha1', md5: 'md5', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', blake2b: 'blake2b512', blake2s: 'blake2s256', sha3_256: 'sha3-256', sha3_512: 'sha3-512' };
  const a = map[algo];
  if (!a) throw new TemplateError(`unsupported hash type ${algo}`);
  return createHash(a).update(Buffer.from(s, 'utf8')).digest('hex');
}

const UUID_NAMESPACE_ANSIBLE = '361e6d51-faec-444a-9079-341386da8e2e';
function uuid5(ns: string, name: string): string {
  const nsBytes = Buffer.from(ns.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(Buffer.concat([nsBytes, Buffer.from(name, 'utf8')])).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function setOp(rt: Render, a: unknown, b: unknown, op: 'union' | 'intersect' | 'difference' | 'symmetric_difference'): unknown[] {
  const la = list(a, rt);
  const lb = list(b, rt);
  const has = (l: unknown[], x: unknown) => l.some((y) => pyEq(x, y));
  switch (op) {
    case 'union': return uniq([...la, ...lb]);
    case 'intersect': return uniq(la.filter((x) => has(lb, x)));
    case 'difference': return uniq(la.filter((x) => !has(lb, x)));
    case 'symmetric_difference': {
      const u = uniq([...la, ...lb]);
      const i = uniq(la.filter((x) => has(lb, x)));
      return u.filter((x) => !has(i, x));
    }
  }
}

function extract(rt: Render, item: unknown, container: unknown, morekeys: unknown): unknown {
  let value = getItem(container, item, rt);
  if (value instanceof Undefined) value.fail();
  if (morekeys !== undefined && morekeys !== null) {
    const keys = Array.isArray(morekeys) ? morekeys : [morekeys];
    for (const k of keys) {
      value = getItem(value, k, rt);
      if (value instanceof Undefined) value.fail();
    }
  }
  return value;
}

function strftime(fmt: string, d: Date, utc: boolean): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const g = {
    Y: utc ? d.getUTCFullYear() : d.getFullYear(),
    m: (utc ? d.getUTCMonth() : d.getMonth()) + 1,
    d: utc ? d.getUTCDate() : d.getDate(),
    H: utc ? d.getUTCHours() : d.getHours(),
    M: utc ? d.getUTCMinutes() : d.getMinutes(),
    S: utc ? d.getUTCSeconds() : d.getSeconds(),
    w: utc ? d.getUTCDay() : d.getDay(),
  };
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  return fmt.replace(/%([a-zA-Z%])/g, (_m, c: string) => {
    switch (c) {
      case 'Y': return String(g.Y);
      case 'y': return pad(g.Y % 100);
      case 'm': return pad(g.m);
      case 'd': return pad(g.d);
      case 'H': return pad(g.H);
      case 'I': return pad(g.H % 12 || 12);
      case 'p': return g.H < 12 ? 'AM' : 'PM';
      case 'M': return pad(g.M);
      case 'S': return pad(g.S);
      case 'f': return pad((utc ? d.getUTCMilliseconds() : d.getMilliseconds()) * 1000, 6);
      case 'a': return days[g.w].slice(0, 3);
      case 'A': return days[g.w];
      case 'b': return months[g.m - 1].slice(0, 3);
      case 'B': return months[g.m - 1];
      case 'j': {
        const start = utc ? Date.UTC(g.Y, 0, 1) : new Date(g.Y, 0, 1).getTime();
        return pad(Math.floor((d.getTime() - start) / 86400000) + 1, 3);
      }
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'z': {
        if (utc) return '+0000';
        const off = -d.getTimezoneOffset();
        return (off >= 0 ? '+' : '-') + pad(Math.floor(Math.abs(off) / 60)) + pad(Math.abs(off) % 60);
      }
      case 'Z': return utc ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone;
      case 'u': return String(g.w === 0 ? 7 : g.w);
      case 'w': return String(g.w);
      case 'e': return String(g.d).padStart(2, ' ');
      case 'F': return `${g.Y}-${pad(g.m)}-${pad(g.d)}`;
      case 'T': return `${pad(g.H)}:${pad(g.M)}:${pad(g.S)}`;
      case '%': return '%';
    }
    return '%' + c;
  });
}

export const FILTERS: Record<string, Filter> = Object.assign(Object.create(null) as Record<string, Filter>, {
  // ---- defaults and types
  default: (v: unknown, args: Args, kw: Kw) => {
    const dflt = arg(args, kw, 0, 'default_value', '');
    const boolean = truthy(arg(args, kw, 1, 'boolean', false));
    if (v instanceof Undefined || (boolean && !truthy(v))) return dflt;
    return v;
  },
  mandatory: (v: unknown, args: Args, kw: Kw) => {
    if (v instanceof Undefined) {
      const msg = arg(args, kw, 0, 'msg', null);
      if (msg !== null) throw new TemplateError(str(msg));
      const m = /^'([^']*)' is undefined$/.exec(v.message);
      throw new TemplateError(`Mandatory variable ${m ? `'${m[1]}' ` : ''} not defined.`);
    }
    return v;
  },
  bool: (v: unknown) => toBool(v),
  int: (v: unknown, args: Args, kw: Kw) => toInt(v, arg(args, kw, 0, 'default', 0), arg(args, kw, 1, 'base', 10)),
  float: (v: unknown, args: Args, kw: Kw) => toFloat(v, arg(args, kw, 0, 'default', mkFloat(0))),
  string: (v: unknown) => str(v),
  list: (v: unknown, _a: Args, _k: Kw, rt: Render) => [...list(v, rt)],
  type_debug: (v: unknown) => (v instanceof Undefined ? 'AnsibleUndefined' : typeof v === 'string' ? 'str' : typeName(v)),
  abs: (v: unknown) => (isFloat(v) ? mkFloat(Math.abs(num(v))) : Math.abs(num(v))),
  round: (v: unknown, args: Args, kw: Kw) => {
    const precision = num(arg(args, kw, 0, 'precision', 0));
    const method = str(arg(args, kw, 1, 'method', 'common'));
    const f = 10 ** precision;
    const x = num(v) * f;
    let r: number;
    if (method === 'ceil') r = Math.ceil(x);
    else if (method === 'floor') r = Math.floor(x);
    else return mkFloat(pyRound(num(v), precision));
    return mkFloat(r / f);
  },
  // ---- strings
  lower: (v: unknown) => str(v).toLowerCase(),
  upper: (v: unknown) => str(v).toUpperCase(),
  capitalize: (v: unknown) => {
    const s = str(v);
    return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
  },
  // Jinja's do_title, not str.title(): only a word's first character (after whitespace, '-' or an opening bracket) is upper-cased
  title: (v: unknown) =>
    str(v)
      .split(/([-\s({[<]+)/)
      .filter((w) => w !== '')
      .map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
      .join(''),
  trim: (v: unknown, args: Args, kw: Kw) => {
    const chars = arg(args, kw, 0, 'chars', null);
    const s = str(v);
    if (chars === null) return s.replace(/^\s+|\s+$/g, '');
    const set = str(chars);
    let a = 0;
    let b = s.length;
    while (a < b && set.includes(s[a])) a++;
    while (b > a && set.includes(s[b - 1])) b--;
    return s.slice(a, b);
  },
  replace: (v: unknown, args: Args, kw: Kw) => {
    const s = str(v);
    const old = str(arg(args, kw, 0, 'old'));
    const rep = str(arg(args, kw, 1, 'new'));
    const count = arg(args, kw, 2, 'count', null);
    if (count === null) return old === '' ? Array.from(s).map((c) => rep + c).join('') + rep : s.replaceAll(old, rep);
    let out = s;
    let from = 0;
    for (let i = 0; i < num(count); i++) {
      const at = out.indexOf(old, from);
      if (at === -1) break;
      out = out.slice(0, at) + rep + out.slice(at + old.length);
      from = at + rep.length;
    }
    return out;
  },
  center: (v: unknown, args: Args, kw: Kw) => {
    const s = str(v);
    const w = num(arg(args, kw, 0, 'width', 80));
    const total = Math.max(0, w - s.length);
    const left = Math.floor(total / 2) + (total & w & 1);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  format: (v: unknown, args: Args, kw: Kw) => percentFormat(str(v), Object.keys(kw).length ? kw : tuple(args)),
  indent: (v: unknown, args: Args, kw: Kw) => indent(str(v), arg(args, kw, 0, 'width', 4), truthy(arg(args, kw, 1, 'first', false)), truthy(arg(args, kw, 2, 'blank', false))),
  truncate: (v: unknown, args: Args, kw: Kw) =>
    truncate(str(v), num(arg(args, kw, 0, 'length', 255)), truthy(arg(args, kw, 1, 'killwords', false)), str(arg(args, kw, 2, 'end', '...')), num(arg(args, kw, 3, 'leeway', 5))),
  wordcount: (v: unknown) => (str(v).match(/\w+/g) ?? []).length,
  wordwrap: (v: unknown, args: Args, kw: Kw) =>
    wordwrap(str(v), num(arg(args, kw, 0, 'width', 79)), truthy(arg(args, kw, 1, 'break_long_words', true)), str(arg(args, kw, 2, 'wrapstring', '\n')), truthy(arg(args, kw, 3, 'break_on_hyphens', true))),
  striptags: (v: unknown) => str(v).replace(/<!--.*?-->|<[^>]*>/gs, '').replace(/\s+/g, ' ').trim(),
  escape: (v: unknown) => (v instanceof Undefined ? v.fail() : escape(v)),
  e: (v: unknown) => (v instanceof Undefined ? v.fail() : escape(v)),
  forceescape: (v: unknown) => forceEscape(str(v)),
  safe: (v: unknown) => markSafe(str(v)),
  urlize: (v: unknown, args: Args, kw: Kw) => {
    const limit = arg(args, kw, 0, 'trim_url_limit', null);
    const relParts = new Set(String(prim(arg(args, kw, 3, 'rel', null)) ?? '').split(/\s+/).filter(Boolean));
    if (truthy(arg(args, kw, 1, 'nofollow', false))) relParts.add('nofollow');
    // Jinja's urlize.rel policy, which Ansible leaves at "noopener"
    relParts.add('noopener');
    const target = arg(args, kw, 2, 'target', null);
    const extra = arg(args, kw, 4, 'extra_schemes', null);
    return urlize(str(v), {
      trimUrlLimit: limit === null ? null : num(limit),
      rel: [...relParts].sort().join(' ') || null,
      target: target === null ? null : str(target),
      extraSchemes: extra === null ? [] : pyIter(extra, undefined as unknown as Render).map((x) => str(x)),
    });
  },
  urlencode: (v: unknown, _a: Args, _k: Kw, rt: Render) => {
    const quote = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    // Jinja's url_quote: '/' stays in a plain string; in a query string nothing is safe and a space is '+'
    const enc = (s: string) => quote(s).replace(/%2F/g, '/');
    const encQs = (x: unknown) => quote(str(x)).replace(/%20/g, '+');
    const p = prim(v);
    if (typeof p === 'string' || !(isDict(p) || Array.isArray(p))) return enc(str(v));
    const pairs: unknown[][] = isDict(p)
      ? Object.keys(p).map((k) => [k, p[k]])
      : p.map((item) => {
          // Python unpacks each item into (key, value)
          const it = prim(item);
          if (!(typeof it === 'string' || Array.isArray(it) || isDict(it))) throw new TemplateError(`cannot unpack non-iterable ${typeName(it)} object`);
          const seq = list(it, rt);
          if (seq.length > 2) throw new TemplateError('too many values to unpack (expected 2)');
          if (seq.length < 2) throw new TemplateError(`not enough values to unpack (expected 2, got ${seq.length})`);
          return seq;
        });
    return pairs.map(([k, x]) => `${encQs(k)}=${encQs(x)}`).join('&');
  },
  urldecode: (v: unknown) => decodeURIComponent(str(v).replace(/\+/g, ' ')),
  quote: (v: unknown) => shellQuote(v === null ? '' : str(v)),
  split: (v: unknown, args: Args, kw: Kw) => pySplit(str(v), arg(args, kw, 0, 'sep', null), arg(args, kw, 1, 'maxsplit', -1)),
  regex_replace: (v: unknown, args: Args, kw: Kw) => {
    for (const k of Object.keys(kw)) if (!['pattern', 'replacement', 'ignorecase', 'multiline'].includes(k)) throw new TemplateError(`regex_replace() got an unexpected keyword argument '${k}'`);
    return pySub(str(v), str(arg(args, kw, 0, 'pattern', '')), str(arg(args, kw, 1, 'replacement', '')), truthy(arg(args, kw, 2, 'ignorecase', false)), truthy(arg(args, kw, 3, 'multiline', false)), 0);
  },
  regex_search: (v: unknown, args: Args, kw: Kw) => regexSearch(str(v), str(args[0]), args.slice(1).map((a) => str(a)), truthy(kw.ignorecase ?? false), truthy(kw.multiline ?? false)),
  regex_findall: (v: unknown, args: Args, kw: Kw) => regexFindall(str(v), str(arg(args, kw, 0, 'regex')), truthy(arg(args, kw, 1, 'multiline', false)), truthy(arg(args, kw, 2, 'ignorecase', false))),
  regex_escape: (v: unknown, args: Args, kw: Kw) => regexEscape(str(v), str(arg(args, kw, 0, 're_type', 'python'))),
  comment: (v: unknown, args: Args, kw: Kw) => commentFilter(str(v), str(args[0] ?? kw.style ?? 'plain'), Object.fromEntries(Object.entries(kw).filter(([k]) => k !== 'style'))),
  b64encode: (v: unknown) => Buffer.from(str(v), 'utf8').toString('base64'),
  b64decode: (v: unknown) => b64decode(str(v)),
  to_uuid: (v: unknown, args: Args, kw: Kw) => uuid5(str(arg(args, kw, 0, 'namespace', UUID_NAMESPACE_ANSIBLE)), str(v)),
  md5: (v: unknown) => hashOf('md5', str(v)),
  sha1: (v: unknown) => hashOf('sha1', str(v)),
  checksum: (v: unknown) => hashOf('sha1', str(v)),
  hash: (v: unknown, args: Args, kw: Kw) => hashOf(str(arg(args, kw, 0, 'hashtype', 'sha1')), str(v)),
  password_hash: (v: unknown, args: Args, kw: Kw) => {
    const scheme = str(arg(args, kw, 0, 'hashtype', 'sha512'));
    let salt = arg(args, kw, 1, 'salt', null);
    const rounds = arg(args, kw, 3, 'rounds', null);
    if (salt === null) {
      const alphabet = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
      salt = Array.from(randomBytes(16)).map((b) => alphabet[b % 64]).join('');
    }
    const s = str(salt);
    switch (scheme) {
      // passlib (which Ansible uses) writes its default rounds explicitly
      case 'sha512': case 'sha512_crypt': return sha512Crypt(str(v), s, rounds === null ? 656000 : num(rounds));
      case 'sha256': case 'sha256_crypt': return sha256Crypt(str(v), s, rounds === null ? 535000 : num(rounds));
      case 'md5': case 'md5_crypt': return md5Crypt(str(v), s.slice(0, 8));
    }
    throw new TemplateError(`password_hash: unsupported hash type ${scheme}`);
  },
  // ---- paths
  basename: (v: unknown) => path.posix.basename(str(v)) === '' ? '' : str(v).endsWith('/') ? '' : path.posix.basename(str(v)),
  dirname: (v: unknown) => {
    const s = str(v);
    const i = s.lastIndexOf('/');
    if (i === -1) return '';
    const head = s.slice(0, i + 1);
    return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
  },
  expanduser: (v: unknown) => str(v).replace(/^~(?=$|\/)/, os.homedir()),
  expandvars: (v: unknown) => str(v).replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a, b) => process.env[a ?? b] ?? m),
  realpath: (v: unknown) => {
    try {
      return fs.realpathSync(path.resolve(str(v)));
    } catch {
      return path.resolve(str(v));
    }
  },
  relpath: (v: unknown, args: Args, kw: Kw) => path.relative(str(arg(args, kw, 0, 'start', process.cwd())), str(v)) || '.',
  splitext: (v: unknown) => {
    const s = str(v);
    const base = s.slice(s.lastIndexOf('/') + 1);
    const dot = base.lastIndexOf('.');
    if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return tuple([s, '']);
    const cut = s.length - base.length + dot;
    return tuple([s.slice(0, cut), s.slice(cut)]);
  },
  path_join: (v: unknown, _a: Args, _k: Kw, rt: Render) => {
    const parts = typeof prim(v) === 'string' ? [str(v)] : list(v, rt).map(str);
    let out = '';
    for (const p of parts) out = p.startsWith('/') ? p : out === '' || out.endsWith('/') ? out + p : out + '/' + p;
    return out;
  },
  win_basename: (v: unknown) => str(v).split(/[\\/]/).pop() ?? '',
  win_dirname: (v: unknown) => {
    const s = str(v);
    const i = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
    return i === -1 ? '' : s.slice(0, i);
  },
  fileglob: (v: unknown) => {
    const pattern = str(v);
    const dir = path.dirname(pattern);
    const re = new RegExp('^' + path.basename(pattern).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    try {
      return fs.readdirSync(dir).filter((f) => re.test(f)).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile()).sort();
    } catch {
      return [];
    }
  },
  // ---- lists
  length: (v: unknown) => length(v),
  count: (v: unknown) => length(v),
  first: (v: unknown, _a: Args, _k: Kw, rt: Render) => {
    const items = list(v, rt);
    return items.length ? items[0] : new Undefined(`No first item, sequence was empty.`);
  },
  last: (v: unknown, _a: Args, _k: Kw, rt: Render) => {
    const items = list(v, rt);
    return items.length ? items[items.length - 1] : new Undefined(`No last item, sequence was empty.`);
  },
  join: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const sep = str(arg(args, kw, 0, 'd', ''));
    const attribute = arg(args, kw, 1, 'attribute', null);
    let items = list(v, rt);
    if (attribute !== null) items = items.map(attrGetter(attribute, rt));
    return items.map((x) => str(x)).join(sep);
  },
  map: (v: unknown, args: Args, kw: Kw, rt: Render) => mapFilter(rt, v, args, kw),
  select: (v: unknown, args: Args, kw: Kw, rt: Render) => selectOrReject(rt, v, args, kw, true, false),
  reject: (v: unknown, args: Args, kw: Kw, rt: Render) => selectOrReject(rt, v, args, kw, false, false),
  selectattr: (v: unknown, args: Args, kw: Kw, rt: Render) => selectOrReject(rt, v, args, kw, true, true),
  rejectattr: (v: unknown, args: Args, kw: Kw, rt: Render) => selectOrReject(rt, v, args, kw, false, true),
  sort: (v: unknown, args: Args, kw: Kw, rt: Render) =>
    sortFilter(v, truthy(arg(args, kw, 0, 'reverse', false)), truthy(arg(args, kw, 1, 'case_sensitive', false)), arg(args, kw, 2, 'attribute', null), rt),
  dictsort: (v: unknown, args: Args, kw: Kw) =>
    dictsort(v, truthy(arg(args, kw, 0, 'case_sensitive', false)), str(arg(args, kw, 1, 'by', 'key')), truthy(arg(args, kw, 2, 'reverse', false))),
  reverse: (v: unknown, _a: Args, _k: Kw, rt: Render) => {
    if (typeof prim(v) === 'string') return Array.from(str(v)).reverse().join('');
    return [...list(v, rt)].reverse();
  },
  unique: (v: unknown, args: Args, kw: Kw, rt: Render) => uniq(list(v, rt), truthy(arg(args, kw, 0, 'case_sensitive', false)), arg(args, kw, 1, 'attribute', null), rt),
  union: (v: unknown, args: Args, _k: Kw, rt: Render) => setOp(rt, v, args[0], 'union'),
  intersect: (v: unknown, args: Args, _k: Kw, rt: Render) => setOp(rt, v, args[0], 'intersect'),
  difference: (v: unknown, args: Args, _k: Kw, rt: Render) => setOp(rt, v, args[0], 'difference'),
  symmetric_difference: (v: unknown, args: Args, _k: Kw, rt: Render) => setOp(rt, v, args[0], 'symmetric_difference'),
  flatten: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const levels = arg(args, kw, 0, 'levels', null);
    return flatten(list(v, rt), levels === null ? null : num(levels), truthy(arg(args, kw, 1, 'skip_nulls', true)));
  },
  min: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const items = list(v, rt);
    if (!items.length) return new Undefined('No aggregated item, sequence was empty.');
    const attr = kw.attribute;
    const key = attr === undefined ? (x: unknown) => x : attrGetter(attr, rt);
    return pyCompareSort(items, false, key)[0];
  },
  max: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const items = list(v, rt);
    if (!items.length) return new Undefined('No aggregated item, sequence was empty.');
    const attr = kw.attribute;
    const key = attr === undefined ? (x: unknown) => x : attrGetter(attr, rt);
    const sorted = pyCompareSort(items, false, key);
    // Python's max returns the first maximal element
    const top = key(sorted[sorted.length - 1]);
    return sorted.find((x) => pyEq(key(x), top));
  },
  sum: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const attribute = arg(args, kw, 0, 'attribute', null);
    let total = arg(args, kw, 1, 'start', 0);
    let items = list(v, rt);
    if (attribute !== null) items = items.map(attrGetter(attribute, rt));
    for (const x of items) total = pyAdd(total, x);
    return total;
  },
  batch: (v: unknown, args: Args, kw: Kw, rt: Render) => batch(rt, v, num(arg(args, kw, 0, 'linecount')), arg(args, kw, 1, 'fill_with', null)),
  slice: (v: unknown, args: Args, kw: Kw, rt: Render) => sliceFilter(rt, v, num(arg(args, kw, 0, 'slices')), arg(args, kw, 1, 'fill_with', null)),
  groupby: (v: unknown, args: Args, kw: Kw, rt: Render) => groupby(rt, v, arg(args, kw, 0, 'attribute'), arg(args, kw, 1, 'default', undefined)),
  zip: (v: unknown, args: Args, _k: Kw, rt: Render) => {
    const lists = [list(v, rt), ...args.map((a) => list(a, rt))];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => l[i])));
  },
  zip_longest: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const lists = [list(v, rt), ...args.map((a) => list(a, rt))];
    const n = Math.max(...lists.map((l) => l.length));
    const fill = kw.fillvalue ?? null;
    return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => (i < l.length ? l[i] : fill))));
  },
  product: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const base = [list(v, rt), ...args.map((a) => list(a, rt))];
    const repeat = kw.repeat === undefined ? 1 : num(kw.repeat);
    const lists: unknown[][] = [];
    for (let i = 0; i < repeat; i++) lists.push(...base);
    return product(lists).map((t) => tuple(t));
  },
  permutations: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const items = list(v, rt);
    const r = arg(args, kw, 0, 'r', null);
    return permutations(items, r === null ? items.length : num(r)).map((t) => tuple(t));
  },
  combinations: (v: unknown, args: Args, kw: Kw, rt: Render) => combinations(list(v, rt), num(arg(args, kw, 0, 'r'))).map((t) => tuple(t)),
  random: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const seed = kw.seed;
    const rnd = seed === undefined || seed === null ? null : pyRandom(isNumber(prim(seed)) ? num(seed) : str(seed));
    const below = (n: number) => (rnd ? rnd.randbelow(n) : Math.floor(Math.random() * n));
    const pv = prim(v);
    if (isNumber(pv)) {
      const start = num(arg(args, kw, 0, 'start', 0));
      const step = num(arg(args, kw, 1, 'step', 1));
      const end = num(pv);
      const n = Math.floor((end - start + step - 1) / step);
      if (n <= 0) throw new TemplateError('empty range for randrange()');
      return start + step * below(n);
    }
    const items = list(v, rt);
    if (!items.length) throw new TemplateError('Cannot choose from an empty sequence');
    return items[below(items.length)];
  },
  shuffle: (v: unknown, _a: Args, kw: Kw, rt: Render) => {
    const items = [...list(v, rt)];
    const rnd = kw.seed === undefined || kw.seed === null ? null : pyRandom(isNumber(prim(kw.seed)) ? num(kw.seed) : str(kw.seed));
    for (let i = items.length - 1; i > 0; i--) {
      const j = rnd ? rnd.randbelow(i + 1) : Math.floor(Math.random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  },
  // ---- dicts
  combine: (v: unknown, args: Args, kw: Kw) => {
    const recursive = truthy(kw.recursive ?? false);
    const listMerge = str(kw.list_merge ?? 'replace');
    for (const k of Object.keys(kw)) if (k !== 'recursive' && k !== 'list_merge') throw new TemplateError("'recursive' and 'list_merge' are the only valid keyword arguments");
    if (!['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'].includes(listMerge)) throw new TemplateError(`merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', 'append_rp' or 'prepend_rp'`);
    const dicts = flatten([v, ...args], 1, true).map(prim);
    for (const d of dicts) if (d instanceof Undefined) d.fail();
    if (!dicts.length) return {};
    if (dicts.length === 1) return dicts[0];
    let result = dicts[dicts.length - 1];
    for (let i = dicts.length - 2; i >= 0; i--) {
      const lower = dicts[i];
      if (!isDict(lower) || !isDict(result)) {
        throw new TemplateError(`failed to combine variables, expected dicts but got a '${typeName(lower)}' and a '${typeName(result)}': \n${pyStr(lower)}\n${pyStr(result)}`);
      }
      result = deepMergeHash(lower, result, recursive, listMerge);
    }
    return result;
  },
  dict2items: (v: unknown, args: Args, kw: Kw) => {
    if (!isDict(v)) throw new TemplateError(`dict2items requires a dictionary, got <class '${typeName(v)}'> instead.`);
    const kn = str(arg(args, kw, 0, 'key_name', 'key'));
    const vn = str(arg(args, kw, 1, 'value_name', 'value'));
    return Object.keys(v).map((k) => {
      const o: Record<string, unknown> = {};
      dictSet(o, kn, k);
      dictSet(o, vn, v[k]);
      return o;
    });
  },
  items2dict: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const kn = arg(args, kw, 0, 'key_name', 'key');
    const vn = arg(args, kw, 1, 'value_name', 'value');
    if (!Array.isArray(prim(v))) throw new TemplateError(`items2dict requires a list, got <class '${typeName(v)}'> instead.`);
    const out: Record<string, unknown> = {};
    for (const it of list(v, rt)) {
      // item[key_name]: works on dicts and, with integer names, on pairs
      if (!isDict(it) && !Array.isArray(it)) throw new TemplateError(`items2dict requires a list of dictionaries, got ${pyStr(v)} instead.`);
      const k = getItem(it, kn, rt);
      const val = getItem(it, vn, rt);
      if (k instanceof Undefined || val instanceof Undefined) throw new TemplateError(`items2dict requires each dictionary in the list to contain the keys '${pyStr(kn)}' and '${pyStr(vn)}', got ${pyStr(v)} instead.`);
      dictSet(out, str(k), val);
    }
    return out;
  },
  dict: (v: unknown, _a: Args, _k: Kw, rt: Render) => {
    const out: Record<string, unknown> = {};
    for (const pair of list(v, rt)) {
      const p = list(pair, rt);
      dictSet(out, str(p[0]), p[1]);
    }
    return out;
  },
  extract: (v: unknown, args: Args, kw: Kw, rt: Render) => extract(rt, v, arg(args, kw, 0, 'container'), arg(args, kw, 1, 'morekeys', null)),
  subelements: (v: unknown, args: Args, kw: Kw, rt: Render) => subelements(rt, v, arg(args, kw, 0, 'subelements'), truthy(arg(args, kw, 1, 'skip_missing', false))),
  rekey_on_member: (v: unknown, args: Args, kw: Kw, rt: Render) => {
    const key = str(arg(args, kw, 0, 'key'));
    const dup = str(arg(args, kw, 1, 'duplicates', 'error'));
    const out: Record<string, unknown> = {};
    const items = isDict(v) ? Object.keys(v).map((k) => v[k]) : list(v, rt);
    for (const it of items) {
      if (!isDict(it)) throw new TemplateError('List item is not a valid dict');
      if (!Object.prototype.hasOwnProperty.call(it, key)) throw new TemplateError(`Key ${key} was not found`);
      const k = str(it[key]);
      if (Object.prototype.hasOwnProperty.call(out, k) && dup === 'error') throw new TemplateError(`Key ${k} is not unique, cannot correctly turn into dict`);
      dictSet(out, k, it);
    }
    return out;
  },
  // Jinja's attr() reads attributes only, never items
  attr: (v: unknown, args: Args, _k: Kw, rt: Render) => {
    const name = str(args[0]);
    const m = isDict(v) || Array.isArray(v) || typeof v === 'string' ? pyMethodOf(v, name, rt) : undefined;
    return m ?? new Undefined(`${objDesc(v)} has no attribute '${name}'`);
  },
  items: (v: unknown) => {
    if (v instanceof Undefined) return [];
    if (!isDict(v)) throw new TemplateError(`Can only get item pairs from a mapping.`);
    return Object.keys(v).map((k) => tuple([k, v[k]]));
  },
  xmlattr: (v: unknown, args: Args, kw: Kw) => {
    if (!isDict(v)) return '';
    const parts = Object.keys(v)
      .filter((k) => v[k] !== null && !(v[k] instanceof Undefined))
      .map((k) => `${escape(k).valueOf()}="${escape(v[k]).valueOf()}"`);
    // Markup only under autoescape, which Ansible never turns on
    return parts.length && truthy(arg(args, kw, 0, 'autospace', true)) ? ' ' + parts.join(' ') : parts.join(' ');
  },
  // ---- data formats
  to_json: (v: unknown, args: Args, kw: Kw) =>
    jsonDumps(v, { indent: (kw.indent as number | undefined) ?? null, sortKeys: truthy(kw.sort_keys ?? false), ensureAscii: truthy(kw.ensure_ascii ?? true), separators: kw.separators as [string, string] | undefined }),
  to_nice_json: (v: unknown, args: Args, kw: Kw) =>
    jsonDumps(v, { indent: num(arg(args, kw, 0, 'indent', 4)), sortKeys: truthy(arg(args, kw, 1, 'sort_keys', true)), separators: [',', ': '], ensureAscii: truthy(kw.ensure_ascii ?? true) }),
  from_json: (v: unknown) => jsonLoads(str(v)),
  to_yaml: (v: unknown, args: Args, kw: Kw) => yamlDump(v, { flowLeaves: true, indent: kw.indent === undefined ? 2 : num(kw.indent), width: kw.width === undefined ? 80 : num(kw.width), sortKeys: truthy(kw.sort_keys ?? true) }),
  to_nice_yaml: (v: unknown, args: Args, kw: Kw) =>
    yamlDump(v, { flowLeaves: false, indent: num(arg(args, kw, 0, 'indent', 4)), width: kw.width === undefined ? 80 : num(kw.width), sortKeys: truthy(kw.sort_keys ?? true) }),
  from_yaml: (v: unknown) => (typeof prim(v) === 'string' ? yamlLoad(str(v)) : v),
  from_yaml_all: (v: unknown) => (typeof prim(v) === 'string' ? yamlLoadAll(str(v)) : v),
  // ---- math
  log: (v: unknown, args: Args) => mkFloat(args.length ? Math.log(num(v)) / Math.log(num(args[0])) : Math.log(num(v))),
  pow: (v: unknown, args: Args) => mkFloat(Math.pow(num(v), num(args[0]))),
  root: (v: unknown, args: Args) => {
    const base = args.length ? num(args[0]) : 2;
    return mkFloat(base === 2 ? Math.sqrt(num(v)) : Math.pow(num(v), 1 / base));
  },
  human_readable: (v: unknown, args: Args, kw: Kw) => humanReadable(num(toFloat(v)), truthy(arg(args, kw, 0, 'isbits', false)), (arg(args, kw, 1, 'unit', null) as string | null)),
  human_to_bytes: (v: unknown, args: Args, kw: Kw) => humanToBytes(v, arg(args, kw, 0, 'default_unit', null), truthy(arg(args, kw, 1, 'isbits', false))),
  // ---- misc
  ternary: (v: unknown, args: Args, kw: Kw) => {
    const t = arg(args, kw, 0, 'true_val');
    const f = arg(args, kw, 1, 'false_val');
    const noneVal = arg(args, kw, 2, 'none_val', null);
    if (v === null && noneVal !== null) return noneVal;
    return truthy(v) ? t : f;
  },
  urlsplit: (v: unknown, args: Args, kw: Kw) => urlsplit(str(v), str(arg(args, kw, 0, 'query', ''))),
  strftime: (v: unknown, args: Args, kw: Kw) => {
    const second = arg(args, kw, 0, 'second', null);
    const utc = truthy(arg(args, kw, 1, 'utc', false));
    const d = second === null ? new Date() : new Date(num(toFloat(second)) * 1000);
    return strftime(str(v), d, utc);
  },
  to_datetime: (v: unknown, args: Args, kw: Kw) => strptime(str(v), str(arg(args, kw, 0, 'format', '%Y-%m-%d %H:%M:%S'))),
  filesizeformat: (v: unknown, args: Args, kw: Kw) => {
    const binary = truthy(arg(args, kw, 0, 'binary', false));
    const bytes = num(toFloat(v));
    const base = binary ? 1024 : 1000;
    const prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    if (bytes === 1) return '1 Byte';
    if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
    let unit = base;
    let prefix = prefixes[0];
    for (let i = 0; i < prefixes.length; i++) {
      unit = base ** (i + 2);
      prefix = prefixes[i];
      if (bytes < unit) break;
    }
    return `${pyToFixed((base * bytes) / unit, 1)} ${prefix}`;
  },
  // Jinja's tojson: sorted keys, HTML-sensitive characters escaped
  tojson: (v: unknown, args: Args, kw: Kw) =>
    jsonDumps(v, { sortKeys: true, indent: (arg(args, kw, 0, 'indent', null) as number | null) ?? null })
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/'/g, '\\u0027'),
  unsafe: (v: unknown) => v,
  pprint: (v: unknown) => pyRepr(v),
  vault: () => {
    throw new TemplateError('vault filter is not supported');
  },
  unvault: () => {
    throw new TemplateError('unvault filter is not supported');
  },
});

FILTERS.d = FILTERS.default;
