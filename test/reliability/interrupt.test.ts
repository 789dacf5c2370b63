/**
 * SIGINT and SIGTERM during a long command: the command is killed (no orphan), no new task
 * starts, the recap so far is printed and tsplay exits 99 with ansible-playbook's error line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/services.js';
import { toolArgv, toolEnv } from '../parity/harness.js';

/** pids whose command line contains `marker` */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('an interrupted run ends cleanly', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during a long command: killed, recap so far, exit 99`, async (t) => {
      const dir = await tempDir('tsplay-interrupt-', t);
      const duration = signal === 'SIGINT' ? '37.125' : '37.375';
      await writeFile(join(dir, 'inv.ini'), 'h1 ansible_connection=local\nh2 ansible_connection=local\n');
      await writeFile(
        join(dir, 'site.yml'),
        `- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: first}\n    - command: sleep ${duration}\n    - copy: {content: x, dest: "${dir}/never-{{ inventory_hostname }}"}\n`,
      );
      const [cmd, ...args] = toolArgv('tsplay', 'site.yml', ['-i', 'inv.ini']);
      const child = spawn(cmd, args, { cwd: dir, env: toolEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
      t.after(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
        for (const pid of processesWith(`sleep ${duration}`)) process.kill(pid, 'SIGKILL');
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      assert.ok(await waitFor(() => processesWith(`sleep ${duration}`).length === 2, 30_000), `the commands started\n${out}`);
      const started = Date.now();
      child.kill(signal);
      const code = await exited;
      assert.equal(code, 99, out);
      assert.ok(Date.now() - started < 10_000, 'it did not wait for the command to end');
      assert.match(out, /\[ERROR\]: (User interrupted execution|Execution terminated)/);
      assert.match(out, /PLAY RECAP \*+\nh1 +: ok=1 +changed=0 +unreachable=0 +failed=0/);
      assert.doesNotMatch(out, /^\s+at /m);
      assert.ok(await waitFor(() => processesWith(`sleep ${duration}`).length === 0, 3000), 'the killed commands left no process behind');
      assert.ok(!readdirSync(dir).some((f) => f.startsWith('never-')), 'no task started after the signal');
    });
  }
});
