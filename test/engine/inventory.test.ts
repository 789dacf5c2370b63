import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/inventory.js';
import { matchHosts } from '../../src/inventory/patterns.js';
import { ansibleAvailable, requireService, runAnsiblePlaybook, runTsplay, tempDir } from '../support/services.js';

test('INI inventory: groups, children, inline Python-literal vars, :vars as strings, ranges', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hosts.ini');
  writeFileSync(file, `ungrouped1 x=5\n[web]\nweb[01:03] port=8080 flag=True\n[db]\ndb1 name="a b"\n[prod:children]\nweb\ndb\n[prod:vars]\nlevel=3\n`);
  const inv = loadInventory([file], dir);
  assert.deepEqual(inv.groupHosts('web'), ['web01', 'web02', 'web03']);
  assert.deepEqual(inv.groupHosts('prod'), ['web01', 'web02', 'web03', 'db1']);
  assert.deepEqual(inv.hosts.get('web02')?.vars, { port: 8080, flag: true });
  assert.equal(inv.hosts.get('db1')?.vars.name, 'a b');
  assert.equal(inv.groups.get('prod')?.vars.level, 3);
  assert.ok(inv.hosts.get('ungrouped1')?.groups.has('ungrouped'));
  assert.ok(inv.hosts.get('web01')?.groups.has('prod'));
  assert.deepEqual(matchHosts(inv, 'prod:!db'), ['web01', 'web02', 'web03']);
  assert.deepEqual(matchHosts(inv, 'web:&prod'), ['web01', 'web02', 'web03']);
  assert.deepEqual(matchHosts(inv, 'web0[12]'.replace('[12]', '*')), ['web01', 'web02', 'web03']);
  assert.deepEqual(matchHosts(inv, '~db\\d'), ['db1']);
});

test('YAML inventory and comma lists; implicit localhost only by name', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hosts.yml');
  writeFileSync(file, `all:\n  vars: {a: 1}\n  children:\n    app:\n      hosts:\n        h1: {ansible_connection: local}\n        h2:\n`);
  const inv = loadInventory([file, 'x1,x2,'], dir);
  assert.deepEqual(matchHosts(inv, 'all'), ['h1', 'h2', 'x1', 'x2']);
  assert.deepEqual(matchHosts(inv, 'app'), ['h1', 'h2']);
  const bare = loadInventory([], dir);
  assert.deepEqual(matchHosts(bare, 'all'), []);
  assert.deepEqual(matchHosts(bare, 'localhost'), ['localhost']);
  assert.equal(bare.hosts.get('localhost')?.vars.ansible_connection, 'local');
});

test('host patterns that match nothing: the same warnings and skip lines as ansible-playbook', async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-patterns-', t);
  writeFileSync(join(dir, 'inv.ini'), '[web]\nw1 ansible_connection=local\n');
  const play = (hosts: string) => `- hosts: '${hosts}'\n  gather_facts: false\n  tasks:\n    - debug: {msg: hi}\n`;
  // the same unmatched name twice: Ansible warns once per run
  writeFileSync(join(dir, 'site.yml'), ['web:nosuch', 'web:&gone', 'nosuch', 'web:!absent'].map(play).join(''));
  const shown = (text: string) => text.split('\n').filter((l) => /^\[WARNING\]: Could not match|^PLAY \[|^skipping:/.test(l));
  const args = ['-i', join(dir, 'inv.ini'), join(dir, 'site.yml'), '-l', 'web:w1:missing'];
  const ansible = await runAnsiblePlaybook(args, { cwd: dir });
  const ours = await runTsplay(['run', ...args], { cwd: dir, env: { TSPLAY_PLAIN: '1' } });
  assert.equal(ours.code, ansible.code);
  const expected = shown(ansible.stdout + ansible.stderr);
  assert.ok(expected.some((l) => l.startsWith('skipping:')) && expected.some((l) => l.includes('ignoring: gone')), expected.join('\n'));
  assert.deepEqual(shown(ours.stdout + ours.stderr).sort(), [...expected].sort());
  // where they go: warnings on stderr, the skip line on stdout, for both tools
  for (const r of [ansible, ours]) {
    assert.match(r.stderr, /\[WARNING\]: Could not match supplied host pattern, ignoring: nosuch/);
    assert.match(r.stdout, /^skipping: no hosts matched$/m);
  }
});

test('inventory warnings before the run, and ANSIBLE_INVENTORY: the same as ansible-playbook', async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-inventory-warnings-', t);
  writeFileSync(join(dir, 'empty.ini'), '[nobody]\n');
  writeFileSync(join(dir, 'hosts.ini'), 'h1 ansible_connection=local\n');
  writeFileSync(join(dir, 'site.yml'), '- hosts: all:localhost\n  gather_facts: false\n  tasks:\n    - debug: {msg: "{{ inventory_hostname }}"}\n');
  // ANSIBLE_INVENTORY must be unset, not empty (Ansible would read the working directory)
  assert.equal(process.env.ANSIBLE_INVENTORY, undefined);
  const on = { ANSIBLE_LOCALHOST_WARNING: 'true', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'true' };
  const cases: Array<{ args: string[]; env: Record<string, string>; warned: number }> = [
    { args: [], env: on, warned: 2 },
    { args: ['-i', 'empty.ini'], env: on, warned: 1 },
    { args: ['-i', 'localhost,'], env: on, warned: 0 },
    { args: [], env: { ...on, ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'no' }, warned: 0 },
    // without -i, ANSIBLE_INVENTORY names the inventory: h1 runs, nothing is warned
    { args: [], env: { ...on, ANSIBLE_INVENTORY: join(dir, 'hosts.ini') }, warned: 0 },
  ];
  const hosts = (out: string) => [...out.matchAll(/^ok: \[([^\]]+)\]/gm)].map((m) => m[1]).sort();
  for (const c of cases) {
    const args = [...c.args, 'site.yml'];
    const ansible = await runAnsiblePlaybook(args, { cwd: dir, env: c.env });
    const ours = await runTsplay(['run', ...args], { cwd: dir, env: { ...c.env, TSPLAY_PLAIN: '1' } });
    const what = `${args.join(' ')} ${JSON.stringify(c.env)}`;
    assert.equal(ours.code, ansible.code, what);
    assert.equal((ansible.stderr.match(/\[WARNING\]/g) ?? []).length, c.warned, `${what}: ${ansible.stderr}`);
    assert.equal(ours.stderr, ansible.stderr, what);
    assert.deepEqual(hosts(ours.stdout), hosts(ansible.stdout), what);
  }
});
