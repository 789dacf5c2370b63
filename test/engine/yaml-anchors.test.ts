/**
 * Anchors, aliases and `<<` merge keys as PyYAML (Ansible's loader) reads them. The expected
 * values and key orders below are what ansible-core 2.14's AnsibleLoader gives for the same text
 * (checked by running it); the parity case 73-yaml-anchors-merge compares whole runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYaml, posOf, posOfKey, MAX_ALIAS_EXPANSION } from '../../src/load/yaml.js';
import { UserError } from '../../src/util/errors.js';

const read = (text: string) => parseYaml(text, 'f.yml') as Record<string, any>;

test('merge keys: merged pairs first, a list\'s first mapping wins, the mapping\'s own keys win', () => {
  const d = read('base: &b {x: 1, y: 2}\nother: &o {y: 20, z: 30}\nm:\n  k: own\n  <<: [*b, *o]\n  x: own-x\nn:\n  <<: *b\n  <<: *o\n');
  assert.deepEqual(Object.entries(d.m), [['y', 2], ['z', 30], ['x', 'own-x'], ['k', 'own']]);
  assert.deepEqual(Object.entries(d.n), [['x', 1], ['y', 20], ['z', 30]]);
  // the anchored mappings themselves are untouched
  assert.deepEqual(d.base, { x: 1, y: 2 });
});

test('an alias is its anchor\'s value, with the anchor\'s positions; a quoted << is a plain key', () => {
  const d = read('a: &a\n  k: [1, 2]\nb: *a\nc: {"<<": 3}\n');
  assert.equal(d.b, d.a);
  assert.deepEqual(posOf(d.b), { file: 'f.yml', line: 2, col: 3 });
  assert.deepEqual(d.c, { '<<': 3 });
  const m = read('a: &a {k: 1}\nb:\n  <<: *a\n  j: 2\n');
  assert.deepEqual(posOfKey(m.b, 'k'), { file: 'f.yml', line: 1, col: 8 });
  assert.deepEqual(posOfKey(m.b, 'j'), { file: 'f.yml', line: 4, col: 3 });
});

function refused(text: string, message: RegExp, line: number): void {
  assert.throws(
    () => read(text),
    (err: unknown) => err instanceof UserError && message.test(err.message) && err.pos?.line === line,
    `expected ${message} at line ${line}`,
  );
}

test('an alias bomb, a recursive alias, an undefined alias and a bad merge are located errors', () => {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  const started = Date.now();
  refused(lines.join('\n'), new RegExp(`more than ${MAX_ALIAS_EXPANSION} values`), 6);
  assert.ok(Date.now() - started < 2000, 'refused quickly');
  refused('a: &a [1, *a]\n', /recursive/, 1);
  refused('a: 1\nb: *nope\n', /found undefined alias/, 2);
  refused('a: {<<: 3}\n', /expected a mapping or list of mappings for merging, but found scalar/, 1);
  refused('s: &s [1]\na: {<<: [*s]}\n', /expected a mapping or list of mappings for merging, but found sequence/, 2);
});
