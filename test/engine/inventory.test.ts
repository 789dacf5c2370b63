import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/inventory.js';
import { matchHosts } from '../../src/inventory/patterns.js';

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
