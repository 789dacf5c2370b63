/**
 * ansible.builtin.service on twin Debian containers without systemd (PID 1 is `sleep`), where
 * services are SysV init scripts run through `service` and enabled with update-rc.d: each step
 * through real Ansible on one host and tsplay's module on the other; results, the boot links and
 * the running process must agree.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modules } from '../../src/modules/packaging/index.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { type ContainerHost, comparable, runAnsibleModule, runModule, twinHosts } from './hosts.js';

const service = modules.find((m) => m.name === 'ansible.builtin.service')!;

/** a tiny SysV service: a sleep process tracked by a pid file */
const INIT_SCRIPT = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          tsplaytest
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: test service
### END INIT INFO
PIDFILE=/run/tsplaytest.pid
running() { [ -f $PIDFILE ] && kill -0 "$(cat $PIDFILE)" 2>/dev/null; }
case "$1" in
  start) running || { sleep 100000 >/dev/null 2>&1 & echo $! > $PIDFILE; }; echo started ;;
  stop) if running; then kill "$(cat $PIDFILE)"; fi; rm -f $PIDFILE; echo stopped ;;
  restart) $0 stop; $0 start ;;
  reload) running && echo reloaded ;;
  status) if running; then echo "tsplaytest is running"; exit 0; else echo "tsplaytest is not running"; exit 3; fi ;;
  *) echo "Usage: $0 {start|stop|restart|reload|status}"; exit 2 ;;
esac
`;

describe('service (SysV, no systemd): same results as Ansible 2.14', { timeout: 600_000 }, () => {
  const twins = twinHosts('tsplay-pkg-svc', async (host) => {
    await host.conn.writeFile('/etc/init.d/tsplaytest', INIT_SCRIPT, { mode: 0o755 });
    await host.conn.chmod('/etc/init.d/tsplaytest', 0o755);
  });

  async function both(args: Record<string, unknown>, opts: { check?: boolean } = {}): Promise<ModuleResult> {
    const [expected, actual] = await Promise.all([
      runAnsibleModule(twins.ansible.name, 'service', args, opts),
      runModule(service, twins.tsplay.conn, { runlevel: 'default', arguments: '', ...args }, opts),
    ]);
    assert.deepEqual(comparable(actual), comparable(expected), `service ${JSON.stringify(args)} ${JSON.stringify(opts)}`);
    return actual;
  }

  /** boot links and whether the service process runs, on one host */
  async function hostState(host: ContainerHost): Promise<string> {
    const out = await host.conn.exec('ls /etc/rc0.d /etc/rc2.d | grep tsplaytest; /etc/init.d/tsplaytest status; true');
    return out.stdout;
  }

  async function sameState(): Promise<string> {
    const [expected, actual] = await Promise.all([hostState(twins.ansible), hostState(twins.tsplay)]);
    assert.equal(actual, expected);
    return actual;
  }

  it('check mode reports the start without starting', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ name: 'tsplaytest', state: 'started' }, { check: true });
    assert.equal(result.msg, 'service state changed');
    assert.match(await sameState(), /is not running/);
  });

  it('starts and enables, then is idempotent', async (t) => {
    if (!twins.ready(t)) return;
    assert.equal((await both({ name: 'tsplaytest', state: 'started', enabled: true })).changed, true);
    const state = await sameState();
    assert.match(state, /S01tsplaytest/);
    assert.match(state, /is running/);
    assert.equal((await both({ name: 'tsplaytest', state: 'started', enabled: true })).changed, false);
  });

  it('restarts and reloads a running service', async (t) => {
    if (!twins.ready(t)) return;
    assert.equal((await both({ name: 'tsplaytest', state: 'restarted' })).changed, true);
    assert.equal((await both({ name: 'tsplaytest', state: 'reloaded' })).changed, true);
    assert.match(await sameState(), /is running/);
  });

  it('stops and disables, then is idempotent', async (t) => {
    if (!twins.ready(t)) return;
    assert.equal((await both({ name: 'tsplaytest', state: 'stopped', enabled: false })).changed, true);
    const state = await sameState();
    assert.match(state, /K01tsplaytest/);
    assert.match(state, /is not running/);
    assert.equal((await both({ name: 'tsplaytest', state: 'stopped', enabled: false })).changed, false);
  });

  it('fails clearly for an unknown service and on a host with no way to manage services', async (t) => {
    if (!twins.ready(t)) return;
    const unknown = await both({ name: 'no-such-service', state: 'started' });
    assert.equal(unknown.msg, 'Could not find the requested service no-such-service: host');
    for (const host of [twins.ansible, twins.tsplay]) {
      await host.conn.exec('rm -f /usr/sbin/update-rc.d /usr/sbin/service');
    }
    const unmanaged = await both({ name: 'tsplaytest', state: 'started' });
    assert.equal(unmanaged.failed, true);
    assert.equal(unmanaged.msg, 'Could not find the requested service tsplaytest: host');
  });
});
