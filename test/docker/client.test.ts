/**
 * The Docker client factory: address resolution from docker_host / DOCKER_HOST and the TLS
 * environment, and the transport seam an SSH connection will use — a client, a module and the
 * docker_api connection all driven through byte streams this test opens itself.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { DockerApiConnection } from '../../src/connection/docker.js';
import { LocalConnection } from '../../src/connection/local.js';
import { createDockerClient, dockerClientFor, DockerHostError, loadTlsMaterial, resolveDockerTransport } from '../../src/docker/client.js';
import { dockerContainer } from '../../src/modules/docker/docker_container.js';
import { dockerContainerInfo } from '../../src/modules/docker/docker_container_info.js';
import { DOCKER_SOCKET, runCommand, startContainerHost, tempDir } from '../support/services.js';
import { moduleContext, needDocker, removeContainers, runModule, testImage, uniqueSuffix } from './support.js';

test('docker_host and DOCKER_HOST resolve to transports', () => {
  assert.deepEqual(resolveDockerTransport({}, {}), { kind: 'unix', socketPath: '/var/run/docker.sock' });
  // community.docker's own default spelling has two slashes
  assert.deepEqual(resolveDockerTransport({ dockerHost: 'unix://var/run/docker.sock' }, {}), { kind: 'unix', socketPath: '/var/run/docker.sock' });
  assert.deepEqual(resolveDockerTransport({}, { DOCKER_HOST: 'unix:///run/user/docker.sock' }), { kind: 'unix', socketPath: '/run/user/docker.sock' });
  assert.deepEqual(resolveDockerTransport({}, { DOCKER_HOST: 'tcp://127.0.0.1:2375' }), { kind: 'tcp', host: '127.0.0.1', port: 2375 });
  // the module option wins over the environment
  assert.deepEqual(resolveDockerTransport({ dockerHost: 'tcp://127.0.0.2:4000' }, { DOCKER_HOST: 'unix:///x.sock' }), { kind: 'tcp', host: '127.0.0.2', port: 4000 });
  assert.deepEqual(resolveDockerTransport({}, { DOCKER_HOST: '127.0.0.1:2375' }), { kind: 'tcp', host: '127.0.0.1', port: 2375 });
  assert.throws(() => resolveDockerTransport({ dockerHost: 'ssh://user@host' }, {}), DockerHostError);
  assert.throws(() => resolveDockerTransport({ dockerHost: 'ftp://x' }, {}), /unsupported scheme ftp:/);
});

test('DOCKER_TLS_VERIFY and DOCKER_CERT_PATH give a verified TLS transport with the certificates', async (t) => {
  const dir = await tempDir('tsplay-docker-certs-', t);
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, f), `-----BEGIN ${f}-----\n`);
  const named = resolveDockerTransport({}, { DOCKER_HOST: 'tcp://127.0.0.1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir });
  assert.equal(named.kind, 'tcp');
  if (named.kind !== 'tcp') return;
  assert.equal(named.port, 2376, 'TLS default port');
  assert.deepEqual(named.tlsFiles, { verify: true, ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }, 'named, not read yet');
  const tr = await loadTlsMaterial(named, (path) => readFile(path));
  assert.equal(tr.kind, 'tcp');
  if (tr.kind !== 'tcp') return;
  assert.equal(tr.tls?.verify, true);
  assert.equal(tr.tls?.ca?.toString(), '-----BEGIN ca.pem-----\n');
  assert.equal(tr.tls?.key?.toString(), '-----BEGIN key.pem-----\n');
  const missing = resolveDockerTransport({}, { DOCKER_HOST: 'tcp://127.0.0.1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'missing') });
  await assert.rejects(loadTlsMaterial(missing, (path) => readFile(path), 'web1'), /cannot read the Docker TLS CA certificate .*missing\/ca\.pem on web1: ENOENT/);
});

/**
 * A stand-in for an SSH channel forwarded to the daemon's socket: a Duplex of its own (not a
 * net.Socket) with an ssh2 Channel's manners — half-open allowed, and an empty write is a no-op
 * (Node's http client ends each request with one, possibly after the daemon closed its side).
 */
class ChannelLike extends Duplex {
  constructor(private readonly sock: net.Socket) {
    super({ allowHalfOpen: true });
    sock.on('data', (d: Buffer) => {
      if (!this.push(d)) sock.pause();
    });
    sock.on('end', () => this.push(null));
    sock.on('error', (e) => this.destroy(e));
  }
  override _read(): void {
    this.sock.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (chunk.length === 0) return cb();
    this.sock.write(chunk, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.sock.end(cb);
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.sock.destroy();
    cb(err);
  }
}

/** Channels to the local daemon, counting how many were opened. */
function countingOpener(): { open: () => Promise<Duplex>; opened: () => number } {
  let count = 0;
  return {
    opened: () => count,
    open: () =>
      new Promise<Duplex>((resolve, reject) => {
        const sock = net.connect(DOCKER_SOCKET);
        sock.once('connect', () => {
          count++;
          resolve(new ChannelLike(sock));
        });
        sock.once('error', reject);
      }),
  };
}

test('a client routed through a caller-supplied stream talks to the daemon', async (t) => {
  if (!(await needDocker(t))) return;
  const opener = countingOpener();
  const client = await createDockerClient({ kind: 'stream', open: opener.open, label: 'test stream to docker.sock' });
  const version = await client.api.version();
  assert.match(String(version.ApiVersion), /^1\.\d+$/);
  const before = opener.opened();
  assert.ok(before >= 1);
  await client.api.listImages();
  assert.ok(opener.opened() > before, 'each request opened its own stream');
});

test('a stream that cannot be opened is reported like a missing daemon', async () => {
  const client = await createDockerClient({
    kind: 'stream',
    label: 'unix:///var/run/docker.sock on web1',
    open: () => Promise.reject(Object.assign(new Error('channel open failure'), { code: 'ECONNREFUSED' })),
  });
  await assert.rejects(client.call('list containers', (api) => api.listContainers()), /Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock on web1/);
});

/** What an SSH connection will be: not local, and able to open a Unix socket on its host. */
class SocketForwardingConnection extends LocalConnection {
  override readonly transport = 'forwarding-test' as 'local';
  // a LocalConnection underneath, but standing for another machine
  override readonly targetIsController = false;
  readonly paths: string[] = [];
  constructor(private readonly opener: () => Promise<Duplex>) {
    super('remote-test-host');
  }
  async openUnixSocket(path: string): Promise<Duplex> {
    this.paths.push(path);
    return this.opener();
  }
}

test('modules on a non-local connection reach the daemon through connection.openUnixSocket', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const name = `tsplay-seam-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const opener = countingOpener();
  const conn = new SocketForwardingConnection(opener.open);
  const ctx = moduleContext({ conn });
  const res = await runModule(dockerContainer, { name, image, command: ['sh', '-c', 'echo through the seam'], network_mode: 'none', detach: false, cleanup: true }, ctx);
  assert.equal(res.failed, undefined, String(res.msg));
  assert.equal((res.container as { Output?: string }).Output, 'through the seam\n');
  assert.ok(opener.opened() >= 3, `create, start, wait, logs... went through the stream (${opener.opened()} opens)`);
  assert.ok(conn.paths.every((p) => p === '/var/run/docker.sock'));
  // docker_host names the socket path on that host
  const info = await runModule(dockerContainerInfo, { name: 'nothing-here', docker_host: 'unix:///run/other/docker.sock' }, ctx);
  assert.equal(info.failed, undefined, String(info.msg));
  assert.equal(conn.paths.at(-1), '/run/other/docker.sock');
  // the same connection and address reuse one client
  assert.equal(await dockerClientFor(conn, {}), await dockerClientFor(conn, {}));
});

test('a connection that cannot open sockets gets a clear error, not a local daemon', async () => {
  const conn = new (class extends LocalConnection {
    override readonly transport = 'no-sockets' as 'local';
    override readonly targetIsController = false;
  })('other-host');
  const res = await runModule(dockerContainerInfo, { name: 'x' }, moduleContext({ conn }));
  assert.equal(res.failed, true);
  assert.match(String(res.msg), /host other-host: its no-sockets connection cannot open the Docker socket \/var\/run\/docker\.sock/);
});

test('hijacked exec streams (stdin) also work through the seam', async (t) => {
  if (!(await needDocker(t))) return;
  const host = await startContainerHost(await testImage(), t, { namePrefix: 'tsplay-seam-exec' });
  const opener = countingOpener();
  const client = await createDockerClient({ kind: 'stream', open: opener.open, label: 'test stream' });
  const conn = new DockerApiConnection({ host: host.name, client });
  t.after(() => conn.close());
  const res = await conn.exec(['cat'], { stdin: 'piped through a stream\n' });
  assert.deepEqual(res, { rc: 0, stdout: 'piped through a stream\n', stderr: '' });
  assert.ok(opener.opened() >= 3);
  const check = await runCommand('docker', ['exec', host.name, 'true']);
  assert.equal(check.code, 0);
});
