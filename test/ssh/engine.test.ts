/**
 * `tsplay run` over SSH against sshd in containers: host key verdicts end to end (unknown key →
 * that host UNREACHABLE with the message and exit 4 while the other host goes on; a hashed
 * known_hosts entry → runs; ANSIBLE_HOST_KEY_CHECKING=False → runs), templated ansible_host,
 * ProxyJump through ansible_ssh_common_args, a stopped sshd compared with ansible-playbook's
 * recap, -u/--private-key/-T, and delegate_to sharing the delegated host's connection.
 * Each run gets its own HOME, so ~/.ssh is the test's.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import {
  ansibleAvailable, baseImage, dockerAvailable, freePort, requireService, runAnsiblePlaybook, runCommand, runTsplay, startSshHost, tempDir, type SshHost,
} from '../support/services.js';
import { inContainer } from './helpers.js';

const haveDocker = await dockerAvailable();
const HINT = 'run bash test/run.sh, which starts dockerd';

const hosts: Promise<SshHost>[] = [];
/** shared hosts (the tests only add files under /tmp/tsplay-engine-*) */
function sshHost(i: number): Promise<SshHost> {
  hosts[i] ??= baseImage('bookworm').then((image) => startSshHost(image));
  return hosts[i];
}
after(async () => {
  for (const h of hosts) if (h) await (await h).stop();
});

function ready(t: TestContext): boolean {
  return requireService(t, 'dockerd', haveDocker, HINT);
}

interface Workspace {
  dir: string;
  home: string;
  env: Record<string, string>;
  write(name: string, text: string): Promise<string>;
}

async function workspace(t: TestContext): Promise<Workspace> {
  const dir = await tempDir('tsplay-ssh-engine-', t);
  const home = join(dir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  return {
    dir,
    home,
    // no agent, no ansible.cfg from elsewhere, plain output
    env: { HOME: home, SSH_AUTH_SOCK: '', ANSIBLE_CONFIG: join(dir, 'none.cfg'), TSPLAY_PLAIN: '1', CI: '' },
    write: async (name, text) => {
      const p = join(dir, name);
      await writeFile(p, text);
      return p;
    },
  };
}

/** the inventory line of host `alias` with our key, nothing about host keys */
function line(alias: string, h: SshHost, extra = ''): string {
  return `${alias} ansible_host=127.0.0.1 ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${h.key.privateKeyPath} ${extra}`.trim();
}

const MARK_PLAY = (marker: string) => `- hosts: all
  gather_facts: false
  tasks:
    - name: mark
      command: touch /tmp/${marker}-{{ inventory_hostname }}
`;

async function exists(h: SshHost, path: string): Promise<boolean> {
  return (await inContainer(h, `test -e ${path} && echo yes || echo no`)).trim() === 'yes';
}

function uniq(prefix: string): string {
  return `tsplay-engine-${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

test('host keys: unknown key → that host UNREACHABLE with the offered key and how to accept it, exit 4, the other host goes on; a hashed known_hosts entry → runs', async (t) => {
  if (!ready(t)) return;
  const [a, b] = await Promise.all([sshHost(0), sshHost(1)]);
  const ws = await workspace(t);
  // b is known (hashed entry, as HashKnownHosts writes it); a is not
  const kh = join(ws.home, '.ssh', 'known_hosts');
  await writeFile(kh, b.hostKeys.map((k) => `[127.0.0.1]:${b.port} ${k}`).join('\n') + '\n');
  const hashed = await runCommand('ssh-keygen', ['-H', '-f', kh]);
  assert.equal(hashed.code, 0, hashed.stderr);
  const inv = await ws.write('inventory', `${line('hosta', a)}\n${line('hostb', b)}\n`);
  const marker = uniq('hk');
  const pb = await ws.write('site.yml', MARK_PLAY(marker));
  const r = await runTsplay(['run', '-i', inv, pb], { env: ws.env, cwd: ws.dir });
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 4, out);
  assert.match(out, /fatal: \[hosta\]: UNREACHABLE!/);
  assert.match(out, new RegExp(`authenticity of host '\\[127\\.0\\.0\\.1\\]:${a.port}' can't be established`));
  assert.match(out, /SHA256:[A-Za-z0-9+/]{43}/, 'the fingerprint of the offered key');
  assert.ok(out.includes(`ssh-keyscan -p ${a.port} 127.0.0.1 >> ${kh}`), out);
  assert.match(out, /hosta\s+: ok=0\s+changed=0\s+unreachable=1\s+failed=0/);
  assert.match(out, /hostb\s+: ok=1\s+changed=1\s+unreachable=0\s+failed=0/);
  assert.equal(await exists(b, `/tmp/${marker}-hostb`), true, 'the known host ran its task');
  assert.equal(await exists(a, `/tmp/${marker}-hosta`), false, 'nothing ran on the unknown host');

  // with checking off through the environment, both run
  const r2 = await runTsplay(['run', '-i', inv, pb], { env: { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' }, cwd: ws.dir });
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  assert.equal(await exists(a, `/tmp/${marker}-hosta`), true);
});

test('templated ansible_host, -u and --private-key from the command line, ProxyJump through ansible_ssh_common_args', async (t) => {
  if (!ready(t)) return;
  const [target, jump] = await Promise.all([sshHost(0), sshHost(1)]);
  const ws = await workspace(t);
  const marker = uniq('tpl');
  const inv = await ws.write(
    'inventory',
    [
      `templated ansible_host="{{ address }}" address=127.0.0.1 ansible_port=${target.port}`,
      `jumped ansible_host=127.0.0.1 ansible_port=${target.port} ansible_ssh_common_args='-o ProxyJump=root@127.0.0.1:${jump.port}'`,
    ].join('\n') + '\n',
  );
  const pb = await ws.write('site.yml', MARK_PLAY(marker));
  const before = (await runCommand('docker', ['logs', jump.id])).stderr.split('Accepted publickey').length;
  const r = await runTsplay(['run', '-i', inv, pb, '-u', 'root', '--private-key', target.key.privateKeyPath], {
    env: { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' },
    cwd: ws.dir,
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await exists(target, `/tmp/${marker}-templated`), true);
  assert.equal(await exists(target, `/tmp/${marker}-jumped`), true);
  const afterLogs = (await runCommand('docker', ['logs', jump.id])).stderr.split('Accepted publickey').length;
  assert.equal(afterLogs - before, 1, 'one login on the jump host: the jumped host was reached through it');

  // without -u the local user (root here too) and without a key nothing logs in
  const r2 = await runTsplay(['run', '-i', inv, pb, '--limit', 'templated'], { env: { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' }, cwd: ws.dir });
  assert.equal(r2.code, 4, r2.stdout + r2.stderr);
  assert.match(r2.stdout + r2.stderr, /templated.*UNREACHABLE/);
});

test('ProxyCommand (ssh -W through a bastion) in ansible_ssh_common_args: reached through it; a proxy that fails makes the host unreachable with its message, as under ansible-playbook', async (t) => {
  if (!ready(t)) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'install ansible-core')) return;
  const [target, bastion] = await Promise.all([sshHost(0), sshHost(1)]);
  const ws = await workspace(t);
  const marker = uniq('proxy');
  const noCheck = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR';
  const proxy = `ssh ${noCheck} -i ${target.key.privateKeyPath} -p ${bastion.port} -W %h:%p root@127.0.0.1`;
  const inv = await ws.write(
    'inventory',
    [
      `proxied ansible_host=127.0.0.1 ansible_port=${target.port} ansible_user=root ansible_ssh_private_key_file=${target.key.privateKeyPath} ansible_ssh_common_args='${noCheck} -o ProxyCommand="${proxy}"'`,
      `broken ansible_host=127.0.0.1 ansible_port=${target.port} ansible_user=root ansible_ssh_private_key_file=${target.key.privateKeyPath} ansible_ssh_common_args='${noCheck} -o ProxyCommand="sh -c \\"echo no route to bastion >&2; exit 3\\""'`,
    ].join('\n') + '\n',
  );
  const pb = await ws.write('site.yml', MARK_PLAY(marker));
  const logins = async (): Promise<number> => (await runCommand('docker', ['logs', bastion.id])).stderr.split('Accepted publickey').length;
  const before = await logins();
  const r = await runTsplay(['run', '-i', inv, pb], { env: ws.env, cwd: ws.dir });
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 4, out);
  assert.equal(await exists(target, `/tmp/${marker}-proxied`), true, out);
  // at least one: under load the first handshake may time out and be retried once
  assert.ok((await logins()) - before >= 1, 'the proxied host was reached through the bastion');
  assert.match(out, /fatal: \[broken\]: UNREACHABLE!.*ProxyCommand .* exited with status 3: no route to bastion/);
  const a = await runAnsiblePlaybook(['-i', inv, pb], { env: ws.env, cwd: ws.dir });
  const recap = (text: string) => text.split('\n').filter((l) => /^(proxied|broken)\s+:/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim());
  assert.equal(a.code, 4, a.stdout + a.stderr);
  assert.deepEqual(recap(r.stdout), recap(a.stdout));
});

test('-T: a server that never answers is unreachable after the timeout', async (t) => {
  if (!ready(t)) return;
  const ws = await workspace(t);
  // accepts TCP and says nothing: only the connect timeout ends the wait
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const inv = await ws.write('inventory', `mute ansible_host=127.0.0.1 ansible_port=${port}\n`);
  const pb = await ws.write('site.yml', MARK_PLAY(uniq('mute')));
  const started = Date.now();
  const r = await runTsplay(['run', '-i', inv, pb, '-T', '2'], { env: { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' }, cwd: ws.dir, timeoutMs: 60_000 });
  const took = Date.now() - started;
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, /mute.*UNREACHABLE.*timed out/i);
  assert.ok(took < 9_000, `-T 2 should end well before the default 10 s (took ${took} ms)`);
});

test('a stopped sshd: unreachable, exit 4, the same recap as ansible-playbook for the same inventory', async (t) => {
  if (!ready(t)) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'install ansible-core')) return;
  const up = await sshHost(0);
  const ws = await workspace(t);
  const downPort = await freePort();
  const common = `ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'`;
  const inv = await ws.write(
    'inventory',
    `${line('up', up, common)}\ndown ansible_host=127.0.0.1 ansible_port=${downPort} ansible_user=root ansible_ssh_private_key_file=${up.key.privateKeyPath} ${common}\n`,
  );
  const pb = await ws.write(
    'site.yml',
    `- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
    - debug: msg=second
`,
  );
  const ours = await runTsplay(['run', '-i', inv, pb], { env: ws.env, cwd: ws.dir });
  const theirs = await runAnsiblePlaybook(['-i', inv, pb], { cwd: ws.dir });
  assert.equal(theirs.code, 4, theirs.stdout + theirs.stderr);
  assert.equal(ours.code, 4, ours.stdout + ours.stderr);
  const recap = (s: string) =>
    s
      .slice(s.indexOf('PLAY RECAP'))
      .split('\n')
      .filter((l) => /: ok=/.test(l))
      .map((l) => l.replace(/\s+/g, ' ').trim());
  assert.deepEqual(recap(ours.stdout), recap(theirs.stdout));
  assert.match(ours.stdout, /fatal: \[down\]: UNREACHABLE!.*Failed to connect to the host via ssh/);
});

test('delegate_to over SSH shares the delegated host connection with its own tasks (one login)', async (t) => {
  if (!ready(t)) return;
  const [a, b] = await Promise.all([sshHost(0), sshHost(1)]);
  const ws = await workspace(t);
  const marker = uniq('deleg');
  const inv = await ws.write('inventory', `${line('hosta', a)}\n${line('hostb', b)}\n`);
  const pb = await ws.write(
    'site.yml',
    `- hosts: all
  gather_facts: false
  tasks:
    - name: each host writes on hostb
      command: touch /tmp/${marker}-from-{{ inventory_hostname }}
      delegate_to: hostb
    - name: and on itself
      command: touch /tmp/${marker}-own-{{ inventory_hostname }}
`,
  );
  const logins = async () => (await runCommand('docker', ['logs', b.id])).stderr.split('Accepted publickey').length;
  const before = await logins();
  const r = await runTsplay(['run', '-i', inv, pb], { env: { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' }, cwd: ws.dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await exists(b, `/tmp/${marker}-from-hosta`), true);
  assert.equal(await exists(b, `/tmp/${marker}-from-hostb`), true);
  assert.equal(await exists(b, `/tmp/${marker}-own-hostb`), true);
  assert.equal(await exists(a, `/tmp/${marker}-own-hosta`), true);
  assert.equal(await exists(a, `/tmp/${marker}-from-hosta`), false, 'the delegated task did not run on hosta');
  assert.equal((await logins()) - before, 1, 'hostb was logged into once, by delegations and its own tasks together');
});

test('password login from --connection-password-file, sudo with --become-password-file; the passwords appear in no output, -vvvv and --json included', async (t) => {
  if (!ready(t)) return;
  const loginPw = `login-${Math.random().toString(36).slice(2, 10)}`;
  const host = await startSshHost(await baseImage('bookworm'), t, { users: [{ name: 'deploy', password: loginPw, sudo: 'password' }], passwordAuth: 'password' });
  const ws = await workspace(t);
  const pwFile = await ws.write('login.pw', `${loginPw}\n`);
  const inv = await ws.write('inventory', `pwhost ansible_host=127.0.0.1 ansible_port=${host.port} ansible_user=deploy\n`);
  const pb = await ws.write(
    'site.yml',
    `- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: plain
    - command: id -un
      become: true
      register: escalated
    - assert:
        that:
          - plain.stdout == 'deploy'
          - escalated.stdout == 'root'
`,
  );
  const json = join(ws.dir, 'out.json');
  const r = await runTsplay(['run', '-i', inv, pb, '-vvvv', '--json', json, '--connection-password-file', pwFile, '--become-password-file', pwFile], {
    env: { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' },
    cwd: ws.dir,
  });
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 0, out);
  assert.match(out, /pwhost\s+: ok=3\s+changed=2/);
  assert.ok(!out.includes(loginPw), 'the password is not in the output');
  assert.ok(!(await readFile(json, 'utf8')).includes(loginPw), 'nor in --json');
});

test('meta: reset_connection closes the connection; the next task logs in again', async (t) => {
  if (!ready(t)) return;
  const h = await sshHost(0);
  const ws = await workspace(t);
  const inv = await ws.write('inventory', `${line('resethost', h)}\n`);
  const pb = await ws.write(
    'site.yml',
    `- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
    - meta: reset_connection
    - command: "true"
`,
  );
  const logins = async () => (await runCommand('docker', ['logs', h.id])).stderr.split('Accepted publickey').length;
  const before = await logins();
  const r = await runTsplay(['run', '-i', inv, pb], { env: { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' }, cwd: ws.dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /Reset is not implemented/);
  assert.equal((await logins()) - before, 2);
});

test('a become_method tsplay cannot run is an error before the run, at the keyword\'s task, worded as Ansible', async (t) => {
  const ws = await workspace(t);
  const pb = await ws.write(
    'site.yml',
    `- hosts: localhost
  gather_facts: false
  tasks:
    - command: "true"
      become: true
      become_method: doas2
`,
  );
  const r = await runTsplay(['run', '-i', 'localhost,', '-c', 'local', pb], { env: ws.env, cwd: ws.dir });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, /Invalid become method specified, could not find matching plugin: 'doas2'/);
  assert.ok(r.stderr.includes(`${pb}:4:7`), r.stderr);
});

test('~/.ssh/config decides address, port, user and key for a bare inventory name; an encrypted key needs --private-key-passphrase-file', async (t) => {
  if (!ready(t)) return;
  const h = await sshHost(0);
  const ws = await workspace(t);
  const ssh = join(ws.home, '.ssh');
  // a passphrase-protected key the host accepts too
  const encKey = join(ssh, 'enc_key');
  const gen = await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-C', 'tsplay-enc', '-f', encKey]);
  assert.equal(gen.code, 0, gen.stderr);
  const pub = (await readFile(`${encKey}.pub`, 'utf8')).trim();
  await inContainer(h, `grep -qxF '${pub}' /root/.ssh/authorized_keys || echo '${pub}' >> /root/.ssh/authorized_keys`);
  await mkdir(join(ssh, 'conf.d'));
  await writeFile(join(ssh, 'conf.d', 'web.conf'), `Host webby\n  HostName 127.0.0.1\n  Port ${h.port}\n  User root\n  IdentityFile ${h.key.privateKeyPath}\n`);
  await writeFile(join(ssh, 'config'), `Include conf.d/*.conf\nHost locked\n  HostName 127.0.0.1\n  Port ${h.port}\n  User root\n  IdentityFile ~/.ssh/enc_key\n`);
  const marker = uniq('cfg');
  const inv = await ws.write('inventory', 'webby\nlocked\n');
  const pb = await ws.write('site.yml', MARK_PLAY(marker));
  const env = { ...ws.env, ANSIBLE_HOST_KEY_CHECKING: 'False' };
  const r = await runTsplay(['run', '-i', inv, pb], { env, cwd: ws.dir });
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 4, out);
  assert.equal(await exists(h, `/tmp/${marker}-webby`), true, 'webby was reached through the included config');
  assert.match(out, /fatal: \[locked\]: UNREACHABLE!/);
  assert.ok(out.includes(`the private key ${encKey} is encrypted: give its passphrase with --private-key-passphrase-file`), out);
  const pass = await ws.write('passphrase', 'open sesame\n');
  const r2 = await runTsplay(['run', '-i', inv, pb, '--limit', 'locked', '--private-key-passphrase-file', pass], { env, cwd: ws.dir });
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  assert.equal(await exists(h, `/tmp/${marker}-locked`), true);
  assert.ok(!(r2.stdout + r2.stderr).includes('open sesame'));
});
