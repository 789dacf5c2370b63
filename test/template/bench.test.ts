import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBench } from './bench.js';

test('100,000 renders of a typical task argument with 10,000 variables in scope take under 1 s of CPU', () => {
  const r = runBench();
  // CPU time, not wall time: the test machines are shared, and waiting for a core is not our cost
  assert.ok(r.typicalArgCpuMillis < 1000, `took ${r.typicalArgCpuMillis.toFixed(0)} ms CPU`);
  assert.ok(r.cachedRenderCpuMicros < 20, `a cached render took ${r.cachedRenderCpuMicros.toFixed(2)} µs CPU`);
});
