/**
 * ansible.builtin.apt and ansible.builtin.package against real Debian containers: every step runs
 * through real Ansible (docker_api connection) on one fresh host and through tsplay's module on a
 * twin host, and the two results must agree (changed, failed, msg, diff, stdout with download
 * speeds masked, cache keys). apt inside the containers reaches Debian's archive over the host
 * network.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modules } from '../../src/modules/packaging/index.js';
import type { ModuleDefinition, ModuleResult } from '../../src/modules/types.js';
import { comparable, runAnsibleModule, runModule, twinHosts } from './hosts.js';

function moduleNamed(name: string): ModuleDefinition {
  const found = modules.find((m) => m.name === `ansible.builtin.${name}`);
  assert.ok(found, `module ${name} is exported`);
  return found;
}

/** Ansible's module args as the engine would hand them over: defaults applied, aliases resolved. */
const APT_DEFAULTS = {
  state: 'present',
  update_cache_retries: 5,
  update_cache_retry_max_delay: 12,
  cache_valid_time: 0,
  purge: false,
  force: false,
  upgrade: 'no',
  dpkg_options: 'force-confdef,force-confold',
  autoremove: false,
  autoclean: false,
  fail_on_autoremove: false,
  only_upgrade: false,
  force_apt_get: false,
  clean: false,
  allow_unauthenticated: false,
  allow_downgrade: false,
  allow_change_held_packages: false,
  lock_timeout: 60,
};

describe('apt and package: same results as Ansible 2.14 on twin containers', { timeout: 600_000 }, () => {
  const twins = twinHosts('tsplay-pkg-apt');

  /** one step on both hosts; returns tsplay's result after checking it equals Ansible's */
  async function both(
    module: string,
    args: Record<string, unknown>,
    opts: { check?: boolean; diff?: boolean } = {},
  ): Promise<ModuleResult> {
    const [expected, actual] = await Promise.all([
      runAnsibleModule(twins.ansible.name, module, args, opts),
      runModule(moduleNamed(module), twins.tsplay.conn, module === 'apt' ? { ...APT_DEFAULTS, ...toAptArgs(args) } : args, opts),
    ]);
    assert.deepEqual(comparable(actual), comparable(expected), `${module} ${JSON.stringify(args)} ${JSON.stringify(opts)}`);
    return actual;
  }

  function toAptArgs(args: Record<string, unknown>): Record<string, unknown> {
    const { name, ...rest } = args;
    return name === undefined ? rest : { ...rest, package: Array.isArray(name) ? name : String(name).split(',') };
  }

  it('installs on a fresh host (python3-apt and lists fetched first, as Ansible does), then is idempotent', async (t) => {
    if (!twins.ready(t)) return;
    const first = await both('apt', { name: 'hello' });
    assert.equal(first.changed, true);
    assert.match(String(first.stdout), /Setting up hello/);
    const installed = await twins.tsplay.conn.exec(['dpkg-query', '-W', '-f=${Status}', 'hello']);
    assert.equal(installed.stdout, 'install ok installed');
    const second = await both('apt', { name: 'hello' });
    assert.equal(second.changed, false);
  });

  it('check mode with diff reports the removal apt-get would do, and changes nothing', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both('apt', { name: 'hello', state: 'absent' }, { check: true, diff: true });
    assert.equal(result.changed, true);
    assert.match(String((result.diff as { prepared: string }).prepared), /REMOVED:\n {2}hello/);
    const still = await twins.tsplay.conn.exec(['dpkg-query', '-W', '-f=${Status}', 'hello']);
    assert.equal(still.stdout, 'install ok installed');
  });

  it('removes, then reports absent packages as unchanged', async (t) => {
    if (!twins.ready(t)) return;
    assert.equal((await both('apt', { name: 'hello', state: 'absent' })).changed, true);
    assert.equal((await both('apt', { name: 'hello', state: 'absent' })).changed, false);
  });

  it('installs a pinned version (pkg=version) and a list of packages through package', async (t) => {
    if (!twins.ready(t)) return;
    assert.equal((await both('apt', { name: 'hello=2.10-3' })).changed, true);
    assert.equal((await both('apt', { name: 'hello=2.10-*' })).changed, false);
    const viaPackage = await both('package', { name: ['sl', 'hello'], state: 'present' }, { diff: true });
    assert.equal(viaPackage.changed, true);
    assert.equal((await both('package', { name: ['sl', 'hello'], state: 'latest' })).changed, false);
  });

  it('fails like Ansible for an unknown package and an unavailable version', async (t) => {
    if (!twins.ready(t)) return;
    const unknown = await both('apt', { name: ['hello', 'no-such-package-tsplay'] });
    assert.equal(unknown.failed, true);
    assert.equal(unknown.msg, "No package matching 'no-such-package-tsplay' is available");
    const badVersion = await both('apt', { name: 'sl=9.9' });
    assert.equal(badVersion.failed, true);
  });

  it('honours cache_valid_time: a fresh cache is not refreshed', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both('apt', { update_cache: true, cache_valid_time: 3600 });
    assert.equal(result.changed, false);
    assert.equal(result.cache_updated, false);
  });
});
