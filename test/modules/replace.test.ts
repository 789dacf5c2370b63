import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceModule } from '../../src/modules/builtin/replace.js';
import { requireAnsible, runAnsible, runTsplay, replaceIn, type Case, twinScratch } from './helpers.js';

test('replace: results, check mode, diff and idempotence match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const [a, b] = await twinScratch(t);
  const conf = '# hosts\n127.0.0.1 localhost old.example\n127.0.1.1 old.example www\nLine with CRLF\r\nlast old.example';
  for (const root of [a, b]) {
    await writeFile(join(root, 'conf'), conf);
    await writeFile(join(root, 'sections'), '[a]\nx=1\n[b]\nx=1\n[c]\nx=1\n');
    await writeFile(join(root, 'latin'), Buffer.from('caf\xe9 old\n', 'latin1'));
  }
  const D = '@D@';
  const F = `${D}/conf`;
  const S = `${D}/sections`;
  const cases: Case[] = [
    { name: 'check', module: 'replace', args: { path: F, regexp: 'old\\.example', replace: 'new.example' }, check: true },
    { name: 'r1', module: 'replace', args: { path: F, regexp: 'old\\.example', replace: 'new.example' } },
    { name: 'r1again', module: 'replace', args: { path: F, regexp: 'old\\.example', replace: 'new.example' } },
    { name: 'groups', module: 'replace', args: { path: F, regexp: '^(\\d+\\.\\d+\\.\\d+\\.\\d+)\\s+(?P<name>\\S+)', replace: '\\g<name> at \\1' } },
    { name: 'eol', module: 'replace', args: { path: F, regexp: 'CRLF$', replace: 'LF' } },
    { name: 'eol2', module: 'replace', args: { path: F, regexp: 'CRLF.$', replace: 'crlf' } },
    { name: 'dollar', module: 'replace', args: { path: F, regexp: '(?m)example$', replace: 'EXAMPLE' } },
    { name: 'empty', module: 'replace', args: { path: F, regexp: 'x*', replace: '-' }, check: true },
    { name: 'delete', module: 'replace', args: { path: F, regexp: '^# hosts\\n' } },
    { name: 'same', module: 'replace', args: { path: F, regexp: '(local)host', replace: '\\1host' } },
    { name: 'after', module: 'replace', args: { path: S, after: '\\[b\\]', regexp: 'x=1', replace: 'x=2' } },
    { name: 'before', module: 'replace', args: { path: S, before: '\\[b\\]', regexp: 'x=1', replace: 'x=0' } },
    { name: 'between', module: 'replace', args: { path: S, after: '\\[b\\]', before: '\\[c\\]', regexp: 'x=\\d', replace: 'y=9' } },
    { name: 'nosection', module: 'replace', args: { path: S, after: '\\[zz\\]', regexp: 'x', replace: 'y' } },
    { name: 'mode', module: 'replace', args: { path: S, regexp: 'nomatch', replace: 'y', mode: '0600' } },
    { name: 'modeAndEdit', module: 'replace', args: { path: S, regexp: '\\[a\\]', replace: '[A]', mode: '0640' } },
    { name: 'latin', module: 'replace', args: { path: `${D}/latin`, regexp: 'old', replace: 'neu', encoding: 'latin-1' } },
    { name: 'missing', module: 'replace', args: { path: `${D}/missing`, regexp: 'x' } },
    { name: 'dir', module: 'replace', args: { path: D, regexp: 'x' } },
    { name: 'validateOk', module: 'replace', args: { path: S, regexp: 'y=9', replace: 'y=8', validate: 'grep -q y=8 %s' } },
    { name: 'validateBad', module: 'replace', args: { path: S, regexp: 'y=8', replace: 'y=7', validate: 'false %s' } },
    { name: 'validateNoS', module: 'replace', args: { path: S, regexp: 'y=8', replace: 'y=7', validate: 'true' } },
    { name: 'backup', module: 'replace', args: { path: S, regexp: '\\[A\\]', replace: '[a]', backup: true } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { replace: replaceModule });
  // the comparison below is only meaningful if the cases really edit, fail and stay idempotent
  assert.deepEqual([ours.r1.changed, ours.r1.msg, ours.r1again.changed], [true, '3 replacements made', false]);
  assert.deepEqual([ours.check.changed, ours.missing.failed, ours.validateBad.failed], [true, true, true]);
  for (const c of cases) {
    const expected = replaceIn(ansible[c.name], a, D) as Record<string, unknown>;
    const actual = replaceIn(ours[c.name], b, D) as Record<string, unknown>;
    for (const r of [expected, actual]) if (typeof r.backup_file === 'string') r.backup_file = '<backup>';
    assert.deepEqual(actual, expected, `case ${c.name}`);
  }
  for (const name of ['conf', 'sections', 'latin']) {
    assert.deepEqual(await readFile(join(b, name)), await readFile(join(a, name)), name);
    assert.equal((await stat(join(b, name))).mode, (await stat(join(a, name))).mode, name);
  }
});
