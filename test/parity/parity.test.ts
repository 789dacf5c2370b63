/**
 * Parity suite: every folder under test/parity/cases runs through ansible-playbook (the oracle,
 * run live) and through tsplay; exit codes, PLAY RECAP counts, and the files written under out/
 * must match. See harness.ts for the case format.
 *
 *   PARITY_CASE=<substring>   run only the matching cases
 *   PARITY_ORACLE_ONLY=1      run only Ansible and check each case's declared rc (validates cases)
 *   PARITY_KEEP=1             keep the temp copies and print their paths
 *   PARITY_LIVE=1             run Ansible live even when its result for the case is cached
 *   TSPLAY_CLI=<path>         the CLI to test (default dist/src/cli/tsplay.cjs)
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleAvailable, requireService } from '../support/services.js';
import {
  compareCase,
  describeFailure,
  loadCases,
  parseRecap,
  removeCopy,
  repoRoot,
  runCase,
  tail,
  tsplayMain,
  type ToolRun,
} from './harness.js';
import { cachedAnsibleRun } from './ansible-cache.js';

/** bump when the harness changes what Ansible's side of a case would produce (invalidates the cache) */
const HARNESS_VERSION = 'parity-1';

const casesDir = join(repoRoot(), 'test', 'parity', 'cases');
const filter = process.env.PARITY_CASE;
const oracleOnly = process.env.PARITY_ORACLE_ONLY === '1';
const keep = process.env.PARITY_KEEP === '1';

const allCases = await loadCases(casesDir);
const cases = filter ? allCases.filter((c) => c.name.includes(filter)) : allCases;
const haveAnsible = ansibleAvailable();

describe('parity with ansible-playbook', { concurrency: 2 }, () => {
  before(() => {
    if (!oracleOnly) assert.ok(existsSync(tsplayMain()), `tsplay is not built: ${tsplayMain()} is missing (run npx tsc -p tsconfig.json)`);
  });

  it('has at least 40 cases', { skip: Boolean(filter) }, () => {
    assert.ok(allCases.length >= 40, `only ${allCases.length} parity cases`);
  });

  for (const spec of cases) {
    it(spec.name, async (t) => {
      if (!requireService(t, 'ansible-playbook', haveAnsible, 'apt-get install ansible (the parity oracle)')) return;
      let ansible: ToolRun | undefined;
      let tsplay: ToolRun | undefined;
      try {
        // Ansible's side is cached by a hash of the case (PARITY_LIVE=1 or PARITY_ORACLE_ONLY=1 run it live)
        const accept = (run: ToolRun): boolean =>
          run.runs.every((r) => r.code === spec.rc && parseRecap(r.stdout) !== undefined) &&
          !(spec.runs > 1 && spec.idempotent && Object.values(parseRecap(run.runs[run.runs.length - 1].stdout) ?? {}).some((c) => c.changed !== 0));
        ansible = oracleOnly
          ? await runCase(spec, 'ansible')
          : (await cachedAnsibleRun(spec, { namespace: 'parity', harnessVersion: HARNESS_VERSION }, () => runCase(spec, 'ansible'), accept)).run;
        for (const [i, r] of ansible.runs.entries()) {
          // the case itself must behave as declared, or a typo would make both tools "agree"
          assert.equal(
            r.code,
            spec.rc,
            `case ${spec.name} is broken: ansible-playbook run ${i + 1} exited ${r.code}, case.yaml expects rc ${spec.rc}\n${tail(r.stdout + r.stderr)}`,
          );
          assert.ok(parseRecap(r.stdout), `case ${spec.name}: no PLAY RECAP in ansible output\n${tail(r.stdout + r.stderr)}`);
        }
        if (spec.runs > 1 && spec.idempotent) {
          const last = ansible.runs[ansible.runs.length - 1];
          for (const [host, counts] of Object.entries(parseRecap(last.stdout) ?? {})) {
            assert.equal(counts.changed, 0, `case ${spec.name} is broken: ansible's last run changed ${counts.changed} on ${host}`);
          }
        }
        if (oracleOnly) return;
        tsplay = await runCase(spec, 'tsplay');
        const diffs = compareCase(spec, ansible, tsplay);
        if (diffs.length) assert.fail(describeFailure(spec, diffs, ansible, tsplay));
      } finally {
        for (const run of [ansible, tsplay]) {
          if (!run) continue;
          if (!run.work) continue; // a cached result has no copy
          if (keep) console.log(`# kept ${run.work}`);
          else await removeCopy(run.work);
        }
      }
    });
  }
});
