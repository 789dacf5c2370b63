/**
 * uid/gid ⇄ name lookups on the target, from its /etc/passwd and /etc/group read through the
 * connection (no process spawn). Cached per connection and re-read when either file changes, so
 * a user created earlier in the run is found.
 */
import type { Connection } from '../../../connection/types.js';
import { underlyingConnection } from './statcache.js';

interface AccountDb {
  stamp: string;
  userByName: Map<string, number>;
  userById: Map<number, string>;
  groupByName: Map<string, number>;
  groupById: Map<number, string>;
  homeByName: Map<string, string>;
}

const cache = new WeakMap<Connection, AccountDb>();
/** how long a loaded account database is trusted without looking at the files again */
const TRUST_MS = 2000;
const loadedAt = new WeakMap<Connection, number>();

async function readOrEmpty(conn: Connection, path: string): Promise<string> {
  try {
    return (await conn.readFile(path)).toString('utf8');
  } catch {
    return '';
  }
}

async function load(conn: Connection, recheck = false): Promise<AccountDb> {
  // each module run sees the connection through its own view; the accounts belong to the target
  const target = underlyingConnection(conn);
  const known = cache.get(target);
  if (known && !recheck && Date.now() - (loadedAt.get(target) ?? 0) < TRUST_MS) return known;
  const [pw, gr] = await Promise.all([conn.stat('/etc/passwd', { follow: true }), conn.stat('/etc/group', { follow: true })]);
  const stamp = `${pw?.mtimeMs}:${pw?.size}:${gr?.mtimeMs}:${gr?.size}`;
  const cached = cache.get(target);
  if (cached && cached.stamp === stamp) {
    loadedAt.set(target, Date.now());
    return cached;
  }
  const [passwd, group] = await Promise.all([readOrEmpty(conn, '/etc/passwd'), readOrEmpty(conn, '/etc/group')]);
  const db: AccountDb = {
    stamp,
    userByName: new Map(),
    userById: new Map(),
    groupByName: new Map(),
    groupById: new Map(),
    homeByName: new Map(),
  };
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (!db.userByName.has(f[0])) db.userByName.set(f[0], id);
    if (!db.userById.has(id)) db.userById.set(id, f[0]);
    db.homeByName.set(f[0], f[5]);
  }
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (!db.groupByName.has(f[0])) db.groupByName.set(f[0], id);
    if (!db.groupById.has(id)) db.groupById.set(id, f[0]);
  }
  cache.set(target, db);
  loadedAt.set(target, Date.now());
  return db;
}

export class Accounts {
  private constructor(private readonly db: AccountDb) {}

  /**
   * The target's accounts. A name or id that the cached copy lacks makes the caller ask with
   * `fresh`, so a user created a moment ago by another task is still found.
   */
  static async of(conn: Connection, fresh = false): Promise<Accounts> {
    return new Accounts(await load(conn, fresh));
  }

  userName(uid: number): string | undefined {
    return this.db.userById.get(uid);
  }
  groupName(gid: number): string | undefined {
    return this.db.groupById.get(gid);
  }
  uid(name: string): number | undefined {
    return this.db.userByName.get(name);
  }
  gid(name: string): number | undefined {
    return this.db.groupByName.get(name);
  }
  home(name: string): string | undefined {
    return this.db.homeByName.get(name);
  }
}
