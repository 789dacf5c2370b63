import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userModule } from '../../src/modules/system/user.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

const HASH = '$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DKB0/tGPjanN35jcY68QkpDfPFUGPWX5uCxIQkSPzMmqEiVNgts.';

/** generated keys differ between the hosts; their shape must not */
function masked(results: Record<string, ModuleResult>): Record<string, ModuleResult> {
  return JSON.parse(
    JSON.stringify(results)
      .replace(/SHA256:[A-Za-z0-9+/]{43}/g, 'SHA256:<fp>')
      .replace(/(ssh-(?:ed25519|rsa)) [A-Za-z0-9+/=]+/g, '$1 <key>'),
  ) as Record<string, ModuleResult>;
}

describe('user: same results as Ansible on twin containers', { timeout: 900_000 }, () => {
  const twins = twinHosts('tsplay-mod-user');

  it('creates, modifies, keys, ages and removes accounts; check mode; idempotence; failures', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'createCheck', module: 'user', args: { name: 'u1' }, check: true },
      { name: 'create', module: 'user', args: { name: 'u1', comment: 'User One', shell: '/bin/bash' } },
      { name: 'again', module: 'user', args: { name: 'u1', comment: 'User One', shell: '/bin/bash' } },
      { name: 'modCheck', module: 'user', args: { name: 'u1', comment: 'First', shell: '/bin/sh' }, check: true },
      { name: 'mod', module: 'user', args: { name: 'u1', comment: 'First', shell: '/bin/sh' } },
      { name: 'groups', module: 'user', args: { name: 'u1', groups: ['sudo', 'users'] } },
      { name: 'groupsAgain', module: 'user', args: { name: 'u1', groups: ['users', 'sudo'] } },
      { name: 'append', module: 'user', args: { name: 'u1', groups: ['adm'], append: true } },
      { name: 'appendAgain', module: 'user', args: { name: 'u1', groups: ['adm'], append: true } },
      { name: 'noGroups', module: 'user', args: { name: 'u1', groups: [] } },
      { name: 'password', module: 'user', args: { name: 'u1', password: HASH } },
      { name: 'passwordAgain', module: 'user', args: { name: 'u1', password: HASH } },
      { name: 'onCreate', module: 'user', args: { name: 'u1', password: '$6$other$x', update_password: 'on_create' } },
      { name: 'lock', module: 'user', args: { name: 'u1', password_lock: true } },
      { name: 'lockAgain', module: 'user', args: { name: 'u1', password_lock: true } },
      { name: 'unlock', module: 'user', args: { name: 'u1', password_lock: false } },
      { name: 'plain', module: 'user', args: { name: 'u9', password: 'plaintext', create_home: false } },
      { name: 'expires', module: 'user', args: { name: 'u1', expires: 1893456000 } },
      { name: 'expiresAgain', module: 'user', args: { name: 'u1', expires: 1893456000 } },
      { name: 'noExpiry', module: 'user', args: { name: 'u1', expires: -1 } },
      { name: 'ageing', module: 'user', args: { name: 'u1', password_expire_max: 90, password_expire_min: 1 } },
      { name: 'ageingAgain', module: 'user', args: { name: 'u1', password_expire_max: 90, password_expire_min: 1 } },
      { name: 'system', module: 'user', args: { name: 'svc', system: true, create_home: false, shell: '/usr/sbin/nologin' } },
      { name: 'deepHome', module: 'user', args: { name: 'u3', home: '/srv/deep/u3', uid: 2001, group: 'users' } },
      { name: 'moveHome', module: 'user', args: { name: 'u3', home: '/srv/u3', move_home: true } },
      { name: 'lostHome', module: 'user', args: { name: 'svc', home: '/var/lib/svc', create_home: true } },
      { name: 'keyCheck', module: 'user', args: { name: 'u1', generate_ssh_key: true, ssh_key_type: 'ed25519' }, check: true },
      { name: 'key', module: 'user', args: { name: 'u1', generate_ssh_key: true, ssh_key_type: 'ed25519', ssh_key_comment: 'k1' } },
      { name: 'keyAgain', module: 'user', args: { name: 'u1', generate_ssh_key: true, ssh_key_type: 'ed25519', ssh_key_comment: 'k1' } },
      { name: 'badGroup', module: 'user', args: { name: 'u4', group: 'nope' } },
      { name: 'badGroups', module: 'user', args: { name: 'u1', groups: ['nope'] } },
      { name: 'uidClash', module: 'user', args: { name: 'u5', uid: 2001 } },
      { name: 'nonUnique', module: 'user', args: { name: 'u5', uid: 2001, non_unique: true, create_home: false } },
      { name: 'appendWarn', module: 'user', args: { name: 'u5', append: true } },
      { name: 'absentCheck', module: 'user', args: { name: 'u3', state: 'absent' }, check: true },
      { name: 'absent', module: 'user', args: { name: 'u3', state: 'absent', remove: true } },
      { name: 'absentAgain', module: 'user', args: { name: 'u3', state: 'absent' } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { user: userModule })]);
    assert.deepEqual([actual.create.changed, actual.again.changed, actual.groupsAgain.changed, actual.badGroup.failed], [true, false, false, true]);
    assertSameResults(masked(actual), masked(expected));
    const show = 'getent passwd u1 u3 u5 u9 svc; getent shadow u1 u9 svc | cut -d: -f1,2,4-; id u1; ls -la /home/u1 /srv /var/lib/svc';
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(['sh', '-c', show]), twins.ansible.conn.exec(['sh', '-c', show])]);
    const noTimes = (s: string) => s.replace(/ [A-Z][a-z]{2} +\d+ \d\d:\d\d /g, ' <time> ');
    assert.equal(noTimes(ours.stdout), noTimes(theirs.stdout));
  });
});
