/** Jinja2's built-in tests and Ansible's (ansible.builtin) tests. */
import fs from 'node:fs';
import path from 'node:path';
import { TemplateError, Undefined, isDict, isTuple, truthy, pyEq, prim, isNumber, isInt, isFloat, num, pyCompare, pyIn, isCallable, pyStr, Markup } from './values.js';
import { pyRegex } from './regex.js';
import { pyIter } from './access.js';
import type { Render, Test } from './runtime.js';
import { compareVersions } from './version.js';

type Args = unknown[];
type Kw = Record<string, unknown>;

function a(args: Args, kw: Kw, i: number, name: string, dflt?: unknown): unknown {
  if (i < args.length) return args[i];
  if (Object.prototype.hasOwnProperty.call(kw, name)) return kw[name];
  return dflt;
}

function defined(v: unknown): boolean {
  return !(v instanceof Undefined);
}

function str(v: unknown): string {
  v = prim(v);
  if (v instanceof Undefined) v.fail();
  return typeof v === 'string' ? v : pyStr(v);
}

function regexTest(v: unknown, args: Args, kw: Kw, mode: 'match' | 'search' | 'fullmatch'): boolean {
  const pattern = str(a(args, kw, 0, 'pattern'));
  const re = pyRegex(pattern, { ignorecase: truthy(a(args, kw, 1, 'ignorecase', false)), multiline: truthy(a(args, kw, 2, 'multiline', false)) });
  const s = str(v);
  if (mode === 'search') return re.test(s);
  const anchored = pyRegex(mode === 'match' ? `^(?:${pattern})` : `^(?:${pattern})$`, {
    ignorecase: truthy(a(args, kw, 1, 'ignorecase', false)),
    multiline: false,
  });
  return anchored.test(s);
}

function resultDict(v: unknown, test: string): Record<string, unknown> {
  v = prim(v);
  if (!isDict(v)) throw new TemplateError(`The '${test}' test expects a dictionary`);
  return v;
}

function isFailed(v: unknown): boolean {
  const r = resultDict(v, 'failed');
  return truthy(r.failed ?? false);
}

const isSequenceLike = (v: unknown) => Array.isArray(v) || typeof v === 'string' || isDict(v);

export const TESTS: Record<string, Test> = Object.assign(Object.create(null) as Record<string, Test>, {
  defined: (v: unknown) => defined(v),
  undefined: (v: unknown) => !defined(v),
  none: (v: unknown) => v === null,
  boolean: (v: unknown) => typeof v === 'boolean',
  false: (v: unknown) => v === false,
  true: (v: unknown) => v === true,
  integer: (v: unknown) => isInt(v),
  float: (v: unknown) => isFloat(v),
  number: (v: unknown) => isNumber(v) || typeof v === 'boolean',
  string: (v: unknown) => typeof prim(v) === 'string',
  mapping: (v: unknown) => isDict(prim(v)),
  sequence: (v: unknown) => isSequenceLike(prim(v)),
  iterable: (v: unknown) => isSequenceLike(prim(v)),
  callable: (v: unknown) => isCallable(v),
  sameas: (v: unknown, args: Args) => v === args[0] || (v === null && args[0] === null),
  escaped: (v: unknown) => v instanceof Markup,
  // Ansible resolves the name as a plugin, so an unknown name is an error rather than False
  filter: (v: unknown, _a: Args, _k: Kw, rt: Render) => pluginExists(rt.host.filters, v),
  test: (v: unknown, _a: Args, _k: Kw, rt: Render) => pluginExists(rt.host.tests, v),
  lower: (v: unknown) => str(v) === str(v).toLowerCase(),
  upper: (v: unknown) => str(v) === str(v).toUpperCase(),
  odd: (v: unknown) => num(v) % 2 !== 0,
  even: (v: unknown) => num(v) % 2 === 0,
  divisibleby: (v: unknown, args: Args) => num(v) % num(args[0]) === 0,
  eq: (v: unknown, args: Args) => pyEq(v, args[0]),
  equalto: (v: unknown, args: Args) => pyEq(v, args[0]),
  '==': (v: unknown, args: Args) => pyEq(v, args[0]),
  ne: (v: unknown, args: Args) => !pyEq(v, args[0]),
  '!=': (v: unknown, args: Args) => !pyEq(v, args[0]),
  lt: (v: unknown, args: Args) => pyCompare(v, args[0], '<') < 0,
  lessthan: (v: unknown, args: Args) => pyCompare(v, args[0], '<') < 0,
  '<': (v: unknown, args: Args) => pyCompare(v, args[0], '<') < 0,
  le: (v: unknown, args: Args) => pyCompare(v, args[0], '<=') <= 0,
  '<=': (v: unknown, args: Args) => pyCompare(v, args[0], '<=') <= 0,
  gt: (v: unknown, args: Args) => pyCompare(v, args[0], '>') > 0,
  greaterthan: (v: unknown, args: Args) => pyCompare(v, args[0], '>') > 0,
  '>': (v: unknown, args: Args) => pyCompare(v, args[0], '>') > 0,
  ge: (v: unknown, args: Args) => pyCompare(v, args[0], '>=') >= 0,
  '>=': (v: unknown, args: Args) => pyCompare(v, args[0], '>=') >= 0,
  in: (v: unknown, args: Args) => pyIn(v, args[0]),
  // ---- Ansible
  match: (v: unknown, args: Args, kw: Kw) => regexTest(v, args, kw, 'match'),
  search: (v: unknown, args: Args, kw: Kw) => regexTest(v, args, kw, 'search'),
  regex: (v: unknown, args: Args, kw: Kw) => {
    const mt = str(a(args, kw, 3, 'match_type', 'search'));
    if (mt !== 'match' && mt !== 'search' && mt !== 'fullmatch') throw new TemplateError(`Invalid match type ${mt}`);
    return regexTest(v, args, kw, mt);
  },
  version: (v: unknown, args: Args, kw: Kw) => compareVersions(v, a(args, kw, 0, 'version'), a(args, kw, 1, 'operator', 'eq'), a(args, kw, 2, 'strict', false), a(args, kw, 3, 'version_type', null)),
  version_compare: (v: unknown, args: Args, kw: Kw) => compareVersions(v, a(args, kw, 0, 'version'), a(args, kw, 1, 'operator', 'eq'), a(args, kw, 2, 'strict', false), a(args, kw, 3, 'version_type', null)),
  subset: (v: unknown, args: Args, _kw: Kw, rt: Render) => {
    const big = pyIter(args[0], rt);
    return pyIter(v, rt).every((x) => big.some((y) => pyEq(x, y)));
  },
  issubset: (v: unknown, args: Args, kw: Kw, rt: Render) => TESTS.subset(v, args, kw, rt),
  superset: (v: unknown, args: Args, _kw: Kw, rt: Render) => {
    const mine = pyIter(v, rt);
    return pyIter(args[0], rt).every((x) => mine.some((y) => pyEq(x, y)));
  },
  issuperset: (v: unknown, args: Args, kw: Kw, rt: Render) => TESTS.superset(v, args, kw, rt),
  contains: (v: unknown, args: Args) => pyIn(args[0], v),
  any: (v: unknown, _a: Args, _k: Kw, rt: Render) => pyIter(v, rt).some(truthy),
  all: (v: unknown, _a: Args, _k: Kw, rt: Render) => pyIter(v, rt).every(truthy),
  truthy: (v: unknown, args: Args, kw: Kw) => (truthy(a(args, kw, 0, 'convert_bool', false)) ? truthyConvert(v) : truthy(v)),
  falsy: (v: unknown, args: Args, kw: Kw) => !(truthy(a(args, kw, 0, 'convert_bool', false)) ? truthyConvert(v) : truthy(v)),
  nan: (v: unknown) => isNumber(v) && Number.isNaN(num(v)),
  isnan: (v: unknown) => isNumber(v) && Number.isNaN(num(v)),
  failed: (v: unknown) => isFailed(v),
  failure: (v: unknown) => isFailed(v),
  succeeded: (v: unknown) => !isFailed(v),
  success: (v: unknown) => !isFailed(v),
  successful: (v: unknown) => !isFailed(v),
  changed: (v: unknown) => {
    const r = resultDict(v, 'changed');
    if (!('changed' in r)) {
      if (Array.isArray(r.results)) return r.results.some((x) => isDict(x) && truthy(x.changed ?? false));
      return false;
    }
    return truthy(r.changed);
  },
  change: (v: unknown, args: Args, kw: Kw, rt: Render) => TESTS.changed(v, args, kw, rt),
  skipped: (v: unknown) => truthy(resultDict(v, 'skipped').skipped ?? false),
  skip: (v: unknown) => truthy(resultDict(v, 'skipped').skipped ?? false),
  finished: (v: unknown) => {
    const r = resultDict(v, 'finished');
    return 'finished' in r ? truthy(r.finished) : true;
  },
  started: (v: unknown) => {
    const r = resultDict(v, 'started');
    return 'started' in r ? truthy(r.started) : true;
  },
  unreachable: (v: unknown) => truthy(resultDict(v, 'unreachable').unreachable ?? false),
  reachable: (v: unknown) => !truthy(resultDict(v, 'reachable').unreachable ?? false),
  abs: (v: unknown) => path.isAbsolute(str(v)),
  is_abs: (v: unknown) => path.isAbsolute(str(v)),
  exists: (v: unknown) => fs.existsSync(str(v).replace(/^~(?=$|\/)/, process.env.HOME ?? '~')),
  file: (v: unknown) => statOk(str(v), (s) => s.isFile()),
  is_file: (v: unknown) => statOk(str(v), (s) => s.isFile()),
  directory: (v: unknown) => statOk(str(v), (s) => s.isDirectory()),
  is_dir: (v: unknown) => statOk(str(v), (s) => s.isDirectory()),
  link: (v: unknown) => {
    try {
      return fs.lstatSync(str(v)).isSymbolicLink();
    } catch {
      return false;
    }
  },
  is_link: (v: unknown, args: Args, kw: Kw, rt: Render) => TESTS.link(v, args, kw, rt),
  link_exists: (v: unknown) => {
    try {
      fs.lstatSync(str(v));
      return true;
    } catch {
      return false;
    }
  },
  mount: (v: unknown) => {
    try {
      const p = str(v);
      const st = fs.statSync(p);
      const parent = fs.statSync(path.join(p, '..'));
      return st.dev !== parent.dev || st.ino === parent.ino;
    } catch {
      return false;
    }
  },
  is_mount: (v: unknown, args: Args, kw: Kw, rt: Render) => TESTS.mount(v, args, kw, rt),
  same_file: (v: unknown, args: Args) => {
    try {
      const x = fs.statSync(str(v));
      const y = fs.statSync(str(args[0]));
      return x.dev === y.dev && x.ino === y.ino;
    } catch {
      return false;
    }
  },
  uri: (v: unknown, args: Args, kw: Kw) => {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(str(v));
    const schemes = a(args, kw, 0, 'schemes', null) as unknown[] | null;
    return !!m && (schemes === null || schemes.some((x) => pyEq(x, m[1])));
  },
  url: (v: unknown, args: Args, kw: Kw) => {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]+)/.exec(str(v));
    const schemes = a(args, kw, 0, 'schemes', null) as unknown[] | null;
    return !!m && (schemes === null || schemes.some((x) => pyEq(x, m[1])));
  },
  urn: (v: unknown) => /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:/i.test(str(v)),
  vault_encrypted: (v: unknown) => typeof prim(v) === 'string' && str(v).startsWith('$ANSIBLE_VAULT;'),
  vaulted_file: () => false,
});

function pluginExists(table: Record<string, unknown>, v: unknown): boolean {
  if (typeof prim(v) !== 'string') return false;
  const name = str(v).replace(/^ansible\.builtin\./, '');
  if (!Object.prototype.hasOwnProperty.call(table, name)) throw new TemplateError(`Could not load "${name}": '${name}'`);
  return true;
}

function statOk(p: string, pred: (s: fs.Stats) => boolean): boolean {
  try {
    return pred(fs.statSync(p));
  } catch {
    return false;
  }
}

function truthyConvert(v: unknown): boolean {
  v = prim(v);
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['yes', 'on', '1', 'true', 't', 'y'].includes(s)) return true;
    if (['no', 'off', '0', 'false', 'f', 'n', ''].includes(s)) return false;
  }
  if (isTuple(v)) return truthy(v);
  return truthy(v);
}
