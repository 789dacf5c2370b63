import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, readFile, writeFile, mkdir, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { copyModule } from '../../src/modules/builtin/copy.js';
import { fileModule } from '../../src/modules/builtin/file.js';
import { makeCtx, scratch, cleanup, withDefaults, requireAnsible, runAnsible, runTsplay, replaceIn, without, type Case } from './helpers.js';

const run = (args: Record<string, unknown>, opts: Parameters<typeof makeCtx>[0] = {}) =>
  copyModule.run(withDefaults(copyModule, args), makeCtx(opts));

test('copy: content is written once, atomically, with checksum; check mode writes nothing', async () => {
  const dir = await scratch();
  const dest = join(dir, 'out.txt');
  const checked = await run({ content: 'hello\n', dest }, { check: true, diff: true });
  assert.equal(checked.changed, true);
  assert.equal((checked.diff as Array<{ before: string; after: string }>)[0].after, 'hello\n');
  assert.equal((checked.diff as Array<{ before: string }>)[0].before, '');
  await assert.rejects(stat(dest));
  const first = await run({ content: 'hello\n', dest, mode: '0640' });
  assert.equal(first.changed, true);
  assert.equal(first.checksum, 'f572d396fae9206628714fb2ce00f72e94f2258f');
  assert.equal(first.md5sum, 'b1946ac92492d2347c6235b4d2611184');
  assert.equal(first.mode, '0640');
  assert.equal(first.size, 6);
  assert.equal(await readFile(dest, 'utf8'), 'hello\n');
  assert.equal((await stat(dest)).mode & 0o7777, 0o640);
  const second = await run({ content: 'hello\n', dest, mode: '0640' });
  assert.equal(second.changed, false);
  assert.equal(second.checksum, first.checksum);
  assert.deepEqual(await readdir(dir), ['out.txt']);
  const diffed = await run({ content: 'bye\n', dest, backup: true }, { diff: true });
  assert.equal(diffed.changed, true);
  assert.deepEqual((diffed.diff as Array<Record<string, string>>)[0].before, 'hello\n');
  assert.equal((diffed.diff as Array<Record<string, string>>)[0].before_header, dest);
  assert.match(String(diffed.backup_file), new RegExp(`^${dest}\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
  assert.equal(await readFile(String(diffed.backup_file), 'utf8'), 'hello\n');
  // the replaced file kept its mode
  assert.equal((await stat(dest)).mode & 0o7777, 0o640);
  await cleanup(dir);
});

test('copy: errors read as in Ansible', async () => {
  const dir = await scratch();
  assert.equal((await run({ dest: join(dir, 'x') })).msg, 'src (or content) is required');
  assert.equal((await run({ content: 'a', src: '/etc/hostname', dest: join(dir, 'x') })).msg, 'src and content are mutually exclusive');
  assert.equal((await run({ content: 'a', dest: `${dir}/` })).msg, 'can not use content with a dir as dest');
  const missingDir = await run({ content: 'a', dest: join(dir, 'no', 'x') });
  assert.equal(missingDir.failed, true);
  assert.equal(missingDir.msg, `Destination directory ${join(dir, 'no')} does not exist`);
  const invalid = await run({ content: 'a', dest: join(dir, 'v'), validate: 'false %s' });
  assert.equal(invalid.msg, 'failed to validate');
  assert.equal(invalid.exit_status, 1);
  await assert.rejects(stat(join(dir, 'v')));
  const wrongSum = await run({ content: 'a', dest: join(dir, 'sum'), checksum: '0'.repeat(40) });
  assert.equal(wrongSum.msg, 'Copied file does not match the expected checksum. Transfer failed.');
  assert.equal(wrongSum.expected_checksum, '0'.repeat(40));
  await assert.rejects(stat(join(dir, 'sum')));
  const noSrc = await run({ src: join(dir, 'nope'), dest: join(dir, 'x') });
  assert.match(String(noSrc.msg), /^Could not find or access '.*nope' on the Ansible Controller\./);
  await cleanup(dir);
});

test('copy: a controller tree, with and without a trailing slash', async () => {
  const dir = await scratch();
  await mkdir(join(dir, 'src', 'sub'), { recursive: true });
  await writeFile(join(dir, 'src', 'a'), 'a');
  await writeFile(join(dir, 'src', 'sub', 'b'), 'b');
  const whole = await run({ src: join(dir, 'src'), dest: join(dir, 'out') });
  assert.equal(whole.changed, true);
  assert.equal(await readFile(join(dir, 'out', 'src', 'sub', 'b'), 'utf8'), 'b');
  const inner = await run({ src: `${join(dir, 'src')}/`, dest: join(dir, 'flat') });
  assert.equal(inner.changed, true);
  assert.deepEqual((await readdir(join(dir, 'flat'))).sort(), ['a', 'sub']);
  assert.equal((await run({ src: `${join(dir, 'src')}/`, dest: join(dir, 'flat') })).changed, false);
  await cleanup(dir);
});

test('copy: results match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  for (const root of [a, b]) {
    await mkdir(join(root, 'srcdir', 'sub'), { recursive: true });
    await mkdir(join(root, 'destdir'));
    await writeFile(join(root, 'srcfile'), 'hello\n');
    await writeFile(join(root, 'srcdir', 'a'), 'a\n');
    await writeFile(join(root, 'srcdir', 'sub', 'b'), 'b\n');
  }
  const D = '@D@';
  const cases: Case[] = [
    { name: 'k0', module: 'copy', args: { content: 'hi\n', dest: `${D}/o1` }, check: true },
    { name: 'k1', module: 'copy', args: { content: 'hi\n', dest: `${D}/o1` } },
    { name: 'k2', module: 'copy', args: { content: 'hi\n', dest: `${D}/o1` } },
    { name: 'k3', module: 'copy', args: { content: 'bye\n', dest: `${D}/o1`, mode: '0600' } },
    { name: 'k4', module: 'copy', args: { content: 'bye\n', dest: `${D}/o1`, mode: '0644' } },
    { name: 'k4c', module: 'copy', args: { content: 'bye\n', dest: `${D}/o1`, mode: '0600' }, check: true },
    { name: 'k5', module: 'copy', args: { src: `${D}/srcfile`, dest: `${D}/destdir/` } },
    { name: 'k6', module: 'copy', args: { src: `${D}/srcfile`, dest: `${D}/destdir` } },
    { name: 'k7', module: 'copy', args: { src: `${D}/srcdir`, dest: `${D}/tree/` } },
    { name: 'k8', module: 'copy', args: { src: `${D}/srcdir/`, dest: `${D}/tree2` } },
    { name: 'k9', module: 'copy', args: { src: `${D}/srcdir/`, dest: `${D}/tree2` } },
    { name: 'k10', module: 'copy', args: { content: 'x', dest: `${D}/nodir/x` } },
    { name: 'k12', module: 'copy', args: { content: 'new', dest: `${D}/o1`, force: false } },
    { name: 'k13', module: 'copy', args: { src: `${D}/srcfile`, dest: `${D}/rs`, remote_src: true } },
    { name: 'k14', module: 'copy', args: { src: `${D}/srcfile`, dest: `${D}/rs`, remote_src: true } },
    { name: 'k15', module: 'copy', args: { content: 'v', dest: `${D}/v`, validate: 'test -s %s' } },
    { name: 'k16', module: 'copy', args: { content: 'w', dest: `${D}/w`, validate: 'false %s' } },
    { name: 'k17', module: 'copy', args: { content: 'x', dest: `${D}/destdir` } },
    { name: 'k18', module: 'copy', args: { dest: `${D}/q` } },
    { name: 'k19', module: 'copy', args: { content: 'a', src: `${D}/srcfile`, dest: `${D}/q` } },
    { name: 'k20', module: 'copy', args: { content: { a: 1, b: [true, null, 'x'] }, dest: `${D}/json` } },
    { name: 'k21', module: 'copy', args: { src: `${D}/srcdir`, dest: `${D}/rtree`, remote_src: true } },
    { name: 'k22', module: 'copy', args: { content: 'hi\n', dest: `${D}/o1`, owner: 'nobody' } },
    { name: 'k23', module: 'copy', args: { content: 'sub\n', dest: `${D}/newdir/`, } },
    { name: 'k24', module: 'copy', args: { src: `${D}/srcfile`, dest: `${D}/newdir2/` } },
    { name: 'k25', module: 'copy', args: { src: `${D}/srcfile`, dest: `${D}/pres`, mode: 'preserve' } },
    { name: 'k26', module: 'copy', args: { content: 'sym\n', dest: `${D}/sym`, mode: 'u=rw,g=,o=' } },
    { name: 'k27', module: 'file', args: { path: `${D}/lnk`, src: `${D}/srcfile`, state: 'link' } },
    { name: 'k28', module: 'copy', args: { content: 'hello\n', dest: `${D}/lnk`, follow: true } },
    { name: 'k29', module: 'copy', args: { content: 'other\n', dest: `${D}/lnk`, follow: true } },
    { name: 'k30', module: 'copy', args: { content: 'replaced\n', dest: `${D}/lnk` } },
    { name: 'k31', module: 'copy', args: { content: 'bk1\n', dest: `${D}/bk` } },
    { name: 'k32', module: 'copy', args: { content: 'bk2\n', dest: `${D}/bk`, backup: true } },
    { name: 'k33', module: 'copy', args: { src: `${D}/srcdir/`, dest: `${D}/tree3`, directory_mode: '0700', mode: '0600' } },
    { name: 'k34', module: 'copy', args: { content: '', dest: `${D}/empty` } },
    { name: 'k35', module: 'copy', args: { content: 'x', dest: `${D}/empty`, force: false }, check: true },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { copy: copyModule, file: fileModule });
  // src and after_header name per-run temp files for content; backup names carry a pid
  const volatile = ['atime', 'mtime', 'exception'];
  for (const c of cases) {
    const expected = without(replaceIn(ansible[c.name], a, D), volatile) as Record<string, unknown>;
    const actual = without(replaceIn(ours[c.name], b, D), volatile) as Record<string, unknown>;
    for (const r of [expected, actual]) {
      if (!c.args.remote_src && typeof r.src === 'string' && r.src.endsWith('/source')) r.src = '<tmp>/source';
      // a skipped content copy names the controller's temp file of the content
      if (c.args.content !== undefined && typeof r.src === 'string') r.src = '<tmp>';
      // backup names carry a pid and a clock
      if (typeof r.backup_file === 'string') r.backup_file = r.backup_file.replace(/\.\d+\.[^/]*~$/, '.<pid>.<time>~');
      for (const d of Array.isArray(r.diff) ? (r.diff as Array<Record<string, unknown>>) : []) {
        if (c.args.content !== undefined && 'after_header' in d) d.after_header = '<tmp>';
      }
    }
    assert.deepEqual(actual, expected, `case ${c.name}`);
  }
  const listing = async (root: string) => {
    const out: string[] = [];
    const walk = async (p: string) => {
      for (const name of (await readdir(p)).sort()) {
        const st = await lstat(join(p, name));
        const body = st.isFile() ? await readFile(join(p, name), 'utf8') : '';
        const shown = join(p, name).slice(root.length).replace(/\.\d+\.\d{4}-\d\d-\d\d@[\d:]+~$/, '.<backup>~');
        out.push(`${shown} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${JSON.stringify(body)}`);
        if (st.isDirectory()) await walk(join(p, name));
      }
    };
    await walk(root);
    return out;
  };
  assert.deepEqual(await listing(b), await listing(a));
  await cleanup(a);
  await cleanup(b);
});
