/**
 * Real services for tests: availability checks that fail under CI and skip elsewhere, the test
 * command's helpers (run a process, run tsplay, run ansible-playbook), throwaway directories,
 * debootstrapped base images, containers on the host network and a local PEP 503 index.
 *
 * Everything that is slow to make (base images, fixture sdists) is built once into a cache outside
 * the repository (TSPLAY_TEST_CACHE, default /var/cache/tsplay-test) under a lock file, so
 * parallel test processes share one build and a second run of the suite reuses it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve, sep } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Availability

/**
 * Decide whether a test needing `name` can go on. When the service is missing the test fails
 * under CI=true (a missing service must never look like a pass there) and is skipped otherwise.
 * Returns true when the test should continue.
 */
export function requireService(t: TestContext, name: string, available: boolean, hint: string): boolean {
  if (available) return true;
  if (process.env.CI === 'true') {
    assert.fail(`${name} is required but not available (CI=true forbids skipping): ${hint}`);
  }
  t.skip(`${name} not available: ${hint}`);
  return false;
}

export const DOCKER_SOCKET = '/var/run/docker.sock';

/** True when the Docker daemon's socket answers GET /_ping with "OK". */
export function dockerAvailable(socketPath: string = DOCKER_SOCKET): Promise<boolean> {
  return new Promise((resolvePing) => {
    if (!existsSync(socketPath)) return resolvePing(false);
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolvePing(res.statusCode === 200 && body.trim() === 'OK'));
      res.on('error', () => resolvePing(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolvePing(false));
    req.end();
  });
}

/** Absolute path of an executable found on PATH, or undefined. */
export function findOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      const st = statSync(candidate);
      if (st.isFile() && (st.mode & 0o111) !== 0) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** True when ansible-playbook is installed (on PATH). */
export function ansibleAvailable(): boolean {
  return findOnPath('ansible-playbook') !== undefined;
}

/** True when debootstrap can build base images here (it needs root). */
export function debootstrapAvailable(): boolean {
  return findOnPath('debootstrap') !== undefined || existsSync('/usr/sbin/debootstrap');
}

// ---------------------------------------------------------------------------------------------
// Paths

/** The repository root: the nearest parent of this file that holds package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** Absolute path of the `tsplay` executable as installed (dist/src/cli/tsplay.cjs, which runs the bundle). */
export function tsplayCli(): string {
  return join(repoRoot(), 'dist', 'src', 'cli', 'tsplay.cjs');
}

/** Where slow-to-make test artefacts are cached; outside the repository. */
export function cacheRoot(): string {
  return process.env.TSPLAY_TEST_CACHE ?? '/var/cache/tsplay-test';
}

// ---------------------------------------------------------------------------------------------
// Temporary directories

const leftoverDirs = new Set<string>();
let exitHookInstalled = false;

function removeAtExit(dir: string): void {
  leftoverDirs.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const d of leftoverDirs) rmSync(d, { recursive: true, force: true });
  });
}

/**
 * A fresh directory under the system temp dir. With `t` it is removed after that test; without
 * it, when the test process exits (node --test runs each file in its own process).
 */
export async function tempDir(prefix: string = 'tsplay-test-', t?: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix.endsWith('-') ? prefix : `${prefix}-`));
  removeAtExit(dir);
  if (t) {
    t.after(async () => {
      leftoverDirs.delete(dir);
      await rm(dir, { recursive: true, force: true });
    });
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Running processes

export interface RunOptions {
  cwd?: string;
  /** Added on top of process.env (a value of undefined is not possible: pass '' to blank one). */
  env?: Record<string, string>;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** Killed with SIGKILL after this long; the result then has timedOut true and code 124. */
  timeoutMs?: number;
}

export interface CommandResult {
  /** Exit code; 128+signal number when killed by a signal; 124 on timeout. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** Run a program without a shell and collect its output. Rejects only when it cannot start. */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {
      // the child may exit without reading its input
    });
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      rejectRun(new Error(`cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolveRun({
        code: timedOut ? 124 : code ?? 128 + (signal ? SIGNAL_NUMBERS[signal] ?? 0 : 0),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Run the compiled tsplay CLI with the current Node. */
export function runTsplay(args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [tsplayCli(), ...args], opts);
}

/** Environment that makes ansible-playbook's output plain and its side files private. */
export function ansibleEnv(tempBase: string): Record<string, string> {
  return {
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCALHOST_WARNING: 'false',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
    ANSIBLE_DEPRECATION_WARNINGS: 'false',
    ANSIBLE_SYSTEM_WARNINGS: 'false',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
    PYTHONWARNINGS: 'ignore',
    ANSIBLE_LOCAL_TEMP: join(tempBase, 'local'),
    ANSIBLE_REMOTE_TEMP: join(tempBase, 'remote'),
  };
}

/**
 * Run ansible-playbook (the oracle) with plain output and a private local/remote temp dir that is
 * removed afterwards. opts.env is applied last, so a test can override any of the settings.
 */
export async function runAnsiblePlaybook(args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  const base = await mkdtemp(join(tmpdir(), 'tsplay-ansible-'));
  try {
    return await runCommand('ansible-playbook', args, { ...opts, env: { ...ansibleEnv(base), ...opts.env } });
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// A cross-process lock (a file holding the owner's pid; a dead owner's lock is taken over)

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withLock<T>(lockPath: string, work: () => Promise<T>, waitMs: number = 20 * 60_000): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath} (held by pid ${owner})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Base images

export type BaseImageName = 'bookworm' | 'second';

interface BaseImageRecipe {
  /** Debian release fetched by debootstrap. */
  release: string;
  /** Bump when the recipe changes so caches are rebuilt. */
  version: number;
  packages: string[];
}

/**
 * Like a fresh Debian host: no python3-apt and no apt lists (Ansible's apt module installs
 * python3-apt after an update itself; packaging tests rely on that being a fresh host).
 */
const IMAGE_PACKAGES = ['python3-pip', 'python3-wheel', 'python3-setuptools', 'python3-venv', 'openssh-server', 'sudo'];

/**
 * 'bookworm' is the machines' own release (Python 3.11, pip 23.0). 'second' is Debian 13 trixie
 * (Python 3.13, pip 25.1): a platform differing in both release and Python version, which
 * debootstrap 1.0.128 on Debian 12 fetches from its default archive (bullseye is also fetchable
 * but is past its regular support).
 */
export const BASE_IMAGE_RECIPES: Record<BaseImageName, BaseImageRecipe> = {
  bookworm: { release: 'bookworm', version: 1, packages: IMAGE_PACKAGES },
  second: { release: 'trixie', version: 1, packages: IMAGE_PACKAGES },
};

/** The tag a base image gets: tsplay-test/bookworm:1, tsplay-test/trixie:1. */
export function baseImageTag(name: BaseImageName): string {
  const recipe = BASE_IMAGE_RECIPES[name];
  return `tsplay-test/${name === 'second' ? recipe.release : name}:${recipe.version}`;
}

async function dockerImageExists(tag: string): Promise<boolean> {
  const res = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]);
  return res.code === 0;
}

async function must(cmd: string, args: string[], what: string, opts: RunOptions = {}): Promise<CommandResult> {
  const res = await runCommand(cmd, args, opts);
  if (res.code !== 0) {
    throw new Error(`${what} failed (${cmd} exit ${res.code}):\n${(res.stdout + res.stderr).slice(-4000)}`);
  }
  return res;
}

const baseImagesReady = new Map<BaseImageName, Promise<string>>();

/**
 * Tag of a local Docker image of a minimal Debian with python3, pip, venv, sshd and sudo. Built
 * once with debootstrap into the cache as a tarball, then `docker import`ed; later calls (in any
 * process) reuse the image, or re-import the tarball when Docker's store was wiped.
 */
export function baseImage(name: BaseImageName): Promise<string> {
  let ready = baseImagesReady.get(name);
  if (!ready) {
    ready = ensureBaseImage(name);
    // A failure is not remembered: the next call tries again.
    ready.catch(() => baseImagesReady.delete(name));
    baseImagesReady.set(name, ready);
  }
  return ready;
}

async function ensureBaseImage(name: BaseImageName): Promise<string> {
  const recipe = BASE_IMAGE_RECIPES[name];
  if (!recipe) throw new Error(`unknown base image ${String(name)}: expected 'bookworm' or 'second'`);
  const tag = baseImageTag(name);
  if (await dockerImageExists(tag)) return tag;
  const cache = cacheRoot();
  const stem = join(cache, `${recipe.release}-v${recipe.version}`);
  return withLock(`${stem}.lock`, async () => {
    if (await dockerImageExists(tag)) return tag;
    const tarball = `${stem}.tar`;
    if (!existsSync(tarball)) await buildRootfsTarball(recipe, stem);
    await must(
      'docker',
      ['import', '--change', 'CMD ["/bin/bash"]', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', tarball, tag],
      `docker import of ${tarball}`,
    );
    return tag;
  });
}

async function buildRootfsTarball(recipe: BaseImageRecipe, stem: string): Promise<void> {
  const rootfs = `${stem}.rootfs`;
  await rm(rootfs, { recursive: true, force: true });
  await must(
    'debootstrap',
    ['--variant=minbase', `--include=${recipe.packages.join(',')}`, recipe.release, rootfs],
    `debootstrap ${recipe.release} (log: ${rootfs}/debootstrap/debootstrap.log)`,
    { env: { DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 30 * 60_000 },
  );
  // Drop the downloaded .debs and package lists (a fresh host runs apt-get update first); sshd
  // needs its privilege-separation dir; docker provides resolv.conf at run time.
  await must(
    'sh',
    [
      '-c',
      'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_Packages && mkdir -p "$1"/run/sshd && : > "$1"/etc/resolv.conf',
      'sh',
      rootfs,
    ],
    'cleaning the rootfs',
  );
  const partial = `${stem}.tar.partial`;
  await must('tar', ['--numeric-owner', '-C', rootfs, '-cf', partial, '.'], `tar of ${rootfs}`);
  await rename(partial, `${stem}.tar`);
  await rm(rootfs, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Containers on the host network

export interface ContainerHost {
  /** Container name, usable as an inventory host for the docker_api connection. */
  name: string;
  id: string;
  stop(): Promise<void>;
}

/**
 * `docker run -d --network host IMAGE sleep infinity`: a throwaway host for docker_api-connection
 * tests. With `t` it is removed after that test. Containers carry the label tsplay-test.run =
 * TSPLAY_TEST_RUN_ID so the test command can remove what its own run left behind.
 */
export async function startContainerHost(image: string, t?: TestContext, opts: { namePrefix?: string; runArgs?: string[] } = {}): Promise<ContainerHost> {
  const name = `${opts.namePrefix ?? 'tsplay-test'}-${randomBytes(5).toString('hex')}`;
  const res = await must(
    'docker',
    // runArgs (e.g. -e, -w) give a host an environment or working directory of its own
    ['run', '-d', '--network', 'host', '--name', name, '--label', `tsplay-test.run=${process.env.TSPLAY_TEST_RUN_ID ?? 'manual'}`, ...(opts.runArgs ?? []), image, 'sleep', 'infinity'],
    `starting a container from ${image}`,
  );
  const id = res.stdout.trim();
  let stopped = false;
  const host: ContainerHost = {
    name,
    id,
    async stop() {
      if (stopped) return;
      stopped = true;
      await must('docker', ['rm', '-f', id], `removing container ${name}`);
    },
  };
  if (t) t.after(() => host.stop());
  return host;
}

// ---------------------------------------------------------------------------------------------
// A local PEP 503 package index

/** PEP 503 name normalisation. */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export interface IndexedFile {
  /** The project name as its metadata spells it, e.g. Hello_World. */
  project: string;
  version: string;
  filename: string;
  sha256: string;
}

export interface FixtureIndex {
  /** The PEP 503 root, ending in /simple/ (pass as pip's --index-url). */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** This server's own copy of the tree (simple/ and packages/); a test may add files to it. */
  root: string;
  /** Every file served, by project. */
  files: IndexedFile[];
  /** Path of every request received, in order (to prove a cache did or did not go upstream). */
  requests: string[];
  /** Close the server now, cutting any download in flight, and remove the tree. Idempotent. */
  stop(): Promise<void>;
}

export interface FixtureIndexOptions {
  /** Serve files under /packages/ in chunks of this many bytes... */
  chunkBytes?: number;
  /** ...with this long a pause between chunks, so a test can stop the server mid-download. */
  chunkDelayMs?: number;
}

export const SYSTEM_WHEELS_DIR = '/usr/share/python-wheels';

/** The fixture projects' sources: test/fixtures/pypi/src/<dir>/pyproject.toml. */
export function fixtureSourcesDir(): string {
  return join(repoRoot(), 'test', 'fixtures', 'pypi', 'src');
}

interface BuiltFixtures {
  dir: string;
  files: IndexedFile[];
}

async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) hash.update(p.slice(dir.length)).update('\0').update(await readFile(p)).update('\0');
    }
  };
  await walk(dir);
  return hash.digest('hex').slice(0, 16);
}

function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function tomlString(text: string, key: string, where: string): string {
  const m = new RegExp(`^${key}\\s*=\\s*"([^"]+)"`, 'm').exec(text);
  if (!m) throw new Error(`${where}: no ${key} = "..." line`);
  return m[1];
}

/** Wheel file name -> project and version (PEP 427: name-version-...). */
function parseWheelName(filename: string): { project: string; version: string } {
  const parts = filename.replace(/\.whl$/, '').split('-');
  if (parts.length < 5) throw new Error(`not a wheel file name: ${filename}`);
  return { project: parts[0], version: parts[1] };
}

/** Build the fixture sdists (once per source content) and collect the system wheels. */
async function buildFixtures(): Promise<BuiltFixtures> {
  const src = fixtureSourcesDir();
  const dir = join(cacheRoot(), `pypi-${await hashTree(src)}`);
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) {
    await withLock(`${dir}.lock`, async () => {
      if (existsSync(manifest)) return;
      await rm(dir, { recursive: true, force: true });
      await mkdir(join(dir, 'packages'), { recursive: true });
      const files: IndexedFile[] = [];
      for (const project of (await readdir(src)).sort()) {
        const pyproject = join(src, project, 'pyproject.toml');
        const text = await readFile(pyproject, 'utf8');
        const name = tomlString(text, 'name', pyproject);
        const version = tomlString(text, 'version', pyproject);
        // Build from a copy so the source tree never gets egg-info or build/ litter.
        const work = await mkdtemp(join(tmpdir(), 'tsplay-sdist-'));
        try {
          await cp(join(src, project), work, { recursive: true });
          const out = join(work, 'dist');
          await must(
            '/usr/bin/python3',
            ['-c', 'import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))', out],
            `building the sdist of ${project}`,
            { cwd: work, env: { PYTHONDONTWRITEBYTECODE: '1', SOURCE_DATE_EPOCH: '1700000000' } },
          );
          for (const filename of await readdir(out)) {
            const data = await readFile(join(out, filename));
            await writeFile(join(dir, 'packages', filename), data);
            files.push({ project: name, version, filename, sha256: sha256Of(data) });
          }
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      }
      for (const filename of (await readdir(SYSTEM_WHEELS_DIR)).filter((f) => f.endsWith('.whl')).sort()) {
        const data = await readFile(join(SYSTEM_WHEELS_DIR, filename));
        await writeFile(join(dir, 'packages', filename), data);
        files.push({ ...parseWheelName(filename), filename, sha256: sha256Of(data) });
      }
      await writeFile(`${manifest}.partial`, JSON.stringify(files, null, 2));
      await rename(`${manifest}.partial`, manifest);
    });
  }
  return { dir, files: JSON.parse(await readFile(manifest, 'utf8')) as IndexedFile[] };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Write simple/index.html and simple/<normalised>/index.html for the files. */
async function writeSimplePages(root: string, files: IndexedFile[]): Promise<void> {
  const byProject = new Map<string, IndexedFile[]>();
  for (const f of files) {
    const key = normalizeProjectName(f.project);
    byProject.set(key, [...(byProject.get(key) ?? []), f]);
  }
  const names = [...byProject.keys()].sort();
  await mkdir(join(root, 'simple'), { recursive: true });
  const rootLinks = names.map((n) => `    <a href="${n}/">${n}</a><br/>`).join('\n');
  await writeFile(
    join(root, 'simple', 'index.html'),
    `<!DOCTYPE html>\n<html>\n  <head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head>\n  <body>\n${rootLinks}\n  </body>\n</html>\n`,
  );
  for (const name of names) {
    const links = byProject
      .get(name)!
      .map((f) => `    <a href="../../packages/${encodeURIComponent(f.filename)}#sha256=${f.sha256}">${escapeHtml(f.filename)}</a><br/>`)
      .join('\n');
    await mkdir(join(root, 'simple', name), { recursive: true });
    await writeFile(
      join(root, 'simple', name, 'index.html'),
      `<!DOCTYPE html>\n<html>\n  <head><meta name="pypi:repository-version" content="1.0"><title>Links for ${name}</title></head>\n  <body>\n    <h1>Links for ${name}</h1>\n${links}\n  </body>\n</html>\n`,
    );
  }
}

const CONTENT_TYPES: Array<[RegExp, string]> = [
  [/\.html$/, 'text/html; charset=utf-8'],
  [/\.whl$/, 'application/zip'],
  [/\.tar\.gz$/, 'application/gzip'],
  [/\.json$/, 'application/json'],
];

/**
 * Serve a PEP 503 index on 127.0.0.1 (a free port) holding Debian's pip/setuptools/wheel wheels
 * and the fixture projects' sdists (Hello_World, zope.thing, tsplay-fixture-lib 1.0 and 2.0,
 * tsplay-fixture-app depending on tsplay-fixture-lib). With `t` it is stopped after that test.
 */
export async function startFixtureIndex(t?: TestContext, opts: FixtureIndexOptions = {}): Promise<FixtureIndex> {
  const built = await buildFixtures();
  const root = await mkdtemp(join(tmpdir(), 'tsplay-index-'));
  removeAtExit(root);
  await cp(join(built.dir, 'packages'), join(root, 'packages'), { recursive: true });
  await writeSimplePages(root, built.files);
  const requests: string[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(path);
    void serveFile(root, path, req, res, opts);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  const index: FixtureIndex = {
    url: `http://127.0.0.1:${port}/simple/`,
    origin: `http://127.0.0.1:${port}`,
    root,
    files: built.files,
    requests,
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((ok) => server.close(() => ok()));
        for (const s of sockets) s.destroy();
        await closed;
        leftoverDirs.delete(root);
        await rm(root, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  if (t) t.after(() => index.stop());
  return index;
}

async function serveFile(root: string, urlPath: string, req: IncomingMessage, res: ServerResponse, opts: FixtureIndexOptions): Promise<void> {
  const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
  // PEP 503: a request for a non-normalised project name may be redirected to the normalised one.
  const project = /^\/simple\/([^/]+)\/?$/.exec(urlPath);
  if (project && normalizeProjectName(project[1]) !== project[1]) {
    return send(301, 'moved\n', { location: `/simple/${normalizeProjectName(project[1])}/` });
  }
  if (project && !urlPath.endsWith('/')) return send(301, 'moved\n', { location: `${urlPath}/` });
  const file = resolve(root, `.${urlPath}`, urlPath.endsWith('/') ? 'index.html' : '');
  if (file !== root && !file.startsWith(root + sep)) return send(404, 'not found\n');
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return send(404, 'not found\n');
  }
  const type = CONTENT_TYPES.find(([re]) => re.test(file))?.[1] ?? 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': String(data.length) });
  if (req.method === 'HEAD') return void res.end();
  const chunk = opts.chunkBytes;
  if (!chunk || !urlPath.startsWith('/packages/')) return void res.end(data);
  for (let at = 0; at < data.length && !res.destroyed; at += chunk) {
    res.write(data.subarray(at, at + chunk));
    if (opts.chunkDelayMs) await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
  }
  res.end();
}

/** Make sure the cache root exists (for scripts that pre-build). */
export function ensureCacheRoot(): string {
  const dir = cacheRoot();
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// SSH hosts: sshd in a container on the host network, one loopback port each

export interface SshClientKey {
  /** Path of the private key file (mode 0600), for ssh -i / ansible_ssh_private_key_file. */
  privateKeyPath: string;
  privateKey: string;
  publicKey: string;
}

let clientKey: Promise<SshClientKey> | undefined;

/** One ed25519 key pair per test process, in a temp dir removed at exit. */
export function sshClientKey(): Promise<SshClientKey> {
  clientKey ??= (async () => {
    const dir = await tempDir('tsplay-sshkey-');
    const privateKeyPath = join(dir, 'id_ed25519');
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tsplay-test', '-f', privateKeyPath], 'ssh-keygen');
    return {
      privateKeyPath,
      privateKey: await readFile(privateKeyPath, 'utf8'),
      publicKey: (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim(),
    };
  })();
  return clientKey;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** Resolves once something on 127.0.0.1:port greets with an SSH banner. */
export async function waitForSshBanner(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const banner = await new Promise<string>((ok) => {
      const sock = connect({ host: '127.0.0.1', port });
      let got = '';
      const done = (v: string): void => {
        sock.destroy();
        ok(v);
      };
      // a listening sshd answers in the end: under load its banner can take seconds, and giving
      // up early only starts another connection that waits just as long
      sock.setTimeout(Math.max(2000, deadline - Date.now()), () => done(got));
      sock.on('data', (b: Buffer) => {
        got += b.toString('latin1');
        if (got.includes('\n')) done(got);
      });
      sock.on('error', () => done(''));
      sock.on('close', () => done(got));
    });
    if (banner.startsWith('SSH-')) return;
    if (Date.now() > deadline) throw new Error(`no SSH banner on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface SshHost extends ContainerHost {
  host: '127.0.0.1';
  port: number;
  user: 'root';
  key: SshClientKey;
  /** the server's public host keys as `type base64` (ed25519, ecdsa, rsa), for known_hosts lines */
  hostKeys: string[];
  /** ssh options for a throwaway host: no known_hosts, no prompts. */
  sshArgs: string[];
  /** One INI inventory line for ansible-playbook (and tsplay) naming this host `alias`. */
  inventoryLine(alias: string): string;
}

/**
 * A separate "remote host": a container from `image` (a base image: it has openssh-server and
 * sudo) on the host network whose sshd listens on 127.0.0.1:<free port> and accepts root with
 * sshClientKey(). Each host has its own filesystem. With `t` it is removed after that test.
 */
export interface SshUserSpec {
  /** login name; the user gets a home, /bin/bash and sshClientKey() in authorized_keys */
  name: string;
  /** set as the user's password (for password login, sudo or su with a password) */
  password?: string;
  /** 'nopasswd': sudo without a password; 'password': sudo asks for the user's password */
  sudo?: 'nopasswd' | 'password';
}

export interface SshHostOptions {
  /** extra users besides root, e.g. { name: 'deploy', sudo: 'nopasswd' } */
  users?: SshUserSpec[];
  /** sshd accepts passwords: 'password' (PasswordAuthentication) or 'keyboard-interactive' (PAM only) */
  passwordAuth?: 'password' | 'keyboard-interactive';
  /** extra `docker run -v` arguments (e.g. the docker socket) */
  volumes?: string[];
}

export async function startSshHost(image: string, t?: TestContext, opts: SshHostOptions = {}): Promise<SshHost> {
  const key = await sshClientKey();
  // passwords reach the container through `docker run -e NAME` from this process's environment,
  // so no command line (ps) on either side ever shows them
  const secretEnv: Record<string, string> = {};
  const userLines: string[] = [];
  for (const [i, u] of (opts.users ?? []).entries()) {
    if (!/^[a-z_][a-z0-9_-]*$/.test(u.name)) throw new Error(`startSshHost: bad user name ${u.name}`);
    userLines.push(
      `useradd -m -s /bin/bash ${u.name}`,
      `mkdir -p /home/${u.name}/.ssh && printf "%s\\n" "$TSPLAY_PUBKEY" > /home/${u.name}/.ssh/authorized_keys`,
      `chown -R ${u.name}: /home/${u.name}/.ssh && chmod 700 /home/${u.name}/.ssh && chmod 600 /home/${u.name}/.ssh/authorized_keys`,
    );
    if (u.password !== undefined) {
      secretEnv[`TSPLAY_PW_${i}`] = u.password;
      userLines.push(`printf '%s:%s\\n' ${u.name} "$TSPLAY_PW_${i}" | chpasswd`);
    } else {
      // an account with no password is locked, and a locked account may not log in by key either
      userLines.push(`usermod -p '*' ${u.name}`);
    }
    if (u.sudo) userLines.push(`echo '${u.name} ALL=(ALL) ${u.sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL' > /etc/sudoers.d/${u.name} && chmod 440 /etc/sudoers.d/${u.name}`);
  }
  const auth =
    opts.passwordAuth === 'password'
      ? '-o UsePAM=no -o PasswordAuthentication=yes -o KbdInteractiveAuthentication=no'
      : opts.passwordAuth === 'keyboard-interactive'
        ? '-o UsePAM=yes -o PasswordAuthentication=no -o KbdInteractiveAuthentication=yes'
        : '-o UsePAM=no -o PasswordAuthentication=no';
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const name = `tsplay-ssh-${port}-${randomBytes(3).toString('hex')}`;
    const script = [
      'set -e',
      'mkdir -p /run/sshd /root/.ssh',
      'chmod 700 /root/.ssh',
      'printf "%s\\n" "$TSPLAY_PUBKEY" > /root/.ssh/authorized_keys',
      'chmod 600 /root/.ssh/authorized_keys',
      'ssh-keygen -A >/dev/null',
      // PAM in a container cannot set a login uid
      "sed -i 's/^session\\s*required\\s*pam_loginuid.so/session optional pam_loginuid.so/' /etc/pam.d/sshd",
      ...userLines,
      `exec /usr/sbin/sshd -D -e -p ${port} -o ListenAddress=127.0.0.1 -o PermitRootLogin=prohibit-password ${auth} -o PidFile=/run/sshd-${port}.pid`,
    ].join('\n');
    const volumes = (opts.volumes ?? []).flatMap((v) => ['-v', v]);
    const secrets = Object.keys(secretEnv).flatMap((k) => ['-e', k]);
    const res = await must(
      'docker',
      ['run', '-d', '--network', 'host', '--name', name, '--label', `tsplay-test.run=${process.env.TSPLAY_TEST_RUN_ID ?? 'manual'}`, '-e', `TSPLAY_PUBKEY=${key.publicKey}`, ...secrets, ...volumes, image, 'sh', '-c', script],
      `starting an SSH host from ${image}`,
      { env: secretEnv },
    );
    const id = res.stdout.trim();
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await must('docker', ['rm', '-f', id], `removing container ${name}`);
    };
    try {
      await waitForSshBanner(port, 30_000);
    } catch (e) {
      const logs = await runCommand('docker', ['logs', id]);
      await stop();
      // Another process may have taken the port between freePort() and sshd's bind: try again.
      if (attempt < 3 && /Address already in use|Cannot bind/i.test(logs.stdout + logs.stderr)) continue;
      throw new Error(`sshd in ${name} did not come up: ${(e as Error).message}\n${(logs.stdout + logs.stderr).slice(-2000)}`);
    }
    const sshArgs = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'];
    const keys = await runCommand('docker', ['exec', id, 'sh', '-c', 'cat /etc/ssh/ssh_host_*_key.pub']);
    const sshHost: SshHost = {
      name,
      id,
      stop,
      host: '127.0.0.1',
      port,
      user: 'root',
      key,
      hostKeys: keys.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))
        .filter((l) => l !== ''),
      sshArgs,
      inventoryLine: (alias) =>
        `${alias} ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root ansible_ssh_private_key_file=${key.privateKeyPath} ansible_ssh_common_args='${sshArgs.join(' ')}'`,
    };
    if (t) t.after(() => sshHost.stop());
    return sshHost;
  }
}
