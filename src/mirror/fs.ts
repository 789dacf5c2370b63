/**
 * The file operations publishing needs, so the same code runs on node:fs (benchmarks, tests,
 * serve-mirror) and through a tsplay Connection (the module, locally or over SSH).
 */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Connection, BecomeOptions } from '../connection/types.js';

export interface EntryKind {
  name: string;
  kind: 'file' | 'directory' | 'link' | 'other';
}

export interface MirrorFs {
  /** entries of a directory; [] when it does not exist */
  list(dir: string): Promise<EntryKind[]>;
  /** 'missing' when nothing is there; links are not followed */
  kind(p: string): Promise<EntryKind['kind'] | 'missing'>;
  read(p: string): Promise<Buffer>;
  /** plain write; callers write into fresh directories or rename afterwards */
  write(p: string, data: string | Buffer): Promise<void>;
  mkdirp(p: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** recursive, no error when missing */
  remove(p: string): Promise<void>;
  symlink(target: string, p: string): Promise<void>;
  readlink(p: string): Promise<string | undefined>;
}

function kindOf(st: import('node:fs').Stats | import('node:fs').Dirent): EntryKind['kind'] {
  if (st.isSymbolicLink()) return 'link';
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  return 'other';
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * node:fs on this machine. Synchronous calls on purpose: an index is thousands of small files,
 * and each async call costs several thread-pool round trips (open, stat, read, close) that
 * dominate the time; this runs inside a module or a CLI command, never beside a server.
 */
export const localFs: MirrorFs = {
  async list(dir) {
    try {
      return fs.readdirSync(dir, { withFileTypes: true }).map((entry) => ({ name: entry.name, kind: kindOf(entry) }));
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  },
  async kind(p) {
    try {
      return kindOf(fs.lstatSync(p));
    } catch (error) {
      if (isMissing(error)) return 'missing';
      throw error;
    }
  },
  async read(p) {
    return fs.readFileSync(p);
  },
  async write(p, data) {
    fs.writeFileSync(p, data, { mode: 0o644 });
  },
  async mkdirp(p) {
    fs.mkdirSync(p, { recursive: true, mode: 0o755 });
  },
  async rename(from, to) {
    fs.renameSync(from, to);
  },
  async remove(p) {
    await fsp.rm(p, { recursive: true, force: true });
  },
  async symlink(target, p) {
    fs.symlinkSync(target, p);
  },
  async readlink(p) {
    try {
      return fs.readlinkSync(p);
    } catch {
      return undefined;
    }
  },
};

/** Adapts a tsplay Connection (local, SSH, docker exec) to MirrorFs. */
export function connectionFs(conn: Connection, become?: BecomeOptions): MirrorFs {
  const opts = become ? { become } : {};
  return {
    async list(dir) {
      const st = await conn.stat(dir, { follow: true, ...opts });
      if (!st || st.type !== 'directory') return [];
      const names = await conn.readdir(dir, opts);
      const out: EntryKind[] = [];
      for (const name of names) {
        const info = await conn.stat(path.posix.join(dir, name), { follow: false, ...opts });
        if (info) out.push({ name, kind: info.type });
      }
      return out;
    },
    async kind(p) {
      const info = await conn.stat(p, { follow: false, ...opts });
      return info ? info.type : 'missing';
    },
    read: (p) => conn.readFile(p, opts),
    write: (p, data) => conn.writeFile(p, data, { mode: 0o644, ...opts }),
    mkdirp: (p) => conn.mkdir(p, { parents: true, mode: 0o755, ...opts }),
    rename: (from, to) => conn.rename(from, to, opts),
    remove: (p) => conn.remove(p, opts),
    symlink: (target, p) => conn.symlink(target, p, opts),
    async readlink(p) {
      const info = await conn.stat(p, { follow: false, ...opts });
      if (!info || info.type !== 'link') return undefined;
      return conn.readlink(p, opts);
    },
  };
}
