import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, readFile, writeFile, mkdir, symlink, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileModule } from '../../src/modules/builtin/file.js';
import { makeCtx, scratch, cleanup, withDefaults, requireAnsible, runAnsible, runTsplay, replaceIn, without, type Case } from './helpers.js';

const run = (args: Record<string, unknown>, opts: Parameters<typeof makeCtx>[0] = {}) =>
  fileModule.run(withDefaults(fileModule, args) as never, makeCtx(opts));

test('file: directory is created once, then unchanged; check mode changes nothing', async () => {
  const dir = await scratch();
  const target = join(dir, 'a', 'b');
  const checked = await run({ path: target, state: 'directory', mode: '0750' }, { check: true });
  assert.equal(checked.changed, true);
  await assert.rejects(stat(target));
  const first = await run({ path: target, state: 'directory', mode: '0750' });
  assert.equal(first.changed, true);
  assert.equal(first.state, 'directory');
  assert.equal(first.mode, '0750');
  // Ansible records the mode change of each directory it creates in the same diff
  assert.deepEqual(first.diff, {
    before: { path: target, state: 'absent', mode: '0755' },
    after: { path: target, state: 'directory', mode: '0750' },
  });
  assert.equal((await stat(target)).mode & 0o7777, 0o750);
  // each created ancestor gets the mode too, as in Ansible
  assert.equal((await stat(join(dir, 'a'))).mode & 0o7777, 0o750);
  const second = await run({ path: target, state: 'directory', mode: '0750' });
  assert.equal(second.changed, false);
  await cleanup(dir);
});

test('file: symbolic and octal modes, touch, absent', async () => {
  const dir = await scratch();
  const f = join(dir, 'f');
  const touched = await run({ path: f, state: 'touch', mode: 'u=rw,g=r,o=' });
  assert.equal(touched.changed, true);
  assert.equal((await stat(f)).mode & 0o7777, 0o640);
  const sym = await run({ path: f, mode: 'u+x,g-r' });
  assert.equal(sym.changed, true);
  assert.deepEqual(sym.diff, { before: { path: f, mode: '0640' }, after: { path: f, mode: '0700' } });
  const octal = await run({ path: f, mode: 0o644 });
  assert.equal(octal.mode, '0644');
  assert.equal((await run({ path: f, mode: '644' })).changed, false);
  const bad = await run({ path: f, mode: '0999' });
  assert.equal(bad.failed, true);
  assert.equal(bad.msg, 'mode must be in octal or symbolic form');
  assert.equal(bad.details, 'bad symbolic permission for mode: 0999');
  assert.equal((await run({ path: f, _diff_peek: true })).appears_binary, false);
  await writeFile(join(dir, 'bin'), Buffer.from([1, 0, 2]));
  assert.equal((await run({ path: join(dir, 'bin'), _diff_peek: true })).appears_binary, true);
  const gone = await run({ path: f, state: 'absent' });
  assert.equal(gone.changed, true);
  assert.equal((await run({ path: f, state: 'absent' })).changed, false);
  const missing = await run({ path: f });
  assert.equal(missing.failed, true);
  assert.equal(missing.msg, `file (${f}) is absent, cannot continue`);
  await cleanup(dir);
});

test('file: links, hard links and refusals', async () => {
  const dir = await scratch();
  const f = join(dir, 'f');
  await writeFile(f, 'x');
  const link = await run({ path: join(dir, 'l'), src: f, state: 'link' });
  assert.equal(link.changed, true);
  assert.equal(link.state, 'link');
  assert.equal((await lstat(join(dir, 'l'))).isSymbolicLink(), true);
  assert.equal((await run({ path: join(dir, 'l'), src: f, state: 'link' })).changed, false);
  const retarget = await run({ path: join(dir, 'l'), src: 'f', state: 'link' });
  assert.equal(retarget.changed, true);
  assert.deepEqual((retarget.diff as { after: unknown }).after, { path: join(dir, 'l'), src: 'f' });
  const dangling = await run({ path: join(dir, 'l2'), src: 'nope', state: 'link' });
  assert.equal(dangling.failed, true);
  assert.match(String(dangling.msg), /^src file does not exist, use "force=yes"/);
  const refused = await run({ path: f, src: '/etc/hostname', state: 'link' });
  assert.equal(refused.msg, `refusing to convert from file to symlink for ${f}`);
  const hard = await run({ path: join(dir, 'h'), src: f, state: 'hard' });
  assert.equal(hard.changed, true);
  assert.equal((await stat(f)).nlink, 2);
  assert.equal((await run({ path: join(dir, 'h'), src: f, state: 'hard' })).changed, false);
  await cleanup(dir);
});

test('file: recurse sets modes below a directory, then is idempotent', async () => {
  const dir = await scratch();
  await mkdir(join(dir, 'r', 'x'), { recursive: true });
  await writeFile(join(dir, 'r', 'x', 'f'), 'data');
  const first = await run({ path: join(dir, 'r'), state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' });
  assert.equal(first.changed, true);
  assert.equal((await stat(join(dir, 'r', 'x'))).mode & 0o7777, 0o750);
  assert.equal((await stat(join(dir, 'r', 'x', 'f'))).mode & 0o7777, 0o640);
  assert.equal((await run({ path: join(dir, 'r'), state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' })).changed, false);
  await cleanup(dir);
});

test('file: absent on a directory lists its content in the diff and removes it', async () => {
  const dir = await scratch();
  await mkdir(join(dir, 'd', 'sub'), { recursive: true });
  await writeFile(join(dir, 'd', 'sub', 'f'), '');
  const res = await run({ path: join(dir, 'd'), state: 'absent' }, { check: true });
  assert.equal(res.changed, true);
  assert.deepEqual((res.diff as { before: { path_content: unknown } }).before.path_content, {
    directories: [join(dir, 'd', 'sub')],
    files: [join(dir, 'd', 'sub', 'f')],
  });
  assert.deepEqual(await readdir(join(dir, 'd')), ['sub']);
  await run({ path: join(dir, 'd'), state: 'absent' });
  await assert.rejects(stat(join(dir, 'd')));
  await cleanup(dir);
});

test('file: results match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  const D = '@D@';
  const cases: Case[] = [
    { name: 'd1', module: 'file', args: { path: `${D}/d`, state: 'directory', mode: '0755' } },
    { name: 'd2', module: 'file', args: { path: `${D}/d`, state: 'directory', mode: '0755' } },
    { name: 'd3', module: 'file', args: { path: `${D}/d/a/b`, state: 'directory' } },
    { name: 'd4', module: 'file', args: { path: `${D}/d/m/n`, state: 'directory', mode: '0700' } },
    { name: 'dc', module: 'file', args: { path: `${D}/dc`, state: 'directory' }, check: true },
    { name: 't1', module: 'file', args: { path: `${D}/f`, state: 'touch', mode: 'u=rw,g=r,o=r' } },
    { name: 'f1', module: 'file', args: { path: `${D}/f`, mode: '0600' } },
    { name: 'f2', module: 'file', args: { path: `${D}/f`, state: 'file', mode: 'u+x,g-w' } },
    { name: 'f2c', module: 'file', args: { path: `${D}/f`, state: 'file', mode: '0644' }, check: true },
    { name: 'f3', module: 'file', args: { path: `${D}/nofile`, state: 'file' } },
    { name: 'l1', module: 'file', args: { path: `${D}/l`, src: `${D}/f`, state: 'link' } },
    { name: 'l2', module: 'file', args: { path: `${D}/l`, src: `${D}/f`, state: 'link' } },
    { name: 'l3', module: 'file', args: { path: `${D}/l2`, src: 'nonexist', state: 'link' } },
    { name: 'l4', module: 'file', args: { path: `${D}/l3`, src: 'nonexist', state: 'link', force: true } },
    { name: 'l5', module: 'file', args: { path: `${D}/f`, src: `${D}/d`, state: 'link' } },
    { name: 'h1', module: 'file', args: { path: `${D}/h`, src: `${D}/f`, state: 'hard' } },
    { name: 'h2', module: 'file', args: { path: `${D}/h`, src: `${D}/f`, state: 'hard' } },
    { name: 'a0', module: 'file', args: { path: `${D}/d`, state: 'absent' }, check: true },
    { name: 'a1', module: 'file', args: { path: `${D}/d`, state: 'absent' } },
    { name: 'a2', module: 'file', args: { path: `${D}/d`, state: 'absent' } },
    { name: 's0', module: 'file', args: { path: `${D}/f` } },
    { name: 'm1', module: 'file', args: { path: `${D}/f`, mode: '0999' } },
    { name: 'm2', module: 'file', args: { path: `${D}/f`, mode: 420 } },
    { name: 'm3', module: 'file', args: { path: `${D}/f`, mode: 'a=rwxz' } },
    { name: 'o1', module: 'file', args: { path: `${D}/f`, owner: 'nosuchuser' } },
    { name: 'o2', module: 'file', args: { path: `${D}/f`, owner: 'nobody', group: 'nogroup' } },
    { name: 'o3', module: 'file', args: { path: `${D}/f`, owner: 'nosuchuser' }, check: true },
    { name: 'dx', module: 'file', args: { path: `${D}/f`, state: 'directory' } },
    { name: 'r1', module: 'file', args: { path: `${D}/r/x/y`, state: 'directory' } },
    { name: 'r2', module: 'file', args: { path: `${D}/r`, state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' } },
    { name: 'r3', module: 'file', args: { path: `${D}/r`, state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' } },
    { name: 'r4', module: 'file', args: { path: `${D}/f`, recurse: true } },
    { name: 'sr', module: 'file', args: { path: `${D}/f`, src: `${D}/r` } },
    { name: 'lf', module: 'file', args: { path: `${D}/l`, state: 'file' } },
    { name: 'ld', module: 'file', args: { path: `${D}/ld`, src: `${D}/r`, state: 'link' } },
    { name: 'mt', module: 'file', args: { path: `${D}/f`, state: 'file', modification_time: '202001020304.05' } },
    { name: 'mt2', module: 'file', args: { path: `${D}/f`, state: 'file', modification_time: '202001020304.05' } },
    { name: 'tt', module: 'file', args: { path: `${D}/tt`, state: 'touch', modification_time: 'preserve', access_time: 'preserve' } },
    { name: 'tt2', module: 'file', args: { path: `${D}/tt`, state: 'touch', modification_time: 'preserve', access_time: 'preserve' } },
    { name: 'fl1', module: 'file', args: { path: `${D}/tgt`, state: 'touch', mode: '0600' } },
    { name: 'fl2', module: 'file', args: { path: `${D}/rel`, src: 'tgt', state: 'link' } },
    { name: 'fl3', module: 'file', args: { path: `${D}/rel`, mode: '0640' } },
    { name: 'fl4', module: 'file', args: { path: `${D}/rel`, mode: '0644', follow: false } },
    { name: 'fl5', module: 'file', args: { path: `${D}/rel`, state: 'link' } },
    { name: 'fl6', module: 'file', args: { path: `${D}/rel`, src: 'f', state: 'link' }, check: true },
    { name: 'fl7', module: 'file', args: { path: `${D}/tt`, src: `${D}/tgt`, state: 'hard' } },
    { name: 'fl8', module: 'file', args: { path: `${D}/tt`, src: `${D}/tgt`, state: 'hard', force: true } },
    { name: 'fl9', module: 'file', args: { path: `${D}/emptyd`, state: 'directory' } },
    { name: 'fl10', module: 'file', args: { path: `${D}/emptyd`, src: `${D}/tgt`, state: 'link', force: true } },
    { name: 'fl11', module: 'file', args: { path: `${D}/r`, src: `${D}/tgt`, state: 'link', force: true } },
    { name: 'fl12', module: 'file', args: { path: `${D}/ld`, state: 'directory', mode: '0700' } },
    { name: 'fl13', module: 'file', args: { path: `${D}/newf`, state: 'touch', owner: 'nobody', group: 'nogroup' } },
    { name: 'fl14', module: 'file', args: { path: `${D}/newf`, state: 'file', owner: '0', group: '0' } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { file: fileModule });
  const volatile = ['atime', 'mtime'];
  // directory listing order is the filesystem's, in both tools
  const sortContent = (r: Record<string, unknown>) => {
    const content = (r.diff as { before?: { path_content?: { directories: string[]; files: string[] } } } | undefined)?.before
      ?.path_content;
    content?.directories.sort();
    content?.files.sort();
    return r;
  };
  for (const c of cases) {
    const expected = sortContent(without(replaceIn(ansible[c.name], a, D), volatile));
    const actual = sortContent(without(replaceIn(ours[c.name], b, D), volatile));
    assert.deepEqual(actual, expected, `case ${c.name}`);
  }
  // the tree left behind is the same too
  const listing = async (root: string) => {
    const out: string[] = [];
    const walk = async (p: string) => {
      for (const name of (await readdir(p)).sort()) {
        const st = await lstat(join(p, name));
        out.push(`${join(p, name).slice(root.length)} ${st.mode.toString(8)} ${st.uid}:${st.gid}`);
        if (st.isDirectory()) await walk(join(p, name));
      }
    };
    await walk(root);
    return out.filter((l) => !l.includes('playbook-'));
  };
  assert.deepEqual(await listing(b), await listing(a));
  assert.equal(await readFile(join(b, 'f'), 'utf8'), await readFile(join(a, 'f'), 'utf8'));
  await cleanup(a);
  await cleanup(b);
});
