/**
 * Many hosts at once: 30 local-connection inventory hosts (one machine, different inventory
 * names). Result lines stream as each host finishes (a slow host delays nobody's line), serial
 * batches and forks bound what runs at once, free lets hosts race ahead, one host's failure or
 * unreachability stays its own, and an interrupted fleet run stops cleanly.
 * The Ansible semantics themselves are compared in the parity cases 73-83.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tsplayCli, startContainerHost } from '../support/services.js';
import { needDocker, testImage } from '../docker/support.js';
import { orderHosts, serialBatches, batchSize, parseSerial, parsePercent, parseOrder, parseStrategy } from '../../src/execute/strategy/batches.js';
import { taskLineText } from '../../src/report/live.js';

const HOSTS = Array.from({ length: 30 }, (_, i) => `node${String(i + 1).padStart(2, '0')}`);

interface Line {
  text: string;
  /** ms since the run started */
  at: number;
}

interface Run {
  code: number | null;
  lines: Line[];
  stdout: string;
  stderr: string;
}

async function fleetDir(t: TestContext, playbook: string, extraInventory = '', hosts = HOSTS): Promise<string> {
  const dir = await tempDir('tsplay-fleet-', t);
  writeFileSync(join(dir, 'inventory'), hosts.map((h) => `${h} ansible_connection=local`).join('\n') + '\n' + extraInventory);
  writeFileSync(join(dir, 'site.yml'), playbook);
  mkdirSync(join(dir, 'out'));
  return dir;
}

/** runs tsplay with plain output, timestamping each stdout line as it arrives */
function runFleet(dir: string, args: string[], opts: { interruptAfter?: (lines: Line[]) => boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [tsplayCli(), 'run', 'site.yml', '-i', 'inventory', ...args], {
      cwd: dir,
      env: { ...process.env, TSPLAY_PLAIN: '1', ANSIBLE_LOCALHOST_WARNING: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Line[] = [];
    let partial = '';
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ text, at: Date.now() - started });
      if (!interrupted && opts.interruptAfter?.(lines)) {
        interrupted = true;
        // the next task's processes have a moment to start
        setTimeout(() => child.kill('SIGINT'), 1000);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (partial) lines.push({ text: partial, at: Date.now() - started });
      resolve({ code, lines, stdout, stderr });
    });
  });
}

const indexOf = (run: Run, text: string): number => run.lines.findIndex((l) => l.text === text);
const lineOf = (run: Run, text: string): Line => {
  const line = run.lines.find((l) => l.text === text);
  assert.ok(line, `no line "${text}" in:\n${run.stdout}\n${run.stderr}`);
  return line;
};

function recap(run: Run): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const at = run.stdout.lastIndexOf('PLAY RECAP');
  for (const line of run.stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s*:\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1], Object.fromEntries(m[2].trim().split(/\s+/).map((p) => [p.split('=')[0], Number(p.split('=')[1])])));
  }
  return out;
}

test('results stream: a slow host does not delay the other hosts\' result lines', async (t) => {
  const dir = await fleetDir(t, `- hosts: all
  gather_facts: false
  tasks:
    - name: one slow host
      command: "sleep {{ '2' if inventory_hostname == 'node01' else '0' }}"
    - name: next
      command: "true"
`);
  const run = await runFleet(dir, []);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const slow = lineOf(run, 'changed: [node01]');
  for (const h of HOSTS.slice(1)) {
    const fast = lineOf(run, `changed: [${h}]`);
    // node01 holds one of the five forks; the other 29 hosts go through the other four
    assert.ok(fast.at < slow.at, `${h}'s line came after the slow host's`);
  }
  assert.ok(slow.at - lineOf(run, 'changed: [node02]').at > 1000, 'the fast hosts were reported when they finished, not with the slow one');
  // linear: the next task starts only once the slow host is done
  assert.ok(indexOf(run, 'TASK [next] ' + '*'.repeat(79 - 'TASK [next]'.length)) > indexOf(run, 'changed: [node01]'));
  assert.equal(recap(run).size, 30);
});

test('forks bounds how many hosts run a task at once (default 5, -f 3)', async (t) => {
  const dir = await fleetDir(t, `- hosts: all
  gather_facts: false
  tasks:
    - shell: "mkdir -p out/inside; touch out/inside/{{ inventory_hostname }}; sleep 0.3; ls out/inside | wc -l > out/{{ inventory_hostname }}.n; rm out/inside/{{ inventory_hostname }}"
`);
  const seen = (): number[] => HOSTS.map((h) => Number(readFileSync(join(dir, 'out', `${h}.n`), 'utf8').trim()));
  const dflt = await runFleet(dir, []);
  assert.equal(dflt.code, 0, dflt.stdout + dflt.stderr);
  assert.equal(Math.max(...seen()), 5, `default forks: ${seen().join(',')}`);
  const three = await runFleet(dir, ['-f', '3']);
  assert.equal(three.code, 0, three.stdout + three.stderr);
  assert.equal(Math.max(...seen()), 3, `-f 3: ${seen().join(',')}`);
});

test('serial "10%" runs 30 hosts in 10 batches of 3, each with its PLAY banner, in order', async (t) => {
  const dir = await fleetDir(t, `- hosts: all
  gather_facts: false
  serial: "10%"
  tasks:
    - command: "true"
`);
  const run = await runFleet(dir, ['-f', '30']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.lines.filter((l) => l.text.startsWith('PLAY [all]')).length, 10);
  const positions = HOSTS.map((h) => indexOf(run, `changed: [${h}]`));
  for (let b = 1; b < 10; b++) {
    const prev = positions.slice((b - 1) * 3, b * 3);
    const cur = positions.slice(b * 3, b * 3 + 3);
    assert.ok(Math.max(...prev) < Math.min(...cur), `batch ${b + 1} started before batch ${b} was done`);
  }
});

test('strategy free: hosts race ahead of a slow one; results interleave under repeated banners', async (t) => {
  const dir = await fleetDir(t, `- hosts: all
  gather_facts: false
  strategy: free
  tasks:
    - name: first
      command: "sleep {{ '4' if inventory_hostname == 'node01' else '0' }}"
    - name: second
      command: "true"
    - name: third
      command: "true"
`);
  const run = await runFleet(dir, []);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  // every other host finished the whole play before the slow host's first task
  const slowFirst = run.lines.findIndex((l) => l.text === 'changed: [node01]');
  const lastOther = Math.max(...run.lines.map((l, i) => (/^changed: \[node(0[2-9]|[12]\d|30)\]$/.test(l.text) ? i : -1)));
  assert.ok(lastOther < slowFirst, `the slow host's first result is line ${slowFirst}, another host's last is line ${lastOther}:\n${run.stdout}`);
  assert.equal(run.lines.filter((l) => /^changed: \[/.test(l.text)).length, 90);
  const r = recap(run);
  for (const h of HOSTS) assert.deepEqual([r.get(h)?.ok, r.get(h)?.changed], [3, 3], h);
});

test('one host\'s module failure fails that host only; an unreachable host leaves the play and counts in the recap', async (t) => {
  const dir = await fleetDir(
    t,
    `- hosts: all
  gather_facts: false
  tasks:
    - name: a module error on one host
      file:
        path: "{{ '/proc/nonexistent/x' if inventory_hostname == 'node07' else 'out/' + inventory_hostname }}"
        state: directory
    - name: everyone else carries on
      command: "true"
`,
    'gone ansible_connection=community.docker.docker_api ansible_host=tsplay-fleet-no-such-container\n',
  );
  const run = await runFleet(dir, []);
  assert.equal(run.code, 4, run.stdout + run.stderr);
  const r = recap(run);
  assert.equal(r.get('node07')?.failed, 1);
  assert.equal(r.get('node07')?.ok, 0);
  assert.equal(r.get('gone')?.unreachable, 1);
  assert.equal(r.get('gone')?.ok, 0);
  for (const h of HOSTS.filter((x) => x !== 'node07')) assert.deepEqual([r.get(h)?.ok, r.get(h)?.failed], [2, 0], h);
  assert.match(run.stdout, /fatal: \[gone\]: UNREACHABLE!/);
  assert.equal(run.lines.filter((l) => l.text.includes('[gone]')).length, 1, 'the unreachable host got no further task');
});

// SIGINT at fleet size: the running commands of 30 hosts are killed (src/cli/interrupt.ts and the
// spawn helper's process groups) and tsplay exits at once.
test('an interrupted fleet run stops promptly and leaves no task running', async (t) => {
  const marker = `37.${process.pid}`;
  const dir = await fleetDir(t, `- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
    - command: "sleep ${marker}"
`);
  const started = Date.now();
  const run = await runFleet(dir, [], { interruptAfter: (lines) => lines.filter((l) => l.text.startsWith('changed: [')).length >= 30 });
  const stoppedAt = Date.now() - started;
  assert.notEqual(run.code, 0, run.stdout + run.stderr);
  assert.ok(stoppedAt < 20_000, `took ${stoppedAt} ms`);
  await new Promise((r) => setTimeout(r, 300));
  const left = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
  assert.deepEqual(left, [], 'sleep processes were left running');
});

test('docker_api hosts: serial batches, throttle and free across containers; a missing container is unreachable', async (t) => {
  if (!(await needDocker(t))) return;
  const image = await testImage();
  const containers = await Promise.all(Array.from({ length: 6 }, () => startContainerHost(image, t, { namePrefix: 'tsplay-fleet' })));
  const names = containers.map((c) => c.name);
  // the missing container shares the first batch: a batch of only unreachable hosts would end the playbook
  const boxes = [names[0], names[1], 'tsplay-fleet-missing', ...names.slice(2)];
  const inventory = ['[boxes]', ...boxes.map((n) => `${n} ansible_connection=community.docker.docker_api`), ''].join('\n');
  const dir = await fleetDir(
    t,
    `- hosts: boxes
  gather_facts: false
  serial: 3
  tasks:
    - name: inside the box
      shell: "echo {{ inventory_hostname }} > /tmp/me; cat /tmp/me"
      throttle: 2
      register: me
    - copy:
        dest: "{{ playbook_dir }}/out/{{ inventory_hostname }}"
        content: "{{ me.stdout }} {{ ansible_play_batch | length }}\\n"
      delegate_to: localhost
- hosts: boxes
  gather_facts: false
  strategy: free
  tasks:
    - command: "sleep {{ '2' if inventory_hostname == '${names[0]}' else '0' }}"
    - command: "true"
`,
    inventory,
    [],
  );
  const run = await runFleet(dir, []);
  assert.equal(run.code, 4, run.stdout + run.stderr);
  const r = recap(run);
  assert.equal(r.get('tsplay-fleet-missing')?.unreachable, 1, run.stdout);
  for (const n of names) {
    assert.deepEqual([r.get(n)?.ok, r.get(n)?.changed, r.get(n)?.failed], [4, 4, 0], n);
    assert.match(readFileSync(join(dir, 'out', n), 'utf8'), new RegExp(`^${n} [1-3]\\n$`));
  }
  // the free play: the slow box's last result comes after every other box's last one
  const last = (n: string) => run.lines.map((l) => l.text).lastIndexOf(`changed: [${n}]`);
  for (const n of names.slice(1)) assert.ok(last(n) < last(names[0]), `${n} waited for the slow box:\n${run.stdout}`);
});

test('batches: order, serial sizes and percentages as Ansible computes them', () => {
  const names = ['c', 'a', 'b', 'e', 'd'];
  assert.deepEqual(orderHosts(names, 'inventory'), names);
  assert.deepEqual(orderHosts(names, 'reverse_inventory'), ['d', 'e', 'b', 'a', 'c']);
  assert.deepEqual(orderHosts(names, 'sorted'), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(orderHosts(names, 'reverse_sorted'), ['e', 'd', 'c', 'b', 'a']);
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const s = orderHosts(HOSTS, 'shuffle');
    assert.deepEqual([...s].sort(), HOSTS, 'shuffle is a permutation');
    seen.add(s.join(','));
  }
  assert.ok(seen.size > 1, 'shuffle varies');
  assert.deepEqual(serialBatches(HOSTS.slice(0, 10), parseSerial([1, '30%', 2])).map((b) => b.length), [1, 3, 2, 2, 2]);
  assert.deepEqual(serialBatches(HOSTS.slice(0, 5), parseSerial(0)).map((b) => b.length), [5]);
  assert.deepEqual(serialBatches(HOSTS.slice(0, 5), []).map((b) => b.length), [5]);
  assert.deepEqual(serialBatches(HOSTS.slice(0, 3), parseSerial('5%')).map((b) => b.length), [1, 1, 1]);
  assert.equal(batchSize('25%', 10), 2);
  assert.equal(parsePercent('20%'), 20);
  assert.equal(parsePercent(0), 0);
  assert.throws(() => parseSerial('many'), /serial must be an integer/);
  assert.throws(() => parseOrder('random'), /Invalid 'order' specified for inventory hosts: random/);
  assert.throws(() => parseStrategy('mitogen_linear'), /Invalid play strategy specified: mitogen_linear/);
  assert.equal(parseStrategy('ansible.builtin.free'), 'free');
});

test('the live view line of a task counts its hosts and names the failures', () => {
  const line = { kind: 'TASK' as const, title: 'deploy', started: 50, done: 50, changed: 12, skipped: 0, failed: ['w01', 'w02', 'w03', 'w04', 'w05', 'w06', 'w07'], unreachable: [] };
  assert.equal(taskLineText(line), '✖ TASK [deploy] 50/50 done, 12 changed, 7 failed: w01, w02, w03, w04, w05 and 2 more');
  assert.equal(taskLineText({ ...line, done: 20, failed: [] }), '… TASK [deploy] 20/50 done, 12 changed');
});
