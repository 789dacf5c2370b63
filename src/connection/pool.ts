/**
 * The run's open connections, one per inventory host: concurrent first uses of a host (its own
 * tasks, a delegate_to from other hosts) share one open; a bounded number of handshakes run at
 * once (sshd drops unauthenticated connections beyond MaxStartups, 10 by default); everything is
 * closed on every way out of the run through closeAllConnections().
 */
import type { Connection } from './types.js';

/** at most this many connections are being opened at any moment (sshd's MaxStartups starts dropping at 10) */
export const DEFAULT_HANDSHAKE_LIMIT = 8;

/** a counting semaphore: run() waits for a free slot */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter, so `active` stays counted
      if (next) next();
      else this.active--;
    }
  }
}

/** every pool of this process, so a signal handler can close them without knowing the run */
const pools = new Set<ConnectionPool>();

export class ConnectionPool {
  private readonly conns = new Map<string, Promise<Connection>>();
  private readonly handshakes: Semaphore;

  constructor(handshakeLimit = DEFAULT_HANDSHAKE_LIMIT) {
    this.handshakes = new Semaphore(handshakeLimit);
    pools.add(this);
  }

  /**
   * The open connection for `key` (an inventory host name), made with `make` and connected on
   * first use. A failed open is forgotten once every waiter has seen the error, so a later task
   * (a delegate_to to a host that came back) tries again.
   */
  get(key: string, make: () => Promise<Connection>): Promise<Connection> {
    const existing = this.conns.get(key);
    if (existing) return existing;
    const opening = this.handshakes.run(async () => {
      const conn = await make();
      await conn.connect();
      return conn;
    });
    this.conns.set(key, opening);
    opening.catch(() => {
      if (this.conns.get(key) === opening) this.conns.delete(key);
    });
    return opening;
  }

  /** the connection already opened (or being opened) for key */
  peek(key: string): Promise<Connection> | undefined {
    return this.conns.get(key);
  }

  keys(): string[] {
    return [...this.conns.keys()];
  }

  has(key: string): boolean {
    return this.conns.has(key);
  }

  /** closes and forgets the connection of key; the next get() opens a new one */
  async close(key: string): Promise<void> {
    const opening = this.conns.get(key);
    if (!opening) return;
    this.conns.delete(key);
    const conn = await opening.catch(() => undefined);
    await conn?.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const keys = [...this.conns.keys()];
    await Promise.all(keys.map((k) => this.close(k)));
  }

  /** closes everything and leaves the process-wide list (the run is over) */
  async dispose(): Promise<void> {
    await this.closeAll();
    pools.delete(this);
  }
}

/** closes every connection of every run in this process: for exit paths that have no run at hand (signals) */
export async function closeAllConnections(): Promise<void> {
  await Promise.all([...pools].map((p) => p.dispose()));
}
