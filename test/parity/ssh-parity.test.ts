/**
 * Parity over SSH: the parity cases run through ansible-playbook (ssh connection, pipelining on)
 * and through tsplay, each against a fresh sshd container; exit codes, PLAY RECAP counts and the
 * files written under out/ ON THE TARGET must match. See ssh-harness.ts for how a case is made
 * remote, which cases are excluded (and why), and the cache of Ansible's side.
 *
 *   (default)                 the representative set (SSH_REPRESENTATIVE), for npm test
 *   SSH_PARITY_ALL=1          every case that can run over SSH (scripts/ssh-parity.sh)
 *   PARITY_CASE=<substring>   only the matching cases (of the selected set)
 *   PARITY_KEEP=1             keep the controller-side temp copies and print their paths
 *   SSH_PARITY_CONCURRENCY=N  cases at a time (default 2; each case runs both tools at once)
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleAvailable, baseImage, dockerAvailable, requireService } from '../support/services.js';
import { compareCase, describeFailure, loadCases, parseRecap, repoRoot, tail, tsplayMain, type CaseSpec, type ToolRun } from './harness.js';
import { SSH_EXCLUDED, SSH_REPRESENTATIVE, ansibleOverSsh, removeRun, runCaseOverSsh } from './ssh-harness.js';

const casesDir = join(repoRoot(), 'test', 'parity', 'cases');
const all = process.env.SSH_PARITY_ALL === '1';
const filter = process.env.PARITY_CASE;
const keep = process.env.PARITY_KEEP === '1';
const concurrency = Number(process.env.SSH_PARITY_CONCURRENCY ?? '2') || 2;

// ../ssh-cases: cases that only make sense over SSH (users on the target: case.yaml ssh_users)
const allCases = [...(await loadCases(casesDir)), ...(await loadCases(join(repoRoot(), 'test', 'parity', 'ssh-cases')))];
const eligible = allCases.filter((c) => !(c.name in SSH_EXCLUDED));
const selected = (all ? eligible : eligible.filter((c) => SSH_REPRESENTATIVE.includes(c.name))).filter((c) => !filter || c.name.includes(filter));
const haveAnsible = ansibleAvailable();
const haveDocker = await dockerAvailable();

/** Why Ansible's run is not the case as declared, or undefined when it is. */
function brokenCase(spec: CaseSpec, run: ToolRun): string | undefined {
  for (const [i, r] of run.runs.entries()) {
    if (r.code !== spec.rc) return `ansible-playbook run ${i + 1} exited ${r.code}, case.yaml expects rc ${spec.rc}\n${tail(r.stdout + r.stderr)}`;
    if (!parseRecap(r.stdout)) return `no PLAY RECAP in ansible output\n${tail(r.stdout + r.stderr)}`;
  }
  if (spec.runs > 1 && spec.idempotent) {
    const last = run.runs[run.runs.length - 1];
    for (const [host, counts] of Object.entries(parseRecap(last.stdout) ?? {})) {
      if (counts.changed !== 0) return `ansible's last run changed ${counts.changed} on ${host}`;
    }
  }
  return undefined;
}

describe('parity with ansible-playbook over SSH', { concurrency }, () => {
  before(() => {
    assert.ok(existsSync(tsplayMain()), `tsplay is not built: ${tsplayMain()} is missing (run npm run build)`);
  });

  it('the representative set names only existing, eligible cases, at least 25', () => {
    for (const name of SSH_REPRESENTATIVE) {
      assert.ok(eligible.some((c) => c.name === name), `SSH_REPRESENTATIVE names ${name}, which is not an eligible case`);
    }
    for (const name of Object.keys(SSH_EXCLUDED)) assert.ok(allCases.some((c) => c.name === name), `SSH_EXCLUDED names a missing case ${name}`);
    assert.ok(SSH_REPRESENTATIVE.length >= 25, `only ${SSH_REPRESENTATIVE.length} representative cases`);
  });

  for (const spec of selected) {
    it(spec.name, async (t) => {
      if (!requireService(t, 'ansible-playbook', haveAnsible, 'apt-get install ansible (the parity oracle)')) return;
      if (!requireService(t, 'dockerd', haveDocker, 'run bash test/run.sh, which starts dockerd')) return;
      const image = await baseImage('bookworm');
      let ansible: ToolRun | undefined;
      let tsplay: ToolRun | undefined;
      try {
        const [a, ts] = await Promise.all([
          ansibleOverSsh(spec, image, (run) => brokenCase(spec, run) === undefined),
          runCaseOverSsh(spec, 'tsplay', image),
        ]);
        ansible = a.run;
        tsplay = ts;
        // the case itself must behave as declared, or a typo would make both tools "agree"
        const broken = brokenCase(spec, ansible);
        assert.equal(broken, undefined, `case ${spec.name} is broken over SSH: ${broken}`);
        const diffs = compareCase(spec, ansible, tsplay);
        if (diffs.length) assert.fail(describeFailure(spec, diffs, ansible, tsplay).replace('differs from ansible-playbook', `differs from ansible-playbook over SSH${a.cached ? ' (Ansible side from the cache)' : ''}`));
      } finally {
        for (const run of [ansible, tsplay]) {
          if (!run) continue;
          if (keep && run.work) console.log(`# kept ${run.work}`);
          else await removeRun(run);
        }
      }
    });
  }
});
