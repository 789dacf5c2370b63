import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timezoneModule } from '../../src/modules/system/timezone.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

describe('timezone: same results as Ansible on twin containers', { timeout: 1_800_000 }, () => {
  const twins = twinHosts('tsplay-mod-timezone');

  it('the Debian way without systemd: zone, check mode, idempotence, an unknown zone, an RTC a container cannot set', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'check', module: 'timezone', args: { name: 'Europe/Berlin' }, check: true },
      { name: 'set', module: 'timezone', args: { name: 'Europe/Berlin' } },
      { name: 'again', module: 'timezone', args: { name: 'Europe/Berlin' } },
      { name: 'unknown', module: 'timezone', args: { name: 'Mars/Olympus' } },
      { name: 'rtcCheck', module: 'timezone', args: { hwclock: 'local', name: 'Europe/Berlin' }, check: true },
      { name: 'rtc', module: 'timezone', args: { hwclock: 'local' } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { timezone: timezoneModule })]);
    assert.deepEqual([actual.check.changed, actual.set.changed, actual.again.changed], [true, true, false]);
    assertSameResults(actual, expected);
    const show = 'cat /etc/timezone /etc/default/rcS 2>&1; readlink /etc/localtime';
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stdout, /Europe\/Berlin/);
  });
});
