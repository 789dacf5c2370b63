/**
 * ansible-vault interop: files and strings made by the real `ansible-vault` command (formats 1.1
 * and 1.2) are opened by src/vault, text tsplay encrypts is opened by `ansible-vault decrypt`,
 * and a wrong, missing or unreadable password ends a run as ansible-playbook ends it (exit code
 * and error line), with the plaintext in no message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decryptVault, encryptAes256, loadVaultSecrets, VaultError, type VaultSecret } from '../../src/vault/index.js';
import { ansibleEnv, findOnPath, repoRoot, requireService, runAnsiblePlaybook, runCommand, runTsplay, tempDir } from '../support/services.js';

const hasVault = () => findOnPath('ansible-vault') !== undefined;
const secret = (id: string, pw: string): VaultSecret => ({ id, bytes: Buffer.from(pw) });

async function ansibleVault(args: string[], cwd: string): Promise<string> {
  const r = await runCommand('ansible-vault', args, { cwd, env: ansibleEnv(cwd) });
  assert.equal(r.code, 0, `ansible-vault ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('files ansible-vault encrypts (1.1 and 1.2) decrypt to the same bytes', async (t) => {
  if (!requireService(t, 'ansible-vault', hasVault(), 'install ansible-core')) return;
  const dir = await tempDir('tsplay-vault-', t);
  await writeFile(join(dir, 'pw'), 'p4ss word\n');
  await writeFile(join(dir, 'dev-pw'), 'dev-secret');
  const plaintexts = ['a: 1\nb: [x, y]\n', 'ünïcödé ✓ and a long line '.repeat(40), '', 'x'.repeat(16)];
  for (const [i, text] of plaintexts.entries()) {
    await writeFile(join(dir, `f${i}.yml`), text);
    await writeFile(join(dir, `g${i}.yml`), text);
    await ansibleVault(['encrypt', '--vault-password-file', 'pw', `f${i}.yml`], dir);
    await ansibleVault(['encrypt', '--vault-id', 'dev@dev-pw', `g${i}.yml`], dir);
    const v11 = await readFile(join(dir, `f${i}.yml`), 'utf8');
    const v12 = await readFile(join(dir, `g${i}.yml`), 'utf8');
    assert.match(v11, /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    assert.match(v12, /^\$ANSIBLE_VAULT;1\.2;AES256;dev\n/);
    assert.equal(decryptVault(v11, 'f', [secret('default', 'p4ss word')]).toString('utf8'), text);
    // the id picks the secret to try first; any other secret is still tried after it
    assert.equal(decryptVault(v12, 'g', [secret('other', 'nope'), secret('dev', 'dev-secret')]).toString('utf8'), text);
    assert.equal(decryptVault(v12, 'g', [secret('default', 'dev-secret')]).toString('utf8'), text);
  }
});

test('encrypt_string values decrypt, and text tsplay encrypts is opened by ansible-vault', async (t) => {
  if (!requireService(t, 'ansible-vault', hasVault(), 'install ansible-core')) return;
  const dir = await tempDir('tsplay-vault-', t);
  await writeFile(join(dir, 'pw'), 'pw-one');
  const out = await ansibleVault(['encrypt_string', '--vault-id', 'ops@pw', 'an inline secret', '--name', 's'], dir);
  const body = out.split('\n').slice(1).map((l) => l.trim()).join('\n');
  assert.equal(decryptVault(body, undefined, [secret('ops', 'pw-one')]).toString(), 'an inline secret');

  for (const id of [undefined, 'lab']) {
    await writeFile(join(dir, 'mine.txt'), encryptAes256('made by tsplay\n', Buffer.from('pw-one'), id));
    await ansibleVault(['decrypt', '--vault-password-file', 'pw', 'mine.txt'], dir);
    assert.equal(await readFile(join(dir, 'mine.txt'), 'utf8'), 'made by tsplay\n');
  }
});

test('a wrong password or no secret is refused with Ansible\'s words and no plaintext', () => {
  const text = encryptAes256('TOP-SECRET-PLAINTEXT', Buffer.from('right'));
  const tries: Array<[VaultSecret[], RegExp]> = [
    [[secret('default', 'wrong')], /^Decryption failed \(no vault secrets were found that could decrypt\) on f\.yml$/],
    [[], /^Attempting to decrypt but no vault secrets found$/],
  ];
  for (const [keyring, message] of tries) {
    assert.throws(
      () => decryptVault(text, 'f.yml', keyring),
      (err: unknown) => err instanceof VaultError && message.test(err.message) && !err.message.includes('TOP-SECRET'),
    );
  }
  assert.throws(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\nzz\n', 'bad.yml', [secret('default', 'x')]), /Vault format error in bad\.yml/);
});

test('password sources: files, labelled ids, scripts, client scripts, in ansible-playbook\'s order', async (t) => {
  const dir = await tempDir('tsplay-vault-', t);
  await writeFile(join(dir, 'plain'), 'from-file\n\n');
  await writeFile(join(dir, 'script.sh'), '#!/bin/sh\necho from-script\n');
  await writeFile(join(dir, 'pass-client.sh'), '#!/bin/sh\n[ "$1" = --vault-id ] && echo "for-$2"\n');
  await chmod(join(dir, 'script.sh'), 0o755);
  await chmod(join(dir, 'pass-client.sh'), 0o755);
  const warnings: string[] = [];
  const secrets = await loadVaultSecrets(
    { vaultIds: ['a@plain', 'b@script.sh', 'c@pass-client.sh'], passwordFiles: ['plain'], askVaultPass: true, configVaultIds: ['cfg@plain'] },
    dir,
    async (prompt) => (prompt === 'Vault password: ' ? 'typed' : ''),
    (w) => warnings.push(w),
  );
  assert.deepEqual(
    secrets.map((s) => `${s.id}=${s.bytes.toString()}`),
    ['cfg=from-file', 'a=from-file', 'b=from-script', 'c=for-c', 'default=from-file', 'default=typed'],
  );
  assert.equal(warnings.length, 0);
  const missing: string[] = [];
  await assert.rejects(
    loadVaultSecrets({ vaultIds: ['x@missing'], passwordFiles: [], askVaultPass: false }, dir, async () => '', (w) => missing.push(w)),
    /The vault password file .*missing was not found/,
  );
  assert.match(missing[0] ?? '', /^Error getting vault password file \(x\): /);
});

test('a vaulted vars file with a wrong, no or missing password ends the run as ansible-playbook does', async (t) => {
  if (!requireService(t, 'ansible-playbook', findOnPath('ansible-playbook') !== undefined, 'install ansible-core')) return;
  const dir = await tempDir('tsplay-vault-', t);
  await cp(join(repoRoot(), 'test/fixtures/vault/wrong-password'), dir, { recursive: true });
  const errorLine = (s: string) => (s.split('\n').find((l) => l.startsWith('ERROR!')) ?? '').replaceAll(dir, '<dir>');
  for (const args of [['--vault-password-file', 'wrong.txt'], [], ['--vault-password-file', 'nope.txt'], ['--vault-id', 'dev@nope.txt', '--vault-password-file', 'wrong.txt']]) {
    const a = await runAnsiblePlaybook(['site.yml', ...args], { cwd: dir });
    const ts = await runTsplay(['run', 'site.yml', ...args], { cwd: dir });
    assert.equal(ts.code, a.code, `exit code with ${args.join(' ')}: ${ts.stderr}`);
    assert.equal(errorLine(ts.stderr), errorLine(a.stderr), `error with ${args.join(' ')}`);
    assert.ok(!ts.stdout.includes('s3cr3t') && !ts.stderr.includes('s3cr3t'), 'the plaintext never shows');
  }
});
