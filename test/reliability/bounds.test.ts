/**
 * Bounded resources: a template that would build a value too big for memory (range(150000000),
 * 'x' * 10**10, [0] * 10**9, a huge sequence lookup) fails its task with a template error instead
 * of ending the process with V8's out-of-memory abort; the host goes on under ignore_errors and
 * the recap is printed. And set_fact in a loop stays linear in the number of items.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/services.js';
import { parseRecap, runProcess, toolArgv, toolEnv } from '../parity/harness.js';

const HUGE = [
  ['range', '{{ range(150000000) | length }}', /Range too big.*150000000 items/],
  ['string', "{{ ('x' * 10**10) | length }}", /would hold 10000000000 characters/],
  ['list', '{{ ([0] * 10**9) | length }}', /would hold 1000000000 items/],
  ['sequence', "{{ lookup('sequence', 'count=1000000000') | length }}", /sequence would hold 1000000000 items/],
  ['padding', "{{ 'x'.ljust(10**10) | length }}", /too large to build/],
] as const;

test('a huge template value fails its task, not the process', async (t) => {
  const dir = await tempDir('tsplay-bounds-', t);
  const tasks = HUGE.map(([name, expr]) => `    - name: ${name}\n      debug: {msg: "${expr.replace(/"/g, '\\"')}"}\n      ignore_errors: true\n`).join('');
  await writeFile(join(dir, 'site.yml'), `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks}    - debug: {msg: "{{ range(5)[1:3] | list }} {{ ('ab' * 3) }}"}\n`);
  const r = await runProcess(toolArgv('tsplay', 'site.yml', []), { cwd: dir, env: toolEnv(dir), timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const [name, , message] of HUGE) {
    const at = r.stdout.indexOf(`TASK [${name}]`);
    assert.ok(at >= 0, `task ${name} ran:\n${r.stdout}`);
    const section = r.stdout.slice(at, r.stdout.indexOf('TASK [', at + 1));
    assert.match(section, /fatal: \[localhost\]: FAILED!/, section);
    assert.match(section, message, section);
  }
  assert.match(r.stdout, /"msg": "\[1, 2\] ababab"/);
  assert.deepEqual(parseRecap(r.stdout)?.localhost, { ok: HUGE.length + 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: HUGE.length });
  assert.doesNotMatch(r.stderr, /heap out of memory|    at /);
});

test('set_fact in a loop of 60000 items is linear: right values, done well within its timeout', async (t) => {
  const dir = await tempDir('tsplay-setfact-loop-', t);
  await writeFile(
    join(dir, 'site.yml'),
    `- hosts: localhost
  gather_facts: false
  tasks:
    - set_fact:
        acc: "{{ item }}"
        last_square: "{{ item * item }}"
      loop: "{{ range(60000) | list }}"
    - copy: {content: "{{ acc }} {{ last_square }}", dest: "{{ playbook_dir }}/out.txt"}
`,
  );
  // the bound is loose on purpose (CI machines are shared); the quadratic version took minutes
  const r = await runProcess(toolArgv('tsplay', 'site.yml', []), { cwd: dir, env: toolEnv(dir), timeoutMs: 90_000 });
  assert.equal(r.signal, null, 'tsplay was killed at the timeout: set_fact in a loop is not linear');
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const { readFile } = await import('node:fs/promises');
  assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), '59999 3599880001');
  assert.deepEqual(parseRecap(r.stdout)?.localhost?.ok, 2);
});
