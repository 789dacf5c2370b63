/**
 * tsplay.pip.simple_index through its ModuleDefinition, on a real LocalConnection: stage, commit
 * and publish results, idempotency, and a clear failure for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { ModuleContext } from '../../src/modules/types.js';
import { modules } from '../../src/modules/pip/index.js';
import { simpleIndexModule, type SimpleIndexArgs } from '../../src/modules/pip/simple_index.js';
import { makeWheel } from '../../src/mirror/synth.js';
import { scratchDir, writeWheels } from './helpers.js';

function context(warnings: string[], become = false): ModuleContext {
  return {
    conn: new LocalConnection(),
    host: 'localhost',
    check: false,
    diff: false,
    become: { become },
    env: {},
    facts: {},
    vars: {},
    findFile: () => undefined,
    renderTemplate: (source) => source,
    warn: (message) => warnings.push(message),
    log: () => undefined,
  };
}

function args(overrides: Partial<SimpleIndexArgs>): SimpleIndexArgs {
  return { path: '', action: 'publish', prune: false, keep_previous: 0, incoming: null, ...overrides };
}

test('the catalog exports the module under its FQCN', () => {
  assert.ok(modules.some((m) => m.name === 'tsplay.pip.simple_index'));
});

test('stage, then commit, then an unchanged publish', async () => {
  const root = await scratchDir('module');
  try {
    await writeWheels(root, [makeWheel({ name: 'Hello_World', version: '1.0' }), { filename: 'bad-1.0-py3-none-any.whl', data: Buffer.from('x') }]);
    const warnings: string[] = [];
    const staged = await simpleIndexModule.run(args({ path: root, action: 'stage' }), context(warnings));
    assert.equal(staged.changed, true);
    assert.equal(staged.files, 2);
    assert.match(String(staged.index), /^\.simple-[0-9a-f]{16}$/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /bad-1\.0-py3-none-any\.whl: unreadable wheel/);
    await assert.rejects(fsp.readlink(path.join(root, 'simple')), 'not live before commit');
    const committed = await simpleIndexModule.run(args({ path: root, action: 'commit' }), context([]));
    assert.equal(committed.changed, true);
    assert.equal(await fsp.readlink(path.join(root, 'simple')), staged.index);
    const again = await simpleIndexModule.run(args({ path: `${root}/` }), context([]));
    assert.equal(again.changed, false);
    assert.equal(again.index, staged.index);
    // through the Connection adapter (become), the same answer
    const viaConnection = await simpleIndexModule.run(args({ path: root }), context([], true));
    assert.equal(viaConnection.changed, false);
    assert.equal(viaConnection.index, staged.index);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});

test('bad input fails with a message, not a stack trace', async () => {
  const root = await scratchDir('module-bad');
  try {
    const missing = await simpleIndexModule.run(args({ path: path.join(root, 'nope') }), context([]));
    assert.equal(missing.failed, true);
    assert.match(String(missing.msg), /nope: not a directory/);
    const pruneWithoutIncoming = await simpleIndexModule.run(args({ path: root, prune: true }), context([]));
    assert.equal(pruneWithoutIncoming.failed, true);
    assert.match(String(pruneWithoutIncoming.msg), /prune needs the incoming directory/);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
