/**
 * Self-test of the test environment: the helpers every other suite builds on must really work
 * (a real index pip accepts, real images that run Python, real containers that come and go).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  ansibleAvailable,
  baseImage,
  debootstrapAvailable,
  dockerAvailable,
  normalizeProjectName,
  requireService,
  runAnsiblePlaybook,
  runCommand,
  startContainerHost,
  startFixtureIndex,
  startSshHost,
  tempDir,
  tsplayCli,
} from './services.js';

const FIXTURE_PROJECTS = ['Hello_World', 'zope.thing', 'tsplay_fixture_lib', 'tsplay-fixture-app'];
const haveDocker = await dockerAvailable();

/** pip on the host, isolated from any user or site configuration. */
function hostPip(args: string[], cacheDir: string): ReturnType<typeof runCommand> {
  return runCommand('/usr/bin/python3', ['-m', 'pip', ...args, '--cache-dir', cacheDir], {
    env: { PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONWARNINGS: 'ignore' },
    timeoutMs: 180_000,
  });
}

test('requireService: true when available, skip outside CI, failure under CI', () => {
  const skips: string[] = [];
  const fake = { skip: (msg?: string) => skips.push(msg ?? '') } as unknown as TestContext;
  const savedCI = process.env.CI;
  try {
    delete process.env.CI;
    assert.equal(requireService(fake, 'widget', true, 'install widget'), true);
    assert.deepEqual(skips, []);
    assert.equal(requireService(fake, 'widget', false, 'install widget'), false);
    assert.equal(skips.length, 1);
    assert.match(skips[0], /widget.*install widget/);
    process.env.CI = 'true';
    assert.throws(() => requireService(fake, 'widget', false, 'install widget'), /widget is required .*CI=true.*install widget/);
    assert.equal(skips.length, 1, 'under CI a missing service must not skip');
  } finally {
    if (savedCI === undefined) delete process.env.CI;
    else process.env.CI = savedCI;
  }
});

test('runCommand: exit code, stdin, stderr, timeout', async () => {
  const ok = await runCommand('sh', ['-c', 'cat; echo oops >&2; exit 7'], { input: 'hello\n', env: { X: '1' } });
  assert.deepEqual([ok.code, ok.stdout, ok.stderr, ok.timedOut], [7, 'hello\n', 'oops\n', false]);
  const started = Date.now();
  const slow = await runCommand('sleep', ['10'], { timeoutMs: 200 });
  assert.equal(slow.timedOut, true);
  assert.equal(slow.code, 124);
  assert.ok(Date.now() - started < 5000);
  await assert.rejects(runCommand('/nonexistent/tsplay-x', []), /cannot run/);
});

test('tempDir is removed after the test that asked for it', async (t) => {
  let dir = '';
  await t.test('inner', async (inner) => {
    dir = await tempDir('tsplay-selftest-', inner);
    await writeFile(join(dir, 'f'), 'x');
    assert.ok(existsSync(join(dir, 'f')));
  });
  assert.ok(dir !== '' && !existsSync(dir), `${dir} should be gone`);
});

test('tsplayCli points at the tsplay executable as installed, and it is there', () => {
  assert.match(tsplayCli(), /\/dist\/src\/cli\/tsplay\.cjs$/);
  assert.ok(existsSync(tsplayCli()), `${tsplayCli()} is missing: run npm run build`);
});

test('runAnsiblePlaybook runs a real local play with plain output', async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-ansible-self-', t);
  await writeFile(
    join(dir, 'play.yml'),
    '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - copy: {content: "hi\\n", dest: "{{ playbook_dir }}/out.txt"}\n',
  );
  const res = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', 'play.yml'], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /localhost\s+: ok=1\s+changed=1/);
  assert.doesNotMatch(res.stdout, /\x1b\[/, 'no colour codes');
  assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'hi\n');
});

test('fixture index: PEP 503 pages with normalised names and correct hashes', async (t) => {
  const index = await startFixtureIndex(t);
  assert.match(index.url, /^http:\/\/127\.0\.0\.1:\d+\/simple\/$/);
  const rootPage = await (await fetch(index.url)).text();
  const listed = [...rootPage.matchAll(/<a href="([^"]+)\/">([^<]+)<\/a>/g)].map((m) => m[2]);
  const expected = [...FIXTURE_PROJECTS, 'pip', 'setuptools', 'wheel'].map(normalizeProjectName).sort();
  assert.deepEqual(listed, expected);
  assert.deepEqual(
    FIXTURE_PROJECTS.map(normalizeProjectName),
    ['hello-world', 'zope-thing', 'tsplay-fixture-lib', 'tsplay-fixture-app'],
  );

  for (const name of expected) {
    const res = await fetch(`${index.url}${name}/`);
    assert.equal(res.status, 200, name);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const page = await res.text();
    const links = [...page.matchAll(/<a href="([^"#]+)#sha256=([0-9a-f]{64})">([^<]+)<\/a>/g)];
    assert.ok(links.length > 0, `${name}: no file links`);
    for (const [, href, sha, text] of links) {
      const file = await fetch(new URL(href, `${index.url}${name}/`));
      assert.equal(file.status, 200, href);
      const body = Buffer.from(await file.arrayBuffer());
      assert.equal(createHash('sha256').update(body).digest('hex'), sha, `${text}: hash in page matches the file`);
    }
  }
  const lib = await (await fetch(`${index.url}tsplay-fixture-lib/`)).text();
  assert.match(lib, /tsplay_fixture_lib-1\.0\.tar\.gz/);
  assert.match(lib, /tsplay_fixture_lib-2\.0\.tar\.gz/);

  // A non-normalised request is redirected to the normalised page (fetch follows it).
  const redirected = await fetch(`${index.url}Zope.Thing/`);
  assert.equal(redirected.status, 200);
  assert.equal(redirected.url, `${index.url}zope-thing/`);
  assert.equal((await fetch(`${index.url}no-such-project/`)).status, 404);
  assert.ok(index.requests.includes('/simple/Zope.Thing/'));
});

test('fixture index: pip downloads every fixture project (preparing each sdist)', async (t) => {
  const index = await startFixtureIndex(t);
  const work = await tempDir('tsplay-pip-self-', t);
  const cache = join(work, 'cache');

  const latest = await hostPip(['download', '--no-deps', '--index-url', index.url, '-d', join(work, 'dl'), ...FIXTURE_PROJECTS], cache);
  assert.equal(latest.code, 0, latest.stdout + latest.stderr);
  const old = await hostPip(['download', '--no-deps', '--index-url', index.url, '-d', join(work, 'dl'), 'TSPLAY.Fixture.Lib==1.0'], cache);
  assert.equal(old.code, 0, old.stdout + old.stderr);
  assert.deepEqual((await readdir(join(work, 'dl'))).sort(), [
    'Hello_World-1.0.tar.gz',
    'tsplay-fixture-app-1.0.tar.gz',
    'tsplay_fixture_lib-1.0.tar.gz',
    'tsplay_fixture_lib-2.0.tar.gz',
    'zope.thing-1.0.tar.gz',
  ]);

  // pip prepared each sdist's metadata with build isolation, which pulled setuptools and wheel
  // from the same index (nothing can come from PyPI). The container test below builds and installs.
  assert.ok(index.requests.some((p) => p.startsWith('/packages/setuptools-')), 'build isolation fetched setuptools from the index');
  assert.ok(index.requests.some((p) => p.startsWith('/packages/wheel-')), 'build isolation fetched wheel from the index');
});

test('fixture index: stop() cuts a download in flight', async (t) => {
  const index = await startFixtureIndex(t, { chunkBytes: 1024, chunkDelayMs: 50 });
  const wheel = index.files.find((f) => f.project === 'pip');
  assert.ok(wheel, 'the pip wheel is indexed');
  const res = await fetch(`${index.origin}/packages/${wheel.filename}`);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(!first.done && first.value.length > 0);
  await index.stop();
  await assert.rejects(
    (async () => {
      for (;;) if ((await reader.read()).done) break;
    })(),
    'reading on after stop() fails: the download was cut',
  );
  await assert.rejects(fetch(index.url), 'the server is gone');
  assert.ok(!existsSync(index.root), 'the served tree is removed');
  await index.stop(); // idempotent
});

for (const name of ['bookworm', 'second'] as const) {
  test(`base image ${name}: python3, pip, venv, sshd and sudo inside`, { timeout: 30 * 60_000 }, async (t) => {
    if (!requireService(t, 'dockerd', haveDocker, 'start dockerd (bash test/run.sh does)')) return;
    if (!requireService(t, 'debootstrap', debootstrapAvailable(), 'apt-get install debootstrap')) return;
    const tag = await baseImage(name);
    assert.match(tag, /^tsplay-test\/[a-z]+:\d+$/);
    const res = await runCommand('docker', [
      'run', '--rm', '--network', 'none', tag,
      'sh', '-c', 'python3 -m pip --version && python3 -m venv /tmp/v && /tmp/v/bin/python -V && test -x /usr/sbin/sshd && test -u /usr/bin/sudo && . /etc/os-release && echo "codename=$VERSION_CODENAME"',
    ], { timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^pip \d+\.\d+/m);
    assert.match(res.stdout, /^Python 3\.\d+/m);
    assert.match(res.stdout, name === 'bookworm' ? /codename=bookworm/ : /codename=trixie/);
    assert.equal(await baseImage(name), tag, 'a second call reuses the image');
  });
}

test('container host: starts on the host network, runs commands, is removed by stop()', { timeout: 30 * 60_000 }, async (t) => {
  if (!requireService(t, 'dockerd', haveDocker, 'start dockerd (bash test/run.sh does)')) return;
  const image = await baseImage('bookworm');
  const index = await startFixtureIndex(t);
  const host = await startContainerHost(image, t);
  const inspect = await runCommand('docker', ['inspect', '--format', '{{.State.Running}} {{.HostConfig.NetworkMode}}', host.name]);
  assert.equal(inspect.stdout.trim(), 'true host');
  // Through host networking the container reaches the index on 127.0.0.1 and pip installs from it.
  const pip = await runCommand('docker', [
    'exec', '-e', `PIP_INDEX_URL=${index.url}`, '-e', 'PIP_DISABLE_PIP_VERSION_CHECK=1', host.name, 'sh', '-c',
    'python3 -m venv /opt/v && /opt/v/bin/pip install -q tsplay-fixture-app && /opt/v/bin/python -c "import tsplay_fixture_app as a; print(a.LIB_VERSION)"',
  ], { timeoutMs: 180_000 });
  assert.equal(pip.code, 0, pip.stdout + pip.stderr);
  assert.equal(pip.stdout.trim().split('\n').pop(), '2.0');
  await host.stop();
  const gone = await runCommand('docker', ['inspect', host.name]);
  assert.notEqual(gone.code, 0, 'the container is removed');
  await host.stop(); // idempotent
});

test('SSH hosts: two containers are two hosts with their own filesystems; ansible reaches both', { timeout: 30 * 60_000 }, async (t) => {
  if (!requireService(t, 'dockerd', haveDocker, 'start dockerd (bash test/run.sh does)')) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const [one, two] = await Promise.all([startSshHost(await baseImage('bookworm'), t), startSshHost(await baseImage('second'), t)]);
  assert.notEqual(one.port, two.port);
  const ssh = (h: typeof one, command: string): ReturnType<typeof runCommand> =>
    runCommand('ssh', [...h.sshArgs, '-i', h.key.privateKeyPath, '-p', String(h.port), `root@${h.host}`, command], { timeoutMs: 60_000 });
  const wrote = await ssh(one, 'echo only-here > /root/marker && . /etc/os-release && echo $VERSION_CODENAME');
  assert.equal(wrote.code, 0, wrote.stderr);
  assert.equal(wrote.stdout.trim(), 'bookworm');
  const other = await ssh(two, 'test -e /root/marker; echo "marker=$?"; . /etc/os-release && echo $VERSION_CODENAME');
  assert.equal(other.stdout.trim(), 'marker=1\ntrixie');

  const dir = await tempDir('tsplay-ssh-self-', t);
  await writeFile(join(dir, 'inventory'), `[hosts]\n${one.inventoryLine('one')}\n${two.inventoryLine('two')}\n`);
  await writeFile(
    join(dir, 'play.yml'),
    '- hosts: hosts\n  tasks:\n    - copy: {content: "{{ inventory_hostname }}\\n", dest: /root/who}\n      become: true\n    - command: cat /etc/debian_version\n',
  );
  const res = await runAnsiblePlaybook(['-i', 'inventory', 'play.yml'], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /one\s+: ok=3\s+changed=2\s+unreachable=0\s+failed=0/);
  assert.match(res.stdout, /two\s+: ok=3\s+changed=2\s+unreachable=0\s+failed=0/);
  assert.equal((await ssh(two, 'cat /root/who')).stdout, 'two\n');
});
