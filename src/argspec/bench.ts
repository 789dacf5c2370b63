/**
 * Benchmark: 1,000 role calls validated against a 30-option spec, after one compile.
 * Run: node -e "import('./dist/src/argspec/bench.js').then(m => console.log(m.benchmarkRoleValidation()))"
 */
import { performance } from 'node:perf_hooks';
import { compileArgSpec } from './validator.js';
import type { ArgumentSpec, EntryPointSpec, OptionSpec } from './types.js';

export interface BenchResult {
  calls: number;
  options: number;
  compileMs: number;
  /** fastest round */
  validateMs: number;
  medianMs: number;
  /** errors found in one round (1 in 100 calls carries a bad int) */
  errorsSeen: number;
}

export function thirtyOptionSpec(): EntryPointSpec {
  const options: ArgumentSpec = {};
  const types = ['str', 'int', 'bool', 'list', 'dict', 'path', 'float', 'raw', 'bytes', 'str'] as const;
  for (let i = 0; i < 30; i++) {
    const type = types[i % types.length];
    const opt: OptionSpec = { type, description: `option ${i}` };
    if (i % 7 === 0) opt.required = true;
    else if (type === 'int') opt.default = 3;
    options[`opt_${i}`] = opt;
  }
  options.opt_3 = { type: 'list', elements: 'str' };
  options.opt_4 = { type: 'dict', options: { host: { type: 'str', required: true }, port: { type: 'int', default: 80 } } };
  options.opt_9 = { type: 'str', choices: ['present', 'absent'], default: 'present' };
  options.opt_13 = { type: 'list', elements: 'dict', options: { name: { type: 'str', required: true }, state: { choices: ['on', 'off'] } } };
  return { options };
}

export function callParams(i: number): Record<string, unknown> {
  return {
    opt_0: `name-${i}`, opt_1: String(i), opt_2: i % 2 ? 'yes' : false, opt_3: 'a,b,c', opt_4: { host: 'h', port: '8080' },
    opt_5: '/tmp/x', opt_6: '1.5', opt_7: { any: i }, opt_8: '10M', opt_9: 'present',
    opt_13: [{ name: 'a', state: 'on' }, { name: 'b' }], opt_14: { k: 'v' }, opt_21: 21, opt_28: '1K',
    ...(i % 100 === 0 ? { opt_11: 'not-an-int' } : {}),
  };
}

/**
 * Validates `calls` role calls (default 1,000) after one compile; the machine is shared, so it
 * runs `rounds` rounds after a warm-up and reports the fastest and the median round.
 */
export function benchmarkRoleValidation(calls = 1000, rounds = 7): BenchResult {
  const spec = thirtyOptionSpec();
  const t0 = performance.now();
  const validator = compileArgSpec(spec, 'role');
  const compileMs = performance.now() - t0;
  const inputs = Array.from({ length: calls }, (_, i) => callParams(i));
  let errorsSeen = 0;
  const times: number[] = [];
  for (let round = -2; round < rounds; round++) {
    errorsSeen = 0;
    const start = performance.now();
    for (const params of inputs) errorsSeen += validator.validate(params).errors.length;
    if (round >= 0) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    calls,
    options: Object.keys(spec.options ?? {}).length,
    compileMs,
    validateMs: times[0],
    medianMs: times[Math.floor(times.length / 2)],
    errorsSeen,
  };
}
