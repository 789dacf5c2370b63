import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { knownHostsModule } from '../../src/modules/system/known_hosts.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

// real key blobs: ssh-keygen on the target parses them
const ED1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJZG5D9uUeEGDCrANjJzaKwaipjNWFKVlvEs4U3fOrCI';
const ED2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII5W2hRnAzm/R8QVRhQ1gIoyXJkoSN2S1N0bOC5+c+eR';
const EC = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBG7ze3LOONWjUCKUB4RuT3Vrk579gEZTpW3z5GhisspIkmkCC2pQ2dqbIdvoa9Eb9E95HMHrwGI5L8yWz7BQqbs=';
const KH = '/srv/kh/known_hosts';

/** hashed host fields carry a fresh random salt on each host */
function masked(results: Record<string, ModuleResult>): Record<string, ModuleResult> {
  return JSON.parse(JSON.stringify(results).replace(/\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+/g, '|1|<hashed>')) as Record<string, ModuleResult>;
}

describe('known_hosts: same results as Ansible on twin containers', { timeout: 1_800_000 }, () => {
  const twins = twinHosts('tsplay-mod-knownhosts', async (host) => {
    const res = await host.conn.exec(`mkdir -p /srv/kh /root/.ssh && printf '# kept\\nother.example ${EC}\\n' > ${KH} && chmod 640 ${KH}`);
    if (res.rc !== 0) throw new Error(res.stderr);
  });

  it('adds, replaces, hashes and removes host keys; check mode; refusals', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'addCheck', module: 'known_hosts', args: { name: 'Web.Example', key: `web.example ${ED1}`, path: KH }, check: true },
      { name: 'add', module: 'known_hosts', args: { name: 'Web.Example', key: `web.example ${ED1}`, path: KH } },
      { name: 'addAgain', module: 'known_hosts', args: { name: 'web.example', key: `web.example ${ED1} a comment`, path: KH } },
      { name: 'otherType', module: 'known_hosts', args: { name: 'web.example', key: `web.example ${EC}`, path: KH } },
      { name: 'replace', module: 'known_hosts', args: { name: 'web.example', key: `web.example ${ED2}`, path: KH } },
      { name: 'port', module: 'known_hosts', args: { name: '[db.example]:2222', key: `[db.example]:2222 ${ED1}`, path: KH } },
      { name: 'hashed', module: 'known_hosts', args: { name: 'h.example', key: `h.example ${ED1}`, path: KH, hash_host: true } },
      { name: 'hashedAgain', module: 'known_hosts', args: { name: 'h.example', key: `h.example ${ED1}`, path: KH, hash_host: true } },
      { name: 'absentKey', module: 'known_hosts', args: { name: 'web.example', key: `web.example ${ED2}`, path: KH, state: 'absent' } },
      { name: 'absentOtherKey', module: 'known_hosts', args: { name: 'web.example', key: `web.example ${ED1}`, path: KH, state: 'absent' } },
      { name: 'absentHostCheck', module: 'known_hosts', args: { name: 'other.example', path: KH, state: 'absent' }, check: true },
      { name: 'absentHost', module: 'known_hosts', args: { name: 'other.example', path: KH, state: 'absent' } },
      { name: 'defaultPath', module: 'known_hosts', args: { name: 'web.example', key: `web.example ${ED1}` } },
      { name: 'noKey', module: 'known_hosts', args: { name: 'web.example', path: KH } },
      { name: 'mismatch', module: 'known_hosts', args: { name: 'x.example', key: `web.example ${ED1}`, path: KH } },
      { name: 'comma', module: 'known_hosts', args: { name: 'a.example,b.example', key: `a.example,b.example ${ED1}`, path: KH } },
    ];
    const [expected, actual] = await Promise.all([
      runAnsibleOn(twins.ansible.name, cases),
      runTsplayOn(twins.tsplay.conn, cases, { known_hosts: knownHostsModule }),
    ]);
    assert.deepEqual([actual.add.changed, actual.addAgain.changed, actual.hashedAgain.changed], [true, false, false]);
    assertSameResults(masked(actual), masked(expected));
    const show = `stat -c '%n %a %U' ${KH} /root/.ssh/known_hosts; sed -E 's/\\|1\\|[^ ]+/|1|<hashed>/' ${KH} /root/.ssh/known_hosts; ls /srv/kh`;
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal(ours.stderr, theirs.stderr);
  });
});
