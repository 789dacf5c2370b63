import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { debconfModule } from '../../src/modules/packaging/debconf.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

describe('debconf: same results as Ansible on twin containers', { timeout: 1_800_000 }, () => {
  const twins = twinHosts('tsplay-mod-debconf');

  it('queries and pre-seeds answers; booleans; new questions; check mode; idempotence', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'query', module: 'debconf', args: { name: 'tzdata' } },
      { name: 'setCheck', module: 'debconf', args: { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe' }, check: true },
      { name: 'set', module: 'debconf', args: { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe' } },
      { name: 'setAgain', module: 'debconf', args: { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe' } },
      { name: 'unseen', module: 'debconf', args: { name: 'tzdata', question: 'tzdata/Zones/Europe', vtype: 'select', value: 'Berlin', unseen: true } },
      { name: 'newBool', module: 'debconf', args: { name: 'tzdata', question: 'tzdata/tsplay-flag', vtype: 'boolean', value: 'True' } },
      { name: 'newBoolAgain', module: 'debconf', args: { name: 'tzdata', question: 'tzdata/tsplay-flag', vtype: 'boolean', value: 'TRUE' } },
      { name: 'noPackage', module: 'debconf', args: { name: 'no-such-package', question: 'no-such-package/q', vtype: 'string', value: 'x' } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { debconf: debconfModule })]);
    assert.deepEqual([actual.set.changed, actual.setAgain.changed], [true, false]);
    assertSameResults(actual, expected);
    const show = 'debconf-show tzdata | sort';
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stdout, /tzdata\/Areas: Europe/);
  });
});
