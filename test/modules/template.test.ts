import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { templateModule } from '../../src/modules/builtin/template.js';
import { templar } from '../../src/template/index.js';
import { makeCtx, scratch, cleanup, withDefaults, requireAnsible, runAnsible, runTsplay, replaceIn, type Case, type CtxOptions } from './helpers.js';

const vars = { name: 'world', items: ['a', 'b'], port: 8080 };

function templating(templatesDir: string): CtxOptions {
  return {
    vars,
    findFile: (_kind, name) => (name.startsWith('/') ? name : join(templatesDir, name)),
    renderTemplate: (source, extra, jinja) => templar.renderFile(source, { ...vars, ...extra }, jinja),
  };
}

test('template: renders with the task vars, keeps trailing newlines, idempotent, check mode', async () => {
  const dir = await scratch();
  await mkdir(join(dir, 'templates'));
  await writeFile(join(dir, 'templates', 'greet.j2'), 'hello {{ name }}\n{% for i in items %}\n- {{ i }}\n{% endfor %}\n\n');
  const opts = templating(join(dir, 'templates'));
  const run = (args: Record<string, unknown>, extra: CtxOptions = {}) =>
    templateModule.run(withDefaults(templateModule, args), makeCtx({ ...opts, ...extra }));
  const dest = join(dir, 'out.txt');
  const checked = await run({ src: 'greet.j2', dest }, { check: true, diff: true });
  assert.equal(checked.changed, true);
  await assert.rejects(stat(dest));
  const first = await run({ src: 'greet.j2', dest, mode: '0600' });
  assert.equal(first.changed, true);
  assert.equal(await readFile(dest, 'utf8'), 'hello world\n- a\n- b\n\n');
  assert.equal((await stat(dest)).mode & 0o7777, 0o600);
  assert.equal((await run({ src: 'greet.j2', dest, mode: '0600' })).changed, false);
  const missing = await run({ src: 'nope.j2', dest });
  assert.equal(missing.failed, true);
  await cleanup(dir);
});

test('template: results match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  for (const root of [a, b]) {
    await mkdir(join(root, 'templates'));
    await mkdir(join(root, 'destdir'));
    await writeFile(join(root, 'templates', 'greet.j2'), 'hello {{ name }}\n{% for i in items %}\n- {{ i }}\n{% endfor %}\nport={{ port }}\n');
    await writeFile(join(root, 'templates', 'crlf.j2'), 'a\nb {{ name }}\n');
  }
  const D = '@D@';
  const cases: Case[] = [
    { name: 't0', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/out` }, check: true },
    { name: 't1', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/out` } },
    { name: 't2', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/out` } },
    { name: 't3', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/out`, mode: '0600' } },
    { name: 't4', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/destdir/` } },
    { name: 't5', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/destdir` } },
    { name: 't6', module: 'template', args: { src: `${D}/templates/crlf.j2`, dest: `${D}/crlf`, newline_sequence: '\\r\\n' } },
    { name: 't7', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/nodir/x` } },
    { name: 't8', module: 'template', args: { src: `${D}/templates/greet.j2`, dest: `${D}/v`, validate: 'grep -q world %s' } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a, vars);
  const ours = await runTsplay(replaceIn(cases, D, b), { template: templateModule }, templating(join(b, 'templates')));
  for (const c of cases) {
    const expected = replaceIn(ansible[c.name], a, D) as Record<string, unknown>;
    const actual = replaceIn(ours[c.name], b, D) as Record<string, unknown>;
    for (const r of [expected, actual]) {
      // the rendered file's temp locations differ per run
      if (typeof r.src === 'string' && !r.src.startsWith(D)) r.src = '<tmp>';
      for (const d of Array.isArray(r.diff) ? (r.diff as Array<Record<string, unknown>>) : []) {
        if ('after_header' in d) d.after_header = '<tmp>';
      }
    }
    assert.deepEqual(actual, expected, `case ${c.name}`);
  }
  for (const name of ['out', 'destdir/greet.j2', 'crlf', 'v']) {
    assert.equal(await readFile(join(b, name), 'utf8'), await readFile(join(a, name), 'utf8'), name);
  }
  await cleanup(a);
  await cleanup(b);
});
