/**
 * The `tsplay` executable (dist/src/cli/tsplay.cjs) and the bundle it runs: a copy of both in a
 * temporary layout, so the repository's own code cache is never touched while other tests use it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeCertificates } from '../support/certs.js';
import { findOnPath, repoRoot, requireService, runCommand, tempDir } from '../support/services.js';

function layout(t: { after: (fn: () => void) => void }): { launcher: string; bundle: string; cache: string; main: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-launcher-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
  mkdirSync(join(dir, 'bundle'));
  const launcher = join(dir, 'src', 'cli', 'tsplay.cjs');
  const bundle = join(dir, 'bundle', 'tsplay.cjs');
  copyFileSync(join(repoRoot(), 'dist', 'src', 'cli', 'tsplay.cjs'), launcher);
  copyFileSync(join(repoRoot(), 'dist', 'bundle', 'tsplay.cjs'), bundle);
  return { launcher, bundle, cache: `${bundle}.v8cache`, main: join(dir, 'src', 'cli', 'main.js'), dir };
}

function run(launcher: string, args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [launcher, ...args], { cwd, encoding: 'utf8', env: { ...process.env, TSPLAY_PLAIN: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('the executable runs the bundle and makes its code cache after a run, once', (t) => {
  const l = layout(t);
  const playbook = join(l.dir, 'site.yml');
  writeFileSync(playbook, '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - debug: {msg: "{{ 6 * 7 }}"}\n');
  assert.equal(existsSync(l.cache), false);

  const version = run(l.launcher, ['--version'], l.dir);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^tsplay \d+\.\d+\.\d+/);
  assert.equal(existsSync(l.cache), false, '--version alone is not worth a cache');

  const first = run(l.launcher, ['run', playbook], l.dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /"msg": "42"/);
  assert.ok(existsSync(l.cache), 'the first run leaves a code cache beside the bundle');
  const made = statSync(l.cache).mtimeMs;

  const second = run(l.launcher, ['run', playbook], l.dir);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
  assert.equal(statSync(l.cache).mtimeMs, made, 'an accepted cache is not written again');
});

test('a cache that V8 rejects is replaced, and the run still succeeds', (t) => {
  const l = layout(t);
  writeFileSync(l.cache, 'not a V8 code cache');
  const playbook = join(l.dir, 'site.yml');
  writeFileSync(playbook, '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks: []\n');
  const r = run(l.launcher, ['run', playbook], l.dir);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(statSync(l.cache).size > 1000, 'the rejected cache was replaced by a real one');
});

test('a bundle older than what tsc compiled is not run: the executable says so and runs the compiled modules', (t) => {
  const l = layout(t);
  // a compiled entry point newer than the bundle, printing a line of its own, shows which one ran
  writeFileSync(l.main, "process.stdout.write('unbundled entry point\\n');\n");
  const old = Date.now() / 1000 - 60;
  utimesSync(l.bundle, old, old);
  const r = run(l.launcher, ['--version'], l.dir);
  assert.equal(r.stdout, 'unbundled entry point\n');
  assert.match(r.stderr, /dist\/bundle is older than dist\/src: running unbundled/);
});

test('the executable starts Node without NODE_EXTRA_CA_CERTS, yet trusts those CAs for HTTPS and hands the variable to commands', async (t) => {
  if (!requireService(t, 'openssl', findOnPath('openssl') !== undefined, 'apt-get install openssl')) return;
  const dir = await tempDir('tsplay-extra-ca-', t);
  await makeCertificates(dir);
  const server = createServer({ key: await readFile(join(dir, 'server-key.pem')), cert: await readFile(join(dir, 'server-cert.pem')) }, (_req, res) => {
    res.end('over https\n');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const port = (server.address() as AddressInfo).port;
  const playbook = join(dir, 'site.yml');
  // the environment tsplay's own Node process was started with: the nearest ancestor named node
  const startedWith = `p=$$; while [ "$(cat /proc/$p/comm)" != node ]; do p=$(cut -d' ' -f4 /proc/$p/stat); done; tr '\\0' '\\n' < /proc/$p/environ | grep -c '^NODE_EXTRA_CA_CERTS=' || true`;
  writeFileSync(
    playbook,
    `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - get_url: {url: "https://127.0.0.1:${port}/f.txt", dest: "${dir}/f.txt"}
    - command: printenv NODE_EXTRA_CA_CERTS
      register: for_commands
    - shell: ${JSON.stringify(startedWith)}
      register: at_start
    - copy: {content: "{{ for_commands.stdout }}|{{ at_start.stdout }}|{{ lookup('env', 'TSPLAY_EXTRA_CA_CERTS') }}", dest: "${dir}/env.txt"}
`,
  );
  const launcher = join(repoRoot(), 'dist', 'src', 'cli', 'tsplay.cjs');
  const env = { TSPLAY_PLAIN: '1', NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') };
  const r = await runCommand(launcher, ['run', playbook], { cwd: dir, env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await readFile(join(dir, 'f.txt'), 'utf8'), 'over https\n');
  // commands see the variable; Node itself was started without it; the hand-over variable is gone
  assert.equal(await readFile(join(dir, 'env.txt'), 'utf8'), `${join(dir, 'ca.pem')}|0|`);

  // without the CA the same download fails on the certificate: the trust above came from the file
  const untrusted = await runCommand(launcher, ['run', playbook], { cwd: dir, env: { TSPLAY_PLAIN: '1', NODE_EXTRA_CA_CERTS: '' } });
  assert.equal(untrusted.code, 2, untrusted.stdout);
  assert.match(untrusted.stdout, /certificate/i);
});
