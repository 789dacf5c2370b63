/** Compares every case's result at once, so one run shows all disagreements with Ansible. */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { ModuleResult } from '../../src/modules/types.js';

/** Ansible's action plugins add a traceback placeholder ("NoneType: None") that -v output hides */
function withoutException(results: Record<string, ModuleResult>): Record<string, ModuleResult> {
  return Object.fromEntries(
    Object.entries(results).map(([name, r]) => {
      const { exception: _ignored, ...rest } = r;
      return [name, rest];
    }),
  );
}

export function assertSameResults(actualResults: Record<string, ModuleResult>, expectedResults: Record<string, ModuleResult>): void {
  const actual = withoutException(actualResults);
  const expected = withoutException(expectedResults);
  const wrong: string[] = [];
  for (const name of Object.keys(expected)) {
    if (!isDeepStrictEqual(actual[name], expected[name])) {
      wrong.push(`case ${name}:\n  tsplay:  ${JSON.stringify(actual[name])}\n  ansible: ${JSON.stringify(expected[name])}`);
    }
  }
  assert.equal(Object.keys(actual).length, Object.keys(expected).length, 'same number of cases');
  assert.ok(wrong.length === 0, wrong.join('\n'));
}
