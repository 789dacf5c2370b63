import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sysctlModule } from '../../src/modules/system/sysctl.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

const SEEDED = '# kernel tuning\n vm.swappiness = 60 \n\n; old\nnet.core.somaxconn=128\nvm.swappiness=70\nnot a setting\n';

describe('sysctl: same results as Ansible on twin containers', { timeout: 600_000 }, () => {
  const twins = twinHosts('tsplay-mod-sysctl', async (host) => {
    await host.conn.writeFile('/etc/sysctl.d/50-seeded.conf', SEEDED);
  });

  it('file edits, check mode, idempotence, and the kernel refusing writes in a container', async (t) => {
    if (!twins.ready(t)) return;
    const S = '/etc/sysctl.d/50-seeded.conf';
    const N = '/etc/sysctl.d/60-new.conf';
    const cases: Case[] = [
      { name: 'check', module: 'sysctl', args: { name: 'vm.swappiness', value: '10', sysctl_file: S, reload: false }, check: true },
      { name: 'set', module: 'sysctl', args: { name: 'vm.swappiness', value: '10', sysctl_file: S, reload: false } },
      { name: 'setAgain', module: 'sysctl', args: { name: 'vm.swappiness', value: '10', sysctl_file: S, reload: false } },
      { name: 'bool', module: 'sysctl', args: { name: 'net.ipv4.ip_forward', value: 'yes', sysctl_file: N, reload: false } },
      { name: 'boolAgain', module: 'sysctl', args: { name: 'net.ipv4.ip_forward', value: '1', sysctl_file: N, reload: false } },
      { name: 'spaces', module: 'sysctl', args: { name: ' net.ipv4.ip_local_port_range ', value: '1024   65000', sysctl_file: N, reload: false } },
      { name: 'absent', module: 'sysctl', args: { name: 'net.core.somaxconn', state: 'absent', sysctl_file: S, reload: false } },
      { name: 'absentAgain', module: 'sysctl', args: { name: 'net.core.somaxconn', state: 'absent', sysctl_file: S, reload: false } },
      { name: 'unknownKey', module: 'sysctl', args: { name: 'no.such.key', value: '1', sysctl_file: N, reload: false, sysctl_set: true } },
      { name: 'reloadSame', module: 'sysctl', args: { name: 'vm.swappiness', value: '10', sysctl_file: S } },
      { name: 'setProc', module: 'sysctl', args: { name: 'vm.swappiness', value: '10', sysctl_file: S, reload: false, sysctl_set: true } },
      { name: 'reloadNew', module: 'sysctl', args: { name: 'kernel.msgmax', value: '9000', sysctl_file: N } },
      { name: 'reloadIgnore', module: 'sysctl', args: { name: 'kernel.msgmnb', value: '9000', sysctl_file: N, ignoreerrors: true } },
      { name: 'blank', module: 'sysctl', args: { name: 'vm.swappiness', value: '', sysctl_file: S } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { sysctl: sysctlModule })]);
    assert.deepEqual([actual.set.changed, actual.setAgain.changed, actual.absentAgain.changed], [true, false, false]);
    assertSameResults(actual, expected);
    const show = ['cat', S, N];
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stdout, /vm\.swappiness=10/);
  });
});
