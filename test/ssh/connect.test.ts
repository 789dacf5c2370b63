/**
 * Opening ssh connections: host-key verdicts, each auth method and its failure message, jump
 * hosts, a failed or dropped connection becoming UnreachableError quickly.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SshConnection } from '../../src/connection/ssh/connection.js';
import { UnreachableError } from '../../src/connection/types.js';
import { baseImage, dockerAvailable, freePort, requireService, runCommand, startSshHost, tempDir } from '../support/services.js';
import { connectionFor, inContainer, targetFor } from './helpers.js';

const haveDocker = await dockerAvailable();
function ready(t: TestContext): boolean {
  return requireService(t, 'dockerd', haveDocker, 'run bash test/run.sh, which starts dockerd');
}

function unreachable(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof UnreachableError, `expected UnreachableError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  };
}

test('host keys: a refused key stops the connection before anything runs; an accepted one is checked per host and port', async (t) => {
  if (!ready(t)) return;
  const host = await startSshHost(await baseImage('bookworm'), t);
  const seen: Array<{ key: string; host: string; port: number }> = [];
  const refusing = await connectionFor(host, t, {
    verifyHostKey: (key, h, port) => {
      seen.push({ key: key.toString('base64'), host: h, port });
      return { ok: false, message: 'Host key verification failed: REMOTE HOST IDENTIFICATION HAS CHANGED (test)' };
    },
  });
  await assert.rejects(refusing.exec('touch /tmp/ran'), unreachable(/^Failed to connect to the host via ssh: root@127\.0\.0\.1:\d+: Host key verification failed: REMOTE HOST IDENTIFICATION HAS CHANGED \(test\)$/));
  assert.equal(await inContainer(host, 'test -e /tmp/ran && echo ran || echo nothing'), 'nothing\n');
  assert.equal(seen.length, 1, 'a refused host key is not retried');
  assert.equal(seen[0].host, '127.0.0.1');
  assert.equal(seen[0].port, host.port);
  // the key offered is one of the server's own host keys
  const offered = host.hostKeys.find((k) => k.split(' ')[1] === seen[0].key);
  assert.ok(offered, `offered key not among ${host.hostKeys.join(', ')}`);

  const accepting = await connectionFor(host, t, {
    verifyHostKey: (key) => (host.hostKeys.some((k) => k.split(' ')[1] === key.toString('base64')) ? { ok: true } : { ok: false, message: 'unknown key' }),
  });
  assert.equal((await accepting.exec(['echo', 'in'])).stdout, 'in\n');
});

test('auth: keys, agent, password and keyboard-interactive; failures say what was tried and never a secret', async (t) => {
  if (!ready(t)) return;
  const dir = await tempDir('tsplay-sshauth-', t);
  const password = 'Pw-for-login-7781';
  const host = await startSshHost(await baseImage('bookworm'), t, { users: [{ name: 'secure', password }], passwordAuth: 'password' });

  // a key the server does not know
  const stranger = join(dir, 'stranger');
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  const strangerKey = await readFile(stranger);
  const refused = new SshConnection(await targetFor(host, { privateKeys: [{ path: stranger, key: strangerKey }] }));
  await assert.rejects(refused.connect(), unreachable(new RegExp(`Permission denied for root \\(tried: key ${stranger}\\)`)));
  await assert.rejects(refused.connect(), (e: Error) => !e.message.includes(strangerKey.toString().split('\n')[1]));

  // an encrypted key: without its passphrase a clear error naming the file; with it, in
  const locked = join(dir, 'locked');
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'key-pass-991', '-f', locked]);
  await inContainer(host, `echo '${(await readFile(`${locked}.pub`, 'utf8')).trim()}' >> /root/.ssh/authorized_keys`);
  const lockedKey = await readFile(locked);
  const noPass = new SshConnection(await targetFor(host, { privateKeys: [{ path: locked, key: lockedKey }] }));
  await assert.rejects(noPass.connect(), unreachable(new RegExp(`cannot use the private key ${locked}: it is encrypted and no passphrase was given`)));
  const withPass = await connectionFor(host, t, { privateKeys: [{ path: locked, key: lockedKey, passphrase: 'key-pass-991' }] });
  assert.equal((await withPass.exec(['whoami'])).stdout, 'root\n');

  // the agent first, then keys: an agent holding the right key is enough
  const agentSock = join(dir, 'agent.sock');
  const agent = await runCommand('ssh-agent', ['-a', agentSock, '-s']);
  const agentPid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
  assert.ok(agentPid, agent.stdout + agent.stderr);
  t.after(() => process.kill(Number(agentPid)));
  assert.equal((await runCommand('ssh-add', [host.key.privateKeyPath], { env: { SSH_AUTH_SOCK: agentSock } })).code, 0);
  const viaAgent = await connectionFor(host, t, { agent: agentSock, privateKeys: [{ path: stranger, key: strangerKey }] });
  assert.equal((await viaAgent.exec(['whoami'])).stdout, 'root\n');

  // password login
  const byPassword = await connectionFor(host, t, { user: 'secure', privateKeys: [], password });
  assert.equal((await byPassword.exec(['whoami'])).stdout, 'secure\n');
  const wrong = new SshConnection(await targetFor(host, { user: 'secure', privateKeys: [{ path: stranger, key: strangerKey }], password: 'not-the-password' }));
  await assert.rejects(wrong.connect(), (e: unknown) => {
    unreachable(new RegExp(`^Failed to connect to the host via ssh: secure@127\\.0\\.0\\.1:${host.port}: Permission denied for secure \\(tried: key ${stranger}, password\\)$`))(e);
    assert.ok(!(e as Error).message.includes('not-the-password'));
    return true;
  });
  const none = new SshConnection(await targetFor(host, { privateKeys: [] }));
  await assert.rejects(none.connect(), unreachable(/tried: none: no agent, key or password was given/));

  // keyboard-interactive only (PAM), answered with the password
  const kbd = await startSshHost(await baseImage('bookworm'), t, { users: [{ name: 'secure', password }], passwordAuth: 'keyboard-interactive' });
  const byKbd = await connectionFor(kbd, t, { user: 'secure', privateKeys: [], password });
  assert.equal((await byKbd.exec(['whoami'])).stdout, 'secure\n');
});

test('nothing listening: UnreachableError naming host and port, after one quick retry', async (t) => {
  const port = await freePort();
  const conn = new SshConnection({
    inventoryHost: 'nowhere',
    host: '127.0.0.1',
    port,
    user: 'root',
    privateKeys: [],
    jumps: [],
    connectTimeoutMs: 3000,
    keepaliveIntervalMs: 0,
  });
  const started = Date.now();
  await assert.rejects(conn.exec(['true']), (e: unknown) => {
    unreachable(new RegExp(`^Failed to connect to the host via ssh: root@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))(e);
    assert.equal((e as UnreachableError).host, 'nowhere');
    return true;
  });
  assert.ok(Date.now() - started < 3000);
});

test('ProxyJump: the target is reached through the bastion, by a name only the bastion can resolve', async (t) => {
  if (!ready(t)) return;
  const image = await baseImage('bookworm');
  const [bastion, inner] = await Promise.all([startSshHost(image, t), startSshHost(image, t)]);
  await inContainer(bastion, 'echo "127.0.0.1 tsplay-behind-bastion" >> /etc/hosts');
  const jump = await targetFor(bastion, { inventoryHost: 'bastion' });
  const conn = await connectionFor(inner, t, { host: 'tsplay-behind-bastion', jumps: [jump] });
  assert.equal((await conn.exec('cat /etc/hostname; echo $SSH_CONNECTION')).rc, 0);
  await conn.writeFile('/tmp/through-jump', 'j');
  assert.equal(await inContainer(inner, 'cat /tmp/through-jump'), 'j');
  // without the jump the name does not resolve here
  const direct = new SshConnection(await targetFor(inner, { host: 'tsplay-behind-bastion', connectTimeoutMs: 3000 }));
  await assert.rejects(direct.connect(), unreachable(/tsplay-behind-bastion/));
  // a jump host that refuses us is named in the message
  const badJump = new SshConnection(await targetFor(inner, { jumps: [{ ...jump, privateKeys: [] }] }));
  await assert.rejects(badJump.connect(), unreachable(new RegExp(`jump host root@127\\.0\\.0\\.1:${bastion.port}: Permission denied`)));
  // losing the bastion loses the target
  const running = assert.rejects(conn.exec('sleep 30'), unreachable(/lost/));
  await new Promise((r) => setTimeout(r, 300));
  await bastion.stop();
  await running;
});

test('sshd killed mid-command: the call and later calls fail as unreachable, quickly', async (t) => {
  if (!ready(t)) return;
  const host = await startSshHost(await baseImage('bookworm'), t);
  const conn = await connectionFor(host, t, { connectTimeoutMs: 3000 });
  await conn.connect();
  let killed = 0;
  const settled: number[] = [];
  const running = assert.rejects(conn.exec('sleep 60'), unreachable(/lost/)).then(() => settled.push(Date.now()));
  const reading = assert.rejects(conn.readFile('/dev/zero'), unreachable(/lost/)).then(() => settled.push(Date.now()));
  await new Promise((r) => setTimeout(r, 300));
  killed = Date.now();
  await runCommand('docker', ['kill', host.id]);
  await Promise.all([running, reading]);
  assert.ok(Math.max(...settled) - killed < 5000, `took ${Math.max(...settled) - killed} ms`);
  const later = Date.now();
  await assert.rejects(conn.stat('/'), unreachable(/Failed to connect to the host via ssh/));
  assert.ok(Date.now() - later < 5000);
});

test('reset: the connection is dropped and the next call opens a new one', async (t) => {
  if (!ready(t)) return;
  const host = await startSshHost(await baseImage('bookworm'), t);
  const conn = await connectionFor(host, t);
  const port = async (): Promise<string> => (await conn.exec('echo $SSH_CLIENT')).stdout.split(' ')[1];
  const first = await port();
  assert.equal(await port(), first, 'calls share the connection');
  await conn.reset();
  assert.notEqual(await port(), first, 'a new connection after reset');
  await conn.close();
  await conn.close();
});
