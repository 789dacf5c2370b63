/**
 * Throwaway Debian hosts for the packaging tests: containers on the host network (so apt inside
 * reaches Debian's archive) from the shared base image (python3 and sudo, which real Ansible needs
 * through the docker_api connection), plus helpers to run the same module through real Ansible
 * and through tsplay's implementation and compare the results.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  ansibleAvailable as supportAnsibleAvailable,
  baseImage,
  dockerAvailable as supportDockerAvailable,
  requireService as requireSupportService,
  startContainerHost,
} from '../support/services.js';
import { after, before, type TestContext } from 'node:test';
import type { Connection } from '../../src/connection/types.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../../src/modules/types.js';
import { DockerApiConnection } from '../../src/connection/docker.js';

function commandWorks(cmd: string, args: string[]): boolean {
  const result = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return result.status === 0;
}

/**
 * Skips the test when a service it needs is missing, except under CI=true where a missing
 * service is a failure (see test/support/services.ts).
 */
export function requireService(t: TestContext, available: boolean, what: string): boolean {
  return requireSupportService(t, what, available, 'start dockerd (test/run.sh does) and install ansible with community.docker');
}

/** dockerd answers, and ansible has the community.docker collection (its docker_api connection) */
export async function servicesAvailable(): Promise<boolean> {
  return (await supportDockerAvailable()) && supportAnsibleAvailable() &&
    commandWorks('ansible-doc', ['-t', 'connection', 'community.docker.docker_api']);
}

export interface ContainerHost {
  name: string;
  conn: Connection;
  remove(): Promise<void>;
}

/**
 * A running container (host network, `sleep infinity`) from the base image, made to look like a
 * freshly installed Debian host whatever the image holds: no python3-apt, no package lists.
 * remove() deletes it.
 */
export async function startHost(prefix: string): Promise<ContainerHost> {
  const image = await baseImage('bookworm');
  const container = await startContainerHost(image, undefined, { namePrefix: prefix });
  const conn = await connectionTo(container.name);
  const reset = await conn.exec('dpkg --purge python3-apt >/dev/null 2>&1; rm -rf /var/lib/apt/lists/* && mkdir -p /var/lib/apt/lists/partial');
  if (reset.rc !== 0) throw new Error(`resetting ${container.name} to a fresh host failed: ${reset.stderr}`);
  return {
    name: container.name,
    conn,
    async remove() {
      await conn.close().catch(() => undefined);
      await container.stop();
    },
  };
}

export interface TwinHosts {
  /** the host real Ansible works on */
  readonly ansible: ContainerHost;
  /** the host tsplay's module works on */
  readonly tsplay: ContainerHost;
  /** true when both are up; otherwise skips the test (fails it under CI=true) */
  ready(t: TestContext): boolean;
}

/**
 * Two fresh hosts for the describe() that calls this, for comparing a module's results on one
 * with Ansible's on the other: started together in a before() hook (each then given to
 * `prepare`), removed in an after() hook. Without dockerd and Ansible's docker_api connection
 * neither starts.
 */
export function twinHosts(prefix: string, prepare?: (host: ContainerHost) => Promise<void>): TwinHosts {
  let pair: [ContainerHost, ContainerHost] | undefined;
  let started: Array<Promise<ContainerHost>> = [];
  before(async () => {
    if (!(await servicesAvailable())) return;
    started = [startHost(`${prefix}-a`), startHost(`${prefix}-b`)];
    const [a, b] = await Promise.all(started);
    if (prepare) for (const host of [a, b]) await prepare(host);
    pair = [a, b];
  });
  after(async () => {
    // a host that started before its twin failed is removed too
    const hosts = await Promise.allSettled(started);
    await Promise.all(hosts.map((h) => (h.status === 'fulfilled' ? h.value.remove() : undefined)));
  });
  const get = (i: 0 | 1): ContainerHost => {
    if (!pair) throw new Error(`the ${prefix} hosts are not up (ready(t) says so first)`);
    return pair[i];
  };
  return {
    get ansible() {
      return get(0);
    },
    get tsplay() {
      return get(1);
    },
    ready: (t) => requireService(t, pair !== undefined, 'dockerd and ansible with community.docker'),
  };
}

/** tsplay's own Docker API connection into the container (what `-c community.docker.docker_api` uses). */
async function connectionTo(container: string): Promise<Connection> {
  const conn = new DockerApiConnection({ host: container, container });
  await conn.connect();
  return conn;
}

export function moduleContext(conn: Connection, opts: { check?: boolean; diff?: boolean; facts?: Record<string, unknown> } = {}): ModuleContext & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    conn,
    host: conn.host,
    check: opts.check ?? false,
    diff: opts.diff ?? false,
    become: { become: false },
    env: {},
    facts: opts.facts ?? {},
    vars: {},
    findFile: () => undefined,
    renderTemplate: (source: string) => source,
    warn: (message: string) => warnings.push(message),
    log: () => undefined,
    warnings,
  };
}

/** Runs one module through tsplay's implementation. */
export async function runModule(
  definition: ModuleDefinition,
  conn: Connection,
  args: Record<string, unknown>,
  opts: { check?: boolean; diff?: boolean; facts?: Record<string, unknown> } = {},
): Promise<ModuleResult> {
  return definition.run(args, moduleContext(conn, opts));
}

/** Runs one module ad hoc through real Ansible over the docker_api connection; returns its result. */
export async function runAnsibleModule(
  container: string,
  module: string,
  args: Record<string, unknown>,
  opts: { check?: boolean; diff?: boolean } = {},
): Promise<ModuleResult> {
  const argv = ['all', '-i', `${container},`, '-c', 'community.docker.docker_api', '-m', module];
  if (Object.keys(args).length > 0) argv.push('-a', JSON.stringify(args));
  if (opts.check) argv.push('--check');
  if (opts.diff) argv.push('--diff');
  const env = {
    ...process.env,
    ANSIBLE_STDOUT_CALLBACK: 'json',
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_HOST_KEY_CHECKING: 'false',
    ANSIBLE_NOCOLOR: '1',
  };
  const out = await new Promise<{ rc: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('ansible', argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ rc: code ?? 1, stdout, stderr }));
  });
  let parsed: { plays: Array<{ tasks: Array<{ hosts: Record<string, ModuleResult> }> }> };
  try {
    parsed = JSON.parse(out.stdout) as typeof parsed;
  } catch {
    throw new Error(`ansible printed no JSON (rc ${out.rc}):\n${out.stdout}\n${out.stderr}`);
  }
  const result = { ...Object.values(parsed.plays[0].tasks[0].hosts)[0] };
  delete result.invocation;
  delete result._ansible_no_log;
  delete result.action;
  return result;
}

/** The parts of a result that must agree between the two tools (timings and speeds masked). */
export function comparable(result: ModuleResult): Record<string, unknown> {
  const mask = (text: unknown) =>
    typeof text === 'string'
      ? text
          .replace(/^Fetched .*$/gm, 'Fetched <masked>')
          .replace(/^Get:(\d+) .*$/gm, 'Get:$1 <masked>')
          .replace(/\(Reading database \.\.\. [^)]*\)/g, '(Reading database ...)')
      : text;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    if (key === 'stdout_lines' || key === 'stderr_lines' || key === 'warnings' || key === 'deprecations' || key === 'exception') continue;
    if (key === 'cache_update_time') out[key] = typeof value;
    else if (key === 'stdout' || key === 'stderr' || key === 'msg') out[key] = mask(value);
    else out[key] = value;
  }
  if (out.failed === false) delete out.failed;
  return out;
}
