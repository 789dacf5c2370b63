/**
 * The two YAML readers must agree: js-yaml's quick path (src/load/yaml-fast.ts) against the
 * `yaml` package's reading, on every YAML file of this repository (roles, playbooks, parity and
 * bad-input cases, fixtures) and on a corpus of awkward scalars. Agreeing means the same values
 * with the same types (PyFloat, !unsafe, null, octal ints), the same key order, and the same
 * line:column for every mapping, key, sequence and item. Where the quick path declines, the
 * thorough one is what runs, so declining is always allowed; the test also checks that it
 * declines rarely, or the speed it exists for would be gone unnoticed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FALLBACK, MAY_BE_TAGGED, parseYamlQuickly, parseYamlThoroughly, plainScalarTests, posOf, posOfItem, posOfKey } from '../../src/load/yaml.js';
import { isUnsafe, PyFloat } from '../../src/template/index.js';
import { repoRoot } from '../support/services.js';

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === '.git' || name.startsWith('.dist')) continue;
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name) || name === 'inventory') out.push(path);
  }
  return out;
}

/** a difference between the two readings, as a path and what each gave, or undefined */
function compare(quick: unknown, thorough: unknown, path: string): string | undefined {
  const shown = (v: unknown) => `${v instanceof PyFloat ? 'PyFloat' : isUnsafe(v) ? 'unsafe' : typeof v} ${JSON.stringify(v)}`;
  if (quick === null || thorough === null || typeof quick !== 'object' || typeof thorough !== 'object') {
    if (!Object.is(quick, thorough)) return `${path}: quick ${shown(quick)}, thorough ${shown(thorough)}`;
    return undefined;
  }
  if (quick instanceof PyFloat || thorough instanceof PyFloat || isUnsafe(quick) || isUnsafe(thorough)) {
    if (shown(quick) !== shown(thorough)) return `${path}: quick ${shown(quick)}, thorough ${shown(thorough)}`;
    return undefined;
  }
  const where = (p: unknown) => (p ? `${(p as { line: number }).line}:${(p as { col: number }).col}` : 'none');
  if (where(posOf(quick)) !== where(posOf(thorough))) return `${path}: starts at ${where(posOf(quick))} (quick), ${where(posOf(thorough))} (thorough)`;
  if (Array.isArray(quick) !== Array.isArray(thorough)) return `${path}: a list in one reading only`;
  if (Array.isArray(quick) && Array.isArray(thorough)) {
    if (quick.length !== thorough.length) return `${path}: ${quick.length} items (quick), ${thorough.length} (thorough)`;
    for (let i = 0; i < quick.length; i++) {
      if (where(posOfItem(quick, i)) !== where(posOfItem(thorough, i))) {
        return `${path}[${i}]: at ${where(posOfItem(quick, i))} (quick), ${where(posOfItem(thorough, i))} (thorough)`;
      }
      const d = compare(quick[i], thorough[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const qk = Object.keys(quick);
  const tk = Object.keys(thorough);
  if (qk.join('\0') !== tk.join('\0')) return `${path}: keys ${JSON.stringify(qk)} (quick), ${JSON.stringify(tk)} (thorough)`;
  for (const k of qk) {
    if (where(posOfKey(quick, k)) !== where(posOfKey(thorough, k))) {
      return `${path}.${k}: key at ${where(posOfKey(quick, k))} (quick), ${where(posOfKey(thorough, k))} (thorough)`;
    }
    const d = compare((quick as Record<string, unknown>)[k], (thorough as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** the thorough reading, or the text of its error */
function thoroughly(text: string, file: string): { value?: unknown; error?: string } {
  try {
    return { value: parseYamlThoroughly(text, file) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

test('the quick reader agrees with the yaml package on every YAML file in the repository', () => {
  const files = yamlFiles(repoRoot());
  assert.ok(files.length > 200, `expected the repository's YAML files, found ${files.length}`);
  let quickCount = 0;
  const differences: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const quick = parseYamlQuickly(text, file);
    if (quick === FALLBACK) continue;
    quickCount++;
    const ref = thoroughly(text, file);
    if (ref.error !== undefined) {
      differences.push(`${relative(repoRoot(), file)}: read quickly, but the yaml package refuses it: ${ref.error.split('\n')[0]}`);
      continue;
    }
    const d = compare(quick, ref.value, relative(repoRoot(), file));
    if (d) differences.push(d);
  }
  assert.deepEqual(differences, []);
  // the corpus holds deliberately broken and exotic files; ordinary ones must take the quick path
  assert.ok(quickCount / files.length > 0.9, `only ${quickCount} of ${files.length} files were read quickly`);
});

test('awkward scalars resolve the same way in both readers (PyYAML 1.1 rules)', () => {
  const scalars = [
    'yes', 'No', 'ON', 'off', 'y', 'n', 'true', 'False', '~', 'null', 'Null', 'NULL', '',
    '0755', '0o17', '0x1F', '0b101', '1_000', '+12', '-0', '190:20:30', '1e3', '1.0', '1.5e+3', '1.e2', '.5', '-.inf', '.NaN', '.nan',
    '2001-12-14', '2001-12-14t21:59:43.10-05:00', '12:30', '1:2', '0.0', '-1.0', '3.14159', '007', '08', '1__0', '0x_1',
    'a: b', '"quoted"', "'single'", 'plain text with  spaces', '{{ var }}', "{{ 'x' }}", '@at', '%pct', '`tick`',
  ];
  const doc = scalars.map((s, i) => `k${i}: ${/^[@%`]|: |^\{\{/.test(s) ? JSON.stringify(s) : s}`).join('\n') + '\n';
  const keysDoc = scalars.filter((s) => s !== '' && !/[:{}"'@%`]/.test(s)).map((s) => `${s}: 1`).join('\n') + '\n';
  const listDoc = scalars.filter((s) => s !== '' && !/^[@%`]|: |^\{\{/.test(s)).map((s) => `- ${s}`).join('\n') + '\n';
  for (const [name, text] of [['values', doc], ['keys', keysDoc], ['items', listDoc]] as const) {
    const quick = parseYamlQuickly(text, name);
    assert.notEqual(quick, FALLBACK, `${name}: the quick reader declined`);
    const ref = thoroughly(text, name);
    assert.equal(ref.error, undefined);
    assert.equal(compare(quick, ref.value, name), undefined);
  }
});

test('block scalars, flow collections, quoting, comments and !unsafe agree', () => {
  const text = [
    '# a comment',
    '- name: literal',
    '  shell: |',
    '    echo one',
    '      indented',
    '',
    '    echo two',
    '  args: {chdir: /tmp, creates: "/x y"}',
    '- folded: >-',
    '    a',
    '    b',
    '',
    '    c',
    '  keep: |+',
    '    kept',
    '',
    '  list: [1, "2", three, {four: 4}, [5]]',
    '  esc: "tab\\there \\u00e9 \\x41"',
    "  single: 'it''s'",
    '  multi: this plain',
    '    scalar folds',
    '  unsafe: !unsafe "{{ not templated }}"',
    '  unsafe_plain: !unsafe raw{{ x }}',
    '  empty:',
    '  - nested',
    '  - {a: }',
    '  dup: 1',
    '  dup: 2',
    '- key with spaces: v',
    '  "quoted key": v',
    '  ? explicit',
    '  : value',
    '',
  ].join('\n');
  const quick = parseYamlQuickly(text, 'mixed.yml');
  const ref = thoroughly(text, 'mixed.yml');
  assert.equal(ref.error, undefined);
  if (quick !== FALLBACK) assert.equal(compare(quick, ref.value, 'mixed'), undefined);
  const withoutExplicit = text.replace('  ? explicit\n  : value\n', '');
  const quick2 = parseYamlQuickly(withoutExplicit, 'mixed2.yml');
  assert.notEqual(quick2, FALLBACK, 'the quick reader declined ordinary YAML');
  assert.equal(compare(quick2, thoroughly(withoutExplicit, 'mixed2.yml').value, 'mixed2'), undefined);
});

test('anchors, aliases, merge keys, other tags, empty items and broken YAML are left to the yaml package', () => {
  for (const text of [
    'a: &x 1\nb: *x\n',
    'base: &b {x: 1}\nother:\n  <<: *b\n',
    'a: !!str 1\n',
    'a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n',
    '%YAML 1.1\n---\na: 1\n',
    '--- 1\n--- 2\n',
    'a: [1, 2\n',
    'a: b: c\n',
    '- a\nb: c\n',
    '? [complex, key]\n: v\n',
    '- a\n-\n- c\n',
  ]) {
    assert.equal(parseYamlQuickly(text, 'x.yml'), FALLBACK, JSON.stringify(text));
  }
});

test('plain scalars that skip the tag tests could not have matched one', () => {
  // the schema's tests as reviewed for MAY_BE_TAGGED; a yaml upgrade that changes them fails here first
  assert.deepEqual(
    plainScalarTests().map((r) => r.source),
    [
      '^(?:~|[Nn]ull|NULL)?$',
      '^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$',
      '^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$',
      '^[-+]?0b[0-1_]+$',
      '^[-+]?0[0-7_]+$',
      '^[-+]?[0-9][0-9_]*$',
      '^[-+]?0x[0-9a-fA-F_]+$',
      '^(?:[-+]?\\.(?:inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN)$',
      '^[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?$',
      '^<<$',
      '^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$',
      '^[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?$',
    ],
  );
  const suffixes = ['', 'ull', 'ULL', 'es', 'ES', 'rue', 'n', 'N', 'ff', 'o', '0', '1', '.5', '5.', 'x1f', 'b101', '17', '1:30', '.inf', 'nf', 'an', '<', '1e3', '_1'];
  const tests = plainScalarTests();
  for (let code = 1; code < 0x250; code++) {
    const c = String.fromCharCode(code);
    if (MAY_BE_TAGGED.test(c)) continue;
    for (const rest of suffixes) {
      const text = c + rest;
      assert.equal(tests.find((r) => r.test(text)), undefined, `${JSON.stringify(text)} matches a tag but skips the tests`);
    }
  }
  // and the skipped ones read as the same strings in both readers
  for (const text of ['dir 0', 'Xyes', 'é1', 'x@y', 'Q "q"', '/bin/true', '_1', '=']) {
    const yamlText = `k: ${text}\n`;
    assert.deepEqual(parseYamlQuickly(yamlText, 'x.yml'), parseYamlThoroughly(yamlText, 'x.yml'));
  }
});
