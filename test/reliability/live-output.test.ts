/**
 * Plain output (TSPLAY_PLAIN=1, a pipe, CI) shows a task as it starts and each host's result as
 * it arrives: a task that hangs is visible in the log while it hangs. The child's stdout is read
 * while the slow task is still running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/services.js';
import { toolArgv, toolEnv } from '../parity/harness.js';

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: quick
      debug: {msg: hello}
    - name: slow
      command: "sleep {{ naptime }}"
    - name: after
      debug: {msg: done}
`;

// h1 answers at once, h2 only after SLOW seconds: h1's line and the banner must show before that
const SLOW = 12;
const INVENTORY = `h1 ansible_connection=local naptime=0
h2 ansible_connection=local naptime=${SLOW}
[all:vars]
ansible_python_interpreter=/usr/bin/python3
`;

test('the banner of a running task and the hosts that finished it are printed before it ends', async (t) => {
  const dir = await tempDir('tsplay-live-output-', t);
  await writeFile(join(dir, 'site.yml'), PLAYBOOK);
  await writeFile(join(dir, 'inventory'), INVENTORY);
  const argv = toolArgv('tsplay', 'site.yml', ['-i', 'inventory']);
  const child = spawn(argv[0], argv.slice(1), { cwd: dir, env: { ...toolEnv(dir), TSPLAY_PLAIN: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const seen = new Promise<string>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (/TASK \[slow\][^\n]*\n(changed|ok): \[h1\]/.test(stdout)) resolve(stdout);
    });
  });
  const early = await Promise.race([seen, exited.then(() => undefined)]);
  assert.ok(early !== undefined, `tsplay ended before its output showed the running task:\n${stdout}\n${stderr}`);
  // still inside the slow task: h2's sleep has not finished, so neither has the task
  assert.equal(child.exitCode, null, 'the task had already ended');
  assert.doesNotMatch(early, /TASK \[after\]/);
  assert.doesNotMatch(early.slice(early.indexOf('TASK [slow]')), /: \[h2\]/, 'h2 could not have finished yet');
  assert.equal(await exited, 0, stdout + stderr);
  assert.match(stdout, /TASK \[slow\][^\n]*\nchanged: \[h1\]\nchanged: \[h2\]\n\nTASK \[after\]/);
});
