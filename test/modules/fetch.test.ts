import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchModule } from '../../src/modules/builtin/fetch.js';
import { slurpModule } from '../../src/modules/builtin/slurp.js';
import { assertSameResults } from './compare.js';
import { requireAnsible, runAnsible, runTsplay, replaceIn, type Case, twinScratch } from './helpers.js';

test('slurp and fetch: results, check mode and idempotence match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const [a, b] = await twinScratch(t);
  for (const root of [a, b]) {
    await mkdir(join(root, 'remote', 'dir'), { recursive: true });
    await mkdir(join(root, 'local', 'existing'), { recursive: true });
    await writeFile(join(root, 'remote', 'file.txt'), 'hello\nworld\n');
    await writeFile(join(root, 'remote', 'bin'), Buffer.from([0, 1, 2, 255, 254]));
  }
  const D = '@D@';
  const R = `${D}/remote`;
  const L = `${D}/local`;
  const cases: Case[] = [
    { name: 's1', module: 'slurp', args: { src: `${R}/file.txt` } },
    { name: 's2', module: 'slurp', args: { path: `${R}/bin` } },
    { name: 's3', module: 'slurp', args: { src: `${R}/missing` } },
    { name: 's4', module: 'slurp', args: { src: `${R}/dir` } },
    { name: 'fcheck', module: 'fetch', args: { src: `${R}/file.txt`, dest: `${L}/tree` }, check: true },
    { name: 'f1', module: 'fetch', args: { src: `${R}/file.txt`, dest: `${L}/tree` } },
    { name: 'f1again', module: 'fetch', args: { src: `${R}/file.txt`, dest: `${L}/tree` } },
    { name: 'flat', module: 'fetch', args: { src: `${R}/bin`, dest: `${L}/flat.bin`, flat: true } },
    { name: 'flatAgain', module: 'fetch', args: { src: `${R}/bin`, dest: `${L}/flat.bin`, flat: true } },
    { name: 'flatSlash', module: 'fetch', args: { src: `${R}/file.txt`, dest: `${L}/existing/`, flat: true } },
    { name: 'flatDir', module: 'fetch', args: { src: `${R}/file.txt`, dest: `${L}/existing`, flat: true } },
    { name: 'relative', module: 'fetch', args: { src: `${R}/file.txt`, dest: 'rel', flat: false } },
    { name: 'missing', module: 'fetch', args: { src: `${R}/missing`, dest: `${L}/tree` } },
    { name: 'missingOk', module: 'fetch', args: { src: `${R}/missing`, dest: `${L}/tree`, fail_on_missing: false } },
    { name: 'dir', module: 'fetch', args: { src: `${R}/dir`, dest: `${L}/tree` } },
    { name: 'dirOk', module: 'fetch', args: { src: `${R}/dir`, dest: `${L}/tree`, fail_on_missing: false } },
    { name: 'noDest', module: 'fetch', args: { src: `${R}/file.txt` } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { slurp: slurpModule, fetch: fetchModule }, { vars: { playbook_dir: b } });
  assert.deepEqual([ours.f1.changed, ours.f1again.changed, ours.missing.failed], [true, false, true]);
  assert.equal(ours.s1.content, Buffer.from('hello\nworld\n').toString('base64'));
  assertSameResults(replaceIn(ours, b, D), replaceIn(ansible, a, D));
  for (const name of [`local/tree/localhost${a}/remote/file.txt`, 'local/flat.bin', 'local/existing/file.txt', `rel/localhost${a}/remote/file.txt`]) {
    assert.deepEqual(await readFile(join(b, name.replace(a, b))), await readFile(join(a, name)), name);
  }
});
