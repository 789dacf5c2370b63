import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKv, splitArgs } from '../../src/load/kv.js';

test('k=v pairs with quotes and Jinja blocks split as Ansible splits them', () => {
  assert.deepEqual(splitArgs(`msg="hello world" path={{ a }}/{{ b | default('x y') }} state=directory`), [
    'msg="hello world"',
    "path={{ a }}/{{ b | default('x y') }}",
    'state=directory',
  ]);
  assert.deepEqual(parseKv(`path=/tmp/x state=directory mode='0755'`, false), { path: '/tmp/x', state: 'directory', mode: '0755' });
});

test('free-form modules keep non-option k=v in the command line', () => {
  assert.deepEqual(parseKv('echo a=b chdir=/tmp creates=/x', true), { _raw_params: 'echo a=b', chdir: '/tmp', creates: '/x' });
  assert.deepEqual(parseKv('ls -l', true), { _raw_params: 'ls -l' });
});

test('an unclosed quote is an error, not a silent truncation', () => {
  assert.throws(() => parseKv(`msg="unterminated`, false), /try quoting the entire line/);
});
