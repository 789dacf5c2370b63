/**
 * Real-world argument specs (test/argspec/realworld/*.yml, sources in SOURCES.md, plus the
 * project's own roles) with sample role calls derived from each spec: no params, well-typed
 * params, params in the forms Ansible coerces, wrongly typed params plus an unknown one.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../support/services.js';
import type { ParityCase, PlayVars } from './oracle.js';

/** variables the templates inside these specs refer to */
export const REALWORLD_PLAY_VARS: PlayVars = {
  ansible_env: { HOME: '/root' },
  ansible_user_id: 'root',
  postgres_major_ver: 15,
};

/** what the TS side adds to the play vars: Ansible's magic variables the specs use */
export const REALWORLD_MAGIC_VARS: PlayVars = { inventory_hostname: 'localhost' };

const ROLE_KEYWORDS = new Set(['name', 'role', 'vars', 'when', 'tags', 'become', 'become_user', 'become_method', 'environment', 'connection', 'delegate_to', 'ignore_errors', 'no_log', 'port', 'remote_user', 'run_once', 'timeout', 'collections', 'debugger', 'diff', 'check_mode', 'throttle', 'module_defaults', 'any_errors_fatal', 'ignore_unreachable', 'delegate_facts', 'become_exe', 'become_flags']);

type Option = Record<string, unknown> & { type?: string; elements?: string; options?: Record<string, Option>; choices?: unknown[] };

function goodValue(opt: Option, depth = 0): unknown {
  if (Array.isArray(opt.choices) && opt.choices.length) {
    return opt.type === 'list' ? [opt.choices[0]] : opt.choices[0];
  }
  switch (opt.type ?? 'str') {
    case 'int':
      return 3;
    case 'float':
      return 1.5;
    case 'bool':
      return true;
    case 'list':
      if (opt.elements === 'dict') return opt.options && depth < 3 ? [goodDict(opt.options, depth + 1)] : [{}];
      return opt.elements === 'int' ? [1, 2] : ['a', 'b'];
    case 'dict':
      return opt.options && depth < 3 ? goodDict(opt.options, depth + 1) : { key: 'value' };
    case 'raw':
      return 'anything';
    case 'path':
      return '/tmp/x';
    case 'bytes':
      return '1M';
    default:
      return 'text';
  }
}

function goodDict(options: Record<string, Option>, depth: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([k, o]) => [k, goodValue(o ?? {}, depth)]));
}

/** the forms Ansible converts: "7" for int, "yes" for bool, "a,b" for list, k=v for dict */
function coercibleValue(opt: Option): unknown {
  if (Array.isArray(opt.choices) && opt.choices.length) return opt.choices[opt.choices.length - 1];
  switch (opt.type ?? 'str') {
    case 'int':
      return '7';
    case 'float':
      return '2.5';
    case 'bool':
      return 'yes';
    case 'list':
      return opt.elements === 'dict' ? 'name=a' : 'a,b';
    case 'dict':
      return 'key=value';
    default:
      return 42;
  }
}

function badValue(opt: Option): unknown {
  switch (opt.type ?? 'str') {
    case 'int':
      return 'not-a-number';
    case 'float':
      return 'x1.5';
    case 'bool':
      return 'maybe';
    case 'list':
      return opt.elements === 'dict' ? ['not-a-dict', { unknown_sub_option: 1 }] : { not: 'a list' };
    case 'dict':
      return ['a', 'list'];
    case 'bytes':
      return 'lots';
    default:
      return Array.isArray(opt.choices) ? 'not-a-choice' : ['a', 'list'];
  }
}

function mainOptions(text: string): Record<string, Option> {
  const doc = parse(text, { version: '1.1' }) as { argument_specs?: { main?: { options?: Record<string, Option> } } } | null;
  return doc?.argument_specs?.main?.options ?? {};
}

interface SpecSource {
  name: string;
  text: string;
}

export function realworldSources(): SpecSource[] {
  const dir = join(repoRoot(), 'test', 'argspec', 'realworld');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml')).sort();
  const sources = files.map((f) => ({ name: f.replace(/\.yml$/u, ''), text: readFileSync(join(dir, f), 'utf8') }));
  for (const role of ['pip-mirrors', 'pip-client', 'docker']) {
    const path = join(repoRoot(), 'roles', role, 'meta', 'argument_specs.yaml');
    if (existsSync(path)) sources.push({ name: `tsplay-${role}`, text: readFileSync(path, 'utf8') });
  }
  return sources;
}

export function realworldCases(): ParityCase[] {
  const cases: ParityCase[] = [];
  for (const src of realworldSources()) {
    const options = mainOptions(src.text);
    const names = Object.keys(options);
    const id = src.name.replace(/[^A-Za-z0-9]+/gu, '_');
    // role keywords cannot be passed as params; odd names (dots, colons) are left to the defaults
    const pick = (f: (o: Option) => unknown): Record<string, unknown> =>
      Object.fromEntries(names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/u.test(n) && !ROLE_KEYWORDS.has(n)).map((n) => [n, f(options[n] ?? {})]));
    cases.push({ id: `${id}__none`, specText: src.text, params: {} });
    cases.push({ id: `${id}__good`, specText: src.text, params: pick((o) => goodValue(o)) });
    cases.push({ id: `${id}__coercible`, specText: src.text, params: pick(coercibleValue) });
    cases.push({ id: `${id}__bad`, specText: src.text, params: { ...pick(badValue), tsplay_unknown_param: 1 } });
  }
  return cases;
}
