/**
 * gatherFacts against real Ansible's setup module on the same Debian container: every key tsplay
 * produces must equal Ansible's (time-dependent ones compared by shape and closeness), in one
 * round trip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection, ExecOptions, ExecResult } from '../../src/connection/types.js';
import { gatherFacts } from '../../src/modules/packaging/facts.js';
import { type ContainerHost, requireService, runAnsibleModule, servicesAvailable, startHost } from './hosts.js';

/** keys whose value changes from one moment to the next, or that Ansible only has with iproute2 */
const VOLATILE = new Set(['date_time', 'memfree_mb', 'swapfree_mb', 'env', 'default_ipv4', 'default_ipv6']);

describe('gatherFacts: the same facts as ansible -m setup', { timeout: 300_000 }, () => {
  let host: ContainerHost | undefined;
  let ready = false;

  before(async () => {
    if (!(await servicesAvailable())) return;
    host = await startHost('tsplay-pkg-facts');
    ready = true;
  });
  after(async () => {
    await host?.remove();
  });

  it('matches Ansible on every key it produces, with one command on the target', async (t) => {
    if (!requireService(t, ready, 'dockerd and ansible with community.docker')) return;
    const expectedRaw = await runAnsibleModule(host!.name, 'setup', {});
    const expected = expectedRaw.ansible_facts as Record<string, unknown>;
    let execs = 0;
    const counting: Connection = Object.create(host!.conn, {
      exec: {
        value: (cmd: string[] | string, opts?: ExecOptions): Promise<ExecResult> => {
          execs++;
          return host!.conn.exec(cmd, opts);
        },
      },
    }) as Connection;
    const facts = await gatherFacts(counting);
    assert.equal(execs, 1, 'facts cost one round trip');

    for (const key of ['distribution', 'distribution_release', 'distribution_major_version', 'distribution_version', 'os_family', 'pkg_mgr', 'service_mgr', 'architecture', 'hostname', 'nodename', 'fqdn', 'system', 'kernel', 'python', 'user_id', 'lsb', 'machine', 'userspace_bits', 'date_time', 'env']) {
      assert.ok(key in facts, `fact ${key} is gathered`);
    }
    for (const [key, value] of Object.entries(facts)) {
      if (VOLATILE.has(key)) continue;
      assert.deepEqual(value, expected[`ansible_${key}`], `fact ${key}`);
    }
    const ours = facts.date_time as Record<string, string>;
    const theirs = expected.ansible_date_time as Record<string, string>;
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
    assert.ok(Math.abs(Number(ours.epoch) - Number(theirs.epoch)) < 300, 'epochs close');
    for (const key of ['tz', 'tz_dst', 'tz_offset', 'date', 'year']) assert.equal(ours[key], theirs[key], `date_time.${key}`);
    assert.match(ours.iso8601_micro, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // Ansible's module process adds LC_CTYPE to its own environment; the rest is the target's
    const theirEnv = Object.keys(expected.ansible_env as Record<string, string>).filter((k) => k !== 'LC_CTYPE').sort();
    assert.deepEqual(Object.keys(facts.env as Record<string, string>).sort(), theirEnv);
  });
});
