/**
 * A Docker daemon behind TLS, named by DOCKER_HOST/DOCKER_TLS_VERIFY/DOCKER_CERT_PATH in the
 * task's environment, used by a docker module on a host reached over SSH: the certificates are
 * read on that host (they exist only there) and the TCP connection is made from it (ssh2
 * direct-tcpip), as ansible-playbook's module running there would. The daemon is this machine's
 * dockerd behind a TLS front that demands a client certificate signed by the test's CA.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { baseImage, dockerAvailable, requireService, runCommand, runTsplay, startSshHost, tempDir } from '../support/services.js';
import { inContainer } from './helpers.js';

const CERT_DIR = '/etc/tsplay-docker-tls';

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await runCommand('openssl', args, { cwd });
  assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** a CA, a server certificate for 127.0.0.1 and a client certificate, as Docker's TLS guide makes them */
async function makeCertificates(dir: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=tsplay test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem'], dir);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr'], dir);
  await writeFile(join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server-cert.pem'], dir);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=client', '-keyout', 'key.pem', '-out', 'client.csr'], dir);
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage = clientAuth\n');
  await openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'client.ext', '-out', 'cert.pem'], dir);
}

test('docker modules over SSH reach a TLS daemon from the target with the target\'s certificates', { timeout: 180_000 }, async (t) => {
  if (!requireService(t, 'dockerd', await dockerAvailable(), 'run bash test/run.sh, which starts dockerd')) return;
  assert.equal(existsSync(CERT_DIR), false, `${CERT_DIR} must not exist on the controller: the test proves it is read on the target`);
  const dir = await tempDir('tsplay-docker-tls-', t);
  const pki = join(dir, 'pki');
  await mkdir(pki);
  await makeCertificates(pki);

  // the TLS front: only clients holding a certificate of our CA get through to dockerd
  const authorized: string[] = [];
  const server = createTlsServer(
    {
      key: await readFile(join(pki, 'server-key.pem')),
      cert: await readFile(join(pki, 'server-cert.pem')),
      ca: await readFile(join(pki, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket: TLSSocket) => {
      authorized.push(String(socket.getPeerCertificate().subject?.CN));
      const daemon = netConnect('/var/run/docker.sock');
      socket.pipe(daemon).pipe(socket);
      socket.on('error', () => daemon.destroy());
      daemon.on('error', () => socket.destroy());
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;

  const host = await startSshHost(await baseImage('bookworm'), t);
  await inContainer(host, `mkdir -p ${CERT_DIR}`);
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) {
    const cp = await runCommand('docker', ['cp', join(pki, f), `${host.id}:${CERT_DIR}/${f}`]);
    assert.equal(cp.code, 0, cp.stderr);
  }

  const inventory = join(dir, 'inventory');
  await writeFile(inventory, `${host.inventoryLine('target')}\n`);
  const playbook = join(dir, 'site.yml');
  await writeFile(
    playbook,
    `- hosts: target
  gather_facts: false
  environment:
    DOCKER_HOST: tcp://127.0.0.1:${port}
    DOCKER_TLS_VERIFY: "1"
    DOCKER_CERT_PATH: ${CERT_DIR}
  tasks:
    - name: the target host's own container, seen through the TLS daemon
      community.docker.docker_container_info:
        name: ${host.id}
      register: info
    - assert:
        that:
          - info.exists
          - info.container.Id == "${host.id}"
    - name: certificates that are not there
      community.docker.docker_container_info:
        name: ${host.id}
      environment:
        DOCKER_CERT_PATH: /nonexistent-certs
      ignore_errors: true
      register: missing
    - assert:
        that:
          - missing is failed
          - "'cannot read the Docker TLS CA certificate /nonexistent-certs/ca.pem on target' in missing.msg"
`,
  );
  const r = await runTsplay(['run', '-i', inventory, playbook], { env: { TSPLAY_PLAIN: '1', ANSIBLE_HOST_KEY_CHECKING: 'False' }, cwd: dir });
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 0, out);
  assert.match(out, /target\s+: ok=4\s+changed=0\s+unreachable=0\s+failed=0\s+skipped=0\s+rescued=0\s+ignored=1/, out);
  assert.ok(authorized.length > 0 && authorized.every((cn) => cn === 'client'), `the daemon saw the client certificate: ${JSON.stringify(authorized)}`);
});
