/**
 * Throwaway Debian hosts for the packaging tests: containers on the host network (so apt inside
 * reaches Debian's archive) from an image that has python3 and sudo (real Ansible needs both
 * through the docker_api connection), plus helpers to run the same module through real Ansible
 * and through tsplay's implementation and compare the results.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { Connection } from '../../src/connection/types.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../../src/modules/types.js';
import { DockerExecConnection, dockerCli } from './docker-exec-connection.js';

export const HOST_IMAGE = 'tsplay-test/packaging-host:bookworm';
/** images that already hold a Debian bookworm userland, ours is derived from the first found */
const BASE_IMAGES = ['tsplay-test/docker-minbase:bookworm', 'tsplay-test/base:bookworm', 'tsplay/base:bookworm'];
const DEBOOTSTRAP_DIR = '/var/cache/tsplay-test/packaging-bookworm';

function commandWorks(cmd: string, args: string[]): boolean {
  const result = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return result.status === 0;
}

/**
 * Skips the test when a service it needs is missing, except under CI=true where a missing
 * service is a failure (a test that silently skips in CI would report a check it never made).
 */
export function requireService(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is required under CI=true but is not available`);
  t.skip(`${what} is not available`);
  return false;
}

export const dockerAvailable = (): boolean => commandWorks('docker', ['info']);
export const ansibleAvailable = (): boolean =>
  commandWorks('ansible-playbook', ['--version']) &&
  commandWorks('ansible-doc', ['-t', 'connection', 'community.docker.docker_api']);

function imageExists(name: string): boolean {
  return commandWorks('docker', ['image', 'inspect', name]);
}

async function sh(cmd: string, args: string[]): Promise<{ rc: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ rc: code ?? 1, out }));
  });
}

/** Builds the host image once (python3 and sudo on a Debian bookworm base); cached in Docker. */
export async function ensureHostImage(): Promise<string> {
  if (imageExists(HOST_IMAGE)) return HOST_IMAGE;
  const install = 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 sudo && apt-get clean && rm -rf /var/lib/apt/lists/*';
  const base = BASE_IMAGES.find(imageExists);
  if (base) {
    const builder = `tsplay-pkg-imagebuild-${process.pid}`;
    const built = await sh('docker', ['run', '--name', builder, '--network', 'host', base, 'sh', '-c', install]);
    if (built.rc === 0) await sh('docker', ['commit', builder, HOST_IMAGE]);
    await sh('docker', ['rm', '-f', builder]);
    if (built.rc !== 0) throw new Error(`building ${HOST_IMAGE} from ${base} failed:\n${built.out}`);
  } else {
    const boot = await sh('sh', ['-c', `rm -rf ${DEBOOTSTRAP_DIR} && mkdir -p ${DEBOOTSTRAP_DIR} && debootstrap --variant=minbase --include=python3,sudo bookworm ${DEBOOTSTRAP_DIR} && rm -rf ${DEBOOTSTRAP_DIR}/var/lib/apt/lists/* && tar -C ${DEBOOTSTRAP_DIR} -c . | docker import - ${HOST_IMAGE}`]);
    if (boot.rc !== 0) throw new Error(`debootstrap of ${HOST_IMAGE} failed:\n${boot.out}`);
  }
  return HOST_IMAGE;
}

export interface ContainerHost {
  name: string;
  conn: Connection;
  remove(): Promise<void>;
}

/** A running container (host network, `sleep infinity`) to use as a host; remove() deletes it. */
export async function startHost(prefix: string): Promise<ContainerHost> {
  const image = await ensureHostImage();
  const name = `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const started = await dockerCli(['run', '-d', '--network', 'host', '--name', name, image, 'sleep', 'infinity']);
  if (started.rc !== 0) throw new Error(`starting ${name}: ${started.stderr}`);
  const conn = await connectionTo(name);
  return {
    name,
    conn,
    async remove() {
      await conn.close().catch(() => undefined);
      await dockerCli(['rm', '-f', name]);
    },
  };
}

/**
 * The Docker API connection when it exists (src/connection/docker.ts), else the docker-exec
 * one of this directory. Both run the real commands inside the container.
 */
async function connectionTo(container: string): Promise<Connection> {
  try {
    const mod = (await import('../../src/connection/docker.js' as string)) as Record<string, unknown>;
    const Ctor = mod.DockerApiConnection as (new (opts: { host: string; container?: string }) => Connection) | undefined;
    if (Ctor) {
      const conn = new Ctor({ host: container, container });
      await conn.connect();
      return conn;
    }
  } catch {
    // not written yet: fall back below
  }
  const conn = new DockerExecConnection(container);
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
  const argv = ['all', '-i', `${container},`, '-c', 'community.docker.docker_api', '-m', module, '-a', JSON.stringify(args)];
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
