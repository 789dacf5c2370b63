import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localeGenModule } from '../../src/modules/system/locale_gen.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

describe('locale_gen: same results as Ansible on twin containers', { timeout: 1_800_000 }, () => {
  const twins = twinHosts('tsplay-mod-localegen', async (host) => {
    // a host without the locales package first: the refusal; then the package for the rest
    const res = await host.conn.exec('apt-get update -qq >/dev/null && echo ok');
    if (res.rc !== 0) throw new Error(`preparing ${host.name}: ${res.stderr}`);
  });

  it('refuses without the locales package, then enables and disables locales; check mode; idempotence', async (t) => {
    if (!twins.ready(t)) return;
    const before: Case[] = [{ name: 'noPackage', module: 'locale_gen', args: { name: 'de_DE.UTF-8' } }];
    const cases: Case[] = [
      { name: 'check', module: 'locale_gen', args: { name: 'de_DE.UTF-8' }, check: true },
      { name: 'add', module: 'locale_gen', args: { name: 'de_DE.UTF-8' } },
      { name: 'addAgain', module: 'locale_gen', args: { name: 'de_DE.UTF-8' } },
      { name: 'unknown', module: 'locale_gen', args: { name: 'xx_YY.UTF-8' } },
      { name: 'removeCheck', module: 'locale_gen', args: { name: 'de_DE.UTF-8', state: 'absent' }, check: true },
      { name: 'remove', module: 'locale_gen', args: { name: 'de_DE.UTF-8', state: 'absent' } },
      { name: 'removeAgain', module: 'locale_gen', args: { name: 'de_DE.UTF-8', state: 'absent' } },
      { name: 'euro', module: 'locale_gen', args: { name: 'fr_FR@euro' } },
    ];
    const [expectedBefore, actualBefore] = await Promise.all([
      runAnsibleOn(twins.ansible.name, before),
      runTsplayOn(twins.tsplay.conn, before, { locale_gen: localeGenModule }),
    ]);
    assertSameResults(actualBefore, expectedBefore);
    const install = 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq locales >/dev/null';
    const installed = await Promise.all([twins.ansible.conn.exec(install), twins.tsplay.conn.exec(install)]);
    assert.deepEqual(installed.map((r) => r.rc), [0, 0]);
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { locale_gen: localeGenModule })]);
    assert.deepEqual([actual.add.changed, actual.addAgain.changed, actual.remove.changed], [true, false, true]);
    assertSameResults(actual, expected);
    const show = 'grep -v "^# [a-z]" /etc/locale.gen; locale -a';
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stdout, /fr_FR@euro/);
  });
});
