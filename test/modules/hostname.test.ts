import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostnameModule } from '../../src/modules/system/hostname.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

describe('hostname: same results as Ansible on twin containers', { timeout: 1_800_000 }, () => {
  const twins = twinHosts('tsplay-mod-hostname');

  it('the Debian file strategy, check mode, idempotence, facts and strategies that cannot work here', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'check', module: 'hostname', args: { name: 'web1.example.com' }, check: true },
      { name: 'set', module: 'hostname', args: { name: 'web1.example.com' } },
      { name: 'again', module: 'hostname', args: { name: 'web1.example.com' } },
      { name: 'systemd', module: 'hostname', args: { name: 'web2', use: 'systemd' } },
      { name: 'redhat', module: 'hostname', args: { name: 'web2', use: 'redhat' } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { hostname: hostnameModule })]);
    assert.deepEqual([actual.check.changed, actual.set.changed, actual.again.changed], [true, true, false]);
    assertSameResults(actual, expected);
    const show = ['cat', '/etc/hostname'];
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal(ours.stdout, 'web1.example.com\n');
  });
});
