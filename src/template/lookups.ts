/** Ansible's lookup plugins (ansible.builtin) for lookup()/query()/q() and with_<name> loops. */
import fs from 'node:fs';
import { decryptIfVaulted } from '../vault/index.js';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { TemplateError, isDict, tuple, prim, truthy, pyStr, num, Undefined, checkSize } from './values.js';
import { percentFormat } from './format.js';

export interface LookupContext {
  searchPath: string[];
  /** a variable's (templated) value, or undefined */
  getVar(name: string): unknown;
  hasVar(name: string): boolean;
  /** renders a template file's text with the current variables (lookup('template')) */
  renderTemplate(source: string, filePath: string, extraVars: Record<string, unknown>): string;
}

type Lookup = (terms: unknown[], kw: Record<string, unknown>, ctx: LookupContext) => unknown[];

export class LookupError extends TemplateError {}

function str(v: unknown): string {
  v = prim(v);
  if (v instanceof Undefined) v.fail();
  return typeof v === 'string' ? v : pyStr(v);
}

/** Where Ansible looks for a lookup's file: <dir>/<subdir>/<name>, then <dir>/<name>. */
export function findInSearchPath(ctx: LookupContext, subdir: string, name: string): string | null {
  if (path.isAbsolute(name)) return fs.existsSync(name) ? name : null;
  const dirs = ctx.searchPath.length ? ctx.searchPath : [process.cwd()];
  for (const d of dirs) {
    for (const cand of [path.join(d, subdir, name), path.join(d, name)]) {
      if (fs.existsSync(cand)) return cand;
    }
  }
  return null;
}

function flattenOnce(terms: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const t of terms) {
    const v = prim(t);
    if (Array.isArray(v)) out.push(...v.map(prim));
    else out.push(v);
  }
  return out;
}

function globToRegex(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|\\[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function runShell(cmd: string): { stdout: string; status: number } {
  try {
    const stdout = execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { stdout, status: 0 };
  } catch (e) {
    const err = e as { status?: number; stdout?: string };
    return { stdout: err.stdout ?? '', status: err.status ?? 1 };
  }
}

const PASSWORD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,:-_';

function parseKvTerm(term: string): { path: string; params: Record<string, string> } {
  const parts = term.split(/\s+/);
  const params: Record<string, string> = {};
  const first: string[] = [];
  for (const p of parts) {
    const m = /^(\w+)=(.*)$/.exec(p);
    if (m && first.length) params[m[1]] = m[2];
    else first.push(p);
  }
  return { path: first.join(' '), params };
}

const LOOKUP_TABLE: Record<string, Lookup> = {
  env: (terms, kw) => flattenOnce(terms).map((t) => process.env[str(t)] ?? (kw.default === undefined ? '' : kw.default)),
  file: (terms, kw, ctx) =>
    flattenOnce(terms).map((t) => {
      const p = findInSearchPath(ctx, 'files', str(t));
      if (!p || !fs.statSync(p).isFile()) throw new LookupError(`could not locate file in lookup: ${str(t)}`);
      let content = decryptIfVaulted(fs.readFileSync(p), p).toString('utf8');
      if (truthy(kw.lstrip ?? false)) content = content.replace(/^\s+/, '');
      if (truthy(kw.rstrip ?? true)) content = content.replace(/\s+$/, '');
      return content;
    }),
  template: (terms, kw, ctx) =>
    flattenOnce(terms).map((t) => {
      const p = findInSearchPath(ctx, 'templates', str(t));
      if (!p) throw new LookupError(`the template file ${str(t)} could not be found for the lookup`);
      const extra = isDict(kw.template_vars) ? kw.template_vars : {};
      return ctx.renderTemplate(decryptIfVaulted(fs.readFileSync(p), p).toString('utf8'), p, extra);
    }),
  pipe: (terms) =>
    flattenOnce(terms).map((t) => {
      const r = runShell(str(t));
      if (r.status !== 0) throw new LookupError(`lookup_plugin.pipe(${str(t)}) returned ${r.status}`);
      return r.stdout.replace(/\s+$/, '');
    }),
  lines: (terms) =>
    flattenOnce(terms).flatMap((t) => {
      const r = runShell(str(t));
      if (r.status !== 0) throw new LookupError(`lookup_plugin.lines(${str(t)}) returned ${r.status}`);
      return r.stdout.split(/\r?\n/).filter((l, i, arr) => !(i === arr.length - 1 && l === ''));
    }),
  vars: (terms, kw, ctx) =>
    flattenOnce(terms).map((t) => {
      const name = str(t);
      if (ctx.hasVar(name)) return ctx.getVar(name);
      if (kw.default !== undefined) return kw.default;
      throw new TemplateError(`No variable found with this name: ${name}`);
    }),
  items: (terms) => flattenOnce(terms),
  list: (terms) => terms.map(prim),
  indexed_items: (terms) => flattenOnce(terms).map((x, i) => tuple([i, x])),
  dict: (terms) =>
    terms.flatMap((t) => {
      const d = prim(t);
      if (!isDict(d)) throw new LookupError(`with_dict expects a dict`);
      return Object.keys(d).map((k) => ({ key: k, value: d[k] }));
    }),
  fileglob: (terms, _kw, ctx) =>
    flattenOnce(terms).flatMap((t) => {
      const term = str(t);
      const dirPart = path.dirname(term);
      const re = globToRegex(path.basename(term));
      const dirs = path.isAbsolute(term) ? [dirPart] : (ctx.searchPath.length ? ctx.searchPath : [process.cwd()]).flatMap((d) => [path.join(d, 'files', dirPart), path.join(d, dirPart)]);
      for (const d of dirs) {
        let names: string[];
        try {
          names = fs.readdirSync(d);
        } catch {
          continue;
        }
        const hits = names.filter((n) => re.test(n)).map((n) => path.join(d, n)).filter((f) => fs.statSync(f).isFile()).sort();
        if (hits.length) return hits;
      }
      return [];
    }),
  first_found: (terms, kw, ctx) => {
    const files: string[] = [];
    const paths: string[] = [];
    let skip = truthy(kw.skip ?? false);
    const addFiles = (v: unknown) => {
      for (const f of flattenOnce([v])) files.push(...str(f).split(/[,;]/).map((x) => x.trim()).filter(Boolean));
    };
    const addPaths = (v: unknown) => {
      for (const p of flattenOnce([v])) paths.push(...str(p).split(/[,:;]/).map((x) => x.trim()).filter(Boolean));
    };
    for (const t of flattenOnce(terms)) {
      if (isDict(t)) {
        if (t.files !== undefined) addFiles(t.files);
        if (t.paths !== undefined) addPaths(t.paths);
        if (t.skip !== undefined) skip = truthy(t.skip);
      } else addFiles(t);
    }
    if (kw.files !== undefined) addFiles(kw.files);
    if (kw.paths !== undefined) addPaths(kw.paths);
    for (const f of files) {
      const candidates = paths.length ? paths.map((p) => path.join(p, f)) : [f];
      for (const c of candidates) {
        const hit = findInSearchPath(ctx, 'files', c);
        if (hit) return [hit];
      }
    }
    if (skip) return [];
    throw new LookupError('No file was found when using first_found.');
  },
  password: (terms) =>
    flattenOnce(terms).map((t) => {
      const { path: p, params } = parseKvTerm(str(t));
      const length = params.length ? parseInt(params.length, 10) : 20;
      const chars = PASSWORD_CHARS;
      if (p !== '/dev/null' && fs.existsSync(p)) return fs.readFileSync(p, 'utf8').split('\n')[0].split(' salt=')[0];
      let pw = '';
      for (let i = 0; i < length; i++) pw += chars[randomInt(chars.length)];
      if (p !== '/dev/null') {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        const tmp = `${p}.tmp${process.pid}`;
        fs.writeFileSync(tmp, pw + '\n', { mode: 0o600 });
        fs.renameSync(tmp, p);
      }
      return pw;
    }),
  sequence: (terms, kw) =>
    flattenOnce(terms.length ? terms : ['']).flatMap((t) => {
      const params: Record<string, string> = {};
      const s = str(t).trim();
      const short = /^(\d+)(?:-(\d+))?(?:\/(\d+))?(?::(.+))?$/.exec(s);
      if (short) {
        params.start = short[2] !== undefined ? short[1] : '1';
        params.end = short[2] ?? short[1];
        if (short[3]) params.stride = short[3];
        if (short[4]) params.format = short[4];
      } else for (const part of s.split(/\s+/).filter(Boolean)) {
        const [k, v] = part.split('=');
        params[k] = v;
      }
      for (const k of Object.keys(kw)) params[k] = str(kw[k]);
      const start = parseInt(params.start ?? '1', 0 || 10);
      const stride = parseInt(params.stride ?? '1', 10);
      const end = params.count !== undefined ? start + (parseInt(params.count, 10) - 1) * stride : parseInt(params.end, 10);
      const fmt = params.format ?? '%d';
      if (stride !== 0) checkSize(Math.max(0, Math.floor((end - start) / stride) + 1), 'items', 'the sequence');
      const out: string[] = [];
      if (stride > 0) for (let i = start; i <= end; i += stride) out.push(percentFormat(fmt, i));
      else if (stride < 0) for (let i = start; i >= end; i += stride) out.push(percentFormat(fmt, i));
      return out;
    }),
  random_choice: (terms) => {
    const items = flattenOnce(terms);
    return items.length ? [items[randomInt(items.length)]] : [];
  },
  together: (terms) => {
    const lists = terms.map((t) => (Array.isArray(prim(t)) ? (prim(t) as unknown[]) : [prim(t)]));
    const n = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => lists.map((l) => (i < l.length ? l[i] : null)));
  },
  nested: (terms) => {
    const lists = terms.map((t) => (Array.isArray(prim(t)) ? (prim(t) as unknown[]) : [prim(t)]));
    return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
  },
  subelements: (terms) => {
    const [list, key] = terms.map(prim) as [unknown[], string];
    const out: unknown[] = [];
    for (const el of list ?? []) {
      const sub = isDict(el) ? el[key] : undefined;
      if (Array.isArray(sub)) for (const s of sub) out.push([el, s]);
    }
    return out;
  },
};

export const LOOKUPS: Record<string, Lookup> = Object.assign(Object.create(null) as Record<string, Lookup>, LOOKUP_TABLE);

export { num };
