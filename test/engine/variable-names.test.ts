/**
 * Invalid variable names in `vars:` of a play, a task or an include are refused at load time
 * with Ansible's message and position; the expected text is checked against ansible-playbook.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ansibleAvailable, requireService, runAnsiblePlaybook, runTsplay, tempDir } from '../support/services.js';
import { isVariableName } from '../../src/load/tasks.js';

test('isVariableName follows Python identifiers minus keywords', () => {
  for (const ok of ['a', '_x', 'a1', 'ünïcode', 'True_']) assert.ok(isVariableName(ok), ok);
  for (const bad of ['a.b', 'a b', '1x', 'a-b', '', 'None', 'True', 'class', 'lambda']) assert.ok(!isVariableName(bad), bad);
});

const PLAY = (body: string) => `- hosts: localhost\n  connection: local\n  gather_facts: false\n${body}`;
const CASES: Record<string, string> = {
  task: PLAY('  tasks:\n    - debug: msg=first\n    - debug: msg="{{ x }}"\n      vars:\n        a.b: 1\n        x: 2\n'),
  include: PLAY('  tasks:\n    - include_tasks: t.yml\n      vars:\n        "a b": 1\n'),
  play: PLAY('  vars:\n    "1x": 1\n  tasks:\n    - debug: msg=first\n'),
  block: PLAY('  tasks:\n    - block:\n        - debug: msg=x\n      vars:\n        - ok: 1\n        - "for": 2\n'),
};

test('a play, task, include or block with an invalid variable name fails to load as in Ansible', async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'install ansible-core')) return;
  const dir = await tempDir('tsplay-varnames-', t);
  await writeFile(join(dir, 't.yml'), '- debug: msg=inc\n');
  // the message, and the place as file:line:column (Ansible words it "in 'F': line N, column M",
  // tsplay names it once as "in F:N:M")
  const errorLines = (s: string) =>
    s
      .split('\n')
      .map((l) => {
        const ansible = /^The error appears to be in '(.+)': line (\d+), column (\d+)/.exec(l);
        if (ansible) return `at ${ansible[1]}:${ansible[2]}:${ansible[3]}`;
        const ours = /^ {2}in (\S+:\d+:\d+)$/.exec(l);
        if (ours) return `at ${ours[1]}`;
        return l.startsWith('ERROR!') ? l : undefined;
      })
      .filter((l) => l !== undefined)
      .join('\n');
  for (const [name, text] of Object.entries(CASES)) {
    await writeFile(join(dir, `${name}.yml`), text);
    const a = await runAnsiblePlaybook([`${name}.yml`], { cwd: dir });
    const ts = await runTsplay(['run', `${name}.yml`], { cwd: dir });
    assert.equal(a.code, 4, `${name}: ansible exits 4 for a load error`);
    assert.equal(ts.code, 3, `${name}: tsplay's exit code for input rejected up front (docs/cli.md)`);
    assert.ok(!ts.stdout.includes('TASK ['), `${name}: nothing ran`);
    assert.equal(errorLines(ts.stderr), errorLines(a.stderr), name);
  }
});
