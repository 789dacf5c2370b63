import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { findModule } from '../../src/modules/builtin/find.js';
import { makeCtx, scratch, cleanup, withDefaults, requireAnsible, runAnsible, runTsplay, replaceIn, without, type Case } from './helpers.js';

const run = (args: Record<string, unknown>) => findModule.run(withDefaults(findModule, args), makeCtx());

async function fixture(root: string): Promise<void> {
  await mkdir(join(root, 't', 'sub', 'deeper'), { recursive: true });
  await mkdir(join(root, 't', '.hiddendir'));
  await writeFile(join(root, 't', 'a.txt'), 'alpha\nneedle here\n');
  await writeFile(join(root, 't', 'b.log'), 'x'.repeat(2048));
  await writeFile(join(root, 't', '.hidden.txt'), 'h');
  await writeFile(join(root, 't', 'sub', 'c.txt'), 'gamma\n');
  await writeFile(join(root, 't', 'sub', 'deeper', 'd.txt'), 'delta needle\n');
  await writeFile(join(root, 't', '.hiddendir', 'e.txt'), 'e');
  await symlink(join(root, 't', 'a.txt'), join(root, 't', 'link.txt'));
  await symlink(join(root, 't', 'sub'), join(root, 't', 'sublink'));
  const old = new Date('2020-01-01T00:00:00Z');
  await utimes(join(root, 't', 'b.log'), old, old);
}

test('find: patterns, recursion, hidden, contains, size and age', async () => {
  const dir = await scratch();
  await fixture(dir);
  const t = join(dir, 't');
  const names = (r: Record<string, unknown>) => (r.files as Array<{ path: string }>).map((f) => f.path.slice(t.length + 1)).sort();
  assert.deepEqual(names(await run({ paths: [t] })), ['a.txt', 'b.log']);
  // hidden only filters names: hidden directories are still walked, as in Ansible
  assert.deepEqual(names(await run({ paths: [t], patterns: ['*.txt'], recurse: true })), [
    '.hiddendir/e.txt',
    'a.txt',
    'sub/c.txt',
    'sub/deeper/d.txt',
  ]);
  assert.deepEqual(names(await run({ paths: [t], patterns: ['*.txt'], recurse: true, hidden: true })).length, 5);
  assert.deepEqual(names(await run({ paths: [t], contains: '.*needle', recurse: true })), ['a.txt', 'sub/deeper/d.txt']);
  assert.deepEqual(names(await run({ paths: [t], size: '1k' })), ['b.log']);
  assert.deepEqual(names(await run({ paths: [t], age: '52w' })), ['b.log']);
  assert.deepEqual(names(await run({ paths: [t], file_type: 'link' })), ['link.txt', 'sublink']);
  const r = await run({ paths: [t], recurse: true, depth: 1, file_type: 'any' });
  // entries of the top (7) and of the two directories walked at depth 1 (2 + 1)
  assert.equal(r.examined, 10);
  const bad = await run({ paths: [join(dir, 'missing')] });
  assert.equal(bad.msg, 'Not all paths examined, check warnings for details');
  assert.equal((await run({ paths: [t], age: 'soon' })).msg, 'failed to process age');
  await cleanup(dir);
});

test('find: results match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  await fixture(a);
  await fixture(b);
  const D = '@D@/t';
  const cases: Case[] = [
    { name: 'f1', module: 'find', args: { paths: [D] } },
    { name: 'f2', module: 'find', args: { paths: [D], patterns: ['*.txt'], recurse: true } },
    { name: 'f3', module: 'find', args: { paths: [D], patterns: ['*.txt', '*.log'], excludes: ['b*'], recurse: true, hidden: true } },
    { name: 'f4', module: 'find', args: { paths: [D], patterns: ['^[ab]\\..*$'], use_regex: true } },
    { name: 'f5', module: 'find', args: { paths: [D], contains: '.*needle', recurse: true } },
    { name: 'f6', module: 'find', args: { paths: [D], size: '1k' } },
    { name: 'f7', module: 'find', args: { paths: [D], size: '-1k', file_type: 'any' } },
    { name: 'f8', module: 'find', args: { paths: [D], age: '52w' } },
    { name: 'f9', module: 'find', args: { paths: [D], file_type: 'link' } },
    { name: 'f10', module: 'find', args: { paths: [D], file_type: 'directory', recurse: true, hidden: true } },
    { name: 'f11', module: 'find', args: { paths: [D], recurse: true, depth: 1, file_type: 'any' } },
    { name: 'f12', module: 'find', args: { paths: [D], recurse: true, follow: true, patterns: ['*.txt'] } },
    { name: 'f13', module: 'find', args: { paths: [`${D}/nope`, D] } },
    { name: 'f14', module: 'find', args: { paths: [D], age: 'soon' } },
    { name: 'f15', module: 'find', args: { paths: [D], get_checksum: true, contains: 'alpha', read_whole_file: true } },
  ];
  const ansible = await runAnsible(replaceIn(cases, '@D@', a), a);
  const ours = await runTsplay(replaceIn(cases, '@D@', b), { find: findModule });
  const volatile = ['atime', 'ctime', 'mtime', 'inode'];
  const byPath = (r: Record<string, unknown>) => {
    if (Array.isArray(r.files)) (r.files as Array<{ path: string }>).sort((x, y) => (x.path < y.path ? -1 : 1));
    return r;
  };
  for (const c of cases) {
    const expected = byPath(without(replaceIn(ansible[c.name], a, '@D@'), volatile));
    const actual = byPath(without(replaceIn(ours[c.name], b, '@D@'), volatile));
    assert.deepEqual(actual, expected, `case ${c.name}`);
  }
  await cleanup(a);
  await cleanup(b);
});
