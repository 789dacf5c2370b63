/**
 * Role argument validation parity with ansible-core 2.14: the whole table and the real-world
 * specs against Ansible's cached verdicts, and a live re-run of a sample through real
 * ansible-playbook so the cache cannot drift from what Ansible really says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ansibleAvailable, requireService, tempDir } from '../support/services.js';
import { liveSample, parityCases } from './cases.js';
import { ansibleVerdicts, buildCaseRoles, compareVerdicts, normalizeLine, tsplayVerdicts, type Verdict } from './oracle.js';
import { moduleParityReport, parityReport, render } from './report.js';
import { ansibleModuleVerdicts, compareModuleVerdicts, moduleCases, tsplayModuleVerdict, type ModuleVerdict } from './module-oracle.js';
import { moduleOnlyCases } from './cases.js';
import { realworldCases, realworldSources, REALWORLD_MAGIC_VARS, REALWORLD_PLAY_VARS } from './realworld.js';
import { readVerdictCache } from './verdicts-file.js';

function formatDisagreements(list: Array<{ id: string; reason: string }>): string {
  return list.map((d) => `${d.id}: ${d.reason}`).join('\n');
}

test('the parity table has at least 150 cases, valid and invalid', async () => {
  const cache = await readVerdictCache();
  assert.ok(parityCases.length >= 150, `only ${parityCases.length} cases`);
  const failing = parityCases.filter((c) => cache.verdicts[c.id]?.failed).length;
  assert.ok(failing >= 50 && parityCases.length - failing >= 50, `${failing} failing of ${parityCases.length}: the table must hold both kinds`);
  assert.equal(new Set(parityCases.map((c) => c.id)).size, parityCases.length, 'case ids must be unique');
});

test('tsplay gives Ansible\'s verdict and error lines for every case of the table', async () => {
  const report = await parityReport('table');
  assert.equal(report.total, parityCases.length);
  assert.deepEqual(report.disagreements, [], formatDisagreements(report.disagreements));
});

test('real-world argument specs: tsplay agrees with Ansible on sample calls', async () => {
  assert.ok(realworldSources().length >= 12, 'a dozen real-world spec files are expected');
  const report = await parityReport('realworld');
  assert.deepEqual(report.disagreements, [], formatDisagreements(report.disagreements));
  assert.ok(report.failedInAnsible > 10, 'the sample calls must include failing ones');
});

function sameVerdict(live: Verdict, cached: Verdict): boolean {
  const norm = (v: Verdict): string =>
    JSON.stringify({ ...v, errors: v.errors.map(normalizeLine), crash: v.crash?.replace(/\/tmp\/[^\s'"]+/gu, '<tmp>') });
  return norm(live) === norm(cached);
}

test('live: real ansible-playbook still answers as the cache says (sample)', { timeout: 180_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const table = liveSample(30);
  const world = realworldCases().filter((_, i) => i % 6 === 3);
  const tableCache = await readVerdictCache();
  const worldCache = await readVerdictCache('realworld-verdicts.json');

  const dirA = await tempDir('tsplay-argspec-live-', t);
  const liveTable = await ansibleVerdicts(dirA, table);
  const dirB = await tempDir('tsplay-argspec-live-world-', t);
  const liveWorld = await ansibleVerdicts(dirB, world, REALWORLD_PLAY_VARS);

  const drift: string[] = [];
  for (const c of table) if (!sameVerdict(liveTable[c.id], tableCache.verdicts[c.id])) drift.push(c.id);
  for (const c of world) if (!sameVerdict(liveWorld[c.id], worldCache.verdicts[c.id])) drift.push(c.id);
  assert.deepEqual(drift, [], 'cached verdicts differ from live Ansible: run node dist/test/argspec/regenerate.js');

  // and tsplay agrees with the live answers directly
  await buildCaseRoles(dirA, table);
  const oursTable = await tsplayVerdicts(dirA, table);
  const oursWorld = await tsplayVerdicts(dirB, world, { ...REALWORLD_PLAY_VARS, ...REALWORLD_MAGIC_VARS }, render);
  const disagreements = [
    ...table.map((c) => ({ id: c.id, reason: compareVerdicts(liveTable[c.id], oursTable[c.id], c.malformed) })),
    ...world.map((c) => ({ id: c.id, reason: compareVerdicts(liveWorld[c.id], oursWorld[c.id], c.malformed) })),
  ].filter((d): d is { id: string; reason: string } => d.reason !== undefined);
  assert.deepEqual(disagreements, [], formatDisagreements(disagreements));
  assert.ok(table.length >= 25 && world.length >= 8);
});

test('module mode: tsplay gives AnsibleModule\'s message, params and warnings for every case', async () => {
  const report = await moduleParityReport();
  assert.ok(report.total >= 150, `only ${report.total} module cases`);
  assert.deepEqual(report.disagreements, [], formatDisagreements(report.disagreements));
});

test('live: a real Ansible module still validates as the module cache says (sample)', { timeout: 180_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const all = [...moduleCases(parityCases), ...moduleOnlyCases];
  const sample = all.filter((_, i) => i % Math.floor(all.length / 10) === 5).slice(0, 10);
  const cache = await readVerdictCache<ModuleVerdict>('module-verdicts.json');
  const dir = await tempDir('tsplay-argspec-live-module-', t);
  const live = await ansibleModuleVerdicts(dir, sample);
  const problems = sample
    .map((c) => ({
      id: c.id,
      reason: compareModuleVerdicts(c, live[c.id], cache.verdicts[c.id]) ?? compareModuleVerdicts(c, live[c.id], tsplayModuleVerdict(c)),
    }))
    .filter((d): d is { id: string; reason: string } => d.reason !== undefined);
  assert.deepEqual(problems, [], formatDisagreements(problems));
  assert.equal(sample.length, 10);
});
