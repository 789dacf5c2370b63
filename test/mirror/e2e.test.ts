/**
 * End to end with real components: dockerd, two locally built platform images (Debian 12 /
 * Python 3.11 and Debian 13 / Python 3.13), a fixture upstream index on 127.0.0.1 with sdists
 * that must be built, a project with two versions and names needing normalisation.
 * playbooks/site.yaml runs through tsplay and through ansible-playbook; both must leave the same
 * tree, every package must install offline on every platform, and a run whose upstream dies
 * mid-fetch must leave the previous mirror intact and usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  ansibleAvailable,
  baseImage,
  dockerAvailable,
  requireService,
  runAnsiblePlaybook,
  runCommand,
  runTsplay,
  startFixtureIndex,
  tempDir,
} from '../support/services.js';
import { REPO_ROOT, snapshotTree } from './helpers.js';

// Specs with a range (`>` and `<` once became shell redirections), spaces, quotes and a marker.
const PACKAGES = [
  'Hello_World',
  "zope.thing>=1.0,<3 ; python_version >= '3'",
  'tsplay-fixture-app',
  'tsplay_fixture_lib == 1.0',
];
const PLATFORM_NAMES = ['debian-12', 'debian-13'];
const RUN_TIMEOUT_MS = 15 * 60_000;

interface Setup {
  images: string[];
  varsFile: string;
  dir: string;
}

async function writeVars(dir: string, images: string[], indexUrl: string, packages: string[]): Promise<string> {
  const file = path.join(dir, `vars-${createHash('sha256').update(packages.join('\n') + indexUrl).digest('hex').slice(0, 8)}.json`);
  const vars = {
    docker_install_source: 'debian',
    network_mode: 'host',
    upstream_index_url: indexUrl,
    verify: true,
    prune: true,
    keep_previous: 0,
    mirror_packages: packages,
    mirror_platforms: images.map((image, i) => ({
      image,
      name: PLATFORM_NAMES[i],
      // Reproducible wheels from sdists, so both tools' trees can be compared byte for byte.
      'pre-command': 'export SOURCE_DATE_EPOCH=1700000000',
    })),
  };
  await fsp.writeFile(file, JSON.stringify(vars));
  return file;
}

function sitePlaybookArgs(varsFile: string, base: string): string[] {
  return [path.join(REPO_ROOT, 'playbooks/site.yaml'), '--tags', 'pip', '-e', `@${varsFile}`, '-e', `mirror_base_path=${base}`];
}

const roleEnv = { ANSIBLE_ROLES_PATH: path.join(REPO_ROOT, 'roles') };

async function tsplayRun(varsFile: string, base: string): Promise<{ code: number; output: string }> {
  const res = await runTsplay(['run', ...sitePlaybookArgs(varsFile, base)], { env: roleEnv, cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS });
  return { code: res.code, output: res.stdout + res.stderr };
}

async function ansibleRun(varsFile: string, base: string): Promise<{ code: number; output: string }> {
  const res = await runAnsiblePlaybook(sitePlaybookArgs(varsFile, base), { env: roleEnv, cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS });
  return { code: res.code, output: res.stdout + res.stderr };
}

/** pip installs every package from the platform's live index in its image with no network. */
async function assertOfflineInstall(image: string, platformDir: string, packages: string[]): Promise<void> {
  const script = 'pip install --isolated --disable-pip-version-check --no-cache-dir --index-url file:///mnt/simple/ --target /tmp/site "$@"';
  const res = await runCommand('docker', [
    'run', '--rm', '--network', 'none', '-v', `${platformDir}:/mnt:ro`, image, 'bash', '-c', script, 'install', ...packages,
  ], { timeoutMs: 5 * 60_000 });
  assert.equal(res.code, 0, `offline install on ${image} from ${platformDir}:\n${res.stdout}${res.stderr}`);
  assert.match(res.stdout, /Successfully installed .*Hello[-_]World/i);
}

/** every project page's JSON and HTML name files whose bytes hash as they say */
async function assertIndexValid(platformDir: string): Promise<string[]> {
  const simple = path.join(platformDir, 'simple');
  const root = JSON.parse(await fsp.readFile(path.join(simple, 'index.v1_json'), 'utf8')) as { projects: Array<{ name: string }> };
  const files: string[] = [];
  for (const { name } of root.projects) {
    const page = JSON.parse(await fsp.readFile(path.join(simple, name, 'index.v1_json'), 'utf8')) as {
      files: Array<{ filename: string; hashes: { sha256: string }; size: number }>;
    };
    const html = await fsp.readFile(path.join(simple, name, 'index.html'), 'utf8');
    for (const file of page.files) {
      const data = await fsp.readFile(path.join(platformDir, file.filename));
      assert.equal(createHash('sha256').update(data).digest('hex'), file.hashes.sha256, file.filename);
      assert.equal(data.length, file.size);
      assert.ok(html.includes(`#sha256=${file.hashes.sha256}"`), `${name}/index.html links ${file.filename} with its hash`);
      files.push(file.filename);
    }
  }
  return files.sort();
}

/** the `changed=` count of localhost's recap line */
function recapChanged(output: string): number {
  const m = /^localhost\s*:\s*ok=\d+\s+changed=(\d+)/m.exec(output);
  assert.ok(m, `no recap line for localhost in:\n${output}`);
  return Number(m[1]);
}

async function prerequisites(t: import('node:test').TestContext): Promise<boolean> {
  if (!requireService(t, 'dockerd', await dockerAvailable(), 'start it: scripts/env/dockerd.sh start')) return false;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible python3-docker')) return false;
  return true;
}

test('site.yaml --tags pip: tsplay and ansible-playbook build the same mirror; every platform installs offline; a failed run keeps it', { timeout: 40 * 60_000 }, async (t) => {
  if (!(await prerequisites(t))) return;
  const images = [await baseImage('bookworm'), await baseImage('second')];
  const index = await startFixtureIndex(t);
  const dir = await tempDir('tsplay-mirror-e2e-', t);
  const varsFile = await writeVars(dir, images, index.url, PACKAGES);
  const setup: Setup = { images, varsFile, dir };

  const viaTsplay = await tsplayRun(setup.varsFile, path.join(dir, 'tsplay'));
  assert.equal(viaTsplay.code, 0, viaTsplay.output);
  const viaAnsible = await ansibleRun(setup.varsFile, path.join(dir, 'ansible'));
  assert.equal(viaAnsible.code, 0, viaAnsible.output);

  // Molecule's idempotence check: a second identical run changes nothing, under both tools.
  for (const [tool, again] of [
    ['tsplay', () => tsplayRun(setup.varsFile, path.join(dir, 'tsplay'))],
    ['ansible-playbook', () => ansibleRun(setup.varsFile, path.join(dir, 'ansible'))],
  ] as const) {
    const second = await again();
    assert.equal(second.code, 0, second.output);
    assert.equal(recapChanged(second.output), 0, `${tool}: the second identical run reports changes:\n${second.output}`);
  }

  const tsTree = await snapshotTree(path.join(dir, 'tsplay', 'pip'));
  const ansibleTree = await snapshotTree(path.join(dir, 'ansible', 'pip'));
  assert.deepEqual([...tsTree.keys()].sort(), [...ansibleTree.keys()].sort(), 'same entries under both tools');
  for (const [entry, value] of tsTree) assert.equal(ansibleTree.get(entry), value, `${entry} is byte-identical`);

  for (const [i, name] of PLATFORM_NAMES.entries()) {
    const platformDir = path.join(dir, 'tsplay', 'pip', name);
    const files = await assertIndexValid(platformDir);
    assert.ok(files.some((f) => /^hello_world-1\.0-.*\.whl$/i.test(f)), `${name}: Hello_World built from its sdist: ${files.join(' ')}`);
    assert.ok(files.some((f) => /^tsplay_fixture_lib-1\.0-/.test(f)), `${name}: the pinned version`);
    assert.ok(!files.some((f) => /^tsplay_fixture_lib-2\.0-/.test(f)), `${name}: not the other version`);
    assert.ok(files.some((f) => /^zope[._]thing-1\.0-/.test(f)), `${name}: zope.thing`);
    await assertOfflineInstall(images[i], platformDir, PACKAGES);
  }

  // A later run asks for the other version of the library while its upstream dies mid-download:
  // the run fails, and the mirror stays exactly as it was and still installs offline.
  const slowIndex = await startFixtureIndex(t, { chunkBytes: 64, chunkDelayMs: 500 });
  const changed = ['Hello_World', 'tsplay_fixture_lib == 2.0'];
  const slowVars = await writeVars(dir, images, slowIndex.url, changed);
  const base = path.join(dir, 'tsplay');
  const before = await snapshotTree(path.join(base, 'pip'));
  const running = tsplayRun(slowVars, base);
  const deadline = Date.now() + 10 * 60_000;
  while (!slowIndex.requests.some((p) => p.startsWith('/packages/') && /fixture_lib-2\.0/.test(p))) {
    assert.ok(Date.now() < deadline, `the fetch never asked for the new version: ${slowIndex.requests.join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await slowIndex.stop();
  const failed = await running;
  assert.notEqual(failed.code, 0, `the run must fail when its upstream dies:\n${failed.output}`);
  const after = await snapshotTree(path.join(base, 'pip'));
  const ignoreIncoming = (key: string): boolean => key.includes('/.pip-mirrors/incoming');
  assert.deepEqual([...after.keys()].filter((k) => !ignoreIncoming(k)).sort(), [...before.keys()].sort(), 'no file added or removed');
  for (const [entry, value] of before) assert.equal(after.get(entry), value, `${entry} unchanged by the failed run`);
  for (const [i, name] of PLATFORM_NAMES.entries()) await assertOfflineInstall(images[i], path.join(base, 'pip', name), PACKAGES);
});
