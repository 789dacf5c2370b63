/**
 * DockerApiConnection against a throwaway container: exec (stdout/stderr, exit code, env, cwd,
 * stdin, become user), file put/get through the archive API, stat and the other file operations,
 * and unreachable containers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DockerApiConnection, dockerApiOptionsFromVars } from '../../src/connection/docker.js';
import { UnreachableError } from '../../src/connection/types.js';
import { runCommand, startContainerHost } from '../support/services.js';
import { needDocker, removeContainers, testImage, uniqueSuffix } from './support.js';

test('docker_api connection: commands and files inside a running container', async (t) => {
  if (!(await needDocker(t))) return;
  const host = await startContainerHost(await testImage(), t, { namePrefix: 'tsplay-dockerapi' });
  const conn = new DockerApiConnection({ host: host.name });
  t.after(() => conn.close());
  await conn.connect();
  assert.equal(conn.transport, 'docker');

  await t.test('exec: stdout, stderr and exit code kept apart', async () => {
    const res = await conn.exec('echo out; echo err >&2; exit 7');
    assert.deepEqual(res, { rc: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  await t.test('exec: argv form runs without a shell', async () => {
    const res = await conn.exec(['printf', '%s|', 'a b', '$HOME', "it's"]);
    assert.deepEqual(res, { rc: 0, stdout: "a b|$HOME|it's|", stderr: '' });
  });

  await t.test('exec: env and cwd', async () => {
    const res = await conn.exec('echo "$GREETING"; pwd', { env: { GREETING: 'hello there' }, cwd: '/usr/share' });
    assert.equal(res.stdout, 'hello there\n/usr/share\n');
  });

  await t.test('exec: stdin reaches the process and is closed', async () => {
    const big = randomBytes(200_000).toString('base64');
    const res = await conn.exec(['sh', '-c', 'wc -c; echo done'], { stdin: big });
    assert.equal(res.stdout, `${big.length}\ndone\n`);
  });

  await t.test('exec: become runs as the become user, without sudo', async () => {
    const asNobody = await conn.exec(['id', '-un'], { become: { become: true, user: 'nobody' } });
    assert.equal(asNobody.stdout, 'nobody\n');
    const asRoot = await conn.exec(['id', '-u'], { become: { become: true } });
    assert.equal(asRoot.stdout, '0\n');
  });

  await t.test('exec: a command that does not exist', async () => {
    const res = await conn.exec(['/no/such/program']);
    assert.notEqual(res.rc, 0);
  });

  await t.test('exec: timeout', async () => {
    await assert.rejects(conn.exec('sleep 5', { timeoutMs: 300 }), /timed out after 300 ms/);
  });

  await t.test('put and get a file through the archive API, atomically, with its mode', async () => {
    const data = randomBytes(70_000);
    await conn.writeFile('/tmp/blob.bin', data, { mode: 0o640 });
    assert.deepEqual(await conn.readFile('/tmp/blob.bin'), data);
    const st = await conn.stat('/tmp/blob.bin');
    assert.equal(st?.type, 'file');
    assert.equal(st?.mode, 0o640);
    assert.equal(st?.size, data.length);
    assert.equal(st?.uid, 0);
    // no temp file left beside it
    assert.deepEqual((await conn.readdir('/tmp')).filter((n) => n.includes('tsplay') && n.endsWith('.tmp')), []);
    // the container sees the same bytes
    const sum = await runCommand('docker', ['exec', host.name, 'sha256sum', '/tmp/blob.bin']);
    const { createHash } = await import('node:crypto');
    assert.equal(sum.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
  });

  await t.test('overwriting keeps the mode and owner of the existing file', async () => {
    await conn.exec('echo old > /tmp/owned && chown 65534:65534 /tmp/owned && chmod 604 /tmp/owned');
    await conn.writeFile('/tmp/owned', 'new\n');
    const st = await conn.stat('/tmp/owned');
    assert.equal(st?.mode, 0o604);
    assert.equal(st?.uid, 65534);
    assert.equal((await conn.readFile('/tmp/owned')).toString(), 'new\n');
  });

  await t.test('a file written with become belongs to the become user', async () => {
    await conn.mkdir('/tmp/for-nobody', { mode: 0o777 });
    await conn.writeFile('/tmp/for-nobody/f', 'x', { become: { become: true, user: 'nobody' } });
    const st = await conn.stat('/tmp/for-nobody/f');
    assert.equal(st?.uid, 65534);
  });

  await t.test('stat: missing path, directory, symlink with and without follow', async () => {
    assert.equal(await conn.stat('/no/such/path'), null);
    assert.equal((await conn.stat('/etc'))?.type, 'directory');
    await conn.symlink('/tmp/blob.bin', '/tmp/link');
    const link = await conn.stat('/tmp/link');
    assert.equal(link?.type, 'link');
    assert.equal(link?.linkTarget, '/tmp/blob.bin');
    assert.equal((await conn.stat('/tmp/link', { follow: true }))?.type, 'file');
    assert.equal(await conn.readlink('/tmp/link'), '/tmp/blob.bin');
    assert.equal((await conn.readFile('/tmp/link')).length, 70_000, 'readFile follows links');
  });

  await t.test('readFile of a missing file is ENOENT', async () => {
    await assert.rejects(conn.readFile('/nope/at/all'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });

  await t.test('writeFile into a missing directory is ENOENT', async () => {
    await assert.rejects(conn.writeFile('/nope/dir/f', 'x'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });

  await t.test('mkdir, chmod, chown, rename, readdir, utimes, remove', async () => {
    await conn.mkdir('/tmp/a/b/c', { parents: true, mode: 0o750 });
    assert.equal((await conn.stat('/tmp/a/b/c'))?.mode, 0o750);
    await conn.mkdir('/tmp/a/b/c', { parents: true }); // existing: fine
    await conn.writeFile('/tmp/a/one', '1');
    await conn.chmod('/tmp/a/one', 0o600);
    assert.equal((await conn.stat('/tmp/a/one'))?.mode, 0o600);
    await conn.chown('/tmp/a/one', 65534, 65534);
    assert.equal((await conn.stat('/tmp/a/one'))?.gid, 65534);
    await conn.rename('/tmp/a/one', '/tmp/a/two');
    assert.deepEqual(await conn.readdir('/tmp/a'), ['b', 'two']);
    await conn.utimes('/tmp/a/two', 1_600_000_000_500, 1_500_000_000_250);
    const st = await conn.stat('/tmp/a/two');
    assert.equal(st?.mtimeMs, 1_500_000_000_250);
    assert.equal(st?.atimeMs, 1_600_000_000_500);
    await conn.remove('/tmp/a');
    assert.equal(await conn.stat('/tmp/a'), null);
    await conn.remove('/tmp/a'); // missing: no error
  });

  await t.test('tempDir exists and is removed on close', async () => {
    const dir = await conn.tempDir();
    assert.equal((await conn.stat(dir))?.type, 'directory');
    assert.equal(await conn.tempDir(), dir);
    await conn.close();
    const gone = await runCommand('docker', ['exec', host.name, 'test', '-e', dir]);
    assert.notEqual(gone.code, 0);
  });
});

test('docker_api connection: a missing or stopped container is unreachable', async (t) => {
  if (!(await needDocker(t))) return;
  const missing = new DockerApiConnection({ host: `tsplay-no-such-${uniqueSuffix()}` });
  await assert.rejects(missing.connect(), (e: unknown) => e instanceof UnreachableError && /Could not find container/.test(e.message));

  const name = `tsplay-stopped-${uniqueSuffix()}`;
  t.after(() => removeContainers([name]));
  const created = await runCommand('docker', ['create', '--name', name, '--network', 'none', await testImage(), 'true']);
  assert.equal(created.code, 0, created.stderr);
  const stopped = new DockerApiConnection({ host: 'inventory-name', container: name });
  await assert.rejects(stopped.connect(), (e: unknown) => e instanceof UnreachableError && /is not running/.test(e.message) && e.host === 'inventory-name');
});

test('docker_api connection options come from the host variables as community.docker reads them', () => {
  assert.deepEqual(dockerApiOptionsFromVars('web', { ansible_host: 'web-ctr', ansible_user: 'app' }).container, 'web-ctr');
  const o = dockerApiOptionsFromVars('web', { ansible_docker_host: 'x', ansible_host: 'y', ansible_docker_user: 'u', ansible_user: 'v', ansible_docker_docker_host: 'tcp://127.0.0.1:2375' });
  assert.equal(o.container, 'x');
  assert.equal(o.user, 'u');
  assert.equal(o.docker?.dockerHost, 'tcp://127.0.0.1:2375');
  assert.equal(dockerApiOptionsFromVars('plain', {}).container, 'plain');
});
