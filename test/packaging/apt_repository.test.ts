/**
 * ansible.builtin.apt_repository on twin Debian containers: each step through real Ansible on one
 * and tsplay's module on the other; results (diff entries compared in file order, since Ansible
 * lists them in set order) and the resulting files must agree.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modules } from '../../src/modules/packaging/index.js';
import type { DiffEntry, ModuleResult } from '../../src/modules/types.js';
import { type ContainerHost, comparable, runAnsibleModule, runModule, twinHosts } from './hosts.js';

const aptRepository = modules.find((m) => m.name === 'ansible.builtin.apt_repository')!;
const DEFAULTS = { state: 'present', update_cache: true, update_cache_retries: 5, update_cache_retry_max_delay: 12, install_python_apt: true, validate_certs: true };

const BACKPORTS = 'deb http://deb.debian.org/debian bookworm-backports main';
const UPDATES = 'deb http://deb.debian.org/debian bookworm-updates main';

function sortedDiff(result: ModuleResult): Record<string, unknown> {
  const out = comparable(result);
  if (Array.isArray(out.diff)) {
    out.diff = [...(out.diff as DiffEntry[])].sort((a, b) =>
      `${a.after_header}${a.before_header}`.localeCompare(`${b.after_header}${b.before_header}`),
    );
  }
  return out;
}

describe('apt_repository: same results and files as Ansible 2.14', { timeout: 600_000 }, () => {
  const twins = twinHosts('tsplay-pkg-repo');

  async function both(args: Record<string, unknown>, opts: { check?: boolean; diff?: boolean } = {}): Promise<ModuleResult> {
    const [expected, actual] = await Promise.all([
      runAnsibleModule(twins.ansible.name, 'apt_repository', args, opts),
      runModule(aptRepository, twins.tsplay.conn, { ...DEFAULTS, ...args }, opts),
    ]);
    assert.deepEqual(sortedDiff(actual), sortedDiff(expected), `apt_repository ${JSON.stringify(args)} ${JSON.stringify(opts)}`);
    return actual;
  }

  /** the sources files on a host: path → mode and content */
  async function sources(host: ContainerHost): Promise<string> {
    const out = await host.conn.exec('for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do [ -f "$f" ] && { stat -c "%n %a" "$f"; cat "$f"; }; done; true');
    return out.stdout;
  }

  async function sameFiles(): Promise<string> {
    const [expected, actual] = await Promise.all([sources(twins.ansible), sources(twins.tsplay)]);
    assert.equal(actual, expected);
    return actual;
  }

  it('check mode on a host without python3-apt fails as Ansible does', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ repo: BACKPORTS, filename: 'backports', update_cache: false }, { check: true, diff: true });
    assert.equal(result.failed, true);
    assert.match(String(result.msg), /^python3-apt must be installed to use check mode/);
  });

  it('adds a line under the given file name, and a second run under another name changes nothing', async (t) => {
    if (!twins.ready(t)) return;
    assert.equal((await both({ repo: BACKPORTS, filename: 'backports', update_cache: false })).changed, true);
    assert.match(await sameFiles(), /\/etc\/apt\/sources\.list\.d\/backports\.list 644\ndeb http:\/\/deb\.debian\.org\/debian bookworm-backports main\n/);
    assert.equal((await both({ repo: `${BACKPORTS}  `, filename: 'elsewhere', update_cache: false })).changed, false);
  });

  it('check mode with diff shows the new file and changes nothing', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ repo: 'deb http://deb.debian.org/debian bookworm contrib', update_cache: false }, { check: true, diff: true });
    assert.equal(result.changed, true);
    assert.ok((result.diff as DiffEntry[]).some((d) => d.after_header === '/etc/apt/sources.list.d/deb_debian_org_debian.list' && d.before_header === '/dev/null'));
    assert.doesNotMatch(await sameFiles(), /contrib/);
  });

  it('removes the line wherever it is; a file left empty is deleted', async (t) => {
    if (!twins.ready(t)) return;
    assert.equal((await both({ repo: BACKPORTS, state: 'absent', update_cache: false }, { diff: true })).changed, true);
    assert.doesNotMatch(await sameFiles(), /backports/);
    assert.equal((await both({ repo: BACKPORTS, state: 'absent', update_cache: false })).changed, false);
  });

  it('derives the file name from the URL and applies mode to the new file', async (t) => {
    if (!twins.ready(t)) return;
    const repo = 'deb [arch=amd64] http://deb.debian.org/debian-security bookworm-security main';
    assert.equal((await both({ repo, mode: '0600', update_cache: false })).changed, true);
    assert.match(await sameFiles(), /deb_debian_org_debian_security\.list 600\n/);
  });

  it('re-enables a commented-out line in place and refreshes the package lists', async (t) => {
    if (!twins.ready(t)) return;
    for (const host of [twins.ansible, twins.tsplay]) {
      await host.conn.writeFile('/etc/apt/sources.list.d/updates.list', `#${UPDATES}   # keep me\n\n`);
    }
    const result = await both({ repo: UPDATES }, { diff: true });
    assert.equal(result.changed, true);
    assert.match(await sameFiles(), /updates\.list 644\ndeb http:\/\/deb\.debian\.org\/debian bookworm-updates main # keep me\n\n/);
    const lists = await twins.tsplay.conn.exec('ls /var/lib/apt/lists');
    assert.match(lists.stdout, /bookworm-updates_InRelease/);
  });

  it('rejects a line that is not a deb/deb-src source', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ repo: 'foo bar', update_cache: false });
    assert.equal(result.msg, 'Invalid repository string: foo bar');
  });

  it('puts the sources back when the package lists cannot be refreshed', async (t) => {
    if (!twins.ready(t)) return;
    // nothing listens on 127.0.0.1:9, so apt-get update fails for this repository
    const repo = 'deb http://127.0.0.1:9/debian bookworm main';
    const args = { repo, filename: 'broken', update_cache_retries: 1, update_cache_retry_max_delay: 1 };
    const [expected, actual] = await Promise.all([
      runAnsibleModule(twins.ansible.name, 'apt_repository', args),
      runModule(aptRepository, twins.tsplay.conn, { ...DEFAULTS, ...args }),
    ]);
    assert.equal(expected.failed, true);
    assert.equal(actual.failed, true);
    assert.match(String(expected.msg), /^Failed to update apt cache: /);
    assert.match(String(actual.msg), /^Failed to update apt cache: .*127\.0\.0\.1/);
    assert.doesNotMatch(await sameFiles(), /broken|127\.0\.0\.1/);
  });
});
