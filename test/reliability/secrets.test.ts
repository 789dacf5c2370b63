/**
 * Secrets stay secret: a playbook with no_log tasks (loops, failures, rescue, retries, --diff),
 * a module's no_log options and a become password, run at every verbosity with --json. The
 * secrets appear nowhere: stdout, stderr, the JSON report, or the command line of any process
 * while the run goes on. The JSON report is the owner's alone (0600) and censors as Ansible's
 * json callback does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ansibleAvailable, requireService, tempDir } from '../support/services.js';
import { runProcess, toolArgv, toolEnv } from '../parity/harness.js';
import { removeValues, maskText } from '../../src/execute/secrets.js';

const SECRETS = ['S3cr3tAlpha9', 'S3cr3tBravo7', 'S3cr3tCharlie5'];

const VARS = `secret: ${SECRETS[0]}\nurl_secret: ${SECRETS[1]}\nbecome_secret: ${SECRETS[2]}\n`;

const PLAYBOOK = `
- hosts: all
  gather_facts: false
  tasks:
    - name: command with no_log
      command: cat
      args: {stdin: "{{ secret }}"}
      no_log: true
    - name: loop with no_log
      shell: cat
      args: {stdin: "{{ item }}"}
      loop: ["{{ secret }}", "plain"]
      no_log: true
    - name: failing with no_log
      shell: "cat; exit 3"
      args: {stdin: "{{ secret }}"}
      no_log: true
      ignore_errors: true
    - name: failing loop with no_log
      shell: "cat; exit 3"
      args: {stdin: "{{ item }}"}
      loop: ["{{ secret }}"]
      no_log: true
      ignore_errors: true
    - block:
        - name: fails in a block
          assert: {that: ["secret == 'x'"], fail_msg: "the secret {{ secret }} is wrong"}
          no_log: true
      rescue:
        - name: rescued
          debug: {msg: rescued}
    - name: message with no_log
      debug: {msg: "{{ secret }}"}
      no_log: true
    - name: fact with no_log
      set_fact: {copied: "{{ secret }}"}
      no_log: true
    - name: copy with diff and no_log
      copy: {content: "{{ secret }}\\n", dest: "{{ out }}/{{ inventory_hostname }}.txt"}
      no_log: true
    - name: retried with no_log
      shell: cat
      args: {stdin: "{{ secret }}"}
      register: r
      until: r.rc == 1
      retries: 1
      delay: 0
      no_log: true
      ignore_errors: true
    - name: a module's own secret option
      get_url: {url: "http://127.0.0.1:9/x", dest: "{{ out }}/dl", url_password: "{{ url_secret }}", url_username: bob, timeout: 2}
      ignore_errors: true
    - name: the secret option's value inside another string
      get_url: {url: "http://127.0.0.1:9/{{ url_secret }}", dest: "{{ out }}/dl", password: "{{ url_secret }}", timeout: 2}
      ignore_errors: true
    - name: become with a password, a long command while the process table is read
      shell: sleep 1; id -u
      become: true
      vars: {ansible_become_password: "{{ become_secret }}"}
`;

const INVENTORY = 'h1 ansible_connection=local\nh2 ansible_connection=local\n';

/** every process's command line, read again and again until stopped */
function watchCommandLines(): { stop: () => Promise<string[]> } {
  const seen = new Set<string>();
  let running = true;
  // synchronous sweeps: a few milliseconds each, where awaiting every file took most of a second
  const sweep = () => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd) seen.add(cmd.replace(/\0/g, ' ').trim());
      } catch {
        // the process ended meanwhile
      }
    }
  };
  const loop = (async () => {
    while (running) {
      sweep();
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...seen];
    },
  };
}

function leaks(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

async function setup(t: import('node:test').TestContext): Promise<string> {
  const dir = await tempDir('tsplay-secrets-', t);
  await writeFile(join(dir, 'site.yml'), PLAYBOOK);
  await writeFile(join(dir, 'vars.yml'), VARS);
  await writeFile(join(dir, 'inv.ini'), INVENTORY);
  await mkdir(join(dir, 'out'));
  return dir;
}

describe('secrets appear nowhere', () => {
  for (const verbosity of ['', '-v', '-vv', '-vvv', '-vvvv']) {
    it(`at ${verbosity || 'default verbosity'}: stdout, stderr, --json, child command lines`, async (t) => {
      const dir = await setup(t);
      const json = join(dir, 'report.json');
      const args = ['-i', 'inv.ini', '-e', '@vars.yml', '-e', `out=${join(dir, 'out')}`, '--diff', '--json', json, ...(verbosity ? [verbosity] : [])];
      const watch = watchCommandLines();
      // the watcher must be able to see a short-lived process's command line: a control
      const control = runProcess(['sh', '-c', 'sleep 2; true', 'control-marker-5150'], { cwd: dir, env: process.env });
      const r = await runProcess(toolArgv('tsplay', 'site.yml', args), { cwd: dir, env: toolEnv(dir), timeoutMs: 120_000 });
      await control;
      const commandLines = await watch.stop();
      assert.ok(commandLines.some((c) => c.includes('control-marker-5150')), 'the process watcher saw the control process');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /VALUE_SPECIFIED_IN_NO_LOG_PARAMETER|^ok: \[h1\]$/m);
      assert.deepEqual(leaks(r.stdout), [], `stdout shows a secret:\n${r.stdout}`);
      assert.deepEqual(leaks(r.stderr), [], `stderr shows a secret:\n${r.stderr}`);
      const report = await readFile(json, 'utf8');
      assert.deepEqual(leaks(report), [], `the JSON report shows a secret`);
      assert.equal((await stat(json)).mode & 0o777, 0o600, 'the JSON report is readable by its owner only');
      const exposed = commandLines.filter((c) => leaks(c).length > 0);
      assert.deepEqual(exposed, [], 'a process had a secret on its command line');

      // censored as ansible.posix.json records a no_log result
      const parsed = JSON.parse(report) as { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }> };
      const byName = new Map(parsed.plays[0].tasks.map((x) => [x.task.name, x.hosts.h1]));
      const censored = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
      assert.deepEqual(pick(byName.get('command with no_log')), { censored, changed: true });
      assert.deepEqual(pick(byName.get('failing with no_log')), { censored, changed: true, failed: true });
      assert.deepEqual(pick(byName.get('retried with no_log')), { attempts: 1, censored, changed: true, failed: true });
      const invocation = byName.get("a module's own secret option")?.invocation as { module_args: Record<string, unknown> };
      assert.equal(invocation.module_args.url_password, 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER');
      assert.equal(byName.get("the secret option's value inside another string")?.url, 'http://127.0.0.1:9/********');
    });
  }

  it('ansible-playbook hides the same secrets (the oracle agrees the playbook is fair)', async (t) => {
    if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
    const dir = await setup(t);
    const r = await runProcess(toolArgv('ansible', 'site.yml', ['-i', 'inv.ini', '-e', '@vars.yml', '-e', `out=${join(dir, 'out')}`, '--diff', '-vvv']), {
      cwd: dir, env: { ...toolEnv(dir), ANSIBLE_STDOUT_CALLBACK: 'json' }, timeoutMs: 180_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(leaks(r.stdout + r.stderr), []);
    const parsed = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }> };
    const byName = new Map(parsed.plays[0].tasks.map((x) => [x.task.name, x.hosts.h1]));
    const censored = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
    assert.deepEqual(pick(byName.get('command with no_log')), { censored, changed: true });
    assert.deepEqual(pick(byName.get('failing with no_log')), { censored, changed: true, failed: true });
    assert.deepEqual(pick(byName.get('retried with no_log')), { attempts: 1, censored, changed: true, failed: true });
  });
});

/** the keys Ansible's json callback keeps for a censored result */
function pick(result: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['attempts', 'censored', 'changed', 'failed', 'skipped', 'retries']) if (result && k in result) out[k] = result[k];
  return out;
}

describe('remove_values', () => {
  it('hides a whole value, stars out a part, and leaves keys', () => {
    const secrets = ['pw1'];
    assert.deepEqual(removeValues({ a: 'pw1', b: 'x pw1 y', pw1: [1, 'pw1'], n: 12 }, secrets), {
      a: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER', b: 'x ******** y', pw1: [1, 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'], n: 12,
    });
    assert.deepEqual(removeValues({ n: 4123 }, ['12']), { n: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' });
    assert.equal(maskText('a-pw1-pw1', secrets), 'a-********-********');
  });
});
