/**
 * The fallback for modules tsplay does not implement: the same playbook through ansible-playbook
 * and tsplay, on a container host (docker_api) and on the local connection, with three modules
 * tsplay has no code for (ansible.builtin.dpkg_selections, ansible.builtin.expect and the
 * collection module community.general.archive), comparing what they registered: check mode,
 * become to an unprivileged user, no_log, the module's own argument errors and failures. Then a
 * host without Python, up-front refusal of unknown names, and `tsplay check` listing every problem.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ansibleAvailable, baseImage, dockerAvailable, requireService, runAnsiblePlaybook, runCommand, runTsplay, startContainerHost, tempDir, tsplayCli,
} from '../support/services.js';

const SECRET = 's3cr3t-Zq9-fallback';

const PLAYBOOK = `
- hosts: target
  gather_facts: false
  vars:
    secret: ${SECRET}
  tasks:
    - name: dpkg hold (check mode)
      dpkg_selections: {name: sudo, selection: hold}
      check_mode: true
      register: r_check
    - command: dpkg --get-selections sudo
      register: r_sel_check
    - name: dpkg hold
      dpkg_selections: {name: sudo, selection: hold}
      register: r_hold
    - name: dpkg hold again
      ansible.builtin.dpkg_selections: {name: sudo, selection: hold}
      register: r_again
    - command: dpkg --get-selections sudo
      register: r_sel
    - name: archive (check mode)
      community.general.archive: {path: /etc/hostname, dest: /tmp/check.gz, format: gz}
      check_mode: true
      register: r_arch_check
    - stat: path=/tmp/check.gz
      register: r_stat_check
    - name: archive as nobody
      community.general.archive: {path: /etc/hostname, dest: /tmp/nobody.gz, format: gz}
      become: true
      become_user: nobody
      register: r_arch
    - stat: path=/tmp/nobody.gz
      register: r_stat
    - name: expect (check mode, which it does not support)
      ansible.builtin.expect: {command: "true", responses: {x: y}}
      check_mode: true
      register: r_expect_check
    - name: expect without pexpect on the target
      ansible.builtin.expect: {command: "true", responses: {x: y}}
      register: r_expect
      ignore_errors: true
    - name: secret
      community.general.archive: {path: "/etc/{{ secret }}", dest: /tmp/s.gz}
      no_log: true
      register: r_secret
    - name: bad argument
      dpkg_selections: {name: sudo, selection: hold, bogus: 1}
      register: r_bad
      ignore_errors: true
    - name: save
      copy:
        content: "{{ {'check': r_check, 'sel_check': r_sel_check.stdout, 'hold': r_hold, 'again': r_again, 'sel': r_sel.stdout,
                     'arch_check': r_arch_check, 'check_exists': r_stat_check.stat.exists, 'arch': r_arch, 'owner': r_stat.stat.pw_name,
                     'expect_check': r_expect_check, 'expect': r_expect, 'bad': r_bad,
                     'secret': {'changed': r_secret.changed, 'failed': r_secret.failed, 'missing': r_secret.missing | length}} | to_nice_json }}"
        dest: "{{ out }}"
      delegate_to: localhost
`;

type Results = Record<string, Record<string, unknown> | string | boolean>;

function pick(r: unknown, keys: string[]): Record<string, unknown> {
  const o = r as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

/** the fields both tools must agree on, per registered result */
function comparable(res: Results): Record<string, unknown> {
  const base = ['changed', 'failed', 'skipped', 'msg'];
  return {
    check: pick(res.check, [...base, 'before', 'after', 'invocation']),
    sel_check: res.sel_check,
    hold: pick(res.hold, [...base, 'before', 'after', 'invocation']),
    again: pick(res.again, [...base, 'before', 'after']),
    sel: res.sel,
    arch_check: pick(res.arch_check, [...base, 'archived', 'dest_state', 'arcroot', 'missing', 'expanded_paths']),
    check_exists: res.check_exists,
    arch: pick(res.arch, [...base, 'archived', 'dest_state', 'dest', 'invocation']),
    owner: res.owner,
    expect_check: pick(res.expect_check, base),
    expect: pick(res.expect, base),
    secret: res.secret,
    bad: pick(res.bad, base),
  };
}

const haveDocker = await dockerAvailable();

test('a container host: Ansible modules tsplay lacks run through the fallback as under ansible-playbook', { timeout: 15 * 60_000 }, async (t) => {
  if (!requireService(t, 'dockerd', haveDocker, 'run bash test/run.sh, which starts it')) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  assert.ok(existsSync(tsplayCli()), 'npm run build first');
  const image = await baseImage('bookworm');
  const work = await tempDir('tsplay-fallback-', t);
  await writeFile(join(work, 'play.yml'), PLAYBOOK);
  const hosts = { ansible: await startContainerHost(image, t), tsplay: await startContainerHost(image, t) };
  const inv = async (tool: 'ansible' | 'tsplay'): Promise<string> => {
    const p = join(work, `${tool}.ini`);
    await writeFile(p, `localhost ansible_connection=local\n[target]\n${hosts[tool].name} ansible_connection=community.docker.docker_api\n`);
    return p;
  };
  const a = await runAnsiblePlaybook(['-i', await inv('ansible'), '-e', `out=${join(work, 'ansible.json')}`, join(work, 'play.yml')], { cwd: work, timeoutMs: 6 * 60_000 });
  assert.equal(a.code, 0, `ansible-playbook:\n${a.stdout}\n${a.stderr}`);
  const jsonReport = join(work, 'report.json');
  const ts = await runTsplay(['run', '-i', await inv('tsplay'), '-e', `out=${join(work, 'tsplay.json')}`, '--json', jsonReport, join(work, 'play.yml')], { cwd: work, timeoutMs: 6 * 60_000 });
  assert.equal(ts.code, 0, `tsplay:\n${ts.stdout}\n${ts.stderr}`);

  const ansible = JSON.parse(await readFile(join(work, 'ansible.json'), 'utf8')) as Results;
  const tsplay = JSON.parse(await readFile(join(work, 'tsplay.json'), 'utf8')) as Results;
  assert.deepEqual(comparable(tsplay), comparable(ansible));

  // the facts of the case, not only agreement
  assert.equal((tsplay.check as Record<string, unknown>).changed, true, 'check mode reports the change');
  assert.match(String(tsplay.sel_check), /install$/, 'check mode did not apply it');
  assert.match(String(tsplay.sel), /hold$/);
  assert.equal((tsplay.again as Record<string, unknown>).changed, false, 'idempotent');
  assert.equal(tsplay.check_exists, false, 'archive in check mode wrote nothing');
  assert.equal(tsplay.owner, 'nobody', 'become_user ran the module as nobody');
  assert.equal((tsplay.expect_check as Record<string, unknown>).skipped, true);
  assert.match(String((tsplay.bad as Record<string, unknown>).msg), /Unsupported parameters for \(dpkg_selections\) module: bogus/);
  assert.match(String((tsplay.expect as Record<string, unknown>).msg), /Failed to import the required Python library \(pexpect\)/);

  // no_log: the module ran (its result registered as under Ansible), and the secret is nowhere in what tsplay printed or reported
  assert.deepEqual(tsplay.secret, { changed: false, failed: false, missing: 1 });
  assert.ok(!a.stdout.includes(SECRET), 'ansible hides it');
  assert.ok(!ts.stdout.includes(SECRET) && !ts.stderr.includes(SECRET), 'tsplay output hides it');
  assert.ok(!(await readFile(jsonReport, 'utf8')).includes(SECRET), 'tsplay --json hides it');

  // the recap and what each task showed agree
  const lines = (out: string): string[] => out.split('\n').filter((l) => /^(ok|changed|skipping|fatal|\.\.\.ignoring|An exception)/.test(l)).map((l) => l.replace(hosts.ansible.name, 'H').replace(hosts.tsplay.name, 'H'));
  assert.deepEqual(lines(ts.stdout), lines(a.stdout));
  const recap = (out: string): string => (out.split('\n').find((l) => /ok=\d+/.test(l)) ?? '').replace(/^\S+/, 'H').replace(/\s+/g, ' ');
  assert.equal(recap(ts.stdout), recap(a.stdout));

  // the resident helper did not outlive tsplay
  const ps = await runCommand('ps', ['-eo', 'pid,args']);
  assert.ok(!ps.stdout.includes('tsplay-fallback-helper'), `a fallback helper is still running:\n${ps.stdout}`);
});

const LOCAL_PLAYBOOK = `
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: dpkg hold, in check mode only (this is the controller)
      ansible.builtin.dpkg_selections: {name: coreutils, selection: hold}
      check_mode: true
      register: r_check
    - name: archive a file of the work dir
      community.general.archive: {path: "{{ work }}/data.txt", dest: "{{ work }}/{{ tool }}.tar.gz", format: gz}
      register: r_arch
    - name: again
      community.general.archive: {path: "{{ work }}/data.txt", dest: "{{ work }}/{{ tool }}.tar.gz", format: gz}
      register: r_again
    - name: expect in check mode
      expect: {command: "true", responses: {x: y}}
      check_mode: true
      register: r_expect
    - copy:
        content: "{{ {'check': r_check, 'arch': r_arch, 'again': r_again, 'expect': r_expect} | to_nice_json }}"
        dest: "{{ work }}/{{ tool }}.json"
`;

test('the local connection: the fallback agrees with ansible-playbook', { timeout: 10 * 60_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const work = await tempDir('tsplay-fallback-local-', t);
  await writeFile(join(work, 'play.yml'), LOCAL_PLAYBOOK);
  await writeFile(join(work, 'data.txt'), 'some data\n');
  const args = (tool: string): string[] => ['-e', `work=${work}`, '-e', `tool=${tool}`, join(work, 'play.yml')];
  const a = await runAnsiblePlaybook(args('ansible'), { cwd: work, timeoutMs: 5 * 60_000 });
  assert.equal(a.code, 0, `ansible-playbook:\n${a.stdout}\n${a.stderr}`);
  const ts = await runTsplay(['run', ...args('tsplay')], { cwd: work, timeoutMs: 5 * 60_000 });
  assert.equal(ts.code, 0, `tsplay:\n${ts.stdout}\n${ts.stderr}`);
  const ansible = JSON.parse(await readFile(join(work, 'ansible.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const tsplay = JSON.parse(await readFile(join(work, 'tsplay.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const keys = ['changed', 'failed', 'skipped', 'msg', 'before', 'after', 'archived', 'dest_state', 'missing'];
  const view = (r: Record<string, Record<string, unknown>>) =>
    JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, pick(v, keys)]))).replaceAll('ansible.tar.gz', 'X').replaceAll('tsplay.tar.gz', 'X'));
  assert.deepEqual(view(tsplay), view(ansible));
  assert.equal(tsplay.check.changed, true);
  assert.equal(tsplay.arch.changed, true);
  assert.equal(tsplay.again.changed, false);
  assert.ok(existsSync(join(work, 'tsplay.tar.gz')));
  const sel = await runCommand('dpkg', ['--get-selections', 'coreutils']);
  assert.match(sel.stdout, /install$/m, 'check mode left the controller alone');
});

test('a host without Python: the fallback task fails with a message naming the module; native tasks still run', { timeout: 10 * 60_000 }, async (t) => {
  if (!requireService(t, 'dockerd', haveDocker, 'run bash test/run.sh, which starts it')) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const host = await startContainerHost(await baseImage('bookworm'), t);
  const rm = await runCommand('docker', ['exec', host.name, 'sh', '-c', 'rm -f /usr/bin/python3 /usr/bin/python3.* /usr/bin/python']);
  assert.equal(rm.code, 0, rm.stderr);
  const work = await tempDir('tsplay-fallback-nopy-', t);
  await writeFile(join(work, 'inv.ini'), `[target]\n${host.name} ansible_connection=community.docker.docker_api\nlocalhost ansible_connection=local ansible_python_interpreter=/nonexistent/python3\n`);
  await writeFile(join(work, 'play.yml'), `
- hosts: target
  gather_facts: false
  tasks:
    - name: native module, no Python needed
      command: echo native
      register: native
    - name: fallback module
      dpkg_selections: {name: sudo, selection: hold}
`);
  const ts = await runTsplay(['run', '-i', join(work, 'inv.ini'), join(work, 'play.yml')], { cwd: work, timeoutMs: 5 * 60_000 });
  assert.equal(ts.code, 2, `${ts.stdout}\n${ts.stderr}`);
  assert.match(ts.stdout, /TASK \[native module, no Python needed\][^]*changed: \[/);
  const fatal = ts.stdout.split('\n').filter((l) => l.startsWith('fatal:'));
  assert.equal(fatal.length, 2, ts.stdout);
  for (const line of fatal) assert.match(line, /ansible\.builtin\.dpkg_selections is not implemented by tsplay and runs as Ansible's own module, which needs Python on the target/);
  assert.ok(fatal.some((l) => l.includes('no python3 (nor python) found')), ts.stdout);
  assert.ok(fatal.some((l) => l.includes('/nonexistent/python3 cannot be run')), ts.stdout);
  // Ansible fails both hosts too (with its own words)
  const a = await runAnsiblePlaybook(['-i', join(work, 'inv.ini'), join(work, 'play.yml')], { cwd: work, timeoutMs: 5 * 60_000 });
  assert.equal(a.code, 2, `${a.stdout}\n${a.stderr}`);
  assert.equal(a.stdout.split('\n').filter((l) => l.startsWith('fatal:')).length, 2, a.stdout);
});

test('names are resolved up front: every unknown or unsupported module is listed before anything runs', { timeout: 5 * 60_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const work = await tempDir('tsplay-fallback-names-', t);
  const marker = join(work, 'ran');
  await writeFile(join(work, 'play.yml'), `
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - copy: {content: x, dest: "${marker}"}
    - nosuch_one: {a: 1}
    - yum: {name: x}
    - community.general.alternatives: {name: editor, path: /bin/ed}
    - ansible.builtin.nope2:
    - debug: {msg: "{{ broken"}
`);
  for (const cmd of [['check'], ['run']]) {
    const r = await runTsplay([...cmd, join(work, 'play.yml')], { cwd: work, timeoutMs: 3 * 60_000 });
    assert.equal(r.code, 3, `${cmd[0]}: ${r.stdout}\n${r.stderr}`);
    const err = r.stderr;
    assert.match(err, /couldn't resolve module\/action 'nosuch_one'[^]*play\.yml:7:7/, err);
    assert.match(err, /module 'yum' \(ansible\.builtin\.yum\) needs Ansible's controller-side action plugin ansible\.builtin\.yum/, err);
    assert.match(err, /couldn't resolve module\/action 'ansible\.builtin\.nope2'/, err);
    assert.ok(!err.includes('alternatives'), 'a collection module Ansible has is accepted');
    if (cmd[0] === 'check') assert.match(err, /template error while templating string/, 'check lists the static problems too');
    assert.ok(!existsSync(marker), 'nothing ran');
  }
});

/** pids of processes whose command line contains `needle`, with their parent pid */
async function processes(needle: string): Promise<Array<{ pid: number; ppid: number }>> {
  const ps = await runCommand('ps', ['-eo', 'pid=,ppid=,args=']);
  return ps.stdout
    .split('\n')
    .filter((l) => l.includes(needle) && !l.includes('ps -eo'))
    .map((l) => l.trim().split(/\s+/))
    .map(([pid, ppid]) => ({ pid: Number(pid), ppid: Number(ppid) }));
}

test('the resident helper never outlives tsplay, even when tsplay is killed mid-task', { timeout: 5 * 60_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const work = await tempDir('tsplay-fallback-kill-', t);
  const seconds = 40 + Math.floor(Math.random() * 50); // a sleep nobody else runs, to find ours
  await writeFile(join(work, 'Makefile'), `slow:\n\tsleep ${seconds}\n`);
  await writeFile(join(work, 'play.yml'), `
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - community.general.make: {chdir: "${work}", target: slow}
`);
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [tsplayCli(), 'run', join(work, 'play.yml')], { cwd: work, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let sleeper: number | undefined;
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (sleeper) try { process.kill(sleeper, 'SIGKILL'); } catch { /* gone */ }
  });
  let helperPid: number | undefined;
  const until = Date.now() + 180_000;
  while (Date.now() < until && (helperPid === undefined || sleeper === undefined)) {
    helperPid = (await processes('tsplay-fallback-helper')).find((p) => p.ppid === child.pid)?.pid;
    sleeper = (await processes(`sleep ${seconds}`))[0]?.pid;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(helperPid !== undefined && sleeper !== undefined, 'the fallback module was running through the helper');
  child.kill('SIGKILL');
  await exited;
  const gone = Date.now() + 30_000;
  let alive = true;
  while (alive && Date.now() < gone) {
    alive = (await processes('tsplay-fallback-helper')).some((p) => p.pid === helperPid);
    if (alive) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(alive, false, `helper ${helperPid} outlived the killed tsplay`);
});
