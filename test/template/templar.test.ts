import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Templar, TemplateError, isTemplate, markUnsafe, isUnsafe, stripUnsafe, OMIT_TOKEN, PyFloat, scopeAsDict } from '../../src/template/index.js';

/** variables as the engine passes them: a null-prototype chain of precedence layers */
function layered(...layers: Record<string, unknown>[]): Record<string, unknown> {
  let current: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const layer of layers) {
    Object.assign(current, layer);
    current = Object.create(current) as Record<string, unknown>;
  }
  return current;
}

test('isTemplate matches Ansible\'s is_possibly_template', () => {
  assert.equal(isTemplate('{{ x }}'), true);
  assert.equal(isTemplate('a {% if x %}'), true);
  assert.equal(isTemplate('{# note #}'), true);
  assert.equal(isTemplate('plain { text }'), false);
  assert.equal(isTemplate('${HOME}'), false);
});

test('OMIT_TOKEN is Ansible\'s per-run omit placeholder and `omit` renders to it', () => {
  assert.match(OMIT_TOKEN, /^__omit_place_holder__[0-9a-f]{40}$/);
  const t = new Templar();
  assert.equal(t.template('{{ omit }}', layered({ omit: OMIT_TOKEN })), OMIT_TOKEN);
  assert.equal(t.template('{{ nope | default(omit) }}', layered({ omit: OMIT_TOKEN })), OMIT_TOKEN);
});

test('template() walks lists and dicts and keeps Ansible 2.14\'s types', () => {
  const t = new Templar();
  const v = layered({ n: 3, lst: [1, 2], name: 'web' });
  const out = t.template({ a: '{{ n }}', b: ['{{ n + 1 }}', '{{ n > 2 }}', 5], c: '{{ lst + [n] }}', d: 'x-{{ name }}', e: '{{ none_v | default(None) }}' }, v);
  assert.deepEqual(out, { a: 3, b: ['4', true, 5], c: [1, 2, 3], d: 'x-web', e: '' });
  assert.ok(t.template('{{ 4 / 2 }}', v) === '2.0');
  assert.ok(t.template('{{ 1.5 }}', v) === '1.5');
});

test('precedence layers are read through the prototype chain, not copied', () => {
  const t = new Templar();
  const v = layered({ x: 'role default', y: 'only in defaults' }, { x: 'play var' }, { x: 'host var' });
  assert.equal(t.template('{{ x }} / {{ y }}', v), 'host var / only in defaults');
  let reads = 0;
  const root = Object.create(null) as Record<string, unknown>;
  Object.defineProperty(root, 'counted', { get: () => (reads++, 'v'), enumerable: true });
  for (let i = 0; i < 1000; i++) root[`other_${i}`] = i;
  t.template('{{ other_1 }}', Object.create(root) as Record<string, unknown>);
  assert.equal(reads, 0, 'an unrelated variable was read');
});

test('variables are templated lazily and recursion is reported as Ansible words it', () => {
  const t = new Templar();
  const v = layered({ base: '/srv', app_dir: '{{ base }}/app', conf: '{{ app_dir }}/conf', a: '{{ b }}', b: '{{ a }}', cfg: { path: '{{ conf }}', port: 80 } });
  assert.equal(t.template('{{ conf }}', v), '/srv/app/conf');
  assert.deepEqual(t.template('{{ cfg }}', v), { path: '/srv/app/conf', port: 80 });
  assert.equal(t.template('{{ cfg.path }}', v), '/srv/app/conf');
  assert.throws(() => t.template('{{ a }}', v), /recursive loop detected in template string: \{\{ [ab] \}\}/);
});

test('undefined variables raise "\'x\' is undefined" unless failOnUndefined is false', () => {
  const t = new Templar();
  const v = layered({ d: {} });
  assert.throws(() => t.template('{{ missing }}', v), (e: unknown) => e instanceof TemplateError && e.message === "'missing' is undefined");
  assert.throws(() => t.template('{{ d.key }}', v), /'dict object' has no attribute 'key'/);
  assert.equal(t.template('x {{ missing }}', v, { failOnUndefined: false }), 'x {{ missing }}');
  assert.equal(t.template('{{ missing | default("d") }}', v), 'd');
});

test('evaluateConditional follows when: semantics', () => {
  const t = new Templar();
  const v = layered({ items: [], n: 5, flag: 'yes', res: { rc: 0, changed: true } });
  assert.equal(t.evaluateConditional('items', v), false);
  assert.equal(t.evaluateConditional('n > 3', v), true);
  assert.equal(t.evaluateConditional(['n > 3', 'res is changed', 'res.rc == 0'], v), true);
  assert.equal(t.evaluateConditional(['n > 3', 'items | length > 0'], v), false);
  assert.equal(t.evaluateConditional(true, v), true);
  assert.equal(t.evaluateConditional('flag | bool', v), true);
  assert.equal(t.evaluateConditional('missing is not defined', v), true);
  assert.throws(() => t.evaluateConditional('missing', v), /The conditional check 'missing' failed\. The error was: error while evaluating conditional \(missing\): 'missing' is undefined/);
  assert.throws(() => t.evaluateConditional('n >', v), /The conditional check 'n >' failed/);
});

test('renderFile renders like the template module: trim_blocks, trailing newline, includes from the search path', (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsplay-tpl-'));
  ctx.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'templates'));
  fs.writeFileSync(path.join(dir, 'templates', 'part.j2'), 'part {{ name }}\n');
  const t = new Templar();
  const v = layered({ name: 'x', users: ['a', 'b'] });
  const src = '# {{ name }}\n{% for u in users %}\nuser {{ u }}\n{% endfor %}\n{% include "part.j2" %}\n';
  assert.equal(t.renderFile(src, v, { searchPath: [dir] }), '# x\nuser a\nuser b\npart x\n');
  assert.equal(t.renderFile('{{ "a\\\\tb" }}\n', v), 'a\\tb\n');
  assert.equal(t.renderFile('{{ [1, 2] }}', v), '[1, 2]');
});

test('markUnsafe/isUnsafe/stripUnsafe round trip', () => {
  const s = markUnsafe('{{ x }}');
  assert.ok(isUnsafe(s));
  assert.equal(String(s), '{{ x }}');
  const obj = markUnsafe({ a: markUnsafe('1'), b: [markUnsafe('2')] });
  assert.ok(isUnsafe(obj));
  assert.deepEqual(stripUnsafe(obj), { a: '1', b: ['2'] });
  assert.equal(stripUnsafe(new PyFloat(2)), 2);
  assert.ok(!isUnsafe('plain'));
});

test('lookups search TemplateOptions.searchPath (files/ and templates/ subdirectories)', (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsplay-lookup-'));
  ctx.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'files'));
  fs.mkdirSync(path.join(dir, 'templates'));
  fs.writeFileSync(path.join(dir, 'files', 'motd'), 'hello\n');
  fs.writeFileSync(path.join(dir, 'templates', 'conf.j2'), 'port={{ port }}\n');
  const t = new Templar();
  const v = layered({ port: 8080 });
  const opts = { searchPath: [dir] };
  assert.equal(String(t.template("{{ lookup('file', 'motd') }}", v, opts)), 'hello');
  assert.equal(String(t.template("{{ lookup('template', 'conf.j2') }}", v, opts)), 'port=8080\n');
  assert.deepEqual(stripUnsafe(t.template("{{ query('first_found', ['nope', 'motd']) | map('basename') | list }}", v, opts)), ['motd']);
  assert.throws(() => t.template("{{ lookup('file', 'absent') }}", v, opts), /could not locate file in lookup: absent/);
});

test('template errors carry the 1-based line and column inside the template', () => {
  const t = new Templar();
  const v = layered({ a: 1 });
  const position = (src: string) => {
    try {
      t.renderFile(src, v);
    } catch (e) {
      assert.ok(e instanceof TemplateError);
      return [e.message, e.line, e.column];
    }
    assert.fail(`no error for ${JSON.stringify(src)}`);
  };
  assert.deepEqual(position('line1\n{{ a }}\n{{ nope }}\n'), ["'nope' is undefined", 3, 1]);
  assert.deepEqual(position('x\n{% if a %}\n  {{ a.b }}\n{% endif %}'), ["'int object' has no attribute 'b'", 3, 3]);
  const [msg, line] = position('a\n{{ a +}}') as [string, number];
  assert.match(msg, /Expected an expression, got 'end of print statement'/);
  assert.equal(line, 2);
});

test('scopeAsDict exposes a variable chain (e.g. hostvars[host]) as a dict, highest layer first', () => {
  const t = new Templar();
  const web1 = layered({ ansible_host: '10.0.0.1', role_default: 'd' }, { ansible_host: '192.0.2.1', nickname: '{{ inventory_hostname }}-x', inventory_hostname: 'web1' });
  const v = layered({ hostvars: { web1: scopeAsDict(web1) }, names: ['web1'] });
  assert.equal(t.template("{{ hostvars['web1'].ansible_host }}", v), '192.0.2.1');
  assert.equal(t.template('{{ hostvars.web1.role_default }}', v), 'd');
  assert.equal(t.template("{{ names | map('extract', hostvars, 'ansible_host') | list }}", v)?.toString(), '192.0.2.1');
  assert.equal(t.template('{{ hostvars.web1.nickname }}', v), 'web1-x');
  assert.equal(t.template('{{ hostvars.web1.missing is defined }}', v), false);
  assert.equal(t.template("{{ 'ansible_host' in hostvars.web1 }}", v), true);
  assert.equal(t.template('{{ hostvars.web1.constructor is defined }}', v), false);
});
