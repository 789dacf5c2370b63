/**
 * DOCKER_HOST=tcp:// for real: the local daemon exposed on a loopback port by a relay this test
 * runs (plain TCP, then TLS with client certificates made by openssl), and docker_container run
 * through it with docker_host or DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import tls from 'node:tls';
import { dockerContainer } from '../../src/modules/docker/docker_container.js';
import { dockerContainerInfo } from '../../src/modules/docker/docker_container_info.js';
import { makeCertificates, openssl } from '../support/certs.js';
import { DOCKER_SOCKET, findOnPath, requireService, tempDir } from '../support/services.js';
import { needDocker, removeContainers, runModule, testImage, uniqueSuffix } from './support.js';

/** Relays every accepted connection to the daemon's unix socket; counts connections. */
async function relay(t: TestContext, server: net.Server): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', (client: net.Socket) => {
    count++;
    const daemon = net.connect(DOCKER_SOCKET);
    sockets.add(client).add(daemon);
    client.pipe(daemon).pipe(client);
    const drop = (): void => {
      client.destroy();
      daemon.destroy();
    };
    client.on('error', drop).on('close', drop);
    daemon.on('error', drop).on('close', drop);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((ok) => server.close(() => ok()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => count };
}

function withEnv(t: TestContext, vars: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test('docker_host tcp:// reaches the daemon over plain TCP', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const { port, connections } = await relay(t, net.createServer());
  const name = `tsplay-tcp-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const res = await runModule(dockerContainer, {
    name,
    image,
    command: ['echo', 'over tcp'],
    network_mode: 'none',
    detach: false,
    cleanup: true,
    docker_host: `tcp://127.0.0.1:${port}`,
  });
  assert.equal(res.failed, undefined, String(res.msg));
  assert.equal((res.container as { Output: string }).Output, 'over tcp\n');
  assert.ok(connections() >= 1, 'the requests went through the relay');
});

test('DOCKER_HOST tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: mutual TLS', async (t) => {
  if (!(await needDocker(t))) return;
  if (!requireService(t, 'openssl', findOnPath('openssl') !== undefined, 'apt-get install openssl')) return;
  const image = await testImage();
  const dir = await tempDir('tsplay-docker-tls-', t);
  await makeCertificates(dir);
  const server = tls.createServer({
    key: await readFile(join(dir, 'server-key.pem')),
    cert: await readFile(join(dir, 'server-cert.pem')),
    ca: await readFile(join(dir, 'ca.pem')),
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on('tlsClientError', () => undefined); // rejected handshakes are part of the test
  const { port, connections } = await relay(t, server);
  const name = `tsplay-tls-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));

  withEnv(t, { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir });
  const res = await runModule(dockerContainer, { name, image, command: ['echo', 'over tls'], network_mode: 'none', detach: false, cleanup: true });
  assert.equal(res.failed, undefined, String(res.msg));
  assert.equal((res.container as { Output: string }).Output, 'over tls\n');
  assert.ok(connections() >= 1, 'the requests went through the TLS relay');

  // a CA that did not sign the server's certificate: verification fails, and says where
  const otherCa = join(dir, 'other');
  await mkdir(otherCa);
  await openssl(otherCa, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=someone-else']);
  await copyFile(join(dir, 'cert.pem'), join(otherCa, 'cert.pem'));
  await copyFile(join(dir, 'key.pem'), join(otherCa, 'key.pem'));
  process.env.DOCKER_CERT_PATH = otherCa;
  const untrusted = await runModule(dockerContainerInfo, { name });
  assert.equal(untrusted.failed, true);
  assert.match(String(untrusted.msg), new RegExp(`https://127\\.0\\.0\\.1:${port}`));
  assert.match(String(untrusted.msg), /certificate/i);
});
