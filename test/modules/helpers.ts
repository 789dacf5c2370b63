/**
 * Test support for the builtin modules: a ModuleContext over a real LocalConnection, scratch
 * directories, and a runner that puts the same module calls through real Ansible (one
 * ansible-playbook process per batch) so results can be compared field by field.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../../src/modules/types.js';

export const conn = new LocalConnection('localhost');

export interface CtxOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  env?: Record<string, string>;
  findFile?: ModuleContext['findFile'];
  renderTemplate?: ModuleContext['renderTemplate'];
}

export function makeCtx(opts: CtxOptions = {}): ModuleContext & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    conn,
    host: 'localhost',
    check: opts.check ?? false,
    diff: opts.diff ?? false,
    become: { become: false },
    env: opts.env ?? {},
    facts: {},
    vars: opts.vars ?? {},
    findFile: opts.findFile ?? ((_kind, name) => (name.startsWith('/') && existsSync(name) ? name : undefined)),
    renderTemplate:
      opts.renderTemplate ??
      ((source: string) => {
        throw new Error(`no template engine in this test: ${source.slice(0, 20)}`);
      }),
    warn: (m: string) => warnings.push(m),
    log: () => undefined,
    warnings,
  };
}

export async function scratch(prefix = 'tsplay-mod-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function cleanup(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** one scratch directory for ansible-playbook's side and one for tsplay's, removed after the test */
export async function twinScratch(t: TestContext): Promise<[string, string]> {
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  t.after(async () => {
    await cleanup(a);
    await cleanup(b);
  });
  return [a, b];
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

let ansibleProbe: Promise<boolean> | undefined;
/** true when ansible-playbook runs; under CI=true a missing Ansible fails the test instead of skipping it */
export async function requireAnsible(t: TestContext): Promise<boolean> {
  ansibleProbe ??= run('ansible-playbook', ['--version'], process.env).then((r) => r.code === 0);
  if (await ansibleProbe) return true;
  if (process.env.CI === 'true') throw new Error('ansible-playbook is required under CI=true but is not runnable');
  t.skip('ansible-playbook not available');
  return false;
}

export interface Case {
  name: string;
  module: string;
  args: Record<string, unknown>;
  check?: boolean;
}

/** runs the cases in order as one playbook against localhost; returns each task's result */
export async function runAnsible(cases: Case[], workDir: string, extraVars: Record<string, unknown> = {}): Promise<Record<string, ModuleResult>> {
  const play = [
    {
      hosts: 'all',
      gather_facts: false,
      vars: extraVars,
      tasks: cases.map((c) => ({
        name: c.name,
        [c.module]: c.args,
        ignore_errors: true,
        check_mode: c.check ?? false,
        diff: true,
      })),
    },
  ];
  const playbook = join(workDir, `playbook-${process.pid}-${Date.now()}.json`);
  await writeFile(playbook, JSON.stringify(play));
  const env = {
    ...process.env,
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_STDOUT_CALLBACK: 'json',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  };
  const res = await run('ansible-playbook', ['-i', 'localhost,', '-c', 'local', playbook], env);
  await rm(playbook, { force: true });
  const start = res.stdout.indexOf('{');
  if (start < 0) throw new Error(`ansible-playbook gave no JSON (rc ${res.code}): ${res.stderr}${res.stdout}`);
  const report = JSON.parse(res.stdout.slice(start)) as {
    plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, ModuleResult> }> }>;
  };
  const out: Record<string, ModuleResult> = {};
  for (const task of report.plays[0].tasks) {
    const r = task.hosts.localhost;
    delete r.invocation;
    delete r._ansible_no_log;
    delete r.ansible_facts;
    delete r.action;
    delete r._ansible_verbose_always;
    out[task.task.name] = r;
  }
  return out;
}

/** runs the same cases through tsplay's module definitions, in order */
export async function runTsplay(cases: Case[], modules: Record<string, ModuleDefinition>, ctxOpts: CtxOptions = {}): Promise<Record<string, ModuleResult>> {
  const out: Record<string, ModuleResult> = {};
  for (const c of cases) {
    const mod = modules[c.module];
    if (!mod) throw new Error(`no module ${c.module}`);
    const ctx = makeCtx({ ...ctxOpts, check: c.check ?? false, diff: true });
    const result = await mod.run(withDefaults(mod, c.args), ctx);
    if (ctx.warnings.length) result.warnings = [...((result.warnings as string[]) ?? []), ...ctx.warnings];
    out[c.name] = result;
  }
  return out;
}

/**
 * The argspec engine resolves aliases and fills defaults before run(); tests that call run()
 * directly do the minimal part of that here (aliases and defaults only, no type coercion).
 */
export function withDefaults(mod: ModuleDefinition, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const options = mod.spec.options ?? {};
  for (const [key, value] of Object.entries(args)) {
    const canonical =
      key in options ? key : Object.keys(options).find((name) => options[name].aliases?.includes(key)) ?? key;
    out[canonical] = value;
  }
  for (const [name, spec] of Object.entries(options)) {
    if (!(name in out)) out[name] = spec.default !== undefined ? structuredClone(spec.default) : null;
  }
  return out;
}

/** deep-replaces every occurrence of `from` in strings and object keys */
export function replaceIn<T>(value: T, from: string, to: string): T {
  if (typeof value === 'string') return value.split(from).join(to) as T;
  if (Array.isArray(value)) return value.map((v) => replaceIn(v, from, to)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.split(from).join(to), replaceIn(v, from, to)])) as T;
  }
  return value;
}

/** removes the named keys at any depth (timestamps and other per-run values) */
export function without<T>(value: T, keys: string[]): T {
  if (Array.isArray(value)) return value.map((v) => without(v, keys)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !keys.includes(k))
        .map(([k, v]) => [k, without(v, keys)]),
    ) as T;
  }
  return value;
}
