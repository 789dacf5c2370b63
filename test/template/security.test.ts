import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Templar, markUnsafe, isUnsafe, TemplateError } from '../../src/template/index.js';

function vars(values: Record<string, unknown>): Record<string, unknown> {
  const root = Object.create(null) as Record<string, unknown>;
  Object.assign(root, values);
  return Object.create(root) as Record<string, unknown>;
}

const markerDirs: string[] = [];
after(() => {
  for (const dir of markerDirs) fs.rmSync(dir, { recursive: true, force: true });
});
/** a path an escaped payload would create: it must never exist */
const marker = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsplay-sec-'));
  markerDirs.push(dir);
  return path.join(dir, 'pwned');
};

// Payloads known to escape plain Nunjucks (see the templating research notes) and Jinja.
const CODE_EXECUTION_ATTEMPTS = [
  "{{ constructor.constructor('return process')() }}",
  "{{ range.constructor(\"return process.mainModule.require('child_process').execSync('id').toString()\")() }}",
  "{{ lookup.constructor('return 1+1')() }}",
  "{{ 'x'.sub.constructor('return process.pid')() > 0 }}",
  "{{ 'x'.split.constructor('return process.pid')() }}",
  "{{ x['constr' ~ 'uctor']['constr' ~ 'uctor']('return 42')() }}",
  "{{ d['__proto__']['constructor']['constructor']('return 42')() }}",
  "{{ lst.map.constructor('return 42')() }}",
  "{{ toString.constructor('return 42')() }}",
  "{{ (d | dict2items)[0].constructor.constructor('return 42')() }}",
  "{{ namespace.constructor('return 42')() }}",
  "{{ ''.__class__.__mro__[1].__subclasses__() }}",
  "{{ lookup.__globals__.__builtins__ }}",
];

test('code-execution payloads fail with a template error and run nothing', () => {
  const t = new Templar();
  const v = vars({ x: {}, d: { a: 1 }, lst: [1, 2] });
  for (const payload of CODE_EXECUTION_ATTEMPTS) {
    assert.throws(() => t.template(payload, v), TemplateError, payload);
  }
});

test('constructor, __proto__, prototype and inherited members are never reachable, not even as data', () => {
  const t = new Templar();
  const v = vars({ d: { a: 1 }, s: 'text', lst: [1] });
  for (const expr of ['constructor', 'd.constructor', "d['constructor']", 'd.__proto__', "d['__proto__']", 'd.toString', 'd.hasOwnProperty', 'd.valueOf', 's.constructor', 'lst.constructor', 'lst.prototype', 'd.__class__', 'd.__defineGetter__']) {
    assert.equal(t.template(`{{ ${expr} is defined }}`, v), false, expr);
  }
});

test('a polluted Object.prototype does not leak into templates', () => {
  const t = new Templar();
  const proto = Object.prototype as Record<string, unknown>;
  proto.polluted = 'yes';
  try {
    // the variable layers the engine passes may even be ordinary objects
    const plain = Object.create({ inherited: 'layer' }) as Record<string, unknown>;
    plain.d = { a: 1 };
    assert.equal(t.template('{{ d.polluted is defined }}', plain), false);
    assert.equal(t.template('{{ d | combine({}) }}', plain) !== null, true);
    assert.throws(() => t.template('{{ d.polluted }}', plain), /has no attribute 'polluted'/);
  } finally {
    delete proto.polluted;
  }
});

test('combine, from_json, from_yaml and dict.update keep "__proto__" as a plain key', () => {
  const t = new Templar();
  const v = vars({ d: { a: 1 }, evil_json: '{"__proto__": {"polluted": "yes"}, "a": 2}', evil_yaml: '__proto__:\n  polluted: yes\n' });
  const merged = t.template('{{ d | combine(evil_json | from_json) }}', v) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(merged, '__proto__'));
  assert.equal((merged as { polluted?: unknown }).polluted, undefined);
  const fromYaml = t.template('{{ evil_yaml | from_yaml }}', v) as Record<string, unknown>;
  assert.ok(Object.prototype.hasOwnProperty.call(fromYaml, '__proto__'));
  assert.equal((fromYaml as { polluted?: unknown }).polluted, undefined);
  const recursive = t.template("{{ {'x': {}} | combine({'x': {'__proto__': {'polluted': 1}}}, recursive=true) }}", v) as Record<string, Record<string, unknown>>;
  assert.equal(Object.getPrototypeOf(recursive.x), Object.prototype);
  assert.equal(t.template("{% set e = {} %}{% set _ = e.update({'__proto__': {'polluted': 1}}) %}{{ e.polluted is defined }}", v), false);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.throws(() => t.template('{% set ns = namespace() %}{% set ns.__proto__ = 1 %}', v), TemplateError);
});

test('JavaScript functions in variables are data, never called', () => {
  const t = new Templar();
  let called = false;
  const v = vars({ fn: () => { called = true; return 'ran'; }, obj: { m() { called = true; } } });
  assert.throws(() => t.template('{{ fn() }}', v), /not callable/);
  assert.throws(() => t.template('{{ obj.m() }}', v), TemplateError);
  assert.equal(called, false);
});

test('unsafe host data is never templated again, directly or through lazy variables', () => {
  const t = new Templar();
  const file = marker();
  const payload = `{{ lookup('pipe', 'touch ${file}') }}`;
  const registered = markUnsafe({ stdout: payload, rc: 0 });
  const v = vars({ result: registered, fact: markUnsafe(payload), via_fact: '{{ fact }}', nested: { cmd: markUnsafe(payload) } });
  assert.equal(t.template('{{ result.stdout }}', v)?.toString(), payload);
  assert.equal(t.template('{{ fact }}', v)?.toString(), payload);
  assert.equal(t.template('{{ via_fact }}', v)?.toString(), payload);
  assert.equal(t.template('{{ nested.cmd }}', v)?.toString(), payload);
  assert.equal(t.template(markUnsafe(payload), v)?.toString(), payload);
  assert.equal(fs.existsSync(file), false, 'the payload ran');
  // what was read from unsafe data stays unsafe
  assert.ok(isUnsafe(t.template('prefix {{ fact }}', v)));
  assert.ok(!isUnsafe(t.template('{{ 1 + 1 }}', v)));
  // an unsafe when: is refused outright
  assert.throws(() => t.evaluateConditional(markUnsafe('1 == 1'), v), /marked as unsafe/);
});

test('lookup results are unsafe unless allow_unsafe=True', () => {
  const t = new Templar();
  const v = vars({});
  const r = t.template("{{ lookup('pipe', 'echo \"{{ 7 * 6 }}\"') }}", v);
  assert.equal(String(r), '{{ 7 * 6 }}');
  assert.ok(isUnsafe(r));
  assert.ok(!isUnsafe(t.template("{{ lookup('pipe', 'echo hi', allow_unsafe=True) }}", v)));
});

test('range() is bounded like Jinja\'s sandbox limit', () => {
  const t = new Templar();
  assert.throws(() => t.template('{{ range(10000000) | length }}', vars({})), /Range too big/);
});
