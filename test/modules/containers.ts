/**
 * Parity runs against throwaway containers, for modules that change system state (users,
 * groups, cron, sysctl...) and so must never run on this machine: the same cases go through one
 * ansible-playbook run (docker_api connection) on one container and through tsplay's module
 * definitions on its twin. Hosts come from test/packaging/hosts.ts (twinHosts).
 */
import { execFile } from 'node:child_process';
import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../src/connection/types.js';
import type { ModuleDefinition, ModuleResult } from '../../src/modules/types.js';
import { moduleContext } from '../packaging/hosts.js';
import { withDefaults, type Case } from './helpers.js';
import { splitLines } from '../../src/modules/builtin/support/lines.js';

export { twinHosts } from '../packaging/hosts.js';

/** runs the cases in order as one playbook on `container`; each task's result, facts kept */
export async function runAnsibleOn(container: string, cases: Case[]): Promise<Record<string, ModuleResult>> {
  const play = [
    {
      hosts: 'all',
      gather_facts: false,
      tasks: cases.map((c) => ({ name: c.name, [c.module]: c.args, ignore_errors: true, check_mode: c.check ?? false, diff: true })),
    },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'tsplay-parity-'));
  const playbook = join(dir, 'playbook.json');
  await writeFile(playbook, JSON.stringify(play));
  const env = {
    ...process.env,
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_STDOUT_CALLBACK: 'json',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
  };
  const res = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile('ansible-playbook', ['-i', `${container},`, '-c', 'community.docker.docker_api', playbook], { env, maxBuffer: 64 << 20 }, (_err, stdout, stderr) =>
      resolve({ stdout, stderr }),
    );
  });
  await rm(dir, { recursive: true, force: true });
  const start = res.stdout.indexOf('{');
  if (start < 0) throw new Error(`ansible-playbook gave no JSON: ${res.stderr}${res.stdout}`);
  const report = JSON.parse(res.stdout.slice(start)) as {
    plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, ModuleResult> }> }>;
  };
  const out: Record<string, ModuleResult> = {};
  for (const task of report.plays[0].tasks) {
    const r = { ...task.hosts[container] };
    for (const k of ['invocation', '_ansible_no_log', 'action', '_ansible_verbose_always', 'exception', 'deprecations']) delete r[k];
    out[task.task.name] = r;
  }
  return out;
}

/** the same cases through tsplay's modules over its own connection to the twin container */
export async function runTsplayOn(conn: Connection, cases: Case[], modules: Record<string, ModuleDefinition>): Promise<Record<string, ModuleResult>> {
  const out: Record<string, ModuleResult> = {};
  for (const c of cases) {
    const mod = modules[c.module];
    if (!mod) throw new Error(`no module ${c.module}`);
    const ctx = moduleContext(conn, { check: c.check ?? false, diff: true });
    const result = await mod.run(withDefaults(mod, c.args), ctx);
    if (ctx.warnings.length) result.warnings = [...((result.warnings as string[]) ?? []), ...ctx.warnings];
    // what tsplay's executor adds to every result, as Ansible's does
    if (typeof result.stdout === 'string' && result.stdout_lines === undefined) result.stdout_lines = splitLines(result.stdout);
    if (typeof result.stderr === 'string' && result.stderr_lines === undefined) result.stderr_lines = splitLines(result.stderr);
    out[c.name] = result;
  }
  return out;
}
