/**
 * Inputs tsplay warns about or accepts and runs, held to what ansible-playbook 2.14 does with the
 * same files (issue 13): duplicate YAML keys, a vars_files file holding a list of mappings,
 * `--tags ''`, integer keywords given as strings or floats, and an include that includes itself.
 * The refusals (exit 3) live in test/bad-inputs/cases/140-…
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ansibleAvailable, requireService, tsplayCli } from '../support/services.js';

const QUIET = { ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false', ANSIBLE_NOCOLOR: '1' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tsplay(args: string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [tsplayCli(), 'run', ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...QUIET, TSPLAY_PLAIN: '1' }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ansible(args: string[], cwd: string): Run {
  const r = spawnSync('ansible-playbook', args, { cwd, encoding: 'utf8', env: { ...process.env, ...QUIET, ANSIBLE_LOCAL_TEMP: join(cwd, '.ansible-tmp') }, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** a fresh directory holding `files` (path → text), removed after the test */
function project(t: TestContext, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-load-checks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** the `"msg": ...` values a run printed, in order */
function messages(out: string): string[] {
  return [...out.matchAll(/"msg": "([^"]*)"/g)].map((m) => m[1]);
}

/** Ansible's warnings with their wrapping undone */
function warnings(err: string): string[] {
  return err.split(/\n(?=\[WARNING\])/).filter((w) => w.startsWith('[WARNING]')).map((w) => w.replace(/\s+/g, ' ').trim());
}

/** the same, without any whitespace: Python's textwrap also breaks after hyphens, tsplay does not */
function squeezed(err: string): Set<string> {
  return new Set(warnings(err).map((w) => w.replace(/\s+/g, '')));
}

const DUPLICATES = {
  'site.yml': [
    '- hosts: all',
    '  gather_facts: false',
    '  vars_files: [vars.yml]',
    '  vars:',
    '    a: 1',
    '    a: 2',
    '  tasks:',
    '    - debug:',
    '        msg: "first {{ a }} {{ x }} {{ foo }}"',
    '        msg: "second {{ a }} {{ x }} {{ foo }}"',
    '',
  ].join('\n'),
  'vars.yml': 'x: 1\nx: 2\n',
  'inventory.yml': 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n      foo: 1\n      foo: 2\n',
};

test('a duplicate YAML key warns as Ansible does (where the mapping starts) and the last value wins', (t) => {
  const dir = project(t, DUPLICATES);
  const r = tsplay(['site.yml', '-i', 'inventory.yml'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(messages(r.stdout), ['second 2 2 2']);
  const w = warnings(r.stderr);
  for (const [file, line, col, key] of [['site.yml', 5, 5, 'a'], ['site.yml', 9, 9, 'msg'], ['vars.yml', 1, 1, 'x'], ['inventory.yml', 4, 7, 'foo']] as const) {
    const expected = `[WARNING]: While constructing a mapping from ${join(dir, file)}, line ${line}, column ${col}, found a duplicate dict key (${key}). Using last defined value only.`;
    assert.ok(w.includes(expected), `missing ${expected}\nin:\n${w.join('\n')}`);
  }
});

test('duplicate keys: the same warnings and values as ansible-playbook', (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = project(t, DUPLICATES);
  const a = ansible(['site.yml', '-i', 'inventory.yml'], dir);
  const b = tsplay(['site.yml', '-i', 'inventory.yml'], dir);
  assert.equal(b.code, a.code);
  assert.deepEqual(messages(b.stdout), messages(a.stdout));
  assert.deepEqual(squeezed(b.stderr), squeezed(a.stderr));
});

const VARS_LIST = {
  'site.yml': '- hosts: localhost\n  gather_facts: false\n  vars_files: [list.yml]\n  tasks:\n    - debug: msg="{{ a }} {{ b }} {{ c }}"\n',
  'list.yml': '- a: 1\n  b: 1\n- b: 2\n  c: 3\n',
};

test('a vars_files file holding a list of mappings merges them in order, as Ansible does', (t) => {
  const dir = project(t, VARS_LIST);
  const r = tsplay(['site.yml'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(messages(r.stdout), ['1 2 3']);
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  assert.deepEqual(messages(ansible(['site.yml'], dir).stdout), ['1 2 3']);
});

const TAGGED = {
  'site.yml': [
    '- hosts: localhost',
    '  gather_facts: false',
    '  tasks:',
    '    - {debug: {msg: tagged}, tags: [t1]}',
    '    - {debug: {msg: untagged}}',
    '    - {debug: {msg: always}, tags: [always]}',
    '    - {debug: {msg: never}, tags: [never]}',
    '',
  ].join('\n'),
};

test("--tags '' selects a tag no task has (only always runs); --skip-tags '' skips nothing", (t) => {
  const dir = project(t, TAGGED);
  assert.deepEqual(messages(tsplay(['site.yml', '--tags', ''], dir).stdout), ['always']);
  assert.deepEqual(messages(tsplay(['site.yml', '--tags', 't1,'], dir).stdout), ['tagged', 'always']);
  assert.deepEqual(messages(tsplay(['site.yml', '--skip-tags', ''], dir).stdout), ['tagged', 'untagged', 'always']);
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  assert.deepEqual(messages(ansible(['site.yml', '--tags', ''], dir).stdout), ['always']);
  assert.deepEqual(messages(ansible(['site.yml', '--skip-tags', ''], dir).stdout), ['tagged', 'untagged', 'always']);
});

const INT_FORMS = {
  'site.yml': [
    '- hosts: localhost',
    '  gather_facts: false',
    '  vars: {n: 2}',
    '  tasks:',
    '    - {command: "false", until: false, retries: "2", delay: 0.5, register: r1, ignore_errors: true}',
    '    - {command: "false", until: false, retries: 1.9, delay: "0", register: r2, ignore_errors: true}',
    '    - {command: "false", until: false, retries: "{{ n }}", delay: 0, register: r3, ignore_errors: true}',
    '    - {command: "false", until: false, retries: null, delay: 0, register: r4, ignore_errors: true}',
    '    - {command: "true", async: "5", poll: "1", register: r5}',
    '    - debug: msg="{{ r1.attempts }} {{ r2.attempts }} {{ r3.attempts }} {{ r4.attempts }} {{ r5.rc }}"',
    '',
  ].join('\n'),
};

test('integer keywords accept what Python int() accepts: "2", 1.9 (1), "{{ n }}"; retries: null is 3 attempts', (t) => {
  const dir = project(t, INT_FORMS);
  const r = tsplay(['site.yml'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(messages(r.stdout).slice(-1), ['2 1 2 2 0']);
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  assert.deepEqual(messages(ansible(['site.yml'], dir).stdout).slice(-1), ['2 1 2 2 0']);
});

test('an include_tasks that includes itself through another file fails that host, naming the chain', (t) => {
  // Ansible includes them forever, printing as it goes; tsplay stops at MAX_SELF_INCLUDES levels
  const dir = project(t, {
    'site.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_tasks: a.yml\n    - debug: msg=after\n',
    'a.yml': '- include_tasks: b.yml\n',
    'b.yml': '- include_tasks: a.yml\n',
  });
  const started = Date.now();
  const r = tsplay(['site.yml'], dir);
  assert.ok(Date.now() - started < 30_000, 'took too long');
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /include loop: \S*a\.yml includes itself \(\S*a\.yml -> \S*b\.yml -> \S*a\.yml\)/);
  assert.doesNotMatch(r.stdout, /"msg": "after"/);
  assert.match(r.stdout, /failed=1/);
});

test('a recursion that a `when` ends runs as in Ansible', (t) => {
  const dir = project(t, {
    'site.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - set_fact: {i: 0}\n    - include_tasks: count.yml\n',
    'count.yml': '- debug: msg="level {{ i }}"\n- set_fact: {i: "{{ i | int + 1 }}"}\n- include_tasks: count.yml\n  when: i | int <= 5\n',
  });
  const r = tsplay(['site.yml'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(messages(r.stdout), ['level 0', 'level 1', 'level 2', 'level 3', 'level 4', 'level 5']);
});
