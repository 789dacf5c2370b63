/** The `version` test: LooseVersion / StrictVersion / semantic version ordering. */
import { TemplateError, prim, pyStr, pyCompare, truthy, isDict } from './values.js';

const OPS: Record<string, string> = { '==': 'eq', '=': 'eq', eq: 'eq', '<': 'lt', lt: 'lt', '<=': 'le', le: 'le', '>': 'gt', gt: 'gt', '>=': 'ge', ge: 'ge', '!=': 'ne', '<>': 'ne', ne: 'ne' };

function looseParts(v: string): unknown[] {
  return v
    .split(/(\d+|[a-z]+|\.)/i)
    .filter((c) => c && c !== '.')
    .map((c) => (/^\d+$/.test(c) ? parseInt(c, 10) : c));
}

function strictParts(v: string): unknown[] {
  const m = /^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$/.exec(v);
  if (!m) throw new TemplateError(`Version comparison failed: invalid version number '${v}'`);
  const nums = [parseInt(m[1], 10), parseInt(m[2], 10), m[4] ? parseInt(m[4], 10) : 0];
  // a release without prerelease sorts after any prerelease of it
  const pre = m[5] ? [0, m[5][0], parseInt(m[6], 10)] : [1];
  return [nums, pre];
}

function semverCompare(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
    if (!m) throw new TemplateError(`Version comparison failed: invalid semantic version '${v}'`);
    return { core: [+m[1], +m[2], +m[3]], pre: m[4] ? m[4].split('.') : [] };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i] - y.core[i];
  if (!x.pre.length || !y.pre.length) return (x.pre.length ? -1 : 0) - (y.pre.length ? -1 : 0);
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return +p - +q;
    if (pn) return -1;
    if (qn) return 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}

export function compareVersions(value: unknown, version: unknown, operator: unknown, strict: unknown, versionType: unknown): boolean {
  const op = OPS[String(prim(operator))];
  if (!op) throw new TemplateError(`Invalid operator type (${pyStr(operator)}). Must be one of ${Object.keys(OPS).map((k) => `'${k}'`).join(', ')}`);
  const v = prim(value);
  const w = prim(version);
  if (v === null || v === '' || v === false || isDict(v)) throw new TemplateError('Input version value cannot be empty');
  if (w === null || w === '' || w === false) throw new TemplateError('Version parameter to compare against cannot be empty');
  const a = pyStr(v);
  const b = pyStr(w);
  let c: number;
  const type = versionType === null || versionType === undefined ? (truthy(strict ?? false) ? 'strict' : 'loose') : String(prim(versionType));
  try {
    if (type === 'loose') c = pyCompare(looseParts(a), looseParts(b), '<');
    else if (type === 'strict') c = pyCompare(strictParts(a), strictParts(b), '<');
    else if (type === 'semver' || type === 'semantic') c = semverCompare(a, b);
    else if (type === 'pep440') c = pyCompare(looseParts(a), looseParts(b), '<');
    else throw new TemplateError(`Invalid version type (${type}). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'`);
  } catch (e) {
    if (e instanceof TemplateError && e.message.startsWith('Version comparison failed')) throw e;
    throw new TemplateError(`Version comparison failed: ${(e as Error).message}`);
  }
  switch (op) {
    case 'eq': return c === 0;
    case 'ne': return c !== 0;
    case 'lt': return c < 0;
    case 'le': return c <= 0;
    case 'gt': return c > 0;
    default: return c >= 0;
  }
}
