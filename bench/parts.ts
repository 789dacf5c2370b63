/**
 * The per-part benchmarks, printed after the side-by-side run: templating, role argument
 * validation, and index regeneration. Each reports against its target; none fails.
 */
import { benchmarkRoleValidation } from '../src/argspec/bench.js';
import { benchmarkIndex } from '../src/mirror/bench.js';
import { runBench } from '../test/template/bench.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * set_fact in a loop of `items` items through the CLI (it was quadratic: 8,000 items took 6.5 s):
 * the run's wall time and its CPU time (user + sys, from bash's `time`, so a loaded machine shows)
 */
function benchmarkSetFactLoop(items: number): { wallMs: number; cpuMs: number; ok: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-bench-setfact-'));
  try {
    writeFileSync(join(dir, 'site.yml'), `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - set_fact: {acc: "{{ item }}"}\n      loop: "{{ query('sequence', 'start=0 count=${items}') }}"\n`);
    const cli = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'src', 'cli', 'main.js');
    const script = `TIMEFORMAT='%R %U %S'; time "$0" "$1" run site.yml >/dev/null`;
    const r = spawnSync('bash', ['-c', script, process.execPath, cli], { cwd: dir, encoding: 'utf8', env: { ...process.env, TSPLAY_PLAIN: '1' } });
    const [real, user, sys] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
    return { wallMs: real * 1000, cpuMs: (user + sys) * 1000, ok: r.status === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const t = runBench();
  console.log(`templating: ${JSON.stringify(t)}`);
  const a = benchmarkRoleValidation(1000, 7);
  console.log(`argument specs: 1,000 role calls against a ${a.options}-option spec: ${a.validateMs.toFixed(1)} ms (best of 7; median ${a.medianMs.toFixed(1)} ms; compile ${a.compileMs.toFixed(1)} ms) — target < 50 ms`);
  const f = benchmarkSetFactLoop(60_000);
  console.log(`set_fact loop: 60,000 items: ${f.wallMs.toFixed(0)} ms wall, ${f.cpuMs.toFixed(0)} ms CPU${f.ok ? '' : ' (the run FAILED)'} — target < 5000 ms`);
  const m = await benchmarkIndex({ wheels: 10_000 });
  console.log(`pip index: ${m.wheels} wheels in ${m.projects} projects: regenerate ${m.regenerateMs.toFixed(0)} ms wall, ${m.regenerateCpuMs.toFixed(0)} ms CPU (first publish ${m.firstMs.toFixed(0)} ms) — target < 2000 ms`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
