import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KvSyntaxError, parseKv, splitArgs } from '../../src/load/kv.js';
import { ansibleAvailable, requireService } from '../support/services.js';

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

/** ansible-core's own parse_kv on each string: the oracle */
function ansibleParseKv(cases: Array<[string, boolean]>): Array<Record<string, unknown> | { error: string }> {
  const program = [
    'import json, sys',
    'from ansible.parsing.splitter import parse_kv',
    'out = []',
    'for text, raw in json.load(sys.stdin):',
    '    try:',
    '        out.append(parse_kv(text, check_raw=raw))',
    '    except Exception as e:',
    '        out.append({"error": type(e).__name__})',
    'print(json.dumps(out))',
  ].join('\n');
  const res = spawnSync(ansiblePython(), ['-c', program], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as Array<Record<string, unknown> | { error: string }>;
}

/** the Python that runs ansible-playbook (its #! line): python3 on PATH may be another one */
function ansiblePython(): string {
  const shebang = readFileSync(execFileSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).trim(), 'utf8').split('\n')[0];
  return shebang.replace(/^#!\s*/, '').split(/\s+/)[0];
}

test('split and joined exactly as ansible-core parse_kv does: newlines, runs of spaces, quotes, Jinja, escapes', (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const cases: Array<[string, boolean]> = [
    ['set -e\nx="{{ \'a b\' | quote }}"\nif [ -n "$x" ]; then echo "yes $x"; fi\n', true],
    ['echo one\necho two\n', true],
    ['echo  two   spaces\n  indented\n', true],
    ['echo "a\nb" c=d chdir=/tmp', true],
    ['cat <<EOF\nk=v\nEOF\n', true],
    ['line one \\\n continued', true],
    ['msg="a\\nb" other=\'x y\'', false],
    ['path=/x\nstate=directory\nmode=0644', false],
    ['msg={{ a }}={{ b }}', false],
    ['a\\=b', true],
    ['echo {% if x %}a b{% endif %} done', true],
    ['key="\\u00e9\\x41\\t"', false],
    ['echo "unclosed', true],
  ];
  const expected = ansibleParseKv(cases);
  cases.forEach(([text, raw], i) => {
    let got: Record<string, unknown> | { error: string };
    try {
      got = parseKv(text, raw);
    } catch (err) {
      got = { error: err instanceof KvSyntaxError ? 'AnsibleParserError' : String(err) };
    }
    assert.deepEqual(got, expected[i], JSON.stringify(text));
  });
});
