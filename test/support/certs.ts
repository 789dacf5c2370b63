/**
 * Certificates made by the real openssl for TLS tests: a CA, a server certificate for 127.0.0.1
 * and a client certificate, as Docker's TLS guide makes them. Files in `dir`: ca.pem, ca-key.pem,
 * server-cert.pem, server-key.pem, cert.pem, key.pem.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './services.js';

export async function openssl(dir: string, args: string[]): Promise<void> {
  const res = await runCommand('openssl', args, { cwd: dir });
  assert.equal(res.code, 0, `openssl ${args.join(' ')}: ${res.stderr}`);
}

export async function makeCertificates(dir: string): Promise<void> {
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tsplay-test-ca']);
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await writeFile(join(dir, 'server.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', '2', '-extfile', 'server.cnf']);
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=client']);
  await writeFile(join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n');
  await openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'client.cnf']);
}
