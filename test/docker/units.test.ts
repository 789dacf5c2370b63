/**
 * The small pure pieces under the docker modules: word splitting of `command`, comparison
 * methods, tar for the archive API, log demultiplexing, image references, option preparation.
 * Expectations come from Python's shlex, community.docker's compare_generic and GNU tar.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { demuxFrames, parseRepositoryTag } from '../../src/docker/api.js';
import { tarOneFile, untar } from '../../src/docker/tar.js';
import { compareGeneric } from '../../src/modules/docker/container/compare.js';
import { ParamError, humanToBytes, prepareEnv, prepareMountsVolumes, preparePublishedPorts } from '../../src/modules/docker/container/options.js';
import { shlexSplit } from '../../src/util/shlex.js';
import { parseEnvFile, pullPolicy } from '../../src/modules/docker/docker_container.js';
import { runCommand, tempDir } from '../support/services.js';

test('shlexSplit agrees with Python shlex.split', async () => {
  const samples = [
    `sleep 600`,
    `sh -c 'echo $GREETING'`,
    `bash -c "a \\"b\\" \\$c" d\\ e`,
    `  spaced   out  `,
    `''`,
    `a'b'"c"d`,
    `x "y\\nz"`,
  ];
  const py = await runCommand('/usr/bin/python3', ['-c', 'import json,shlex,sys; print(json.dumps([shlex.split(s) for s in json.load(sys.stdin)]))'], {
    input: JSON.stringify(samples),
  });
  assert.equal(py.code, 0, py.stderr);
  assert.deepEqual(samples.map(shlexSplit), JSON.parse(py.stdout));
  assert.throws(() => shlexSplit(`echo 'open`), /No closing quotation/);
});

test('compareGeneric: the three methods over values, lists, sets and dicts', () => {
  assert.equal(compareGeneric('a', 'a', 'strict', 'value'), true);
  assert.equal(compareGeneric('a', null, 'strict', 'value'), false);
  assert.equal(compareGeneric(['a', 'b'], ['a', 'b'], 'strict', 'list'), true);
  assert.equal(compareGeneric(['b', 'a'], ['a', 'b'], 'strict', 'list'), false);
  assert.equal(compareGeneric(['a', 'c'], ['a', 'b', 'c'], 'allow_more_present', 'list'), true);
  assert.equal(compareGeneric(['A=1'], ['PATH=/bin', 'A=1'], 'allow_more_present', 'set'), true);
  assert.equal(compareGeneric(['A=1'], ['PATH=/bin', 'A=1'], 'strict', 'set'), false);
  assert.equal(compareGeneric({ a: '1' }, { a: '1', b: '2' }, 'allow_more_present', 'dict'), true);
  assert.equal(compareGeneric({ a: '1' }, { a: '2' }, 'allow_more_present', 'dict'), false);
  assert.equal(compareGeneric([], null, 'allow_more_present', 'set'), true, 'empty wanted set matches nothing there');
  assert.equal(compareGeneric(['x'], null, 'allow_more_present', 'set'), false);
  assert.equal(compareGeneric(null, ['x'], 'allow_more_present', 'set'), true);
  assert.equal(compareGeneric(null, ['x'], 'strict', 'set'), false);
  assert.equal(
    compareGeneric([{ target: '/d', type: 'bind' }], [{ target: '/d', type: 'bind', read_only: false }], 'allow_more_present', 'set(dict)'),
    true,
  );
  assert.equal(compareGeneric(['x'], ['y'], 'ignore', 'set'), true);
  // a dict counts as the set of its keys (Config.Volumes)
  assert.equal(compareGeneric(['/data'], { '/data': {} }, 'allow_more_present', 'set'), true);
});

test('tar: one file written by us is read back by GNU tar, and GNU tar archives by us', async (t) => {
  const dir = await tempDir('tsplay-tar-', t);
  const data = Buffer.from('hello tar\n'.repeat(100));
  await writeFile(join(dir, 'ours.tar'), tarOneFile({ name: 'greeting.txt', data, mode: 0o640, uid: 1000, gid: 1000, mtimeSec: 1_700_000_000 }));
  const listed = await runCommand('tar', ['-tvf', join(dir, 'ours.tar'), '--numeric-owner']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^-rw-r----- 1000\/1000 +1000 2023-11-14 \d\d:\d\d greeting\.txt$/m);
  await mkdir(join(dir, 'out'));
  assert.equal((await runCommand('tar', ['-xf', join(dir, 'ours.tar'), '-C', join(dir, 'out')])).code, 0);
  assert.deepEqual(await readFile(join(dir, 'out', 'greeting.txt')), data);

  // GNU tar with a long name (GNU longname / pax) and a symlink, as Docker's archive API may send
  const longName = `${'d'.repeat(120)}.txt`;
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src', longName), 'long\n');
  await runCommand('ln', ['-s', longName, join(dir, 'src', 'link')]);
  for (const format of ['gnu', 'pax']) {
    const archive = join(dir, `theirs-${format}.tar`);
    assert.equal((await runCommand('tar', [`--format=${format}`, '-cf', archive, '-C', join(dir, 'src'), longName, 'link'])).code, 0);
    const entries = untar(await readFile(archive));
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.type === 'file' ? e.data.toString() : e.linkname]),
      [
        [longName, 'file', 'long\n'],
        ['link', 'symlink', longName],
      ],
      format,
    );
  }
});

test('demuxFrames splits Docker frames and keeps their order', () => {
  const frame = (stream: number, text: string): Buffer => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = stream;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };
  const out = demuxFrames(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, 'c\n')]));
  assert.equal(out.combined.toString(), 'a\nb\nc\n');
  assert.equal(out.stdout.toString(), 'a\nc\n');
  assert.equal(out.stderr.toString(), 'b\n');
  assert.equal(demuxFrames(Buffer.from('raw tty output\n')).combined.toString(), 'raw tty output\n');
});

test('image references split like Docker does', () => {
  assert.deepEqual(parseRepositoryTag('debian'), { repository: 'debian' });
  assert.deepEqual(parseRepositoryTag('debian:bookworm'), { repository: 'debian', tag: 'bookworm' });
  assert.deepEqual(parseRepositoryTag('127.0.0.1:5000/team/app'), { repository: '127.0.0.1:5000/team/app' });
  assert.deepEqual(parseRepositoryTag('127.0.0.1:5000/team/app:2'), { repository: '127.0.0.1:5000/team/app', tag: '2' });
  assert.deepEqual(parseRepositoryTag('app@sha256:abc'), { repository: 'app', tag: 'sha256:abc' });
});

test('option preparation: sizes, env, mounts, volumes, ports, pull', () => {
  assert.equal(humanToBytes('512m', 'memory'), 512 * 1024 * 1024);
  assert.equal(humanToBytes('1G', 'memory'), 1024 ** 3);
  assert.equal(humanToBytes('0', 'memory'), 0);
  assert.throws(() => humanToBytes('lots', 'memory'), ParamError);
  assert.deepEqual(prepareEnv({ A: '1', B: '' }), ['A=1', 'B=']);
  assert.throws(() => prepareEnv({ N: 1 }), /Non-string value found for env option.*Key: N/);
  assert.deepEqual(prepareMountsVolumes({ volumes: ['/h:/c', '/anon', '/h2:/c2:ro'] }), {
    volumes: ['/h:/c', '/anon', '/h2:/c2:ro'],
    binds: ['/h:/c:rw', '/h2:/c2:ro'],
  });
  assert.throws(() => prepareMountsVolumes({ mounts: [{ target: '/x', type: 'bind' }] }), /source must be specified for mount "\/x" of type "bind"/);
  assert.throws(() => prepareMountsVolumes({ mounts: [{ target: '/x', type: 'tmpfs' }], volumes: ['/h:/x'] }), /appears both in the volumes and mounts option/);
  assert.deepEqual(prepareMountsVolumes({ mounts: [{ target: '/t', type: 'tmpfs', tmpfs_size: '1m', tmpfs_mode: '1777' }] }).mounts, [
    { target: '/t', type: 'tmpfs', tmpfs_size: 1048576, tmpfs_mode: 0o1777 },
  ]);
  assert.deepEqual(preparePublishedPorts(['8080:80', '127.0.0.1:9000:9000/udp', '53'], '0.0.0.0'), {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
    '9000/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
    '53/tcp': [{ HostIp: '0.0.0.0', HostPort: '' }],
  });
  assert.throws(() => preparePublishedPorts(['all'], '0.0.0.0'), /publish_all_ports/);
  assert.equal(pullPolicy(true), 'always');
  assert.equal(pullPolicy(false), 'missing');
  assert.equal(pullPolicy('never'), 'never');
  assert.equal(pullPolicy('missing'), 'missing');
  assert.throws(() => pullPolicy('sometimes'), /pull must be a boolean or one of missing, always, never/);
});

test('env files: KEY=VALUE lines, comments and blanks skipped, a bad line named', () => {
  assert.deepEqual(parseEnvFile('/e', '# c\nA=1\n\n  B = x=y \nC=\n'), { A: '1', 'B ': ' x=y', C: '' });
  assert.throws(() => parseEnvFile('/etc/app.env', 'A=1\nnot a pair\n'), /Invalid line in environment file \/etc\/app\.env:\nnot a pair/);
});
