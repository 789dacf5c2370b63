/**
 * The publisher through a Connection (what the module does over SSH or Docker): the same bytes as
 * the role's Python publisher, and a fixed number of round trips to the target however many
 * wheels there are (hashing, listing and ranged reads run as batched commands on the target, not
 * one stat and one whole-file read per wheel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { Connection } from '../../src/connection/types.js';
import { connectionFs } from '../../src/mirror/fs.js';
import { publish } from '../../src/mirror/publish.js';
import { makeWheel, type SyntheticWheel } from '../../src/mirror/synth.js';
import { writeZip } from '../../src/mirror/zip.js';
import { awkwardWheelSet, runPythonPublisher, scratchDir, snapshotTree, writeWheels } from './helpers.js';

/** a LocalConnection that counts the calls made on it: each is a round trip over SSH */
function counting(conn: Connection): { conn: Connection; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(conn, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { conn: proxy, calls };
}

function total(calls: Map<string, number>): number {
  return [...calls.values()].reduce((a, b) => a + b, 0);
}

function goodWheels(count: number): SyntheticWheel[] {
  return Array.from({ length: count }, (_, i) => makeWheel({ name: `pkg${i}`, version: '1.0', requiresPython: '>=3.8' }));
}

/** a wheel whose central directory is larger than the end read first (2,000 members) */
function bigDirectoryWheel(): SyntheticWheel {
  const files = Array.from({ length: 2000 }, (_, i) => ({ name: `big_pkg/a/rather/long/module/path/number_${i}.py`, data: `# ${i}\n` }));
  files.push({ name: 'big_pkg-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: big-pkg\nVersion: 1.0\nRequires-Python: >=3.9\n' });
  return { filename: 'big_pkg-1.0-py3-none-any.whl', data: writeZip(files) };
}

test('through a connection the publisher leaves the same bytes as the Python publisher, odd wheels included', async () => {
  const dir = await scratchDir('conn');
  const conn = new LocalConnection();
  try {
    const wheels = [...awkwardWheelSet(), bigDirectoryWheel(), ...goodWheels(3)];
    const tsRoot = path.join(dir, 'ts');
    const pyRoot = path.join(dir, 'py');
    for (const root of [tsRoot, pyRoot]) await writeWheels(root, wheels);
    const first = await publish(connectionFs(conn), tsRoot, {});
    const py = runPythonPublisher(['publish', pyRoot]);
    assert.equal(py.status, 0, py.stderr);
    assert.ok(first.warnings.some((w) => w.startsWith('broken_pkg-1.0-py3-none-any.whl: unreadable wheel')), first.warnings.join('\n'));
    // a stale `.metadata` of the member's very size must be noticed (by its CRC), not reused
    for (const root of [tsRoot, pyRoot]) {
      const file = path.join(root, 'pkg0-1.0-py3-none-any.whl.metadata');
      const bytes = await fsp.readFile(file);
      await fsp.writeFile(file, Buffer.from(bytes.toString('latin1').replace('1.0', '9.9'), 'latin1'));
    }
    const second = await publish(connectionFs(conn), tsRoot, {});
    const py2 = runPythonPublisher(['publish', pyRoot]);
    assert.equal(py2.status, 0, py2.stderr);
    assert.equal(second.index, JSON.parse(py2.stdout.split('\n')[0].replace(/^pip-mirrors stage [^:]*: /, '')).index);
    const left = await snapshotTree(tsRoot);
    const right = await snapshotTree(pyRoot);
    assert.deepEqual([...left.keys()].sort(), [...right.keys()].sort());
    for (const [key, value] of left) assert.equal(right.get(key), value, `${key} differs`);
    const bigPage = [...left.keys()].find((key) => /^\.simple-[0-9a-f]+\/big-pkg\/index\.html$/.test(key));
    assert.ok(bigPage, 'the wheel with the large directory is indexed');
    assert.match(Buffer.from(left.get(bigPage)!.slice('file:'.length), 'base64').toString(), /data-requires-python="&gt;=3.9"/);
  } finally {
    await conn.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('publishing again through a connection takes the same number of round trips for 10 wheels as for 60', async () => {
  const dir = await scratchDir('trips');
  const local = new LocalConnection();
  try {
    const counts: number[] = [];
    for (const count of [10, 60]) {
      const root = path.join(dir, String(count));
      await writeWheels(root, goodWheels(count));
      await publish(connectionFs(local), root, {});
      const { conn, calls } = counting(local);
      const again = await publish(connectionFs(conn), root, {});
      assert.equal(again.changed, false);
      assert.equal(again.files, count);
      assert.equal(calls.get('readFile') ?? 0, 1, `only the pending record is read whole: ${JSON.stringify([...calls])}`);
      counts.push(total(calls));
    }
    assert.equal(counts[0], counts[1], `round trips for 10 and 60 wheels: ${counts.join(' vs ')}`);
    assert.ok(counts[0] < 40, `a handful of round trips, not several per wheel: ${counts[0]}`);
  } finally {
    await local.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
