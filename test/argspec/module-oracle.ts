/**
 * Ansible as the oracle for module-mode validation (the specs of tsplay's own modules): a tiny
 * real Ansible module builds AnsibleModule from a spec file named in its environment and returns
 * its validated params; failures come back as AnsibleModule's own fail_json message. One play
 * runs every case as a task with ignore_errors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pyJsonDumps } from '../../src/argspec/python.js';
import { compileArgSpec, type EntryPointSpec } from '../../src/argspec/index.js';
import { runAnsiblePlaybook } from '../support/services.js';
import { normalizeLine, type ParityCase } from './oracle.js';

export const PROBE_MODULE = 'tsplay_argspec_probe';

const PROBE_SOURCE = `#!/usr/bin/python3
# Test helper: validates its arguments with AnsibleModule against the spec in $TSPLAY_PROBE_SPEC.
import json
import os
from ansible.module_utils.basic import AnsibleModule

with open(os.environ['TSPLAY_PROBE_SPEC']) as f:
    spec = json.load(f)
module = AnsibleModule(
    argument_spec=spec.get('options') or {},
    mutually_exclusive=spec.get('mutually_exclusive'),
    required_together=spec.get('required_together'),
    required_one_of=spec.get('required_one_of'),
    required_if=spec.get('required_if'),
    required_by=spec.get('required_by'),
)
module.exit_json(changed=False, validated=module.params)
`;

export interface ModuleVerdict {
  failed: boolean;
  msg?: string;
  /** module.params after validation (success only) */
  validated?: Record<string, unknown>;
  warnings: string[];
}

export function moduleSpecOf(c: ParityCase): EntryPointSpec {
  if (c.entry && typeof c.entry === 'object') return c.entry as EntryPointSpec;
  return { options: (c.spec ?? {}) as EntryPointSpec['options'] };
}

/** the table cases that make sense for modules: no role variables, no spec the loader rejects */
export function moduleCases(cases: readonly ParityCase[]): ParityCase[] {
  return cases.filter((c) => !c.vars && !c.malformed && !c.specText && (!c.entry || typeof c.entry === 'object'));
}

export async function ansibleModuleVerdicts(dir: string, cases: ParityCase[]): Promise<Record<string, ModuleVerdict>> {
  await mkdir(join(dir, 'library'), { recursive: true });
  await mkdir(join(dir, 'specs'), { recursive: true });
  await writeFile(join(dir, 'library', `${PROBE_MODULE}.py`), PROBE_SOURCE);
  const tasks: string[] = [];
  for (const c of cases) {
    const specPath = join(dir, 'specs', `${c.id}.json`);
    await writeFile(specPath, pyJsonDumps(moduleSpecOf(c)));
    const task = { name: c.id, [PROBE_MODULE]: c.params ?? {}, environment: { TSPLAY_PROBE_SPEC: specPath }, ignore_errors: true };
    tasks.push(`    - ${pyJsonDumps(task)}`);
  }
  const playbook = join(dir, 'modules.yml');
  await writeFile(playbook, `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`);
  const run = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', playbook], {
    cwd: dir,
    env: { ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json', ANSIBLE_LIBRARY: join(dir, 'library'), ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' },
    timeoutMs: 600_000,
  });
  let output: { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }> };
  try {
    // Python's json writes inf/nan as bare Infinity/NaN, which JSON.parse refuses
    output = JSON.parse(run.stdout.replace(/(:\s*|\[\s*|,\s*)(-?Infinity|NaN)(?=\s*[,\]}\n])/gu, '$1"$2"')) as typeof output;
  } catch {
    throw new Error(`ansible-playbook did not print JSON (exit ${run.code}):\n${run.stdout.slice(0, 2000)}\n${run.stderr.slice(0, 2000)}`);
  }
  const out: Record<string, ModuleVerdict> = {};
  for (const task of output.plays.flatMap((p) => p.tasks)) {
    const r = task.hosts.localhost ?? {};
    const verdict: ModuleVerdict = { failed: r.failed === true, warnings: Array.isArray(r.warnings) ? (r.warnings as string[]) : [] };
    if (verdict.failed) verdict.msg = String(r.msg ?? '');
    else verdict.validated = r.validated as Record<string, unknown>;
    out[task.task.name] = verdict;
  }
  return out;
}

/** JSON-comparable form: bigints as numbers, integral floats as numbers (JSON loses the difference) */
function plain(v: unknown): unknown {
  const replacer = (_k: string, x: unknown): unknown => {
    if (typeof x === 'bigint') return Number(x);
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    return x;
  };
  return JSON.parse(JSON.stringify(v ?? null, replacer)) as unknown;
}

function normalizeMessage(msg: string): string {
  return normalizeLine(msg);
}

/** JSON text with keys sorted at every level (the json callback sorts them) */
function canonical(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]));
    }
    return x;
  };
  return JSON.stringify(sortKeys(plain(v)));
}

export function tsplayModuleVerdict(c: ParityCase): ModuleVerdict {
  const outcome = compileArgSpec(moduleSpecOf(c), 'module').validate(c.params ?? {}, { moduleName: PROBE_MODULE });
  if (outcome.message !== undefined) return { failed: true, msg: outcome.message, warnings: outcome.warnings };
  return { failed: false, validated: outcome.params, warnings: outcome.warnings };
}

/** Does tsplay's module-mode outcome match Ansible's? A reason when not. */
export function compareModuleVerdicts(c: ParityCase, ansible: ModuleVerdict, ours: ModuleVerdict): string | undefined {
  if (ansible.failed !== ours.failed) return `failed: ansible ${ansible.failed} (${ansible.msg ?? ''}), tsplay ${ours.failed} (${ours.msg ?? ''})`;
  if (ansible.failed) {
    const a = normalizeMessage(ansible.msg ?? '');
    const t = normalizeMessage(ours.msg ?? '');
    return a === t ? undefined : `msg:\n  ansible: ${a}\n  tsplay:  ${t}`;
  }
  // no_log values come back masked from a module; those params are not compared
  if (!JSON.stringify(c.spec ?? {}).includes('no_log')) {
    const a = canonical(ansible.validated);
    const t = canonical(ours.validated);
    if (a !== t) return `params:\n  ansible: ${a}\n  tsplay:  ${t}`;
  }
  const aw = [...ansible.warnings].sort();
  const tw = [...ours.warnings].sort();
  return JSON.stringify(aw) === JSON.stringify(tw) ? undefined : `warnings: ansible ${JSON.stringify(aw)}, tsplay ${JSON.stringify(tw)}`;
}
