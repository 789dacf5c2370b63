/**
 * The TypeScript publisher (tsplay's module) and the role's Python publisher (ansible-playbook's
 * path) leave byte-identical trees, run after run, including prune mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { localFs } from '../../src/mirror/fs.js';
import { commit, publish, stage, type StageOptions } from '../../src/mirror/publish.js';
import { makeWheel, type SyntheticWheel } from '../../src/mirror/synth.js';
import { awkwardWheelSet, copyTree, runPythonPublisher, scratchDir, snapshotTree, writeWheels } from './helpers.js';

function pythonArgs(action: string, root: string, options: StageOptions): string[] {
  const args = [action, root];
  if (options.incoming) args.push('--incoming', options.incoming);
  if (options.prune) args.push('--prune');
  if (options.keepPrevious !== undefined) args.push('--keep-previous', String(options.keepPrevious));
  return args;
}

async function assertSameTrees(a: string, b: string, label: string): Promise<void> {
  const left = await snapshotTree(a);
  const right = await snapshotTree(b);
  assert.deepEqual([...left.keys()].sort(), [...right.keys()].sort(), `${label}: same entries`);
  for (const [key, value] of left) assert.equal(right.get(key), value, `${label}: ${key} differs`);
}

interface Step {
  /** wheels that appear before the step (in the root, or in incoming for prune runs) */
  wheels: SyntheticWheel[];
  options: Omit<StageOptions, 'incoming'> & { useIncoming?: boolean };
}

async function runBoth(steps: Step[]): Promise<void> {
  const dir = await scratchDir('parity');
  try {
    const tsRoot = path.join(dir, 'ts');
    const pyRoot = path.join(dir, 'py');
    await fsp.mkdir(tsRoot);
    await fsp.mkdir(pyRoot);
    for (const [i, step] of steps.entries()) {
      for (const root of [tsRoot, pyRoot]) {
        const target = step.options.useIncoming ? path.join(root, '.pip-mirrors', 'incoming') : root;
        await writeWheels(target, step.wheels);
      }
      const tsOptions: StageOptions = { ...step.options, incoming: step.options.useIncoming ? path.join(tsRoot, '.pip-mirrors/incoming') : undefined };
      const pyOptions: StageOptions = { ...step.options, incoming: step.options.useIncoming ? path.join(pyRoot, '.pip-mirrors/incoming') : undefined };
      const tsResult = await publish(localFs, tsRoot, tsOptions);
      const py = runPythonPublisher(pythonArgs('publish', pyRoot, pyOptions));
      assert.equal(py.status, 0, py.stderr);
      const pyStaged = JSON.parse(py.stdout.split('\n')[0].replace(/^pip-mirrors stage [^:]*: /, ''));
      assert.equal(pyStaged.index, tsResult.index, `step ${i}: same index name`);
      assert.deepEqual(pyStaged.remove, tsResult.remove, `step ${i}: same removals`);
      assert.equal(pyStaged.changed, tsResult.changed, `step ${i}: same changed`);
      await assertSameTrees(tsRoot, pyRoot, `step ${i}`);
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

test('plain publishing: same bytes from TypeScript and Python, run after run', async () => {
  await runBoth([
    { wheels: awkwardWheelSet(), options: {} },
    { wheels: [], options: {} },
    { wheels: [makeWheel({ name: 'Later.Added', version: '5.0', requiresPython: '>=3' })], options: {} },
  ]);
});

test('prune mode with keep_previous: same bytes and same removals', async () => {
  const a1 = makeWheel({ name: 'alpha', version: '1.0' });
  const a2 = makeWheel({ name: 'alpha', version: '2.0' });
  const b1 = makeWheel({ name: 'beta', version: '1.0', requiresPython: '>=3.8' });
  const c1 = makeWheel({ name: 'Gamma_Ray', version: '0.1' });
  await runBoth([
    { wheels: [a1, b1], options: { useIncoming: true, prune: true, keepPrevious: 1 } },
    { wheels: [a2, b1], options: { useIncoming: true, prune: true, keepPrevious: 1 } },
    { wheels: [a2, b1], options: { useIncoming: true, prune: true, keepPrevious: 1 } },
    { wheels: [a2, c1], options: { useIncoming: true, prune: true, keepPrevious: 0 } },
  ]);
});

test('stage then commit separately leaves the same tree as the Python publisher', async () => {
  const dir = await scratchDir('stage');
  try {
    const tsRoot = path.join(dir, 'ts');
    const pyRoot = path.join(dir, 'py');
    await writeWheels(tsRoot, awkwardWheelSet());
    await copyTree(tsRoot, pyRoot);
    const staged = await stage(localFs, tsRoot);
    assert.equal(await fsp.readlink(path.join(tsRoot, 'simple')).catch(() => 'none'), 'none', 'stage leaves the live index alone');
    const pyStage = runPythonPublisher(['stage', pyRoot]);
    assert.equal(pyStage.status, 0, pyStage.stderr);
    await assertSameTrees(tsRoot, pyRoot, 'after stage');
    const committed = await commit(localFs, tsRoot);
    assert.equal(committed.index, staged.index);
    const pyCommit = runPythonPublisher(['commit', pyRoot]);
    assert.equal(pyCommit.status, 0, pyCommit.stderr);
    await assertSameTrees(tsRoot, pyRoot, 'after commit');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
