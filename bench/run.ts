/**
 * `npm run bench`: the same generated playbook through ansible-playbook and tsplay, side by side.
 * - 200 simple tasks on localhost (50 each of file, copy, command, set_fact), first run and the
 *   idempotent second run;
 * - start-up: `--version` and an empty play;
 * - `tsplay check playbooks/site.yaml` (three roles with argument specs) beside
 *   `ansible-playbook --syntax-check` of the same playbook.
 * Prints times and ratios. A benchmark, not a test: nothing here fails on a slow machine.
 * tsplay's times are medians of BENCH_REPEAT (default 5) runs, each pair in a fresh directory:
 * its runs are short enough for the machine's noise to matter. ansible-playbook runs once.
 * Set BENCH_SKIP_ANSIBLE=1 to time tsplay alone. Then bench/remote.ts times hosts over SSH
 * (BENCH_SKIP_REMOTE=1 leaves that out).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// run as users run it: the executable, whose /bin/sh header matters (see src/util/extra-ca.ts)
const cli = join(repo, 'dist', 'src', 'cli', 'tsplay.cjs');
const skipAnsible = process.env.BENCH_SKIP_ANSIBLE === '1' || spawnSync('ansible-playbook', ['--version']).status !== 0;

function generatePlaybook(dir: string, perKind: number): string {
  const tasks: string[] = [];
  for (let i = 0; i < perKind; i++) {
    tasks.push(`    - name: dir ${i}\n      file: {path: "{{ out }}/d${i}", state: directory, mode: "0755"}`);
    tasks.push(`    - name: copy ${i}\n      copy: {content: "file {{ ${i} }}\\n", dest: "{{ out }}/f${i}.txt", mode: "0644"}`);
    tasks.push(`    - name: command ${i}\n      command: /bin/true\n      changed_when: false`);
    tasks.push(`    - name: fact ${i}\n      set_fact: {fact_${i}: "{{ ${i} * 2 }}"}`);
  }
  const file = join(dir, 'bench.yml');
  writeFileSync(file, `- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n    out: "${join(dir, 'out')}"\n  tasks:\n${tasks.join('\n')}\n`);
  return file;
}

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; ok: boolean; tail: string } {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ANSIBLE_NOCOLOR: '1', TSPLAY_PLAIN: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-2).join(' | ');
  return { seconds, ok: r.status === 0, tail };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function row(label: string, tsplay: number, ansible?: number): string {
  const ratio = ansible ? `${(ansible / tsplay).toFixed(1)}x faster` : '';
  return `${label.padEnd(34)} tsplay ${tsplay.toFixed(3).padStart(7)} s   ansible ${ansible === undefined ? '      -' : ansible.toFixed(3).padStart(7)} s   ${ratio}`;
}

function main(): void {
  const perKind = Number(process.env.BENCH_TASKS_PER_KIND ?? 50);
  console.log(`tsplay benchmark: ${perKind * 4} tasks on localhost (${perKind} each of file, copy, command, set_fact)`);
  const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));
  console.log(`tsplay: median of ${repeat} runs; ansible-playbook: one run\n`);
  const firstAndSecond = (tool: 'tsplay' | 'ansible'): { first: number; second: number } => {
    const dir = mkdtempSync(join(tmpdir(), `tsplay-bench-${tool}-`));
    try {
      const pb = generatePlaybook(dir, perKind);
      const cmd = tool === 'tsplay' ? cli : 'ansible-playbook';
      const args = tool === 'tsplay' ? ['run', pb] : [pb];
      const first = time(cmd, args);
      const second = time(cmd, args);
      if (!first.ok || !second.ok) console.log(`${tool} failed: ${first.tail} ${second.tail}`);
      return { first: first.seconds, second: second.seconds };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const tsplayRuns = Array.from({ length: repeat }, () => firstAndSecond('tsplay'));
  const ansibleRun = skipAnsible ? undefined : firstAndSecond('ansible');
  console.log(row(`${perKind * 4} tasks, first run`, median(tsplayRuns.map((r) => r.first)), ansibleRun?.first));
  console.log(row(`${perKind * 4} tasks, second (idempotent) run`, median(tsplayRuns.map((r) => r.second)), ansibleRun?.second));

  const version = median(Array.from({ length: repeat }, () => time(cli, ['--version']).seconds));
  const ansibleVersion = skipAnsible ? undefined : time('ansible-playbook', ['--version']);
  console.log(row('start-up: --version', version, ansibleVersion?.seconds));
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-bench-empty-'));
  const empty = join(dir, 'empty.yml');
  writeFileSync(empty, '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks: []\n');
  const emptyT = median(Array.from({ length: repeat }, () => time(cli, ['run', empty]).seconds));
  const emptyA = skipAnsible ? undefined : time('ansible-playbook', [empty]);
  console.log(row('start-up: empty play', emptyT, emptyA?.seconds));
  rmSync(dir, { recursive: true, force: true });

  // roles with meta/argument_specs: loading them validated each spec file with Ajv compiled at run
  // time until the meta-schema validator was generated at build time
  const site = join(repo, 'playbooks', 'site.yaml');
  const checkT = median(Array.from({ length: repeat }, () => time(cli, ['check', site]).seconds));
  const checkA = skipAnsible ? undefined : time('ansible-playbook', ['--syntax-check', site]);
  console.log(row('site.yaml static check (arg specs)', checkT, checkA?.seconds));

  const parts = spawnSync(process.execPath, [join(repo, 'dist', 'bench', 'parts.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  console.log('\n' + parts.stdout.trim());
  const fallback = spawnSync(process.execPath, [join(repo, 'dist', 'bench', 'fallback.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  console.log(fallback.stdout.trim());

  // hosts over SSH (containers): see bench/remote.ts; BENCH_SKIP_REMOTE=1 leaves it out
  if (process.env.BENCH_SKIP_REMOTE !== '1') spawnSync(process.execPath, [join(repo, 'dist', 'bench', 'remote.js')], { stdio: 'inherit' });
}

main();
