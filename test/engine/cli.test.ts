import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ansibleAvailable, requireService, tsplayCli } from '../support/services.js';

function tsplay(args: string[], cwd: string) {
  // the same inventory-warning switches as ansible() below
  const env = { ...process.env, TSPLAY_PLAIN: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' };
  const r = spawnSync(process.execPath, [tsplayCli(), ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ansible(args: string[], cwd: string) {
  const r = spawnSync('ansible-playbook', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false', ANSIBLE_LOCAL_TEMP: join(cwd, '.ansible-tmp') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function workdir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const LOCAL_PLAY = '- hosts: localhost\n  connection: local\n  gather_facts: false\n';

/** writes `playbook` as site.yml in a fresh directory and runs it through both tools */
function runBoth(t: TestContext, playbook: string) {
  if (!requireService(t, 'ansible', ansibleAvailable(), 'ansible-playbook is not installed')) return undefined;
  const dir = workdir(t);
  writeFileSync(join(dir, 'site.yml'), playbook);
  return { a: ansible(['site.yml'], dir), b: tsplay(['run', 'site.yml'], dir) };
}

test('--version answers and exits 0', () => {
  const r = tsplay(['--version'], tmpdir());
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^tsplay \d+\.\d+\.\d+/);
});

test('--json records every task result per host and the recap', (t) => {
  const dir = workdir(t);
  writeFileSync(join(dir, 'site.yml'), `- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - name: say\n      debug: msg=hi\n    - name: fails\n      command: /bin/false\n      ignore_errors: true\n`);
  const out = join(dir, 'result.json');
  const r = tsplay(['run', 'site.yml', '--json', out], dir);
  assert.equal(r.code, 0, r.stderr);
  const data = JSON.parse(readFileSync(out, 'utf8')) as { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }>; stats: Record<string, Record<string, number>> };
  const tasks = data.plays[0].tasks;
  assert.deepEqual(tasks.map((x) => x.task.name), ['say', 'fails']);
  assert.equal(tasks[0].hosts.localhost.msg, 'hi');
  assert.equal(tasks[1].hosts.localhost.rc, 1);
  assert.equal(tasks[1].hosts.localhost._ignored, true);
  assert.deepEqual(data.stats.localhost, { ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 1 });
});

test('async with poll 0 runs in the background and async_status collects it', (t) => {
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'site.yml'),
    `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - command: sleep 1
      async: 30
      poll: 0
      register: job
    - copy: {content: "started {{ job.started }} finished {{ job.finished }}", dest: "{{ playbook_dir }}/before.txt"}
    - async_status: {jid: "{{ job.ansible_job_id }}"}
      register: status
      until: status.finished
      retries: 20
      delay: 1
    - copy: {content: "rc {{ status.rc }} finished {{ status.finished }}", dest: "{{ playbook_dir }}/after.txt"}
`,
  );
  const r = tsplay(['run', 'site.yml'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(join(dir, 'before.txt'), 'utf8'), 'started 1 finished 0');
  assert.equal(readFileSync(join(dir, 'after.txt'), 'utf8'), 'rc 0 finished 1');
});

test('--list-tasks and --list-tags print what ansible-playbook prints', (t) => {
  if (!requireService(t, 'ansible', ansibleAvailable(), 'ansible-playbook is not installed')) return;
  const dir = workdir(t);
  mkdirSync(join(dir, 'roles', 'r1', 'tasks'), { recursive: true });
  writeFileSync(join(dir, 'roles', 'r1', 'tasks', 'main.yml'), '- debug: msg=r1\n- name: named in role\n  debug: msg=r2\n  tags: [inner]\n');
  writeFileSync(
    join(dir, 'site.yml'),
    `- name: first play
  hosts: localhost
  gather_facts: false
  tags: [ptag]
  roles:
    - role: r1
      tags: [rt]
  tasks:
    - debug: msg=a
      tags: [a, b]
    - name: named
      debug: msg=b
    - block:
        - debug: msg=c
      tags: blk
- hosts: localhost
  tasks:
    - debug: msg=x
      tags: never
`,
  );
  for (const args of [['--list-tasks'], ['--list-tags'], ['--list-tasks', '--tags', 'inner'], ['--list-tasks', '--skip-tags', 'rt']]) {
    const a = ansible(['site.yml', ...args], dir);
    const b = tsplay(['run', 'site.yml', ...args], dir);
    assert.equal(b.code, a.code, `exit code for ${args.join(' ')}`);
    assert.equal(b.stdout.trim(), a.stdout.trim(), `output of ${args.join(' ')}`);
  }
});

test('TASK banners of role includes and FAILED - RETRYING lines read as ansible-playbook prints them', (t) => {
  if (!requireService(t, 'ansible', ansibleAvailable(), 'ansible-playbook is not installed')) return;
  const dir = workdir(t);
  mkdirSync(join(dir, 'roles', 'flaky', 'tasks'), { recursive: true });
  mkdirSync(join(dir, 'roles', 'outer', 'tasks'), { recursive: true });
  writeFileSync(
    join(dir, 'roles', 'flaky', 'tasks', 'main.yml'),
    '- name: retried in a role\n  command: /bin/false\n  register: r\n  until: r.rc == 0\n  retries: 2\n  delay: 0\n  ignore_errors: true\n' +
      '- command: /bin/false\n  register: u\n  until: u.rc == 0\n  retries: 1\n  delay: 0\n  ignore_errors: true\n',
  );
  writeFileSync(
    join(dir, 'roles', 'outer', 'tasks', 'main.yml'),
    '- include_role: {name: flaky}\n- name: named include in a role\n  include_role: {name: flaky}\n- ansible.builtin.import_role: {name: flaky}\n',
  );
  writeFileSync(
    join(dir, 'site.yml'),
    `- hosts: localhost
  connection: local
  gather_facts: false
  roles: [outer]
  tasks:
    - ansible.builtin.include_role: {name: flaky}
    - name: "templated {{ 'retry' }}"
      command: /bin/false
      register: t
      until: t.rc == 0
      retries: 1
      delay: 0
      ignore_errors: true
`,
  );
  const shown = (out: string) => out.split('\n').filter((l) => /^TASK \[|^FAILED - RETRYING/.test(l));
  const a = ansible(['site.yml'], dir);
  const b = tsplay(['run', 'site.yml'], dir);
  assert.equal(b.code, a.code);
  assert.ok(shown(a.stdout).some((l) => l.startsWith('TASK [include_role : flaky]')), a.stdout);
  assert.deepEqual(shown(b.stdout), shown(a.stdout));
  for (const args of [['--list-tasks'], ['--list-tags']]) {
    assert.equal(tsplay(['run', 'site.yml', ...args], dir).stdout.trim(), ansible(['site.yml', ...args], dir).stdout.trim(), args.join(' '));
  }
});

test('meta tasks print what ansible-playbook prints: banners, skipped flushes, the reset warning', (t) => {
  const both = runBoth(
    t,
    `${LOCAL_PLAY}  tasks:
    - debug: {msg: a}
      changed_when: true
      notify: h
    - meta: flush_handlers
      when: false
    - name: flush now
      meta: flush_handlers
    - meta: noop
    - meta: reset_connection
    - meta: clear_facts
  handlers:
    - name: h
      debug: {msg: handled}
`,
  );
  if (!both) return;
  const { a, b } = both;
  assert.equal(b.code, a.code);
  assert.match(a.stdout, /TASK \[flush now\][^\n]*\n\nRUNNING HANDLER \[h\]/);
  assert.equal(b.stdout, a.stdout);
  assert.equal(b.stderr, a.stderr);
});

test('loop items, failed items, no_log and assert results print as ansible-playbook prints them', (t) => {
  const both = runBoth(
    t,
    `${LOCAL_PLAY}  tasks:
    - debug: {msg: x}
      loop:
        - {name: alice, key-with-dash: 1, groups: [a, "it's"], f: 1.5, n: null, t: true}
        - [1, "two"]
    - command: "{{ item }}"
      loop: [/bin/false, /bin/true]
      ignore_errors: true
    - debug: {msg: "{{ item }}"}
      loop: [a, b]
      no_log: true
    - debug: {msg: secret}
      no_log: true
    - command: /bin/false
      loop: [a]
      no_log: true
      ignore_errors: true
    - command: /bin/false
      no_log: true
      ignore_errors: true
    - assert: {that: [true], success_msg: fine}
    - assert: {that: [true], quiet: true}
    - name: items show as they finish, between their retry lines
      command: /bin/false
      register: r
      until: r.rc == 0
      retries: 1
      delay: 0
      loop: [p, q]
      ignore_errors: true
`,
  );
  // timings differ by nature; tsplay prints where a failed task is written, Ansible only with -v
  const normal = (out: string) =>
    out.replace(/"(delta|start|end)": "[^"]*"/g, '"$1": "X"').split('\n').filter((l) => !l.startsWith('task path: ')).join('\n');
  if (!both) return;
  const { a, b } = both;
  assert.equal(b.code, a.code);
  assert.match(a.stdout, /failed: \[localhost\] \(item=None\) => \{"censored"/);
  assert.equal(normal(b.stdout), normal(a.stdout));
  assert.doesNotMatch(b.stdout, /secret/);
});

test('pause announcements and templated play names print as ansible-playbook prints them', (t) => {
  if (!requireService(t, 'ansible', ansibleAvailable(), 'ansible-playbook is not installed')) return;
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'site.yml'),
    `- name: "Deploy {{ app }} to {{ where }}"
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    app: web
  tasks:
    - pause: seconds=0
      register: short
    - copy: {dest: "{{ playbook_dir }}/pause-{{ tool }}.json", content: "{{ {'stdout': short.stdout, 'delta': short.delta, 'keys': short.keys() | list | sort} | to_json }}"}
- hosts: "{{ target }}"
  gather_facts: false
  tasks: []
`,
  );
  const a = ansible(['site.yml', '-e', 'where=prod', '-e', 'target=localhost', '-e', 'tool=a'], dir);
  const b = tsplay(['run', 'site.yml', '-e', 'where=prod', '-e', 'target=localhost', '-e', 'tool=b'], dir);
  assert.equal(b.code, a.code);
  assert.match(a.stdout, /PLAY \[Deploy web to prod\][\s\S]*Pausing for 1 seconds\n\(ctrl\+C then 'C' = continue early, ctrl\+C then 'A' = abort\)\r\n/);
  assert.equal(b.stdout, a.stdout);
  // the measured pause differs by milliseconds from run to run: its shape is compared
  const recorded = (tool: string) => {
    const v = JSON.parse(readFileSync(join(dir, `pause-${tool}.json`), 'utf8')) as { stdout: string };
    assert.match(v.stdout, /^Paused for 1\.\d+ seconds$/);
    return { ...v, stdout: 'Paused for 1.x seconds' };
  };
  assert.deepEqual(recorded('b'), recorded('a'));
});

test('tsplay check validates role arguments without running; schema prints the role schema', (t) => {
  const dir = workdir(t);
  mkdirSync(join(dir, 'roles', 'r', 'meta'), { recursive: true });
  mkdirSync(join(dir, 'roles', 'r', 'tasks'), { recursive: true });
  writeFileSync(join(dir, 'roles', 'r', 'meta', 'argument_specs.yml'), 'argument_specs:\n  main:\n    options:\n      target: {type: str, required: true}\n');
  writeFileSync(join(dir, 'roles', 'r', 'tasks', 'main.yml'), '- file: {path: "{{ target }}", state: directory}\n');
  writeFileSync(join(dir, 'bad.yml'), '- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: r\n');
  writeFileSync(join(dir, 'good.yml'), '- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: r\n      target: /tmp/never-created-by-check\n');
  const bad = tsplay(['check', 'bad.yml'], dir);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /missing required arguments: target/);
  assert.match(bad.stderr, /bad\.yml:4:7/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  const good = tsplay(['check', 'good.yml'], dir);
  assert.equal(good.code, 0, good.stderr);
  const schema = tsplay(['schema', 'r'], dir);
  assert.equal(schema.code, 0, schema.stderr);
  // a role's top-level options may come from variables, so the editor schema does not require them
  const parsed = JSON.parse(schema.stdout) as { properties: Record<string, { type?: string[] }> };
  assert.ok(parsed.properties.target?.type?.includes('string'), schema.stdout);
});
