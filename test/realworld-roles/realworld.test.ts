/**
 * Public roles run unchanged (SOURCES.md): each applied twice by ansible-playbook and twice by
 * tsplay, each tool in a fresh container; task statuses, recaps and the end state must match.
 * See runner.ts for what is compared and how Ansible's side is cached.
 *
 *   (default)                 the quick roles of corpus.ts, for npm test
 *   REALWORLD_ALL=1           every role (scripts/realworld-roles.sh)
 *   REALWORLD_ROLE=<substr>   only the matching roles (of the selected set)
 *   REALWORLD_CONCURRENCY=N   roles at a time (default 2; each role runs both tools at once)
 *   REALWORLD_LIVE=1          run Ansible live and refresh its cache
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ansibleAvailable, dockerAvailable, requireService } from '../support/services.js';
import { CORPUS } from './corpus.js';
import { runRole, table, writeReport, type RoleOutcome } from './runner.js';

const all = process.env.REALWORLD_ALL === '1';
const filter = process.env.REALWORLD_ROLE;
const concurrency = Number(process.env.REALWORLD_CONCURRENCY ?? '2') || 1;
const selected = CORPUS.filter((r) => all || r.quick).filter((r) => !filter || r.name.includes(filter));
const haveAnsible = ansibleAvailable();
const haveDocker = await dockerAvailable();

const outcomes: RoleOutcome[] = [];
const freeSlots = Array.from({ length: concurrency }, (_, i) => i);

describe('public roles: tsplay against ansible-playbook', { concurrency }, () => {
  it('the corpus has at least 20 roles, names unique', () => {
    assert.ok(CORPUS.length >= 20, `only ${CORPUS.length} roles`);
    assert.equal(new Set(CORPUS.map((r) => r.name)).size, CORPUS.length);
  });

  for (const role of selected) {
    it(role.name, async (t) => {
      if (!requireService(t, 'ansible-playbook', haveAnsible, 'apt-get install ansible (the oracle)')) return;
      if (!requireService(t, 'dockerd', haveDocker, 'run bash test/run.sh, which starts dockerd')) return;
      const slot = freeSlots.shift() ?? 0;
      let outcome: RoleOutcome;
      try {
        outcome = await runRole(role, slot);
      } finally {
        freeSlots.push(slot);
      }
      outcomes.push(outcome);
      const failedAnsible = outcome.ansible.runs.find((r) => r.rc !== 0);
      assert.equal(failedAnsible, undefined, `the role fails under ansible-playbook itself:\n${failedAnsible?.tail}`);
      if (outcome.differences.length === 0) return;
      const text = `${role.name} differs${outcome.ansibleCached ? ' (Ansible side from the cache)' : ''}:\n${outcome.differences.map((d) => `  - ${d}`).join('\n')}\ntsplay's last output:\n${outcome.tsplay.runs.find((r) => r.rc !== 0)?.tail ?? outcome.tsplay.runs[0].tail}`;
      if (role.known) {
        t.todo(`known difference (${role.known})`);
        t.diagnostic(text);
        return;
      }
      assert.fail(text);
    });
  }

  after(async () => {
    if (!outcomes.length) return;
    const order = new Map(selected.map((r, i) => [r.name, i]));
    outcomes.sort((x, y) => (order.get(x.role.name) ?? 0) - (order.get(y.role.name) ?? 0));
    const file = await writeReport(outcomes);
    console.log(`${table(outcomes)}\n(report with every difference: ${file})`);
  });
});
