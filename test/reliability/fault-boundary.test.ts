/**
 * The fault boundary: a module that meets ENOTDIR/EACCES/EROFS on one host of three fails that
 * host only. ignore_errors and rescue apply, the other hosts go on, the recap is printed, and the
 * verdict (recap and exit code) is ansible-playbook's for the same playbook.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ansibleAvailable, requireService, tempDir } from '../support/services.js';
import { compareRecaps, parseRecap, runProcess, toolArgv, toolEnv, type Tool } from '../parity/harness.js';
import { errorText, moduleFailure, unexpectedFailure } from '../../src/execute/fault.js';

/** a destination per host: h2's lies under a regular file (ENOTDIR) or in /proc or /sys */
function playbook(bad: string): string {
  const dest = `"{{ '${bad}' if inventory_hostname == 'h2' else out + '/' + inventory_hostname + '-' + tag }}"`;
  return `
- hosts: all
  gather_facts: false
  tasks:
    - name: copy under ignore_errors
      copy: {content: hi, dest: ${dest}}
      vars: {tag: a}
      ignore_errors: true
    - name: template under ignore_errors
      template: {src: t.j2, dest: ${dest}}
      vars: {tag: b}
      ignore_errors: true
    - name: lineinfile create under ignore_errors
      lineinfile: {path: ${dest}, line: x, create: true}
      vars: {tag: c}
      ignore_errors: true
    - block:
        - name: copy in a block
          copy: {content: hi, dest: ${dest}}
          vars: {tag: d}
      rescue:
        - name: rescued
          debug: {msg: rescued}
    - name: copy unguarded
      copy: {content: hi, dest: ${dest}}
      vars: {tag: e}
    - name: after
      copy: {content: after, dest: "{{ out }}/{{ inventory_hostname }}-after"}
`;
}

const INVENTORY = `[all]
h1 ansible_connection=local
h2 ansible_connection=local
h3 ansible_connection=local
[all:vars]
ansible_python_interpreter=/usr/bin/python3
`;

async function runTool(tool: Tool, dir: string, bad: string) {
  const out = join(dir, `out-${tool}`);
  await mkdir(out, { recursive: true });
  await writeFile(join(dir, 'site.yml'), playbook(bad));
  const r = await runProcess(toolArgv(tool, 'site.yml', ['-i', 'inv.ini', '-e', `out=${out}`]), { cwd: dir, env: toolEnv(dir), timeoutMs: 120_000 });
  return { ...r, out, recap: parseRecap(r.stdout) };
}

async function setup(t: import('node:test').TestContext): Promise<string> {
  const dir = await tempDir('tsplay-fault-', t);
  await writeFile(join(dir, 'inv.ini'), INVENTORY);
  await writeFile(join(dir, 't.j2'), '{{ inventory_hostname }}\n');
  await writeFile(join(dir, 'a-file'), 'a regular file\n');
  return dir;
}

const DESTINATIONS: Array<[string, (dir: string) => string]> = [
  ['parent is a file (ENOTDIR)', (dir) => join(dir, 'a-file', 'x')],
  ['a /sys destination (EACCES)', () => '/sys/kernel/tsplay-fault-test'],
  ['a /proc destination (ENOENT)', () => '/proc/tsplay-fault-test/x'],
];

describe('one failure stays where it happened', () => {
  for (const [what, bad] of DESTINATIONS) {
    it(`${what}: only h2 fails; ignore_errors, rescue, recap and exit code as ansible-playbook`, async (t) => {
      const dir = await setup(t);
      const ts = await runTool('tsplay', dir, bad(dir));
      const output = ts.stdout + ts.stderr;
      assert.equal(ts.code, 2, `tsplay exit ${ts.code}\n${output}`);
      assert.doesNotMatch(output, /Unexpected failure inside tsplay|^\s+at /m);
      assert.deepEqual(ts.recap?.h2, { ok: 4, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 1, ignored: 3 }, output);
      for (const h of ['h1', 'h3']) {
        assert.deepEqual(ts.recap?.[h], { ok: 6, changed: 6, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, output);
        assert.ok(existsSync(join(ts.out, `${h}-after`)), `${h} went on to the last task`);
      }
      assert.ok(!existsSync(join(ts.out, 'h2-after')), 'h2 stopped at its unguarded failure');
      assert.match(output, /fatal: \[h2\]: FAILED! => \{.*"msg": "(MODULE FAILURE|[^"]+)/);
      assert.match(output, /\.\.\.ignoring/);
      assert.match(output, /"msg": "rescued"/);

      if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
      const an = await runTool('ansible', dir, bad(dir));
      assert.equal(ts.code, an.code, `exit codes differ; ansible:\n${an.stdout}${an.stderr}`);
      assert.deepEqual(compareRecaps(an.recap, ts.recap), [], `ansible:\n${an.stdout}`);
    });
  }

  it('the same failures in a loop fail only the items that hit them', async (t) => {
    const dir = await setup(t);
    await writeFile(
      join(dir, 'site.yml'),
      `- hosts: h1\n  gather_facts: false\n  tasks:\n    - copy: {content: hi, dest: "{{ item }}"}\n      loop: ["${join(dir, 'ok-1')}", "${join(dir, 'a-file', 'x')}", "${join(dir, 'ok-2')}"]\n      ignore_errors: true\n`,
    );
    const r = await runProcess(toolArgv('tsplay', 'site.yml', ['-i', 'inv.ini']), { cwd: dir, env: toolEnv(dir) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(dir, 'ok-1')) && existsSync(join(dir, 'ok-2')), 'the items around the failed one ran');
    assert.match(r.stdout, /failed: \[h1\] \(item=.*a-file\/x\) => .*Not a directory/);
    assert.deepEqual(parseRecap(r.stdout)?.h1, { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 1 });
  });
});

describe('fault results', () => {
  it('words system errors as Python does', () => {
    const err = Object.assign(new Error("ENOTDIR: not a directory, open '/a/b'"), { code: 'ENOTDIR', errno: -20, path: '/a/b' });
    assert.equal(errorText(err), "[Errno 20] Not a directory: '/a/b'");
    const odd = Object.assign(new Error("EWEIRD: some odd thing, open '/a'"), { code: 'EWEIRD', errno: -999, path: '/a' });
    assert.equal(errorText(odd), "[Errno 999] Some odd thing: '/a'");
  });

  it('a module failure has MODULE FAILURE shape', () => {
    const r = moduleFailure(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS', errno: -30, path: '/ro/x' }));
    assert.deepEqual(r, { changed: false, failed: true, module_stderr: "[Errno 30] Read-only file system: '/ro/x'", module_stdout: '', msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error', rc: 1 });
  });

  it('an engine error keeps its stack in exception, the error on the last line', () => {
    const r = unexpectedFailure(new TypeError('x is not a function'));
    assert.equal(r.msg, 'Unexpected failure during module execution: x is not a function');
    assert.match(String(r.exception), /^\s+at [\s\S]*\nTypeError: x is not a function\n$/);
  });
});
