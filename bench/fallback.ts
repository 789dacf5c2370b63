/**
 * The fallback's cost (docs/fallback.md): one task tsplay does not implement
 * (ansible.builtin.dpkg_selections, in check mode so the controller is left alone) run through
 * tsplay's fallback and through ansible-playbook, as a one-task playbook and as the marginal
 * cost per task (a playbook of 1 such task against one of 1 + N). Printed by `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(repo, 'dist', 'src', 'cli', 'tsplay.cjs');

function playbook(dir: string, tasks: number): string {
  const lines: string[] = [];
  for (let i = 0; i < tasks; i++) lines.push(`    - name: hold ${i}\n      ansible.builtin.dpkg_selections: {name: coreutils, selection: hold}\n      check_mode: true`);
  const file = join(dir, `fallback-${tasks}.yml`);
  writeFileSync(file, `- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${lines.join('\n')}\n`);
  return file;
}

function seconds(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' }, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-3).join(' | ')}`);
  return s;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const extra = Number(process.env.BENCH_FALLBACK_TASKS ?? 10);
  const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
  const ansible = process.env.BENCH_SKIP_ANSIBLE !== '1' && spawnSync('ansible-playbook', ['--version']).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-bench-fallback-'));
  try {
    const one = playbook(dir, 1);
    const many = playbook(dir, 1 + extra);
    const t1 = median(Array.from({ length: repeat }, () => seconds(cli, ['run', one])));
    const tn = median(Array.from({ length: repeat }, () => seconds(cli, ['run', many])));
    const a1 = ansible ? seconds('ansible-playbook', [one]) : undefined;
    const an = ansible ? seconds('ansible-playbook', [many]) : undefined;
    const per = (a: number, b: number): string => `${(((b - a) / extra) * 1000).toFixed(0)} ms`;
    console.log(`fallback (ansible.builtin.dpkg_selections through Ansible's own module, local connection):`);
    console.log(`  one-task playbook: tsplay ${t1.toFixed(3)} s   ansible ${a1 === undefined ? '-' : `${a1.toFixed(3)} s`}`);
    console.log(`  per task (1 vs ${1 + extra} tasks): tsplay ${per(t1, tn)}   ansible ${a1 === undefined || an === undefined ? '-' : per(a1, an)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
