import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getentModule } from '../../src/modules/builtin/getent.js';
import { tempfileModule } from '../../src/modules/builtin/tempfile.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

/** tempfile names are random: keep their shape only */
function masked(results: Record<string, ModuleResult>): Record<string, ModuleResult> {
  return JSON.parse(JSON.stringify(results).replace(/(ansible\.|pre-)[a-z0-9_]{8}/g, '$1XXXXXXXX')) as Record<string, ModuleResult>;
}

describe('getent and tempfile: same results as Ansible on twin containers', { timeout: 600_000 }, () => {
  const twins = twinHosts('tsplay-mod-getent');

  it('getent and tempfile', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'passwd', module: 'getent', args: { database: 'passwd' } },
      { name: 'root', module: 'getent', args: { database: 'passwd', key: 'root' } },
      { name: 'group', module: 'getent', args: { database: 'group', key: 'sudo' } },
      { name: 'services', module: 'getent', args: { database: 'services', key: 'ssh' } },
      { name: 'hosts', module: 'getent', args: { database: 'hosts', key: 'localhost', split: ' ' } },
      { name: 'missingKey', module: 'getent', args: { database: 'passwd', key: 'nobody-here' } },
      { name: 'missingKeyOk', module: 'getent', args: { database: 'passwd', key: 'nobody-here', fail_key: false } },
      { name: 'badDb', module: 'getent', args: { database: 'nosuchdb' } },
      { name: 'checkMode', module: 'getent', args: { database: 'group', key: 'root' }, check: true },
      { name: 'file', module: 'tempfile', args: {} },
      { name: 'dir', module: 'tempfile', args: { state: 'directory', prefix: 'pre-', suffix: '.d' } },
      { name: 'inDir', module: 'tempfile', args: { path: '/var/tmp', suffix: '.txt' } },
      { name: 'noDir', module: 'tempfile', args: { path: '/nonexistent' } },
    ];
    const modules = { getent: getentModule, tempfile: tempfileModule };
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, modules)]);
    assert.equal((actual.root.ansible_facts as Record<string, Record<string, string[]>>).getent_passwd.root[4], '/root');
    assert.equal(actual.file.changed, true);
    for (const name of ['file', 'dir', 'inDir']) {
      const path = String(actual[name].path);
      const st = await twins.tsplay.conn.stat(path);
      assert.equal(st?.type, name === 'dir' ? 'directory' : 'file');
      assert.equal(st?.mode, name === 'dir' ? 0o700 : 0o600);
    }
    assertSameResults(masked(actual), masked(expected));
  });
});
