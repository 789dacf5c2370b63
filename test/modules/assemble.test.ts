import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleModule } from '../../src/modules/builtin/assemble.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { requireAnsible, runAnsible, runTsplay, replaceIn, type Case, twinScratch } from './helpers.js';
import { assertSameResults } from './compare.js';

/** temp names (the copy's source in the target's temp dir, the controller's diff file, backups) differ per run */
function masked(results: Record<string, ModuleResult>): Record<string, ModuleResult> {
  return JSON.parse(
    JSON.stringify(results)
      .replace(/"src":"[^"]*\/src"/g, '"src":"<tmp>/src"')
      .replace(/"after_header":"[^"]*\/(ansible-local-|tsplay-)[^"]*"/g, '"after_header":"<tmp>"')
      .replace(/"backup_file":"[^"]*"/g, '"backup_file":"<backup>"'),
  ) as Record<string, ModuleResult>;
}

test('assemble: results, idempotence, delimiters, regexp, validation and controller fragments match real Ansible', { timeout: 1_200_000 }, async (t) => {
  if (!(await requireAnsible(t))) return;
  const [a, b] = await twinScratch(t);
  for (const root of [a, b]) {
    await mkdir(join(root, 'frags', 'subdir'), { recursive: true });
    await writeFile(join(root, 'frags', '10-first'), 'first\n');
    await writeFile(join(root, 'frags', '20-second'), 'second without newline');
    await writeFile(join(root, 'frags', '30-third'), 'third\n');
    await writeFile(join(root, 'frags', '.hidden'), 'hidden\n');
    await writeFile(join(root, 'frags', 'B-upper'), 'upper\n');
    await symlink('10-first', join(root, 'frags', '40-link'));
    await writeFile(join(root, 'notdir'), 'x');
  }
  const D = '@D@';
  const cases: Case[] = [
    { name: 'check', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out` }, check: true },
    { name: 'plain', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out` } },
    { name: 'plainAgain', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out` } },
    { name: 'hidden', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out`, ignore_hidden: true, backup: true } },
    { name: 'delimiter', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out2`, delimiter: '### \\x41\\t--', regexp: '^\\d+-' } },
    { name: 'delimiterNl', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out2`, delimiter: '#--\\n', regexp: '^[0-9]', mode: '0600' } },
    { name: 'validateBad', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out3`, validate: 'grep -q nothing-like-this %s' } },
    { name: 'validateOk', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out3`, validate: 'grep -q first %s' } },
    { name: 'validateNoS', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out3`, validate: 'true' } },
    { name: 'missing', module: 'assemble', args: { src: `${D}/nope`, dest: `${D}/out4` } },
    { name: 'notDir', module: 'assemble', args: { src: `${D}/notdir`, dest: `${D}/out4` } },
    { name: 'local', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out5`, remote_src: false, delimiter: '#--' } },
    { name: 'localAgain', module: 'assemble', args: { src: `${D}/frags`, dest: `${D}/out5`, remote_src: false, delimiter: '#--' } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { assemble: assembleModule });
  assert.deepEqual([ours.plain.changed, ours.plainAgain.changed, ours.validateBad.failed], [true, false, true]);
  assertSameResults(masked(replaceIn(ours, b, D)), masked(replaceIn(ansible, a, D)));
  for (const name of ['out', 'out2', 'out3', 'out5']) {
    assert.deepEqual(await readFile(join(b, name)), await readFile(join(a, name)), name);
    assert.equal((await stat(join(b, name))).mode, (await stat(join(a, name))).mode, name);
  }
});
