/**
 * `npm run bench`: the same generated playbook through ansible-playbook and tsplay, side by side.
 * - 200 simple tasks on localhost (50 each of file, copy, command, set_fact), first run and the
 *   idempotent second run;
 * - start-up: `--version` and an empty play.
 * Prints times and ratios. A benchmark, not a test: nothing here fails on a slow machine.
 * Set BENCH_SKIP_ANSIBLE=1 to time tsplay alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
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

function row(label: string, tsplay: number, ansible?: number): string {
  const ratio = ansible ? `${(ansible / tsplay).toFixed(1)}x faster` : '';
  return `${label.padEnd(34)} tsplay ${tsplay.toFixed(3).padStart(7)} s   ansible ${ansible === undefined ? '      -' : ansible.toFixed(3).padStart(7)} s   ${ratio}`;
}

function main(): void {
  const perKind = Number(process.env.BENCH_TASKS_PER_KIND ?? 50);
  console.log(`tsplay benchmark: ${perKind * 4} tasks on localhost (${perKind} each of file, copy, command, set_fact)\n`);
  const results: string[] = [];
  for (const tool of ['tsplay', 'ansible'] as const) {
    if (tool === 'ansible' && skipAnsible) continue;
    const dir = mkdtempSync(join(tmpdir(), `tsplay-bench-${tool}-`));
    const pb = generatePlaybook(dir, perKind);
    const cmd = tool === 'tsplay' ? process.execPath : 'ansible-playbook';
    const args = tool === 'tsplay' ? [cli, 'run', pb] : [pb];
    const first = time(cmd, args);
    const second = time(cmd, args);
    if (!first.ok || !second.ok) console.log(`${tool} failed: ${first.tail} ${second.tail}`);
    results.push(`${tool}:${first.seconds}:${second.seconds}`);
    rmSync(dir, { recursive: true, force: true });
  }
  const get = (tool: string, i: number) => {
    const r = results.find((x) => x.startsWith(tool + ':'));
    return r ? Number(r.split(':')[i]) : undefined;
  };
  console.log(row(`${perKind * 4} tasks, first run`, get('tsplay', 1)!, get('ansible', 1)));
  console.log(row(`${perKind * 4} tasks, second (idempotent) run`, get('tsplay', 2)!, get('ansible', 2)));

  const version = time(process.execPath, [cli, '--version']);
  const ansibleVersion = skipAnsible ? undefined : time('ansible-playbook', ['--version']);
  console.log(row('start-up: --version', version.seconds, ansibleVersion?.seconds));
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-bench-empty-'));
  const empty = join(dir, 'empty.yml');
  writeFileSync(empty, '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks: []\n');
  const emptyT = time(process.execPath, [cli, 'run', empty]);
  const emptyA = skipAnsible ? undefined : time('ansible-playbook', [empty]);
  console.log(row('start-up: empty play', emptyT.seconds, emptyA?.seconds));
  rmSync(dir, { recursive: true, force: true });

  const parts = spawnSync(process.execPath, [join(repo, 'dist', 'bench', 'parts.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  console.log('\n' + parts.stdout.trim());
}

main();
