import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { blockinfileModule } from '../../src/modules/builtin/blockinfile.js';
import { requireAnsible, runAnsible, runTsplay, replaceIn, type Case, twinScratch } from './helpers.js';

test('blockinfile: results, check mode, diff and idempotence match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const [a, b] = await twinScratch(t);
  for (const root of [a, b]) {
    await writeFile(join(root, 'conf'), 'Listen 80\nServerName x\n<VirtualHost>\nDocumentRoot /srv\n</VirtualHost>\nlast line no eol');
    await writeFile(join(root, 'crlf'), 'one\r\ntwo\r\n');
    await writeFile(join(root, 'swapped'), 'a\n# END ANSIBLE MANAGED BLOCK\nold\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n');
  }
  const D = '@D@';
  const F = `${D}/conf`;
  const cases: Case[] = [
    { name: 'check', module: 'blockinfile', args: { path: F, block: 'added\nlines' }, check: true },
    { name: 'add', module: 'blockinfile', args: { path: F, block: 'added\nlines' } },
    { name: 'again', module: 'blockinfile', args: { path: F, block: 'added\nlines' } },
    { name: 'update', module: 'blockinfile', args: { path: F, block: 'changed é\n' } },
    { name: 'after', module: 'blockinfile', args: { path: F, marker: '# {mark} vhost', block: '  Alias /x /y', insertafter: '<VirtualHost>' } },
    { name: 'before', module: 'blockinfile', args: { path: F, marker: '## {mark} top', block: 'first', insertbefore: 'BOF' } },
    { name: 'beforeRe', module: 'blockinfile', args: { path: F, marker: '# {mark} pre', marker_begin: 'START', marker_end: 'STOP', block: 'pre', insertbefore: '^Server' } },
    { name: 'multiline', module: 'blockinfile', args: { path: F, marker: '# {mark} ml', block: 'ml', insertafter: '(?m)^Listen.*\\nServerName' } },
    { name: 'noMatch', module: 'blockinfile', args: { path: F, marker: '# {mark} nm', block: 'nm', insertafter: '^nothing' } },
    { name: 'remove', module: 'blockinfile', args: { path: F, marker: '# {mark} vhost', state: 'absent' } },
    { name: 'removeAgain', module: 'blockinfile', args: { path: F, marker: '# {mark} vhost', state: 'absent' } },
    { name: 'emptyBlock', module: 'blockinfile', args: { path: F, marker: '# {mark} pre', marker_begin: 'START', marker_end: 'STOP' } },
    { name: 'mode', module: 'blockinfile', args: { path: F, block: 'changed é\n', mode: '0600' } },
    { name: 'modeAndEdit', module: 'blockinfile', args: { path: F, block: 'third', mode: '0640' } },
    { name: 'crlf', module: 'blockinfile', args: { path: `${D}/crlf`, block: 'x' } },
    { name: 'swapped', module: 'blockinfile', args: { path: `${D}/swapped`, block: 'new' } },
    { name: 'missing', module: 'blockinfile', args: { path: `${D}/missing`, block: 'x' } },
    { name: 'missingAbsent', module: 'blockinfile', args: { path: `${D}/missing`, state: 'absent' } },
    { name: 'createCheck', module: 'blockinfile', args: { path: `${D}/sub/new`, block: 'x', create: true }, check: true },
    { name: 'create', module: 'blockinfile', args: { path: `${D}/sub/new`, block: 'x', create: true } },
    { name: 'createMode', module: 'blockinfile', args: { path: `${D}/new2`, block: 'x', create: true, mode: '0600' } },
    { name: 'dir', module: 'blockinfile', args: { path: D, block: 'x' } },
    { name: 'validateBad', module: 'blockinfile', args: { path: F, block: 'v', validate: 'false %s' } },
    { name: 'validateOk', module: 'blockinfile', args: { path: F, block: 'v', validate: 'grep -q v %s' } },
    { name: 'backup', module: 'blockinfile', args: { path: F, block: 'bk', backup: true } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { blockinfile: blockinfileModule });
  assert.deepEqual([ours.add.changed, ours.add.msg, ours.again.changed], [true, 'Block inserted', false]);
  assert.deepEqual([ours.remove.msg, ours.removeAgain.changed, ours.missing.failed], ['Block removed', false, true]);
  for (const c of cases) {
    const expected = replaceIn(ansible[c.name], a, D) as Record<string, unknown>;
    const actual = replaceIn(ours[c.name], b, D) as Record<string, unknown>;
    for (const r of [expected, actual]) if (typeof r.backup_file === 'string') r.backup_file = '<backup>';
    assert.deepEqual(actual, expected, `case ${c.name}`);
  }
  for (const name of ['conf', 'crlf', 'swapped', 'sub/new', 'new2']) {
    assert.deepEqual(await readFile(join(b, name)), await readFile(join(a, name)), name);
    assert.equal((await stat(join(b, name))).mode, (await stat(join(a, name))).mode, name);
  }
});
