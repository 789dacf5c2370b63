import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lineinfileModule } from '../../src/modules/builtin/lineinfile.js';
import { makeCtx, scratch, cleanup, withDefaults, requireAnsible, runAnsible, runTsplay, replaceIn, without, type Case } from './helpers.js';

const run = (args: Record<string, unknown>, opts: Parameters<typeof makeCtx>[0] = {}) =>
  lineinfileModule.run(withDefaults(lineinfileModule, args), makeCtx(opts));

test('lineinfile: add, replace by regexp, idempotent, check mode, absent', async () => {
  const dir = await scratch();
  const f = join(dir, 'conf');
  await writeFile(f, 'a=1\nb=2\n');
  const checked = await run({ path: f, line: 'c=3' }, { check: true, diff: true });
  assert.equal(checked.changed, true);
  assert.equal((checked.diff as Array<{ after: string }>)[0].after, 'a=1\nb=2\nc=3\n');
  assert.equal(await readFile(f, 'utf8'), 'a=1\nb=2\n');
  const added = await run({ path: f, line: 'c=3' });
  assert.deepEqual([added.changed, added.msg], [true, 'line added']);
  assert.equal((await run({ path: f, line: 'c=3' })).changed, false);
  const replaced = await run({ path: f, regexp: '^b=', line: 'b=20' });
  assert.deepEqual([replaced.changed, replaced.msg], [true, 'line replaced']);
  assert.equal(await readFile(f, 'utf8'), 'a=1\nb=20\nc=3\n');
  const bof = await run({ path: f, line: '# top', insertbefore: 'BOF' });
  assert.equal(bof.changed, true);
  const back = await run({ path: f, regexp: '^a=(\\d+)$', line: 'a=\\1\\1', backrefs: true });
  assert.equal(back.changed, true);
  assert.equal(await readFile(f, 'utf8'), '# top\na=11\nb=20\nc=3\n');
  const removed = await run({ path: f, state: 'absent', regexp: '^[bc]=' });
  assert.deepEqual([removed.changed, removed.found, removed.msg], [true, 2, '2 line(s) removed']);
  assert.equal(await readFile(f, 'utf8'), '# top\na=11\n');
  const missing = await run({ path: join(dir, 'nope'), line: 'x' });
  assert.deepEqual([missing.failed, missing.rc, missing.msg], [true, 257, `Destination ${join(dir, 'nope')} does not exist !`]);
  const created = await run({ path: join(dir, 'new', 'file'), line: 'x', create: true, mode: '0600' });
  assert.equal(created.changed, true);
  assert.equal(created.msg, 'line added and ownership, perms or SE linux context changed');
  assert.equal((await stat(join(dir, 'new', 'file'))).mode & 0o7777, 0o600);
  await cleanup(dir);
});

test('lineinfile: results match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  for (const root of [a, b]) {
    await writeFile(join(root, 'conf'), '# comment\nListen 80\nServerName old\n\nInclude a.conf\nInclude b.conf\n');
    await writeFile(join(root, 'noeol'), 'one\ntwo');
  }
  const D = '@D@';
  const F = `${D}/conf`;
  const cases: Case[] = [
    { name: 'p1', module: 'lineinfile', args: { path: F, line: 'Added yes' } },
    { name: 'p2', module: 'lineinfile', args: { path: F, line: 'Added yes' } },
    { name: 'p3', module: 'lineinfile', args: { path: F, regexp: '^Listen ', line: 'Listen 8080' } },
    { name: 'p3c', module: 'lineinfile', args: { path: F, regexp: '^ServerName', line: 'ServerName new' }, check: true },
    { name: 'p4', module: 'lineinfile', args: { path: F, regexp: '^ServerName (\\w+)$', line: 'ServerName \\1-x', backrefs: true } },
    { name: 'p5', module: 'lineinfile', args: { path: F, regexp: '^Nope', line: 'X \\1', backrefs: true } },
    { name: 'p6', module: 'lineinfile', args: { path: F, line: 'Include c.conf', insertafter: '^Include' } },
    { name: 'p7', module: 'lineinfile', args: { path: F, line: 'Include z.conf', insertafter: '^Include', firstmatch: true } },
    { name: 'p8', module: 'lineinfile', args: { path: F, line: '# first', insertbefore: 'BOF' } },
    { name: 'p9', module: 'lineinfile', args: { path: F, line: 'Before listen', insertbefore: '^Listen' } },
    { name: 'p10', module: 'lineinfile', args: { path: F, search_string: 'Added', line: 'Added no' } },
    { name: 'p11', module: 'lineinfile', args: { path: F, line: 'mode', mode: '0600' } },
    { name: 'p12', module: 'lineinfile', args: { path: F, line: 'mode', mode: '0640' } },
    { name: 'p13', module: 'lineinfile', args: { path: `${D}/noeol`, line: 'three' } },
    { name: 'p14', module: 'lineinfile', args: { path: `${D}/missing`, line: 'x' } },
    { name: 'p15', module: 'lineinfile', args: { path: `${D}/sub/created`, line: 'x', create: true } },
    { name: 'p15c', module: 'lineinfile', args: { path: `${D}/other`, line: 'x', create: true }, check: true },
    { name: 'p16', module: 'lineinfile', args: { path: D, line: 'x' } },
    { name: 'p17', module: 'lineinfile', args: { path: F, regexp: '' , line: 'empty' } },
    { name: 'p18', module: 'lineinfile', args: { path: F, backrefs: true, line: 'x' } },
    { name: 'p19', module: 'lineinfile', args: { path: F } },
    { name: 'a1', module: 'lineinfile', args: { path: F, state: 'absent', regexp: '^Include' } },
    { name: 'a2', module: 'lineinfile', args: { path: F, state: 'absent', regexp: '^Include' } },
    { name: 'a3', module: 'lineinfile', args: { path: F, state: 'absent', line: '# first' } },
    { name: 'a4', module: 'lineinfile', args: { path: F, state: 'absent', search_string: 'Listen' } },
    { name: 'a5', module: 'lineinfile', args: { path: `${D}/missing`, state: 'absent', line: 'x' } },
    { name: 'a6', module: 'lineinfile', args: { path: F, state: 'absent' } },
    { name: 'v1', module: 'lineinfile', args: { path: F, line: 'validated', validate: 'grep -q validated %s' } },
    { name: 'v2', module: 'lineinfile', args: { path: F, line: 'invalid', validate: 'false %s' } },
    { name: 'bk', module: 'lineinfile', args: { path: F, line: 'backed', backup: true } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { lineinfile: lineinfileModule });
  for (const c of cases) {
    const expected = replaceIn(ansible[c.name], a, D) as Record<string, unknown>;
    const actual = replaceIn(ours[c.name], b, D) as Record<string, unknown>;
    // backup names carry a pid and a clock
    for (const r of [expected, actual]) if (typeof r.backup === 'string' && r.backup !== '') r.backup = '<backup>';
    assert.deepEqual(without(actual, []), without(expected, []), `case ${c.name}`);
  }
  for (const name of ['conf', 'noeol', 'sub/created']) {
    assert.equal(await readFile(join(b, name), 'utf8'), await readFile(join(a, name), 'utf8'), name);
    assert.equal((await stat(join(b, name))).mode, (await stat(join(a, name))).mode, name);
  }
  await cleanup(a);
  await cleanup(b);
});
