/**
 * Benchmark of index regeneration, for bench/ to call: synthesises N wheels across projects in a
 * scratch directory, publishes once from scratch (metadata files and index written) and once
 * more after adding one wheel (the "regenerate after a run" case), and reports the times.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { localFs } from './fs.js';
import { publish } from './publish.js';
import { makeWheel } from './synth.js';

export interface IndexBenchmarkOptions {
  wheels?: number;
  /** wheels are spread over this many projects */
  projects?: number;
  /** scratch parent directory (default: the OS temp dir); removed afterwards */
  scratchParent?: string;
}

export interface IndexBenchmarkResult {
  wheels: number;
  projects: number;
  /** first publish: hashes, metadata extraction, .metadata files, index pages */
  firstMs: number;
  /** publish again after one more wheel arrived: everything re-read, new index written */
  regenerateMs: number;
  /** CPU time (user + system) of that regeneration: what wall time is on an idle machine */
  regenerateCpuMs: number;
  indexFiles: number;
}

export async function benchmarkIndex(options: IndexBenchmarkOptions = {}): Promise<IndexBenchmarkResult> {
  const wheels = options.wheels ?? 10_000;
  const projects = options.projects ?? Math.max(1, Math.floor(wheels / 5));
  const scratch = await fsp.mkdtemp(path.join(options.scratchParent ?? os.tmpdir(), 'tsplay-index-bench-'));
  try {
    const root = path.join(scratch, 'platform');
    await fsp.mkdir(root);
    for (let i = 0; i < wheels; i++) {
      const project = i % projects;
      const wheel = makeWheel({
        name: `bench_project_${project}`,
        version: `1.${Math.floor(i / projects)}.0`,
        requiresPython: project % 3 === 0 ? '>=3.8' : undefined,
      });
      await fsp.writeFile(path.join(root, wheel.filename), wheel.data);
    }
    let started = performance.now();
    const first = await publish(localFs, root);
    const firstMs = performance.now() - started;
    const extra = makeWheel({ name: 'bench_project_extra', version: '9.9.9' });
    await fsp.writeFile(path.join(root, extra.filename), extra.data);
    started = performance.now();
    const cpuBefore = process.cpuUsage();
    await publish(localFs, root);
    const cpu = process.cpuUsage(cpuBefore);
    const regenerateMs = performance.now() - started;
    return {
      wheels,
      projects: first.projects,
      firstMs,
      regenerateMs,
      regenerateCpuMs: (cpu.user + cpu.system) / 1000,
      indexFiles: 2 + first.projects * 2,
    };
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}
