/**
 * The per-part benchmarks, printed after the side-by-side run: templating, role argument
 * validation, and index regeneration. Each reports against its target; none fails.
 */
import { benchmarkRoleValidation } from '../src/argspec/bench.js';
import { benchmarkIndex } from '../src/mirror/bench.js';
import { runBench } from '../test/template/bench.js';

async function main(): Promise<void> {
  const t = runBench();
  console.log(`templating: ${JSON.stringify(t)}`);
  const a = benchmarkRoleValidation(1000, 7);
  console.log(`argument specs: 1,000 role calls against a ${a.options}-option spec: ${a.validateMs.toFixed(1)} ms (best of 7; median ${a.medianMs.toFixed(1)} ms; compile ${a.compileMs.toFixed(1)} ms) — target < 50 ms`);
  const m = await benchmarkIndex({ wheels: 10_000 });
  console.log(`pip index: ${m.wheels} wheels in ${m.projects} projects: regenerate ${m.regenerateMs.toFixed(0)} ms wall, ${m.regenerateCpuMs.toFixed(0)} ms CPU (first publish ${m.firstMs.toFixed(0)} ms) — target < 2000 ms`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
