/**
 * The run's connection pool: concurrent first uses share one open, at most N opens run at once,
 * a failed open is retried by the next use, and closeAllConnections() closes every open one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionPool, closeAllConnections } from '../../src/connection/pool.js';
import type { Connection } from '../../src/connection/types.js';

/** only what the pool touches: connect and close */
function fakeConnection(log: string[], name: string, delayMs: number, fail = false): Connection {
  return {
    transport: 'fake',
    host: name,
    async connect() {
      log.push(`connect ${name}`);
      await new Promise((r) => setTimeout(r, delayMs));
      if (fail) throw new Error(`cannot reach ${name}`);
    },
    async close() {
      log.push(`close ${name}`);
    },
  } as unknown as Connection;
}

test('concurrent first uses share one open; a failed open is tried again by the next use', async () => {
  const log: string[] = [];
  const pool = new ConnectionPool(8);
  let made = 0;
  const make = async () => {
    made++;
    return fakeConnection(log, 'a', 20);
  };
  const [c1, c2, c3] = await Promise.all([pool.get('a', make), pool.get('a', make), pool.get('a', make)]);
  assert.equal(made, 1);
  assert.ok(c1 === c2 && c2 === c3);
  let attempts = 0;
  const failing = async () => fakeConnection(log, 'b', 1, ++attempts === 1);
  await assert.rejects(pool.get('b', failing), /cannot reach b/);
  await new Promise((r) => setImmediate(r));
  await pool.get('b', failing);
  assert.equal(attempts, 2);
  await pool.dispose();
  assert.deepEqual(log.filter((l) => l.startsWith('close')).sort(), ['close a', 'close b']);
});

test('at most N connections are opened at once', async () => {
  const pool = new ConnectionPool(3);
  let active = 0;
  let peak = 0;
  const make = (name: string) => async () =>
    ({
      transport: 'fake',
      host: name,
      async connect() {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 15));
        active--;
      },
      async close() {},
    }) as unknown as Connection;
  await Promise.all(Array.from({ length: 10 }, (_, i) => pool.get(`h${i}`, make(`h${i}`))));
  assert.equal(peak, 3);
  assert.equal(pool.keys().length, 10);
  await pool.dispose();
});

test('closeAllConnections closes the connections of every pool', async () => {
  const log: string[] = [];
  const p1 = new ConnectionPool();
  const p2 = new ConnectionPool();
  await p1.get('x', async () => fakeConnection(log, 'x', 1));
  await p2.get('y', async () => fakeConnection(log, 'y', 1));
  await closeAllConnections();
  assert.deepEqual(log.filter((l) => l.startsWith('close')).sort(), ['close x', 'close y']);
  assert.equal(p1.keys().length + p2.keys().length, 0);
});
