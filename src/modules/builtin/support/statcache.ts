/**
 * One module run often asks about the same path several times (Ansible's helpers each stat
 * again). This gives a run its own view of the connection whose stat answers are remembered
 * until anything is changed through it, so each distinct question costs one fs call.
 */
import type { Connection, FileInfo } from '../../../connection/types.js';
import type { ModuleContext } from '../../types.js';

const READ_ONLY = new Set(['stat', 'readFile', 'readlink', 'readdir', 'tempDir', 'transport', 'host', 'targetInfo', 'checksum', 'targetIsController']);
const UNDERLYING = Symbol('connection under a stat-cached view');

/** the connection itself behind any per-run view, for caches that must outlive one module run */
export function underlyingConnection(conn: Connection): Connection {
  return (conn as Connection & { [UNDERLYING]?: Connection })[UNDERLYING] ?? conn;
}

export function withStatCache(ctx: ModuleContext): ModuleContext {
  const inner = ctx.conn;
  const memo = new Map<string, Promise<FileInfo | null>>();
  const conn = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === UNDERLYING) return underlyingConnection(target);
      if (prop === 'stat') {
        return (path: string, opts: { follow?: boolean; become?: unknown } = {}) => {
          const key = `${opts.follow ? 'F' : 'L'}\0${path}`;
          let hit = memo.get(key);
          if (!hit) {
            hit = target.stat(path, opts as Parameters<Connection['stat']>[1]);
            memo.set(key, hit);
            // a failed stat is not worth remembering
            hit.catch(() => memo.delete(key));
          }
          // callers may mutate what they get back, so each gets its own copy
          return hit.then((info) => (info ? { ...info } : null));
        };
      }
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (READ_ONLY.has(String(prop))) return value.bind(target);
      return (...args: unknown[]) => {
        memo.clear();
        const out = value.apply(target, args);
        // a change finishing later must not leave answers from before it
        if (out && typeof (out as Promise<unknown>).finally === 'function') {
          return (out as Promise<unknown>).finally(() => memo.clear());
        }
        return out;
      };
    },
  });
  return { ...ctx, conn };
}
