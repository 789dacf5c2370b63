/**
 * How a host is reached over SSH, without connecting: the precedence of variables, play
 * remote_user, CLI, environment and ansible.cfg (checked against ansible-playbook -vvv's ssh
 * command lines), ssh argument parsing, ~/.ssh/config, and known_hosts verdicts on real keys
 * made by ssh-keygen (plain, hashed with ssh-keygen -H, [host]:port, @revoked, several keys).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { resolveSshTarget, parseJumpSpec, SshResolveError, type SshResolveOptions } from '../../src/connection/ssh/resolve.js';
import { applySshConfigFiles, emptySshOptions } from '../../src/connection/ssh/ssh-config.js';
import { fingerprint, keyBlobType, knownHostsVerifier, knownHostsName } from '../../src/connection/ssh/known-hosts.js';
import { runCommand, tempDir } from '../support/services.js';

async function home(t: TestContext): Promise<{ home: string; ssh: string; opts: (extra?: Partial<SshResolveOptions>) => SshResolveOptions }> {
  const h = await tempDir('tsplay-ssh-resolve-', t);
  const ssh = join(h, '.ssh');
  await mkdir(ssh, { mode: 0o700 });
  const opts = (extra: Partial<SshResolveOptions> = {}): SshResolveOptions => ({
    home: h,
    localUser: 'me',
    env: {},
    sshConfigFiles: [join(ssh, 'config')],
    globalKnownHostsFiles: [],
    ...extra,
  });
  return { home: h, ssh, opts };
}

async function keygen(dir: string, name: string, type: string, passphrase = ''): Promise<{ path: string; pub: string; blob: Buffer }> {
  const path = join(dir, name);
  const r = await runCommand('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-f', path, '-C', name]);
  assert.equal(r.code, 0, r.stderr);
  const pub = (await readFile(path + '.pub', 'utf8')).trim();
  return { path, pub, blob: Buffer.from(pub.split(' ')[1], 'base64') };
}

test('defaults: inventory name, port 22, the local user, 10 s, host keys checked', async (t) => {
  const { opts } = await home(t);
  const target = resolveSshTarget('web1', {}, opts());
  assert.equal(target.host, 'web1');
  assert.equal(target.port, 22);
  assert.equal(target.user, 'me');
  assert.equal(target.connectTimeoutMs, 10_000);
  assert.ok(target.verifyHostKey, 'host keys are checked by default');
  assert.deepEqual(target.jumps, []);
  assert.equal(target.password, undefined);
});

test('user: ansible_user beats play remote_user beats -u beats ANSIBLE_REMOTE_USER beats ansible.cfg (as ansible-playbook -vvv shows)', async (t) => {
  const { opts } = await home(t);
  const cfg = new Map([['defaults.remote_user', 'cfguser']]);
  const env = { ANSIBLE_REMOTE_USER: 'envuser' };
  const cli = { user: 'cliuser' };
  assert.equal(resolveSshTarget('h', { ansible_user: 'varuser' }, opts({ cfg, env, cli, remoteUser: 'playuser' })).user, 'varuser');
  assert.equal(resolveSshTarget('h', { ansible_ssh_user: 'sshvar' }, opts({ cfg, env, cli, remoteUser: 'playuser' })).user, 'sshvar');
  assert.equal(resolveSshTarget('h', {}, opts({ cfg, env, cli, remoteUser: 'playuser' })).user, 'playuser');
  assert.equal(resolveSshTarget('h', {}, opts({ cfg, env, cli })).user, 'cliuser');
  assert.equal(resolveSshTarget('h', {}, opts({ cfg, env })).user, 'envuser');
  assert.equal(resolveSshTarget('h', {}, opts({ cfg })).user, 'cfguser');
});

test('port: ansible_port beats the play\'s port keyword beats ANSIBLE_REMOTE_PORT (as ansible-playbook -vvv shows)', async (t) => {
  const { opts } = await home(t);
  const env = { ANSIBLE_REMOTE_PORT: '2202' };
  assert.equal(resolveSshTarget('h', {}, opts({ env, remotePort: '2300' })).port, 2300);
  assert.equal(resolveSshTarget('h', { ansible_port: 2400 }, opts({ env, remotePort: '2300' })).port, 2400);
  assert.equal(resolveSshTarget('h', {}, opts({ env })).port, 2202);
});

test('host, port, timeout, password: variables first, then CLI, env, ansible.cfg', async (t) => {
  const { opts } = await home(t);
  const cfg = new Map([
    ['defaults.remote_port', '2201'],
    ['defaults.timeout', '30'],
  ]);
  let target = resolveSshTarget('h', { ansible_ssh_host: '127.0.0.9', ansible_port: 2222, ansible_ssh_timeout: 3, ansible_ssh_pass: 'pw1' }, opts({ cfg, env: { ANSIBLE_TIMEOUT: '4' }, cli: { timeout: 7, password: 'clipw' } }));
  assert.deepEqual([target.host, target.port, target.connectTimeoutMs, target.password], ['127.0.0.9', 2222, 3000, 'pw1']);
  // where both spellings are set, the ansible_ssh_ one wins (ansible-playbook -vvv with both in the inventory)
  const both = resolveSshTarget('h', { ansible_host: '127.0.0.2', ansible_ssh_host: '127.0.0.3', ansible_port: 1, ansible_ssh_port: 2, ansible_user: 'u1', ansible_ssh_user: 'u2', ansible_password: 'p1', ansible_ssh_pass: 'p2' }, opts());
  assert.deepEqual([both.host, both.port, both.user, both.password], ['127.0.0.3', 2, 'u2', 'p2']);
  target = resolveSshTarget('h', { ansible_host: '127.0.0.8' }, opts({ cfg, env: { ANSIBLE_TIMEOUT: '4', ANSIBLE_REMOTE_PORT: '2202' }, cli: { timeout: 7, password: 'clipw' } }));
  assert.deepEqual([target.host, target.port, target.connectTimeoutMs, target.password], ['127.0.0.8', 2202, 7000, 'clipw']);
  target = resolveSshTarget('h', {}, opts({ cfg, env: { ANSIBLE_TIMEOUT: '4' } }));
  assert.deepEqual([target.port, target.connectTimeoutMs], [2201, 4000]);
  target = resolveSshTarget('h', {}, opts({ cfg }));
  assert.equal(target.connectTimeoutMs, 30_000);
  assert.throws(() => resolveSshTarget('h', { ansible_port: 'eighty' }, opts()), /ansible_port: 'eighty' is not a port number/);
  assert.throws(() => resolveSshTarget('h', { ansible_ssh_timeout: 'soon' }, opts()), SshResolveError);
});

test('ssh arguments: -o options, -J, -i, -p, -l; ssh_args come before ansible_port, common args after (first value wins, as ssh)', async (t) => {
  const { ssh, opts } = await home(t);
  const key = await keygen(ssh, 'argkey', 'ed25519');
  const warnings: string[] = [];
  const target = resolveSshTarget(
    'h',
    {
      ansible_port: 2222,
      ansible_ssh_common_args: `-o ProxyJump=jumper@127.0.0.5:2200 -o StrictHostKeyChecking=no -o ServerAliveInterval=5 -o ControlPath=/x -C -o LogLevel=ERROR -o FancyThing=1 -i ${key.path} -l arguser`,
      ansible_ssh_extra_args: '-o ConnectTimeout=2',
    },
    opts({ warn: (m) => warnings.push(m) }),
  );
  assert.equal(target.port, 2222);
  assert.equal(target.user, 'arguser');
  assert.equal(target.verifyHostKey, undefined, 'StrictHostKeyChecking=no: no verifier');
  assert.equal(target.keepaliveIntervalMs, 5000);
  // ansible always passes ConnectTimeout before the extra args: the timeout setting wins
  assert.equal(target.connectTimeoutMs, 10_000);
  assert.deepEqual(target.privateKeys.map((k) => k.path), [key.path]);
  assert.equal(target.jumps.length, 1);
  assert.deepEqual([target.jumps[0].host, target.jumps[0].port, target.jumps[0].user], ['127.0.0.5', 2200, 'jumper']);
  assert.ok(warnings.some((w) => /FancyThing is not supported/.test(w)), warnings.join('\n'));
  assert.ok(!warnings.some((w) => /ControlPath|LogLevel/.test(w)), 'harmless options are ignored quietly');

  // ssh_args come first on ssh's command line, so their Port wins over ansible_port (as with OpenSSH)
  assert.equal(resolveSshTarget('h', { ansible_port: 2222, ansible_ssh_args: '-o Port=5' }, opts()).port, 5);
  assert.equal(resolveSshTarget('h', { ansible_ssh_common_args: '-p 2300 -J a,b:23' }, opts()).port, 2300);
  assert.deepEqual(resolveSshTarget('h', { ansible_ssh_common_args: '-J a,b:23' }, opts()).jumps.map((j) => `${j.host}:${j.port}`), ['a:22', 'b:23']);
  assert.deepEqual(resolveSshTarget('h', { ansible_ssh_extra_args: '-oUser=x -oPort=2400' }, opts()).port, 2400);
  assert.throws(() => resolveSshTarget('h', { ansible_ssh_common_args: "-o 'ProxyJump=x" }, opts()), /ssh_common_args: No closing quotation/);
  assert.throws(() => resolveSshTarget('h', { ansible_ssh_common_args: '-o Port=abc' }, opts()), /bad value for Port/);
  assert.deepEqual(parseJumpSpec('ssh://u@[::1]:2022'), { user: 'u', host: '::1', port: 2022 });
});

test('host_key_checking: variable, env, ansible.cfg [ssh_connection] over [defaults]', async (t) => {
  const { opts } = await home(t);
  assert.equal(resolveSshTarget('h', { ansible_host_key_checking: false }, opts()).verifyHostKey, undefined);
  assert.equal(resolveSshTarget('h', { ansible_ssh_host_key_checking: 'no' }, opts()).verifyHostKey, undefined);
  assert.equal(resolveSshTarget('h', {}, opts({ env: { ANSIBLE_HOST_KEY_CHECKING: 'False' } })).verifyHostKey, undefined);
  assert.ok(resolveSshTarget('h', { ansible_host_key_checking: true }, opts({ env: { ANSIBLE_HOST_KEY_CHECKING: 'False' } })).verifyHostKey);
  assert.equal(resolveSshTarget('h', {}, opts({ cfg: new Map([['defaults.host_key_checking', 'False']]) })).verifyHostKey, undefined);
  assert.ok(resolveSshTarget('h', {}, opts({ cfg: new Map([['defaults.host_key_checking', 'False'], ['ssh_connection.host_key_checking', 'True']]) })).verifyHostKey);
  assert.throws(() => resolveSshTarget('h', { ansible_host_key_checking: 'maybe' }, opts()), /host_key_checking: 'maybe' is not a valid boolean/);
});

test('ProxyCommand: tokens expanded; it and ProxyJump compete, the first one given wins (ssh_config(5))', async (t) => {
  const { opts } = await home(t);
  const proxied = resolveSshTarget('web', { ansible_host: '10.9.8.7', ansible_port: 2222, ansible_user: 'deploy', ansible_ssh_common_args: `-o "ProxyCommand=ssh -W %h:%p -l %r bastion # %n %%" -o ProxyJump=j1` }, opts());
  assert.equal(proxied.proxyCommand, 'ssh -W 10.9.8.7:2222 -l deploy bastion # 10.9.8.7 %');
  assert.deepEqual(proxied.jumps, []);
  const jumped = resolveSshTarget('web', { ansible_ssh_common_args: `-o ProxyJump=j1 -o "ProxyCommand=nc %h %p"` }, opts());
  assert.equal(jumped.proxyCommand, undefined);
  assert.equal(jumped.jumps.length, 1);
  assert.equal(resolveSshTarget('web', { ansible_ssh_common_args: '-o ProxyCommand=none' }, opts()).proxyCommand, undefined);
});

test('~/.ssh/config: Host patterns with wildcards and negation, first value wins, HostName %h, Include, ProxyJump hops resolved from their own entries', async (t) => {
  const { home: h, ssh, opts } = await home(t);
  const k1 = await keygen(ssh, 'id_web', 'ed25519');
  await keygen(ssh, 'id_ed25519', 'ed25519');
  await mkdir(join(ssh, 'config.d'));
  await writeFile(join(ssh, 'config.d', 'bastion.conf'), 'Host bastion\n  HostName 127.0.0.7\n  User jumpuser\n  Port 2022\n');
  await writeFile(
    join(ssh, 'config'),
    [
      'Include config.d/*.conf',
      'Host web-* !web-9',
      '  HostName %h.example.test',
      '  User deploy',
      '  IdentityFile ~/.ssh/id_web',
      '  ProxyJump bastion',
      '  StrictHostKeyChecking accept-new',
      '  UserKnownHostsFile ~/.ssh/kh_web',
      'Host web-1',
      '  User ignored-second-value',
      '  Port 2200',
      'Host *',
      '  User fallback',
      '  ServerAliveInterval 0',
    ].join('\n'),
  );
  const target = resolveSshTarget('web-1', {}, opts());
  assert.equal(target.host, 'web-1.example.test');
  assert.equal(target.user, 'deploy');
  assert.equal(target.port, 2200);
  assert.equal(target.keepaliveIntervalMs, 0);
  assert.deepEqual(target.privateKeys.map((k) => k.path), [k1.path], 'a configured IdentityFile replaces the default identities, as in OpenSSH');
  assert.equal(target.jumps.length, 1);
  assert.deepEqual([target.jumps[0].host, target.jumps[0].user, target.jumps[0].port], ['127.0.0.7', 'jumpuser', 2022]);
  assert.deepEqual(target.jumps[0].privateKeys.map((k) => k.path), [join(ssh, 'id_ed25519'), k1.path], "a hop tries its own identities, then the target's");
  const neg = resolveSshTarget('web-9', {}, opts());
  assert.deepEqual([neg.host, neg.user, neg.jumps.length], ['web-9', 'fallback', 0]);
  assert.deepEqual(neg.privateKeys.map((k) => k.path), [join(ssh, 'id_ed25519')], 'the default identity that exists');
  // the variables win over the config; Host lines match ansible_host, not the inventory name
  const v = resolveSshTarget('inv', { ansible_host: 'web-2', ansible_user: 'u', ansible_port: 23 }, opts());
  assert.deepEqual([v.host, v.user, v.port], ['web-2.example.test', 'u', 23]);

  // accept-new appends an unknown key to the first UserKnownHostsFile, then accepts it
  const hostKey = await keygen(h, 'hostkey', 'ed25519');
  assert.deepEqual(target.verifyHostKey!(hostKey.blob, 'web-1.example.test', 2200), { ok: true });
  assert.match(await readFile(join(ssh, 'kh_web'), 'utf8'), /^\[web-1\.example\.test\]:2200 ssh-ed25519 /);
  const other = await keygen(h, 'otherkey', 'ed25519');
  assert.equal(target.verifyHostKey!(other.blob, 'web-1.example.test', 2200).ok, false, 'accept-new still refuses a changed key');

  const opts2 = emptySshOptions();
  const read = applySshConfigFiles(opts2, [join(ssh, 'config')], { host: 'bastion', home: h, localUser: 'me' });
  assert.deepEqual(read, [join(ssh, 'config'), join(ssh, 'config.d', 'bastion.conf')]);
});

test('private keys: missing files are skipped, an encrypted key without a passphrase is a clear error naming it', async (t) => {
  const { ssh, opts } = await home(t);
  const plain = await keygen(ssh, 'plain', 'ed25519');
  const enc = await keygen(ssh, 'enc', 'ed25519', 'secret-pass');
  const warnings: string[] = [];
  const target = resolveSshTarget('h', { ansible_ssh_common_args: `-i ${join(ssh, 'missing')} -i ${plain.path}` }, opts({ warn: (m) => warnings.push(m) }));
  assert.deepEqual(target.privateKeys.map((k) => k.path), [plain.path]);
  assert.match(warnings.join('\n'), /identity file .*missing not accessible/);
  assert.throws(() => resolveSshTarget('h', { ansible_ssh_private_key_file: enc.path }, opts()), new RegExp(`the private key ${enc.path} is encrypted: give its passphrase with --private-key-passphrase-file`));
  const ok = resolveSshTarget('h', {}, opts({ cli: { privateKey: enc.path, keyPassphrase: 'secret-pass' } }));
  assert.equal(ok.privateKeys[0].passphrase, 'secret-pass');
  assert.throws(() => resolveSshTarget('h', {}, opts({ cli: { privateKey: enc.path, keyPassphrase: 'wrong' } })), /could not be decrypted/);
  assert.equal(resolveSshTarget('h', {}, opts({ env: { SSH_AUTH_SOCK: '/tmp/agent.sock' } })).agent, '/tmp/agent.sock');
});

test('known_hosts: plain patterns, hashed entries (ssh-keygen -H), [host]:port, several key types, @revoked, unknown and changed messages', async (t) => {
  const dir = await tempDir('tsplay-known-hosts-', t);
  const ed = await keygen(dir, 'ed', 'ed25519');
  const ec = await keygen(dir, 'ec', 'ecdsa');
  const rsa = await keygen(dir, 'rsa', 'rsa');
  const edNew = await keygen(dir, 'ed-new', 'ed25519');
  const revokedKey = await keygen(dir, 'revoked', 'ed25519');
  const kh = join(dir, 'known_hosts');
  const keyPart = (k: { pub: string }) => k.pub.split(' ').slice(0, 2).join(' ');
  await writeFile(
    kh,
    [
      '# comment',
      `alpha,beta.example.test ${keyPart(ed)}`,
      `*.wild.test,!bad.wild.test ${keyPart(ec)}`,
      `[127.0.0.1]:2222 ${keyPart(ed)}`,
      `[127.0.0.1]:2222 ${keyPart(rsa)}`,
      `hashed-host ${keyPart(ec)}`,
      `@revoked * ${keyPart(revokedKey)}`,
      `revokedhost ${keyPart(revokedKey)}`,
      `@cert-authority *.ca.test ${keyPart(rsa)}`,
    ].join('\n') + '\n',
  );
  const r = await runCommand('ssh-keygen', ['-H', '-f', kh]);
  assert.equal(r.code, 0, r.stderr);
  const hashed = await readFile(kh, 'utf8');
  assert.ok(!hashed.includes('hashed-host') && hashed.includes('|1|'), 'ssh-keygen -H hashed the names');
  const warnings: string[] = [];
  const verify = knownHostsVerifier({ userFiles: [kh], globalFiles: [join(dir, 'absent')], mode: 'yes', warn: (m) => warnings.push(m) });

  assert.deepEqual(verify(ed.blob, 'alpha', 22), { ok: true });
  assert.deepEqual(verify(ed.blob, 'beta.example.test', 22), { ok: true });
  assert.deepEqual(verify(ec.blob, 'hashed-host', 22), { ok: true }, 'hashed entry');
  assert.deepEqual(verify(ed.blob, '127.0.0.1', 2222), { ok: true }, '[host]:port');
  assert.deepEqual(verify(rsa.blob, '127.0.0.1', 2222), { ok: true }, 'second key of the same host');
  const unknownPort = verify(ed.blob, '127.0.0.1', 22);
  assert.equal(unknownPort.ok, false, 'a [host]:port entry does not cover port 22');
  const ecOn2222 = verify(ec.blob, '127.0.0.1', 2222);
  assert.equal(ecOn2222.ok, false);
  if (!ecOn2222.ok) {
    assert.match(ecOn2222.message, /authenticity of host '\[127\.0\.0\.1\]:2222' can't be established/);
    assert.ok(ecOn2222.message.includes(`ECDSA key ${fingerprint(ec.blob)}`), ecOn2222.message);
    assert.ok(ecOn2222.message.includes(kh), 'names the files searched');
    assert.match(ecOn2222.message, /ssh-keyscan -p 2222 127\.0\.0\.1 >> /);
    assert.match(ecOn2222.message, /host_key_checking = False/);
  }
  const changed = verify(edNew.blob, 'alpha', 22);
  assert.equal(changed.ok, false);
  if (!changed.ok) {
    assert.match(changed.message, /REMOTE HOST IDENTIFICATION HAS CHANGED for alpha/);
    assert.ok(changed.message.includes(fingerprint(edNew.blob)));
  }
  const revoked = verify(revokedKey.blob, 'revokedhost', 22);
  assert.equal(revoked.ok, false, 'revoked even though also listed');
  if (!revoked.ok) assert.match(revoked.message, /marked as revoked/);
  assert.equal(verify(ec.blob, 'x.wild.test', 22).ok, true);
  assert.equal(verify(ec.blob, 'bad.wild.test', 22).ok, false, 'negated pattern');
  assert.equal(verify(rsa.blob, 'host.ca.test', 22).ok, false, '@cert-authority lines are not trusted keys');
  assert.equal(warnings.filter((w) => /@cert-authority/.test(w)).length, 1, 'said once');

  assert.equal(keyBlobType(rsa.blob), 'ssh-rsa');
  assert.equal(knownHostsName('h', 22), 'h');
  // the fingerprint is OpenSSH's
  const lf = await runCommand('ssh-keygen', ['-lf', ed.path + '.pub']);
  assert.equal(lf.stdout.split(' ')[1], fingerprint(ed.blob));
});
