/**
 * This machine as an SSH host: a private sshd on a 127.0.0.1 port with its own host key, letting
 * root in with the tests' client key. The air-gapped fleet test uses it as the mirror host, so the
 * roles reach this machine's dockerd through the SSH connection, not directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, runCommand, sshClientKey, tempDir, waitForSshBanner, type SshClientKey } from '../support/services.js';

export interface LocalSshd {
  port: number;
  key: SshClientKey;
  /** `known_hosts` line for [127.0.0.1]:port */
  knownHostsLine: string;
  inventoryLine(alias: string): string;
  stop(): Promise<void>;
}

export const SSHD = '/usr/sbin/sshd';


export async function startLocalSshd(t: TestContext): Promise<LocalSshd> {
  const key = await sshClientKey();
  const dir = await tempDir('tsplay-local-sshd-', t);
  await mkdir('/run/sshd', { recursive: true });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const keygen = await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  if (keygen.code !== 0) throw new Error(`ssh-keygen: ${keygen.stderr}`);
  const authorized = join(dir, 'authorized_keys');
  await writeFile(authorized, `${key.publicKey}\n`, { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // the temp dir is not root-only the way sshd's StrictModes wants a home to be
      'StrictModes no',
      'AllowStreamLocalForwarding yes',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  try {
    await waitForSshBanner(port, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`the local sshd did not come up on 127.0.0.1:${port}: ${(err as Error).message}\n${log}`);
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  t.after(stop);
  const publicHostKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    port,
    key,
    knownHostsLine: `[127.0.0.1]:${port} ${publicHostKey}`,
    inventoryLine: (alias) => `${alias} ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root ansible_ssh_private_key_file=${key.privateKeyPath}`,
    stop,
  };
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}
