/**
 * A Docker daemon that accepts connections and never answers: the docker modules and the
 * docker_api connection give up after their `timeout` (community.docker's option, default 60 s)
 * with a message naming the daemon and the timeout, instead of waiting forever. A stand-in unix
 * socket server plays the hung daemon. A container run with detach: false may outlast the timeout:
 * only the wait for the daemon's answer to start is bounded (its timeout leaves room for a loaded
 * machine's daemon to start the container).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { dockerContainer } from '../../src/modules/docker/docker_container.js';
import { dockerContainerInfo } from '../../src/modules/docker/docker_container_info.js';
import { dockerImage } from '../../src/modules/docker/docker_image.js';
import { DockerApiConnection } from '../../src/connection/docker.js';
import { tempDir } from '../support/services.js';
import { moduleContext, needDocker, removeContainers, runModule, testImage, uniqueSuffix } from './support.js';

/** a unix socket that accepts every connection, reads what comes and never writes a byte */
async function hungDaemon(t: TestContext): Promise<string> {
  const dir = await tempDir('tsplay-hung-docker-', t);
  const path = join(dir, 'docker.sock');
  const held = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    held.add(sock);
    sock.resume();
    sock.on('close', () => held.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(async () => {
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return path;
}

async function timed<T>(p: Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = Date.now();
  const value = await p;
  return { value, seconds: (Date.now() - started) / 1000 };
}

const CASES = [
  ['docker_container_info', dockerContainerInfo, { name: 'anything' }],
  ['docker_image', dockerImage, { name: 'busybox:latest', source: 'local' }],
  ['docker_container', dockerContainer, { name: 'anything', image: 'busybox:latest', state: 'started' }],
] as const;

for (const [name, mod, args] of CASES) {
  test(`${name}: a daemon that never answers fails the task after timeout: 2`, async (t) => {
    const sock = await hungDaemon(t);
    const { value: res, seconds } = await timed(runModule(mod, { ...args, docker_host: `unix://${sock}`, timeout: 2 }, moduleContext()));
    assert.equal(res.failed, true, JSON.stringify(res));
    const msg = String(res.msg);
    assert.match(msg, /^Error connecting: the Docker daemon at unix:\/\/\S+docker\.sock accepted the connection but sent no answer within 2 s \(timeout=2; /);
    assert.doesNotMatch(msg, /\n\s+at /, 'no stack trace');
    assert.ok(seconds >= 1.9, `gave up after ${seconds} s, before its timeout`);
    // generous: the machine may be loaded, but nothing near the default 60 s
    assert.ok(seconds < 30, `took ${seconds} s`);
  });
}

test('docker_api connection: a daemon that never answers makes the host unreachable after ansible_docker_timeout', async (t) => {
  const sock = await hungDaemon(t);
  const conn = new DockerApiConnection({ host: 'c1', container: 'c1', docker: { dockerHost: `unix://${sock}`, timeoutSeconds: 2 } });
  const started = Date.now();
  await assert.rejects(conn.connect(), (err: Error) => {
    assert.equal(err.name, 'UnreachableError');
    assert.match(err.message, /Docker daemon at unix:\/\/\S+docker\.sock accepted the connection but sent no answer within 2 s/);
    return true;
  });
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds >= 1.9 && seconds < 30, `took ${seconds} s`);
});

test('detach: false outlasts the timeout: a container running 20 s with timeout: 15 succeeds', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const name = `tsplay-timeout-wait-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const res = await runModule(dockerContainer, { name, image, command: ['sleep', '20'], network_mode: 'none', detach: false, timeout: 15 }, moduleContext());
  assert.notEqual(res.failed, true, JSON.stringify(res));
  assert.equal(res.status, 0);
});
