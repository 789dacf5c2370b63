/**
 * A second reporter for `node --test` (test/run.sh adds it beside the TAP reporter): the suite's
 * own closing summary, the slowest test files and one plain line of counts,
 * `suite: N passed, N failed, N skipped`, written to a file that run.sh prints last.
 */
import { relative } from 'node:path';

interface TestEventData {
  name?: string;
  nesting?: number;
  file?: string;
  skip?: boolean | string;
  todo?: boolean | string;
  details?: { duration_ms?: number; type?: string };
}

interface TestEvent {
  type: string;
  data: TestEventData;
}

export default async function* summaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const fileSeconds = new Map<string, number>();
  for await (const { type, data } of source) {
    const isFile = data.file !== undefined && data.name === data.file;
    if (type === 'test:complete' && isFile) {
      fileSeconds.set(data.file!, (data.details?.duration_ms ?? 0) / 1000);
      continue;
    }
    if (data.details?.type === 'suite') continue;
    if (type === 'test:pass') {
      if (data.skip || data.todo) skipped++;
      else passed++;
    } else if (type === 'test:fail') {
      // a file that crashed outside its tests is reported as one failed test named after it
      failed++;
    }
  }
  const slowest = [...fileSeconds].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const lines = ['slowest test files:'];
  for (const [file, seconds] of slowest) lines.push(`  ${seconds.toFixed(1).padStart(7)} s  ${relative(process.cwd(), file)}`);
  lines.push(`suite: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  yield lines.join('\n') + '\n';
}
