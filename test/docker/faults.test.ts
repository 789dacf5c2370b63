/**
 * Docker faults, caused for real: no daemon behind the address, a socket the user may not open,
 * an image missing with pull: never, a name taken by another container, a container killed or
 * removed while a detach: false task waits for it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dial } from '../../src/docker/api.js';
import { createDockerClient } from '../../src/docker/client.js';
import { DockerError } from '../../src/docker/errors.js';
import { dockerContainer } from '../../src/modules/docker/docker_container.js';
import { dockerContainerInfo } from '../../src/modules/docker/docker_container_info.js';
import { requireService, runCommand, tempDir } from '../support/services.js';
import { moduleContext, needDocker, removeContainers, runModule, testImage, uniqueSuffix } from './support.js';

test('no daemon: a bogus docker_host socket says the daemon is not running and how to start one', async (t) => {
  const dir = await tempDir('tsplay-nodaemon-', t);
  const res = await runModule(dockerContainer, {
    name: 'tsplay-never-created',
    image: 'tsplay-test/bookworm:1',
    docker_host: `unix://${join(dir, 'docker.sock')}`,
  });
  assert.equal(res.failed, true);
  assert.match(String(res.msg), /Cannot connect to the Docker daemon at unix:\/\/.*docker\.sock/);
  assert.match(String(res.msg), /systemctl start docker/);
  assert.match(String(res.msg), /dockerd --bridge=none/);
  assert.doesNotMatch(String(res.msg), /\n\s+at /, 'no stack trace');
});

test('no daemon: DOCKER_HOST from the environment is honoured', async (t) => {
  const dir = await tempDir('tsplay-nodaemon-env-', t);
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${join(dir, 'gone.sock')}`;
  t.after(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });
  const res = await runModule(dockerContainerInfo, { name: 'whatever' });
  assert.equal(res.failed, true);
  assert.match(String(res.msg), new RegExp(`Cannot connect to the Docker daemon at unix://${dir}/gone\\.sock`));
});

test('no daemon on tcp: a closed loopback port', async () => {
  // port 9 (discard) is closed on these machines: connection refused
  const res = await runModule(dockerContainerInfo, { name: 'whatever', docker_host: 'tcp://127.0.0.1:9' });
  assert.equal(res.failed, true);
  assert.match(String(res.msg), /Cannot connect to the Docker daemon at tcp:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
});

test('permission denied on the socket: a user outside the docker group', async (t) => {
  if (!(await needDocker(t))) return;
  if (!requireService(t, 'root', process.getuid?.() === 0, 'run bash test/run.sh as root: the probe runs as another user')) return;
  const clientModule = fileURLToPath(new URL('../../src/docker/client.js', import.meta.url));
  const script = `
    const { createDockerClient } = await import(${JSON.stringify(clientModule)});
    const c = await createDockerClient({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    try { await c.call('list containers', (api) => api.listContainers()); console.log('UNEXPECTED: allowed'); }
    catch (e) { console.log(JSON.stringify({ kind: e.kind, message: e.message })); }`;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr.on('data', (b: Buffer) => (text += b.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });
  const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { kind?: string; message?: string };
  assert.equal(parsed.kind, 'permission', out);
  assert.match(parsed.message ?? '', /Permission denied on the Docker socket unix:\/\/\/var\/run\/docker\.sock/);
  assert.match(parsed.message ?? '', /docker" group/);
});

test('pull: never with a missing image fails before creating anything', async (t) => {
  if (!(await needDocker(t))) return;
  const name = `tsplay-fault-pull-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const res = await runModule(dockerContainer, { name, image: 'tsplay-test/not-built-anywhere:7', pull: 'never', network_mode: 'none' });
  assert.equal(res.failed, true);
  assert.match(String(res.msg), /Cannot find image with name tsplay-test\/not-built-anywhere:7, and pull=never/);
  const info = await runModule(dockerContainerInfo, { name });
  assert.equal(info.exists, false);
});

test('a missing image that cannot be pulled says so', async (t) => {
  if (!(await needDocker(t))) return;
  const name = `tsplay-fault-nopull-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const res = await runModule(dockerContainer, { name, image: 'tsplay-test/not-built-anywhere:7', network_mode: 'none' });
  assert.equal(res.failed, true);
  assert.match(String(res.msg), /Error pulling image tsplay-test\/not-built-anywhere:7/);
  assert.match(String(res.msg), /build or load it first/);
});

test('a container name already in use: the Engine\'s 409 is recognised', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const name = `tsplay-fault-name-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const first = await runCommand('docker', ['create', '--name', name, '--network', 'none', image, 'true']);
  assert.equal(first.code, 0, first.stderr);
  const client = await createDockerClient({ kind: 'unix', socketPath: '/var/run/docker.sock' });
  await assert.rejects(
    dial(client, `creating container ${name}`, { method: 'POST', path: '/containers/create', query: { name }, body: { Image: image, HostConfig: { NetworkMode: 'none' } } }),
    (err: unknown) => err instanceof DockerError && err.kind === 'name-conflict' && /is already in use by container/.test(err.message),
  );
});

test('two tasks racing for one container name: the loser gets a clear conflict message', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const name = `tsplay-fault-race-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const args = { name, image, command: 'sleep 60', network_mode: 'none', stop_timeout: 1 };
  // both look the name up before either creates it, as two hosts of one play would on a shared daemon
  const results = await Promise.all([runModule(dockerContainer, args), runModule(dockerContainer, args)]);
  const failed = results.filter((r) => r.failed);
  assert.equal(failed.length, 1, JSON.stringify(results.map((r) => ({ changed: r.changed, failed: r.failed, msg: r.msg }))));
  assert.match(String(failed[0].msg), /is already in use by container/);
  assert.match(String(failed[0].msg), new RegExp(`Another container took the name "${name}"`));
  assert.match(String(failed[0].msg), /docker rm -f/);
});

async function waitUntilRunning(name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await runCommand('docker', ['inspect', '--format', '{{.State.Running}}', name]);
    if (res.stdout.trim() === 'true') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`container ${name} never started`);
}

test('a container killed mid-run: status 137 and a message that says it was killed', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const name = `tsplay-fault-kill-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const pending = runModule(dockerContainer, { name, image, command: ['sleep', '60'], network_mode: 'none', detach: false }, moduleContext());
  await waitUntilRunning(name);
  const killed = await runCommand('docker', ['kill', name]);
  assert.equal(killed.code, 0, killed.stderr);
  const res = await pending;
  assert.equal(res.failed, true);
  assert.equal(res.status, 137);
  assert.match(String(res.msg), new RegExp(`Container "${name}" was killed before it finished: exit status 137 \\(SIGKILL\\)`));
});

test('a container removed mid-run: the task fails saying it vanished', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const name = `tsplay-fault-rm-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const pending = runModule(dockerContainer, { name, image, command: ['sleep', '60'], network_mode: 'none', detach: false }, moduleContext());
  await waitUntilRunning(name);
  const removed = await runCommand('docker', ['rm', '-f', name]);
  assert.equal(removed.code, 0, removed.stderr);
  const res = await pending;
  assert.equal(res.failed, true);
  assert.match(String(res.msg), new RegExp(`Container "${name}" vanished`));
});
