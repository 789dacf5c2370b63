/**
 * The ssh transport (SshConnection) against real sshd in containers: every Connection method,
 * compared with the local transport where the same operation makes sense on both.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { Connection, FileInfo } from '../../src/connection/types.js';
import { baseImage, dockerAvailable, requireService, startSshHost, type SshHost } from '../support/services.js';
import { connectionFor, inContainer } from './helpers.js';

const haveDocker = await dockerAvailable();
const HINT = 'run bash test/run.sh, which starts dockerd';

let shared: Promise<SshHost> | undefined;
/** one host for the tests that do not break it: root, deploy (sudo without password) */
function sharedHost(): Promise<SshHost> {
  shared ??= baseImage('bookworm').then((image) => startSshHost(image, undefined, { users: [{ name: 'deploy', sudo: 'nopasswd' }] }));
  return shared;
}
after(async () => {
  if (shared) await (await shared).stop();
});

function ready(t: TestContext): boolean {
  return requireService(t, 'dockerd', haveDocker, HINT);
}

test('exec: argv quoting, shell form, env, cwd, stdin and exit codes as the local transport gives them', async (t) => {
  if (!ready(t)) return;
  const host = await sharedHost();
  const ssh = await connectionFor(host, t);
  const local = new LocalConnection();
  const cases: Array<[string[] | string, Parameters<Connection['exec']>[1]]> = [
    [['printf', '%s|', 'a b', "it's", '$HOME', '', 'x"y', '*', 'a\nb'], {}],
    ['echo $((1+2)); echo to-err >&2; exit 7', {}],
    [['sh', '-c', 'printf "%s/%s" "$A" "$B"'], { env: { A: '1 2', B: "q'uote $x" } }],
    ['pwd', { cwd: '/usr/share' }],
    [['cat'], { stdin: 'line one\nline two' }],
    ['wc -c', { stdin: Buffer.alloc(300_000, 0x61) }],
    ['kill -TERM $$', {}],
    [['false'], {}],
    ['printf "caf\\303\\251"', {}],
  ];
  for (const [cmd, opts] of cases) {
    const want = await local.exec(cmd, opts);
    const got = await ssh.exec(cmd, opts);
    assert.deepEqual(got, want, `exec ${JSON.stringify(cmd)}`);
  }
  assert.equal((await ssh.exec(['sh', '-c', 'exit 255'])).rc, 255);
  await assert.rejects(ssh.exec([]), /empty argv/);
});

/** the fields both transports fill, for comparison */
function comparable(info: FileInfo | null): Partial<FileInfo> | null {
  if (!info) return null;
  return { type: info.type, mode: info.mode, size: info.size, uid: info.uid, gid: info.gid, linkTarget: info.linkTarget };
}

test('files: every file operation matches the local transport on the same tree', async (t) => {
  if (!ready(t)) return;
  const host = await sharedHost();
  const ssh = await connectionFor(host, t);
  const local = new LocalConnection();
  const localRoot = await mkdtemp(join(tmpdir(), 'tsplay-sshfiles-'));
  t.after(() => rm(localRoot, { recursive: true, force: true }));
  const remoteRoot = (await inContainer(host, 'mktemp -d /tmp/files-XXXXXX')).trim();
  const binary = Buffer.from(Array.from({ length: 256 * 1024 + 7 }, (_, i) => (i * 7) % 256));

  for (const [conn, root] of [
    [local, localRoot],
    [ssh, remoteRoot],
  ] as Array<[Connection, string]>) {
    const p = (name: string): string => join(root, name);
    const where = `${conn.transport} ${root}`;
    await conn.writeFile(p('new.txt'), 'hello\n');
    assert.deepEqual(comparable(await conn.stat(p('new.txt'))), { type: 'file', mode: 0o644, size: 6, uid: 0, gid: 0, linkTarget: undefined }, where);
    await conn.writeFile(p('bin'), binary, { mode: 0o600 });
    assert.ok((await conn.readFile(p('bin'))).equals(binary), where);
    assert.equal((await conn.stat(p('bin')))!.mode, 0o600, where);
    await conn.writeFile(p('empty'), '');
    assert.equal((await conn.readFile(p('empty'))).length, 0, where);
    // an existing file keeps its mode and owner when rewritten without a mode
    await conn.chmod(p('new.txt'), 0o640);
    await conn.chown(p('new.txt'), 1234, 2345);
    await conn.writeFile(p('new.txt'), 'second\n');
    assert.deepEqual(comparable(await conn.stat(p('new.txt'))), { type: 'file', mode: 0o640, size: 7, uid: 1234, gid: 2345, linkTarget: undefined }, where);
    await conn.chown(p('new.txt'), -1, 0);
    assert.equal((await conn.stat(p('new.txt')))!.uid, 1234, where);
    assert.equal((await conn.stat(p('new.txt')))!.gid, 0, where);
    // no temp file is left beside the files
    assert.deepEqual(await conn.readdir(root), ['bin', 'empty', 'new.txt'], where);

    await conn.mkdir(p('a/b/c'), { parents: true, mode: 0o750 });
    assert.deepEqual(comparable(await conn.stat(p('a/b/c'))), { type: 'directory', mode: 0o750, size: (await conn.stat(p('a/b/c')))!.size, uid: 0, gid: 0, linkTarget: undefined }, where);
    await conn.mkdir(p('a/b/c'), { parents: true });
    await assert.rejects(conn.mkdir(p('a/b/c')), (e: NodeJS.ErrnoException) => e.code === 'EEXIST', where);
    await assert.rejects(conn.mkdir(p('x/y')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT', where);

    await conn.symlink('new.txt', p('link'));
    assert.equal((await conn.stat(p('link')))!.type, 'link', where);
    assert.equal((await conn.stat(p('link')))!.linkTarget, 'new.txt', where);
    assert.equal((await conn.stat(p('link'), { follow: true }))!.type, 'file', where);
    assert.equal(await conn.readlink(p('link')), 'new.txt', where);
    await conn.chown(p('link'), 77, 77, { follow: false });
    assert.equal((await conn.stat(p('link')))!.uid, 77, where);
    assert.equal((await conn.stat(p('new.txt')))!.uid, 1234, where);

    await conn.writeFile(p('a/other'), 'other');
    await conn.rename(p('a/other'), p('empty'));
    assert.equal((await conn.readFile(p('empty'))).toString(), 'other', where);
    assert.equal(await conn.stat(p('a/other')), null, where);

    await conn.utimes(p('bin'), 1_600_000_000_000, 1_500_000_000_000);
    assert.equal((await conn.stat(p('bin')))!.mtimeMs, 1_500_000_000_000, where);
    assert.equal((await conn.stat(p('bin')))!.atimeMs, 1_600_000_000_000, where);
    await conn.utimes(p('bin'), 1_600_000_000_250, 1_500_000_000_500);
    assert.equal(Math.floor((await conn.stat(p('bin')))!.mtimeMs / 1000), 1_500_000_000, where);
    await conn.chmod(p('bin'), 0o4755);
    assert.equal((await conn.stat(p('bin')))!.mode, 0o4755, where);

    assert.equal(await conn.checksum(p('bin')), createHash('sha1').update(binary).digest('hex'), where);
    assert.equal(await conn.checksum(p('a')), null, where);
    assert.equal(await conn.checksum(p('missing')), null, where);

    assert.equal(await conn.stat(p('missing')), null, where);
    assert.equal(await conn.stat(p('new.txt/below')), null, where);
    await assert.rejects(conn.readFile(p('missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT', where);
    await assert.rejects(conn.readdir(p('missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT', where);
    await assert.rejects(conn.writeFile(p('nodir/file'), 'x'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT', where);

    assert.deepEqual(await conn.readdir(root), ['a', 'bin', 'empty', 'link', 'new.txt'], where);
    await conn.remove(p('link'));
    assert.equal(await conn.stat(p('new.txt')) !== null, true, where);
    await conn.remove(p('a'));
    await conn.remove(p('missing'));
    assert.deepEqual(await conn.readdir(root), ['bin', 'empty', 'new.txt'], where);
  }
  // the remote tree as the container itself sees it
  assert.equal(await inContainer(host, `stat -c '%a %u %g %s' ${remoteRoot}/new.txt`), '640 1234 0 7\n');
  await inContainer(host, `rm -rf ${remoteRoot}`);
});

test('files: permission errors are EACCES; tempDir is private, made once and removed on close', async (t) => {
  if (!ready(t)) return;
  const host = await sharedHost();
  const deploy = await connectionFor(host, t, { user: 'deploy' });
  await assert.rejects(deploy.readFile('/root/.ssh/authorized_keys'), (e: NodeJS.ErrnoException) => e.code === 'EACCES');
  await assert.rejects(deploy.writeFile('/etc/tsplay-nope', 'x'), (e: NodeJS.ErrnoException) => e.code === 'EACCES');
  const dir = await deploy.tempDir();
  assert.equal(await deploy.tempDir(), dir);
  assert.equal(await inContainer(host, `stat -c '%a %U' ${dir}`), '700 deploy\n');
  await deploy.close();
  assert.equal(await inContainer(host, `test -e ${dir} && echo there || echo gone`), 'gone\n');
  // after close, the next call reconnects
  assert.equal((await deploy.exec(['whoami'])).stdout, 'deploy\n');
  const info = await deploy.targetInfo();
  assert.deepEqual([info.user, info.home, info.umask], ['deploy', '/home/deploy', 0o022]);
  assert.equal(info.env.USER, 'deploy');
});

test('become with sudo and no password: commands and every file op run as root, one command each', async (t) => {
  if (!ready(t)) return;
  const host = await sharedHost();
  const deploy = await connectionFor(host, t, { user: 'deploy' });
  const become = { become: true };
  assert.deepEqual(await deploy.exec(['id', '-un'], { become }), { rc: 0, stdout: 'root\n', stderr: '' });
  assert.deepEqual(await deploy.exec('cat; echo $X; pwd', { become, stdin: 'in\n', env: { X: 'x' }, cwd: '/root' }), { rc: 0, stdout: 'in\nx\n/root\n', stderr: '' });
  assert.equal((await deploy.exec('exit 3', { become })).rc, 3);
  // becoming the login user is no escalation: a broken become program is never run
  assert.equal((await deploy.exec(['id', '-un'], { become: { become: true, user: 'deploy', exe: '/nonexistent' } })).stdout, 'deploy\n');

  const dir = '/root/become-test';
  await deploy.mkdir(`${dir}/sub`, { parents: true, mode: 0o700, become });
  await deploy.writeFile(`${dir}/f`, 'root data\n', { become });
  assert.equal(await inContainer(host, `stat -c '%a %U:%G' ${dir}/f`), '644 root:root\n');
  assert.equal((await deploy.readFile(`${dir}/f`, { become })).toString(), 'root data\n');
  await deploy.chmod(`${dir}/f`, 0o600, { become });
  await deploy.chown(`${dir}/f`, 0, 1000, { become });
  await deploy.writeFile(`${dir}/f`, Buffer.from('rewritten\n'), { become });
  assert.equal(await inContainer(host, `stat -c '%a %u:%g' ${dir}/f; cat ${dir}/f`), '600 0:1000\nrewritten\n');
  await deploy.writeFile(`${dir}/g`, 'g', { become, mode: 0o640 });
  assert.equal(await inContainer(host, `stat -c '%a' ${dir}/g`), '640\n');
  const st = await deploy.stat(`${dir}/f`, { become });
  assert.deepEqual(comparable(st), { type: 'file', mode: 0o600, size: 10, uid: 0, gid: 1000, linkTarget: undefined });
  await assert.rejects(deploy.stat(`${dir}/f`), (e: NodeJS.ErrnoException) => e.code === 'EACCES', 'without become deploy cannot see into /root');
  await deploy.symlink('f', `${dir}/l`, { become });
  assert.equal(await deploy.readlink(`${dir}/l`, { become }), 'f');
  assert.equal((await deploy.stat(`${dir}/l`, { become }))!.linkTarget, 'f');
  await deploy.rename(`${dir}/g`, `${dir}/h`, { become });
  await deploy.utimes(`${dir}/h`, 1_000_000_000_000, 1_100_000_000_500, { become });
  assert.equal((await deploy.stat(`${dir}/h`, { become }))!.mtimeMs, 1_100_000_000_500);
  assert.deepEqual(await deploy.readdir(dir, { become }), ['f', 'h', 'l', 'sub']);
  assert.equal(await deploy.checksum(`${dir}/f`, { become }), createHash('sha1').update('rewritten\n').digest('hex'));
  await deploy.remove(dir, { become });
  assert.equal(await inContainer(host, `test -e ${dir} && echo there || echo gone`), 'gone\n');
  // no upload is left behind in the private temp dir
  assert.equal(await inContainer(host, `ls -A ${await deploy.tempDir()} | wc -l`), '0\n');
});

test('many calls at once on one connection: 40 writes and 40 commands, one ssh connection, no channel failures', async (t) => {
  if (!ready(t)) return;
  const host = await sharedHost();
  const accepted = async (): Promise<number> => ((await import('../support/services.js')).runCommand('docker', ['logs', host.id])).then((r) => (r.stderr.match(/Accepted publickey for root/g) ?? []).length);
  const before = await accepted();
  const ssh = await connectionFor(host, t);
  const dir = (await inContainer(host, 'mktemp -d')).trim();
  const work: Array<Promise<unknown>> = [];
  for (let i = 0; i < 40; i++) {
    work.push(ssh.writeFile(`${dir}/f${i}`, `content ${i}\n`));
    work.push(ssh.exec(['sh', '-c', `sleep 0.2; echo ${i}`]).then((r) => assert.equal(r.stdout, `${i}\n`)));
  }
  await Promise.all(work);
  assert.equal(await inContainer(host, `cat ${dir}/f* | wc -l`), '40\n');
  assert.equal((await ssh.readFile(`${dir}/f39`)).toString(), 'content 39\n');
  assert.equal((await accepted()) - before, 1, 'all calls share one connection');
});

test('50 MB of output arrives whole without holding much more than the 50 MB', async (t) => {
  if (!ready(t)) return;
  const host = await sharedHost();
  const ssh = await connectionFor(host, t);
  await ssh.connect();
  const size = 50 * 1024 * 1024;
  const base = process.memoryUsage();
  let peak = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss - base.rss);
  }, 20);
  const res = await ssh.exec(`head -c ${size} /dev/zero | tr '\\0' x`);
  clearInterval(sampler);
  assert.equal(res.rc, 0);
  assert.equal(res.stdout.length, size);
  assert.equal(res.stdout.slice(-3), 'xxx');
  // chunks + one concatenation + the string: a few times 50 MB at most
  assert.ok(peak < 4 * size, `rss grew by ${Math.round(peak / 1048576)} MB`);
});

async function gone(host: SshHost, pattern: string): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    // [x]yz: the pattern does not match the shell running pgrep
    const out = await inContainer(host, `pgrep -f '[${pattern[0]}]${pattern.slice(1)}' || true`);
    if (out.trim() === '') return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('a timeout or an abort kills the remote command, also when it runs as root through sudo', async (t) => {
  if (!ready(t)) return;
  const host = await sharedHost();
  const root = await connectionFor(host, t);
  const deploy = await connectionFor(host, t, { user: 'deploy' });
  for (const [conn, become, n] of [
    [root, undefined, 301],
    [deploy, { become: true }, 302],
    [deploy, undefined, 303],
  ] as const) {
    const started = Date.now();
    await assert.rejects(conn.exec(`echo started; sleep ${n}; echo never`, { timeoutMs: 700, become }), /timed out after 700 ms/);
    assert.ok(Date.now() - started < 5000);
    assert.ok(await gone(host, `sleep ${n}`), `sleep ${n} still runs on the target`);
    assert.equal((await conn.exec(['echo', 'still usable'], { become })).stdout, 'still usable\n');
  }
  const controller = new AbortController();
  const running = deploy.exec('sleep 304', { become: { become: true }, signal: controller.signal });
  setTimeout(() => controller.abort(new Error('interrupted by test')), 500);
  await assert.rejects(running, /interrupted by test/);
  assert.ok(await gone(host, 'sleep 304'), 'sleep 304 still runs on the target');
  // output before the kill does not leak the session-id line into normal results
  assert.deepEqual(await deploy.exec('echo out; echo err >&2', { timeoutMs: 5000 }), { rc: 0, stdout: 'out\n', stderr: 'err\n' });
});

test('openUnixSocket reaches the docker daemon through the target', async (t) => {
  if (!ready(t)) return;
  const host = await startSshHost(await baseImage('bookworm'), t, { volumes: ['/var/run/docker.sock:/var/run/docker.sock'] });
  const ssh = await connectionFor(host, t);
  const sock = await ssh.openUnixSocket('/var/run/docker.sock');
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', resolve);
    sock.on('close', resolve);
    sock.on('error', reject);
  });
  sock.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n');
  await done;
  const answer = Buffer.concat(chunks).toString();
  assert.match(answer, /^HTTP\/1\.[01] 200/);
  assert.match(answer, /\r\n\r\nOK$/);
  await assert.rejects(ssh.openUnixSocket('/nonexistent.sock'), /cannot open the socket/);
});
