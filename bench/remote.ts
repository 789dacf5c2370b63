/**
 * The remote part of `npm run bench` (also alone: `node dist/bench/remote.js`): hosts reached over
 * SSH, each a container from the test base image running its own sshd on a 127.0.0.1 port.
 * - 200 tasks over SSH to one host, first and second run, tsplay against ansible-playbook at its
 *   best (pipelining on, ControlPersist), with tsplay's SSH round trips per task;
 * - 20 tasks on 20 hosts, both tools with -f 20, with tsplay's peak RSS;
 * - tsplay alone on 1, 10, 50 and 100 hosts x 20 tasks (-f = hosts): wall time and peak RSS.
 * A benchmark, not a test: it prints, it never fails on a slow machine.
 *   BENCH_SKIP_ANSIBLE=1    tsplay alone
 *   BENCH_SCALE=1,10,50     other points for the scale curve
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseImage, dockerAvailable, startSshHost, type SshHost } from '../test/support/services.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(repo, 'dist', 'src', 'cli', 'tsplay.cjs');
const skipAnsible = process.env.BENCH_SKIP_ANSIBLE === '1' || spawnSync('ansible-playbook', ['--version']).status !== 0;

interface Timed {
  seconds: number;
  ok: boolean;
  /** peak resident set size of the process tree's largest process, MB (GNU time's %M) */
  peakMb: number;
  output: string;
}

/** runs under GNU time for the peak RSS; output kept for the recap and tsplay's statistics */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Timed {
  const rssFile = join(tmpdir(), `tsplay-bench-rss-${process.pid}`);
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args], {
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', TSPLAY_PLAIN: '1', ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    // a run that hangs is reported as failed, and the bench goes on
    timeout: 15 * 60_000,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let peakMb = NaN;
  try {
    peakMb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
  } catch {
    // GNU time missing: RSS unknown
  }
  rmSync(rssFile, { force: true });
  return { seconds, ok: r.status === 0, peakMb, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** the same mix as the local bench: file, copy, command, set_fact (and a template when asked) */
function tasks(count: number, out: string): string {
  const kinds = [
    (i: number) => `    - name: dir ${i}\n      file: {path: "${out}/d${i}", state: directory, mode: "0755"}`,
    (i: number) => `    - name: copy ${i}\n      copy: {content: "file {{ ${i} }}\\n", dest: "${out}/f${i}.txt", mode: "0644"}`,
    (i: number) => `    - name: command ${i}\n      command: /bin/true\n      changed_when: false`,
    (i: number) => `    - name: fact ${i}\n      set_fact: {fact_${i}: "{{ ${i} * 2 }}"}`,
    (i: number) => `    - name: template ${i}\n      template: {src: t.j2, dest: "${out}/t${i}.conf", mode: "0644"}`,
  ];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(kinds[i % (count >= 100 ? 4 : 5)](i));
  return lines.join('\n');
}

function writePlaybook(dir: string, count: number, out: string): string {
  writeFileSync(join(dir, 't.j2'), 'host={{ inventory_hostname }} n={{ 6 * 7 }}\n');
  const file = join(dir, 'play.yml');
  writeFileSync(file, `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: out\n      file: {path: "${out}", state: directory}\n${tasks(count, out)}\n`);
  return file;
}

function writeInventory(dir: string, hosts: SshHost[]): string {
  const file = join(dir, 'inventory');
  writeFileSync(file, `[all]\n${hosts.map((h, i) => h.inventoryLine(`h${i}`)).join('\n')}\n`);
  return file;
}

/** ansible-playbook at its best: pipelining, ControlPersist, no host key prompts */
function ansibleEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=${dir}/cp-%C`,
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-local'),
  };
}

const TSPLAY_ENV: NodeJS.ProcessEnv = { ANSIBLE_HOST_KEY_CHECKING: 'False', TSPLAY_SSH_STATS: '1' };

function ratio(a: number, b?: number): string {
  return b === undefined ? '' : `${(b / a).toFixed(1)}x faster`;
}

function row(label: string, t: Timed, a?: Timed): string {
  const fail = (x?: Timed) => (x && !x.ok ? ' (FAILED)' : '');
  return `${label.padEnd(40)} tsplay ${t.seconds.toFixed(2).padStart(7)} s${fail(t)}  ansible ${a ? a.seconds.toFixed(2).padStart(7) : '      -'} s${fail(a)}  ${ratio(t.seconds, a?.seconds)}`;
}

/** tsplay's own count of SSH round trips (TSPLAY_SSH_STATS=1 prints them on stderr) */
function roundTrips(output: string): number | undefined {
  const m = /ssh statistics: (\d+) round trips/.exec(output);
  return m ? Number(m[1]) : undefined;
}

async function startHosts(count: number, image: string): Promise<SshHost[]> {
  const hosts: SshHost[] = [];
  // a few at a time: each start runs docker and waits for sshd's banner
  for (let i = 0; i < count; i += 10) {
    hosts.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => startSshHost(image)))));
  }
  return hosts;
}

async function main(): Promise<void> {
  if (!(await dockerAvailable())) {
    console.log('remote benchmarks: skipped (no Docker daemon; run bash test/run.sh once, or scripts/env/dockerd.sh start)');
    return;
  }
  const image = await baseImage('bookworm');
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-bench-remote-'));
  const hosts: SshHost[] = [];
  // an interrupted bench still removes its hosts
  const cleanup = (): void => {
    spawnSync('docker', ['rm', '-f', ...hosts.map((h) => h.id)], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
  try {
    const scale = (process.env.BENCH_SCALE ?? '1,10,50,100').split(',').map(Number).filter((n) => n > 0);
    hosts.push(...(await startHosts(Math.max(20, ...scale), image)));

    console.log('\nover SSH (hosts: containers with their own sshd on 127.0.0.1; ansible-playbook with pipelining and ControlPersist)');
    const one = writeInventory(join(dir), hosts.slice(0, 1));
    const pb200 = writePlaybook(dir, 200, '/root/bench200');
    const t1 = timed(cli, ['run', pb200, '-i', one], TSPLAY_ENV);
    const t2 = timed(cli, ['run', pb200, '-i', one], TSPLAY_ENV);
    spawnSync('docker', ['exec', hosts[0].id, 'rm', '-rf', '/root/bench200']);
    const a1 = skipAnsible ? undefined : timed('ansible-playbook', [pb200, '-i', one], ansibleEnv(dir));
    const a2 = skipAnsible ? undefined : timed('ansible-playbook', [pb200, '-i', one], ansibleEnv(dir));
    console.log(row('200 tasks, 1 host, first run', t1, a1));
    console.log(row('200 tasks, 1 host, second run', t2, a2));
    const trips = roundTrips(t1.output);
    if (trips !== undefined) console.log(`  tsplay: ${trips} SSH round trips for 201 tasks (${(trips / 201).toFixed(2)} per task)`);

    const twenty = writeInventory(dir, hosts.slice(0, 20));
    const pb20 = writePlaybook(dir, 20, '/root/bench20');
    const f20 = timed(cli, ['run', pb20, '-i', twenty, '-f', '20'], TSPLAY_ENV);
    const fa20 = skipAnsible ? undefined : timed('ansible-playbook', [pb20, '-i', twenty, '-f', '20'], ansibleEnv(dir));
    console.log(row('20 tasks on 20 hosts, -f 20', f20, fa20));
    console.log(`  tsplay peak RSS ${f20.peakMb.toFixed(0)} MB`);

    console.log('\nscale (tsplay alone, 20 tasks, -f = hosts)');
    console.log('hosts  wall s  peak RSS MB');
    for (const n of scale) {
      const inv = writeInventory(dir, hosts.slice(0, n));
      const r = timed(cli, ['run', pb20, '-i', inv, '-f', String(n)], TSPLAY_ENV);
      console.log(`${String(n).padStart(5)}  ${r.seconds.toFixed(2).padStart(6)}  ${r.peakMb.toFixed(0).padStart(11)}${r.ok ? '' : '  (FAILED)'}`);
    }
  } finally {
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`remote benchmarks failed: ${err.message}`);
  process.exitCode = 1;
});
