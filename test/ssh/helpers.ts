/**
 * Shared by the ssh transport tests: a hand-built SshTarget for a test host (the seam resolve.ts
 * fills in for real runs) and small checks on the target container.
 */
import { readFile } from 'node:fs/promises';
import type { SshHost } from '../support/services.js';
import { runCommand } from '../support/services.js';
import type { SshTarget } from '../../src/connection/ssh/target.js';
import { SshConnection } from '../../src/connection/ssh/connection.js';

export async function targetFor(host: SshHost, over: Partial<SshTarget> = {}): Promise<SshTarget> {
  return {
    inventoryHost: `h${host.port}`,
    host: host.host,
    port: host.port,
    user: 'root',
    privateKeys: [{ path: host.key.privateKeyPath, key: await readFile(host.key.privateKeyPath) }],
    jumps: [],
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 5_000,
    ...over,
  };
}

/** a connection closed after the test */
export async function connectionFor(host: SshHost, t: { after(fn: () => unknown): void }, over: Partial<SshTarget> = {}): Promise<SshConnection> {
  const conn = new SshConnection(await targetFor(host, over));
  t.after(() => conn.close());
  return conn;
}

/** a shell command in the host's container (not through ssh): the test's independent view */
export async function inContainer(host: SshHost, script: string): Promise<string> {
  const res = await runCommand('docker', ['exec', host.id, 'sh', '-c', script]);
  if (res.code !== 0) throw new Error(`docker exec ${script}: ${res.code} ${res.stderr}`);
  return res.stdout;
}
