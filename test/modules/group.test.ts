import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupModule } from '../../src/modules/system/group.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

describe('group: same results as Ansible on twin containers', { timeout: 600_000 }, () => {
  const twins = twinHosts('tsplay-mod-group');

  it('creates, changes, removes; check mode; idempotence; failures', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'addCheck', module: 'group', args: { name: 'g1' }, check: true },
      { name: 'add', module: 'group', args: { name: 'g1' } },
      { name: 'addAgain', module: 'group', args: { name: 'g1' } },
      { name: 'gidCheck', module: 'group', args: { name: 'g1', gid: 2345 }, check: true },
      { name: 'gid', module: 'group', args: { name: 'g1', gid: 2345 } },
      { name: 'gidAgain', module: 'group', args: { name: 'g1', gid: 2345 } },
      { name: 'system', module: 'group', args: { name: 'g2', system: true } },
      { name: 'clash', module: 'group', args: { name: 'g3', gid: 2345 } },
      { name: 'nonUnique', module: 'group', args: { name: 'g3', gid: 2345, non_unique: true } },
      { name: 'modClash', module: 'group', args: { name: 'g2', gid: 2345 } },
      { name: 'existing', module: 'group', args: { name: 'sudo' } },
      { name: 'absentCheck', module: 'group', args: { name: 'g1', state: 'absent' }, check: true },
      { name: 'absent', module: 'group', args: { name: 'g1', state: 'absent' } },
      { name: 'absentAgain', module: 'group', args: { name: 'g1', state: 'absent' } },
      { name: 'primary', module: 'group', args: { name: 'root', state: 'absent' } },
      { name: 'localMissing', module: 'group', args: { name: 'g9', state: 'absent', local: true } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { group: groupModule })]);
    assert.deepEqual([actual.add.changed, actual.addAgain.changed, actual.gid.gid, actual.clash.failed], [true, false, 2345, true]);
    assertSameResults(actual, expected);
    const groups = await twins.tsplay.conn.exec(['sh', '-c', 'grep -E "^g[123]:" /etc/group']);
    const theirs = await twins.ansible.conn.exec(['sh', '-c', 'grep -E "^g[123]:" /etc/group']);
    assert.equal(groups.stdout, theirs.stdout);
  });
});
