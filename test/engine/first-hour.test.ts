/**
 * A new user's first hour: the project's playbooks and roles are found from any directory, and an
 * error names its place once, as file:line:column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ansibleAvailable, repoRoot, requireService, runAnsiblePlaybook, runTsplay, tempDir } from '../support/services.js';

const SITE = join(repoRoot(), 'playbooks', 'site.yaml');

test('tsplay check finds the shipped roles for playbooks/site.yaml from any directory', async (t) => {
  const elsewhere = await tempDir('tsplay-elsewhere-', t);
  const res = await runTsplay(['check', SITE], { cwd: elsewhere });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /site\.yaml: OK/);
});

test('ansible-playbook finds them the same way (playbooks/roles beside the playbook)', async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const elsewhere = await tempDir('tsplay-elsewhere-', t);
  const res = await runAnsiblePlaybook(['--syntax-check', SITE], { cwd: elsewhere });
  assert.equal(res.code, 0, res.stdout + res.stderr);
});

test('tsplay schema answers for a shipped role from any directory, and names every place it searched otherwise', async (t) => {
  const elsewhere = await tempDir('tsplay-elsewhere-', t);
  const ok = await runTsplay(['schema', 'pip-mirrors'], { cwd: elsewhere });
  assert.equal(ok.code, 0, ok.stderr);
  const schema = JSON.parse(ok.stdout) as { properties: Record<string, unknown> };
  assert.ok('platforms' in schema.properties && 'packages' in schema.properties, ok.stdout);

  const missing = await runTsplay(['schema', 'no-such-role'], { cwd: elsewhere });
  assert.equal(missing.code, 3, missing.stderr);
  const searched = /was not found in (\S+)/.exec(missing.stderr)?.[1]?.split(':') ?? [];
  assert.ok(searched.includes(join(elsewhere, 'roles')), missing.stderr);
  assert.ok(searched.includes(join(repoRoot(), 'roles')), missing.stderr);
  assert.equal(new Set(searched).size, searched.length, `no directory named twice: ${missing.stderr}`);
});

test('an error names its place once, as file:line:column, then the offending line', async (t) => {
  const dir = await tempDir('tsplay-error-place-', t);
  const play = join(dir, 'play.yaml');
  await writeFile(play, '- hosts: localhost\n  tasks:\n    - debug: msg=one\n      bad: [1\n');
  const res = await runTsplay(['run', play], { cwd: dir });
  assert.equal(res.code, 3, res.stderr);
  const places = res.stderr.match(new RegExp(`${play.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`, 'g')) ?? [];
  assert.equal(places.length, 1, res.stderr);
  assert.doesNotMatch(res.stderr, /but may\s+be elsewhere/, res.stderr);
  assert.match(res.stderr, /\^ here/);
});
