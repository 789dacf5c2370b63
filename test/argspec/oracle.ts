/**
 * Ansible as the oracle for role argument validation: builds one role per case (its spec in
 * meta/argument_specs.yml), runs them all in one play through real ansible-playbook (each
 * `roles:` entry with ignore_errors, so one failure does not stop the rest) with the
 * ansible.posix.json callback, and reads each validation task's result. The same roles are then
 * validated by tsplay's argspec code, from the same files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pyJsonDumps } from '../../src/argspec/python.js';
import {
  loadRoleArgumentSpecs,
  providedArguments,
  validateRoleArguments,
  hasEntryPoint,
  type RoleArgSpecs,
} from '../../src/argspec/index.js';
import { runAnsiblePlaybook } from '../support/services.js';

export interface ParityCase {
  id: string;
  /** the entry point's options */
  spec?: Record<string, unknown>;
  /** the whole entry point, when the case is about entry-level keys */
  entry?: unknown;
  /** inline role params (a `roles:` entry's keys) */
  params?: Record<string, unknown>;
  /** variables visible to the role (the `vars:` keyword of the roles entry) */
  vars?: Record<string, unknown>;
  /** true when tsplay rejects the spec file itself (Ansible must fail the call too) */
  malformed?: boolean;
  /** a whole argument spec file, written verbatim (real-world specs); `spec`/`entry` are then unused */
  specText?: string;
}

/** variables every play of a run defines (templates inside real-world specs refer to them) */
export type PlayVars = Record<string, unknown>;

export interface Verdict {
  /** a validation task ran */
  validated: boolean;
  failed: boolean;
  /** argument_errors, in Ansible's order */
  errors: string[];
  /** msg of a failure that has no argument_errors (Ansible crashed inside the validator) */
  crash?: string;
}

export function roleNameOf(c: ParityCase): string {
  return `case_${c.id.replace(/[^A-Za-z0-9_]/gu, '_')}`;
}

/** Writes roles/<case>/meta/argument_specs.yml for each case, and site.yml running them all. */
export async function buildCaseRoles(dir: string, cases: ParityCase[], playVars: PlayVars = {}): Promise<string> {
  const shared: string[] = [];
  const ownPlays: string[] = [];
  for (const c of cases) {
    const role = roleNameOf(c);
    await mkdir(join(dir, 'roles', role, 'meta'), { recursive: true });
    const entry = c.entry !== undefined ? c.entry : { short_description: `case ${c.id}`, options: c.spec ?? {} };
    const specText = c.specText ?? `argument_specs:\n  main: ${pyJsonDumps(entry)}\n`;
    await writeFile(join(dir, 'roles', role, 'meta', 'argument_specs.yml'), specText);
    const call: Record<string, unknown> = { role, ignore_errors: true, ...(c.params ?? {}) };
    if (c.vars) {
      // in 2.14 a roles entry's `vars:` are exported to the whole play, so such a case gets a play of its own
      call.vars = c.vars;
      ownPlays.push(play([`    - ${pyJsonDumps(call)}`], playVars));
    } else shared.push(`    - ${pyJsonDumps(call)}`);
  }
  const playbook = join(dir, 'site.yml');
  await writeFile(playbook, [play(shared, playVars), ...ownPlays].join(''));
  return playbook;
}

function play(roleEntries: string[], playVars: PlayVars): string {
  const vars = Object.keys(playVars).length ? `  vars: ${pyJsonDumps(playVars)}\n` : '';
  return `- hosts: localhost\n  gather_facts: false\n${vars}  roles:\n${roleEntries.join('\n')}\n`;
}

interface JsonCallbackOutput {
  plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }>;
}

/** Runs the cases through ansible-playbook; one verdict per case id. */
export async function ansibleVerdicts(dir: string, cases: ParityCase[], playVars: PlayVars = {}): Promise<Record<string, Verdict>> {
  const playbook = await buildCaseRoles(dir, cases, playVars);
  const run = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', playbook], {
    cwd: dir,
    env: { ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json', ANSIBLE_ROLES_PATH: join(dir, 'roles') },
    timeoutMs: 600_000,
  });
  let output: JsonCallbackOutput;
  try {
    output = JSON.parse(run.stdout) as JsonCallbackOutput;
  } catch {
    throw new Error(`ansible-playbook did not print JSON (exit ${run.code}):\n${run.stdout.slice(0, 2000)}\n${run.stderr.slice(0, 2000)}`);
  }
  const byRole = new Map<string, Verdict>();
  for (const play of output.plays) {
    for (const task of play.tasks) {
      const m = /^(\S+) : Validating arguments against arg spec /u.exec(task.task.name);
      if (!m) continue;
      const result = task.hosts.localhost ?? {};
      const errors = Array.isArray(result.argument_errors) ? (result.argument_errors as string[]) : [];
      const failed = result.failed === true;
      const verdict: Verdict = { validated: true, failed, errors };
      if (failed && !Array.isArray(result.argument_errors)) verdict.crash = String(result.msg ?? '');
      byRole.set(m[1], verdict);
    }
  }
  const out: Record<string, Verdict> = {};
  for (const c of cases) out[c.id] = byRole.get(roleNameOf(c)) ?? { validated: false, failed: false, errors: [] };
  return out;
}

/** The same cases through tsplay, reading the role files buildCaseRoles wrote. */
/** renders templates in a value with the given variables (the project's templar) */
export type Render = (value: unknown, vars: Record<string, unknown>) => unknown;

export async function tsplayVerdicts(dir: string, cases: ParityCase[], playVars: PlayVars = {}, render?: Render): Promise<Record<string, Verdict>> {
  const out: Record<string, Verdict> = {};
  for (const c of cases) {
    const specs = await loadRoleArgumentSpecs(join(dir, 'roles', roleNameOf(c)));
    out[c.id] = tsplayVerdict(specs, c, playVars, render);
  }
  return out;
}

export function tsplayVerdict(specs: RoleArgSpecs | undefined, c: ParityCase, playVars: PlayVars = {}, render?: Render): Verdict {
  if (!hasEntryPoint(specs, 'main') || !specs) return { validated: false, failed: false, errors: [] };
  if (specs.error) return { validated: true, failed: true, errors: [], crash: `malformed spec: ${specs.error.toString()}` };
  // what the role's tasks see: play vars, the roles entry's vars, then its params (highest)
  const visible = { ...playVars, ...(c.vars ?? {}), ...(c.params ?? {}) };
  const template = render ? (v: unknown) => render(v, visible) : undefined;
  let outcome;
  try {
    const provided = providedArguments(specs, 'main', c.params, { ...playVars, ...(c.vars ?? {}) }, template);
    outcome = validateRoleArguments(specs, 'main', provided, { template });
  } catch (e) {
    return { validated: true, failed: true, errors: [], crash: `template: ${(e as Error).message}` };
  }
  if (outcome.crash !== undefined) return { validated: true, failed: true, errors: [], crash: outcome.crash };
  return { validated: true, failed: outcome.errors.length > 0, errors: outcome.errors };
}

/**
 * Lines with parts Python prints in a per-process order are normalised: the "Valid booleans"
 * set, and the "Supported parameters" list when unsupported names sit on several levels.
 */
export function normalizeLine(line: string): string {
  let out = line.replace(/Valid booleans include: (.*)$/u, (_m, list: string) => `Valid booleans include: {${list.split(', ').sort().join(', ')}}`);
  const unsupported = /^(.*)\. Supported parameters include: (.*)\.$/u.exec(out);
  if (unsupported) {
    const depths = new Set(unsupported[1].split(', ').map((n) => n.split('.').length));
    if (depths.size > 1) out = `${unsupported[1]}. Supported parameters include: <level chosen by set order>.`;
  }
  return out;
}

/** Does tsplay agree with Ansible? Returns a reason when not. */
export function compareVerdicts(ansible: Verdict, tsplay: Verdict, malformed = false): string | undefined {
  if (malformed) {
    if (!ansible.failed && ansible.validated) return 'tsplay rejects the spec file, but Ansible accepted a call';
    return tsplay.failed && tsplay.crash?.startsWith('malformed spec') ? undefined : 'tsplay did not reject the malformed spec';
  }
  if (ansible.validated !== tsplay.validated) return `validated: ansible ${ansible.validated}, tsplay ${tsplay.validated}`;
  if (ansible.failed !== tsplay.failed) return `failed: ansible ${ansible.failed}, tsplay ${tsplay.failed}`;
  if ((ansible.crash ?? '') !== '' || (tsplay.crash ?? '') !== '') {
    const a = ansible.crash ?? '';
    const t = tsplay.crash ?? '';
    // a template error in the spec or the values: Ansible fails the task before validating
    if (t.startsWith('template: ') && a.includes('undefined variable')) return undefined;
    return a === t ? undefined : `crash: ansible ${JSON.stringify(a)}, tsplay ${JSON.stringify(t)}`;
  }
  const a = ansible.errors.map(normalizeLine);
  const t = tsplay.errors.map(normalizeLine);
  if (a.length !== t.length || a.some((line, i) => line !== t[i])) {
    return `errors differ:\n  ansible: ${JSON.stringify(a, null, 1)}\n  tsplay:  ${JSON.stringify(t, null, 1)}`;
  }
  return undefined;
}
