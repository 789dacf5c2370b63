/**
 * Pruning removes exactly the files neither this run nor the kept previous runs resolved to,
 * only once the new index is committed; a run that never commits changes nothing visible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { localFs } from '../../src/mirror/fs.js';
import { commit, publish, stage } from '../../src/mirror/publish.js';
import { makeWheel, type SyntheticWheel } from '../../src/mirror/synth.js';
import { scratchDir, snapshotTree, writeWheels } from './helpers.js';

const a1 = makeWheel({ name: 'alpha', version: '1.0' });
const a2 = makeWheel({ name: 'alpha', version: '2.0' });
const b1 = makeWheel({ name: 'beta', version: '1.0' });
const c1 = makeWheel({ name: 'gamma', version: '1.0' });

async function distributions(root: string): Promise<string[]> {
  return (await fsp.readdir(root)).filter((name) => name.endsWith('.whl')).sort();
}

async function liveFiles(root: string): Promise<string[]> {
  const index = JSON.parse(await fsp.readFile(path.join(root, 'simple', 'index.v1_json'), 'utf8')) as { projects: Array<{ name: string }> };
  const files: string[] = [];
  for (const project of index.projects) {
    const page = JSON.parse(await fsp.readFile(path.join(root, 'simple', project.name, 'index.v1_json'), 'utf8')) as { files: Array<{ filename: string }> };
    files.push(...page.files.map((file) => file.filename));
  }
  return files.sort();
}

async function run(root: string, wheels: SyntheticWheel[], keepPrevious: number): Promise<void> {
  await writeWheels(path.join(root, '.pip-mirrors', 'incoming'), wheels);
  await publish(localFs, root, { incoming: path.join(root, '.pip-mirrors', 'incoming'), prune: true, keepPrevious });
}

test('prune keeps this run and the last keep_previous runs, nothing else', async () => {
  const root = await scratchDir('prune');
  try {
    await run(root, [a1, b1], 1);
    assert.deepEqual(await distributions(root), [a1.filename, b1.filename]);
    await run(root, [a2, b1], 1);
    assert.deepEqual(await distributions(root), [a1.filename, a2.filename, b1.filename], 'a1 kept: previous run');
    await run(root, [a2, b1], 1);
    assert.deepEqual(await distributions(root), [a1.filename, a2.filename, b1.filename], 'an unchanged re-run is not a new run');
    await run(root, [a2, c1], 1);
    assert.deepEqual(await distributions(root), [a2.filename, b1.filename, c1.filename], 'a1 dropped: two runs back');
    assert.deepEqual(await liveFiles(root), await distributions(root), 'the index lists exactly what is kept');
    await run(root, [c1], 0);
    assert.deepEqual(await distributions(root), [c1.filename]);
    assert.deepEqual(await liveFiles(root), [c1.filename]);
    const leftovers = (await fsp.readdir(root)).filter((name) => name.endsWith('.metadata'));
    assert.deepEqual(leftovers, [`${c1.filename}.metadata`], 'metadata of removed wheels goes with them');
    assert.deepEqual(await fsp.readdir(path.join(root, '.pip-mirrors', 'runs')), ['000004.json'], 'manifests beyond keep_previous are dropped');
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});

test('without prune nothing is ever removed', async () => {
  const root = await scratchDir('noprune');
  try {
    await writeWheels(root, [a1, b1]);
    await publish(localFs, root);
    await writeWheels(root, [a2]);
    await publish(localFs, root);
    assert.deepEqual(await distributions(root), [a1.filename, a2.filename, b1.filename]);
    assert.deepEqual(await liveFiles(root), [a1.filename, a2.filename, b1.filename]);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});

test('a run that stages but never commits (failed verification) leaves the live mirror as it was', async () => {
  const root = await scratchDir('nocommit');
  try {
    await run(root, [a1, b1], 0);
    const before = await snapshotTree(root, (relative) => relative.startsWith('.pip-mirrors'));
    const liveBefore = await fsp.readlink(path.join(root, 'simple'));
    await writeWheels(path.join(root, '.pip-mirrors', 'incoming'), [c1]);
    const staged = await stage(localFs, root, { incoming: path.join(root, '.pip-mirrors', 'incoming'), prune: true });
    assert.deepEqual(staged.remove.filter((name) => name.endsWith('.whl')), [a1.filename, b1.filename]);
    assert.equal(await fsp.readlink(path.join(root, 'simple')), liveBefore);
    for (const [entry, value] of before) {
      if (entry.startsWith('.simple-') || entry === 'simple') continue;
      const now = await snapshotTree(root);
      assert.equal(now.get(entry), value, `${entry} untouched`);
    }
    assert.deepEqual(await liveFiles(root), [a1.filename, b1.filename]);
    // The next run starts over: what the failed run staged is not kept by the later commit.
    await run(root, [b1], 0);
    assert.deepEqual(await distributions(root), [b1.filename]);
    const committed = await commit(localFs, root);
    assert.equal(committed.changed, false, 'nothing left to commit');
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
