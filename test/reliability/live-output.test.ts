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

// every host sleeps: the banner must show before any result (it used to come with the first
// one); h1 answers after QUICK seconds, h2 after SLOW: h1's line must show while h2 still sleeps
const QUICK = 4;
const SLOW = 14;
const INVENTORY = `h1 ansible_connection=local naptime=${QUICK}
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
  let bannerAlone: string | undefined;
  const seen = new Promise<string>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (bannerAlone === undefined && stdout.includes('TASK [slow]')) bannerAlone = stdout;
      if (/TASK \[slow\][^\n]*\n(changed|ok): \[h1\]/.test(stdout)) resolve(stdout);
    });
  });
  const early = await Promise.race([seen, exited.then(() => undefined)]);
  // the banner came in a write of its own, before any host's result for the task
  assert.ok(bannerAlone !== undefined, stdout);
  assert.doesNotMatch(bannerAlone.slice(bannerAlone.indexOf('TASK [slow]')), /: \[h[12]\]/, `the banner came only with a result:\n${bannerAlone}`);
  assert.ok(early !== undefined, `tsplay ended before its output showed the running task:\n${stdout}\n${stderr}`);
  // still inside the slow task: h2's sleep has not finished, so neither has the task
  assert.equal(child.exitCode, null, 'the task had already ended');
  assert.doesNotMatch(early, /TASK \[after\]/);
  assert.doesNotMatch(early.slice(early.indexOf('TASK [slow]')), /: \[h2\]/, 'h2 could not have finished yet');
  assert.equal(await exited, 0, stdout + stderr);
  assert.match(stdout, /TASK \[slow\][^\n]*\nchanged: \[h1\]\nchanged: \[h2\]\n\nTASK \[after\]/);
});
