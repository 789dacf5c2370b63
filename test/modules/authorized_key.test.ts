import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authorizedKeyModule } from '../../src/modules/system/authorized_key.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

// the module never decodes key blobs, so any base64-looking words do
const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyOneKeyOneKeyOneKeyOneKeyOneKeyOne alice@laptop';
const K2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQKeyTwoKeyTwoKeyTwo bob@desk';
const K3 = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYKeyThree';
/** comments, a blank line, a duplicate key, options with a quoted comma, an unparsable line */
const SEEDED = [
  '# managed by hand',
  `from="10.0.0.1,10.0.0.2",no-pty ${K2}`,
  '',
  'garbage line here',
  `${K3} first copy`,
  `\\# escaped comment`,
  `${K3} second copy`,
  '',
].join('\n');

describe('authorized_key: same results as Ansible on twin containers', { timeout: 1_800_000 }, () => {
  const twins = twinHosts('tsplay-mod-authkey', async (host) => {
    const res = await host.conn.exec(
      'useradd -m -s /bin/sh alice && useradd -M -d /nonexistent/bob bob && mkdir -p /srv/keys && ln -s /srv/keys/real /srv/keys/link && chown alice /srv/keys',
    );
    if (res.rc !== 0) throw new Error(res.stderr);
    await host.conn.writeFile('/srv/keys/seeded', SEEDED);
  });

  it('adds, replaces, removes keys; exclusive; options; paths; check mode; failures', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'addCheck', module: 'authorized_key', args: { user: 'alice', key: K1 }, check: true },
      { name: 'add', module: 'authorized_key', args: { user: 'alice', key: K1 } },
      { name: 'addAgain', module: 'authorized_key', args: { user: 'alice', key: K1 } },
      { name: 'second', module: 'authorized_key', args: { user: 'alice', key: K2, key_options: 'no-agent-forwarding,command="echo a, b"' } },
      { name: 'newComment', module: 'authorized_key', args: { user: 'alice', key: K1, comment: 'renamed' } },
      { name: 'many', module: 'authorized_key', args: { user: 'alice', key: `# a comment\n${K3}\n\n${K2} plain\n` } },
      { name: 'exclusive', module: 'authorized_key', args: { user: 'alice', key: K3, exclusive: true } },
      { name: 'absent', module: 'authorized_key', args: { user: 'alice', key: K3, state: 'absent' } },
      { name: 'seeded', module: 'authorized_key', args: { user: 'alice', key: K1, path: '/srv/keys/seeded', manage_dir: false } },
      { name: 'seededReplace', module: 'authorized_key', args: { user: 'alice', key: K3, path: '/srv/keys/seeded', manage_dir: false } },
      { name: 'follow', module: 'authorized_key', args: { user: 'alice', key: K1, path: '/srv/keys/link', follow: true, manage_dir: false } },
      { name: 'checkNoUser', module: 'authorized_key', args: { user: 'nobody-here', key: K1 }, check: true },
      { name: 'noUser', module: 'authorized_key', args: { user: 'nobody-here', key: K1 } },
      { name: 'noHome', module: 'authorized_key', args: { user: 'bob', key: K1 } },
      { name: 'invalid', module: 'authorized_key', args: { user: 'alice', key: 'not a key' } },
    ];
    const [expected, actual] = await Promise.all([
      runAnsibleOn(twins.ansible.name, cases),
      runTsplayOn(twins.tsplay.conn, cases, { authorized_key: authorizedKeyModule }),
    ]);
    assert.deepEqual([actual.add.changed, actual.addAgain.changed, actual.absent.changed], [true, false, true]);
    assertSameResults(actual, expected);
    const show = 'for f in /home/alice/.ssh /home/alice/.ssh/authorized_keys /srv/keys/seeded /srv/keys/real /srv/keys/link; do stat -c "%n %F %a %U %G" $f; done; cat /home/alice/.ssh/authorized_keys /srv/keys/seeded /srv/keys/real';
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal(ours.stderr, theirs.stderr);
  });
});
