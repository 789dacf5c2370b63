import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { iniFileModule } from '../../src/modules/builtin/ini_file.js';
import { requireAnsible, runAnsible, runTsplay, replaceIn, type Case, twinScratch } from './helpers.js';
import { assertSameResults } from './compare.js';

test('ini_file: results, check mode, diff and idempotence match community.general', async (t) => {
  if (!(await requireAnsible(t))) return;
  const [a, b] = await twinScratch(t);
  for (const root of [a, b]) {
    await writeFile(join(root, 'conf.ini'), '\ufeffglobal=1\r\n[main]\r\n; comment\r\nkey = old\r\n#key=commented\r\n\r\n[other]\r\nmulti = a\nmulti = b\nflag\n[last]\nx=1');
  }
  const D = '@D@';
  const F = `${D}/conf.ini`;
  const M = 'community.general.ini_file';
  const cases: Case[] = [
    { name: 'check', module: M, args: { path: F, section: 'main', option: 'key', value: 'new' }, check: true },
    { name: 'set', module: M, args: { path: F, section: 'main', option: 'key', value: 'new' } },
    { name: 'setAgain', module: M, args: { path: F, section: 'main', option: 'key', value: 'new' } },
    { name: 'add', module: M, args: { path: F, section: 'main', option: 'added', value: 'yes', no_extra_spaces: true } },
    { name: 'global', module: M, args: { path: F, option: 'global', value: '2' } },
    { name: 'newSection', module: M, args: { path: F, section: 'fresh', option: 'a', value: 'b' } },
    { name: 'onlySection', module: M, args: { path: F, section: 'empty', allow_no_value: true } },
    { name: 'values', module: M, args: { path: F, section: 'other', option: 'multi', values: ['b', 'c'] } },
    { name: 'valuesAgain', module: M, args: { path: F, section: 'other', option: 'multi', values: ['b', 'c'] } },
    { name: 'nonExclusive', module: M, args: { path: F, section: 'other', option: 'multi', values: ['d'], exclusive: false } },
    { name: 'noValue', module: M, args: { path: F, section: 'other', option: 'bare', allow_no_value: true } },
    { name: 'absentValue', module: M, args: { path: F, section: 'other', option: 'multi', values: ['c'], state: 'absent', exclusive: false } },
    { name: 'absentOption', module: M, args: { path: F, section: 'other', option: 'multi', state: 'absent' } },
    { name: 'absentSection', module: M, args: { path: F, section: 'fresh', state: 'absent' } },
    { name: 'absentAgain', module: M, args: { path: F, section: 'fresh', state: 'absent' } },
    { name: 'mode', module: M, args: { path: F, section: 'main', option: 'key', value: 'new', mode: '0600' } },
    { name: 'noValueErr', module: M, args: { path: F, section: 'main', option: 'key' } },
    { name: 'noCreate', module: M, args: { path: `${D}/missing.ini`, section: 's', option: 'o', value: 'v', create: false } },
    { name: 'createCheck', module: M, args: { path: `${D}/sub/new.ini`, section: 's', option: 'o', value: 'v' }, check: true },
    { name: 'create', module: M, args: { path: `${D}/sub/new.ini`, section: 's', option: 'o', value: 'v' } },
    { name: 'backup', module: M, args: { path: F, section: 'last', option: 'x', value: '2', backup: true } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { [M]: iniFileModule });
  assert.deepEqual([ours.set.changed, ours.set.msg, ours.setAgain.changed], [true, 'option changed', false]);
  for (const r of [...Object.values(ansible), ...Object.values(ours)]) if (typeof r.backup_file === 'string') r.backup_file = '<backup>';
  assertSameResults(replaceIn(ours, b, D), replaceIn(ansible, a, D));
  for (const name of ['conf.ini', 'sub/new.ini']) {
    assert.equal(await readFile(join(b, name), 'utf8'), await readFile(join(a, name), 'utf8'), name);
    assert.equal((await stat(join(b, name))).mode, (await stat(join(a, name))).mode, name);
  }
});
