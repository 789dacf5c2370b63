/**
 * parallel: true fetches every platform at once (async tasks, one container name per platform)
 * and leaves the same tree as ansible-playbook's parallel run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  ansibleAvailable,
  baseImage,
  dockerAvailable,
  requireService,
  runAnsiblePlaybook,
  runTsplay,
  startFixtureIndex,
  tempDir,
} from '../support/services.js';
import { REPO_ROOT, snapshotTree } from './helpers.js';

const roleEnv = { ANSIBLE_ROLES_PATH: path.join(REPO_ROOT, 'roles') };

test('parallel platforms: both tools, same tree, each platform its own container', { timeout: 20 * 60_000 }, async (t) => {
  if (!requireService(t, 'dockerd', await dockerAvailable(), 'start it: scripts/env/dockerd.sh start')) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible python3-docker')) return;
  const images = [await baseImage('bookworm'), await baseImage('second')];
  const index = await startFixtureIndex(t);
  const dir = await tempDir('tsplay-mirror-parallel-', t);
  const vars = {
    docker_install_source: 'debian',
    network_mode: 'host',
    upstream_index_url: index.url,
    parallel: true,
    mirror_packages: ['zope.thing', 'tsplay_fixture_lib<2'],
    mirror_platforms: images.map((image, i) => ({ image, name: `p${i}`, 'pre-command': 'export SOURCE_DATE_EPOCH=1700000000' })),
  };
  const varsFile = path.join(dir, 'vars.json');
  await fsp.writeFile(varsFile, JSON.stringify(vars));
  const args = (base: string): string[] => [path.join(REPO_ROOT, 'playbooks/site.yaml'), '--tags', 'pip', '-e', `@${varsFile}`, '-e', `mirror_base_path=${base}`];
  const viaTsplay = await runTsplay(['run', ...args(path.join(dir, 't'))], { env: roleEnv, cwd: REPO_ROOT, timeoutMs: 10 * 60_000 });
  assert.equal(viaTsplay.code, 0, viaTsplay.stdout + viaTsplay.stderr);
  assert.match(viaTsplay.stdout, /Wait for every platform's fetch to finish/);
  const viaAnsible = await runAnsiblePlaybook(args(path.join(dir, 'a')), { env: roleEnv, cwd: REPO_ROOT, timeoutMs: 10 * 60_000 });
  assert.equal(viaAnsible.code, 0, viaAnsible.stdout + viaAnsible.stderr);
  for (const output of [viaTsplay.stdout, viaAnsible.stdout]) {
    assert.ok(output.includes('do_pip_fetch_p0') || output.includes("'name': 'p0'"), 'platform p0 fetched');
  }
  const ts = await snapshotTree(path.join(dir, 't', 'pip'));
  const an = await snapshotTree(path.join(dir, 'a', 'pip'));
  assert.deepEqual([...ts.keys()].sort(), [...an.keys()].sort());
  for (const [entry, value] of ts) assert.equal(an.get(entry), value, entry);
  for (const platform of ['p0', 'p1']) {
    const names = (await fsp.readdir(path.join(dir, 't', 'pip', platform))).filter((n) => n.endsWith('.whl'));
    assert.ok(names.some((n) => /^zope[._]thing-1\.0-/.test(n)), `${platform}: ${names.join(' ')}`);
    assert.ok(names.some((n) => /^tsplay_fixture_lib-1\.0-/.test(n)), `${platform}: ${names.join(' ')}`);
  }
});
