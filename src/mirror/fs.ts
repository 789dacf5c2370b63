/**
 * The file operations publishing needs, so the same code runs on node:fs (benchmarks, tests,
 * serve-mirror) and through a tsplay Connection (the module, locally or over SSH).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Connection, BecomeOptions } from '../connection/types.js';

export interface EntryKind {
  name: string;
  kind: 'file' | 'directory' | 'link' | 'other';
}

export interface FileDigest {
  size: number;
  /** sha256 of the content, hex */
  sha256: string;
}

/** `length` bytes of a file from `start` on; the range must lie within the file */
export interface ByteRange {
  path: string;
  start: number;
  length: number;
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
  /** size and sha256 of each regular file, computed where the files are */
  digest(paths: string[]): Promise<FileDigest[]>;
  /** the bytes of several ranges at once: a wheel's central directory and one member, not all of it */
  readRanges(ranges: ByteRange[]): Promise<Buffer[]>;
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
  async digest(paths) {
    return paths.map((p) => {
      const data = fs.readFileSync(p);
      return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    });
  },
  async readRanges(ranges) {
    return ranges.map((range) => {
      const fd = fs.openSync(range.path, 'r');
      try {
        const out = Buffer.alloc(range.length);
        let got = 0;
        while (got < range.length) {
          const n = fs.readSync(fd, out, got, range.length - got, range.start + got);
          if (n === 0) throw new Error(`${range.path}: shorter than ${range.start + range.length} bytes`);
          got += n;
        }
        return out;
      } finally {
        fs.closeSync(fd);
      }
    });
  },
};

/** arguments per command, well under any target's ARG_MAX for mirror file names */
const PATHS_PER_COMMAND = 400;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Over a remote connection each call is a round trip, so listing, hashing and ranged reads run as
 * one command per batch on the target (find, stat, sha256sum, tail/head, base64: coreutils and
 * findutils), not one stat or one whole-file read per wheel.
 */
async function runBatch(conn: Connection, what: string, script: string, args: string[], opts: { become?: BecomeOptions }): Promise<string> {
  const res = await conn.exec(['sh', '-c', script, 'sh', ...args], opts);
  if (res.rc !== 0) throw new Error(`${what} on ${conn.host} failed (rc ${res.rc}): ${res.stderr.trim()}`);
  return res.stdout;
}

const LIST_SCRIPT = `find "$1" -mindepth 1 -maxdepth 1 -printf '%y %f\\0'`;
const DIGEST_SCRIPT = 'stat -L -c %s -- "$@" && sha256sum -- "$@"';
const RANGES_SCRIPT = 'while [ $# -gt 0 ]; do tail -c +"$2" -- "$1" | head -c "$3" | base64 -w0 || exit 1; echo; shift 3; done';

const FIND_KINDS: Record<string, EntryKind['kind']> = { f: 'file', d: 'directory', l: 'link' };

/** Adapts a tsplay Connection (local, SSH, docker exec) to MirrorFs. */
export function connectionFs(conn: Connection, become?: BecomeOptions): MirrorFs {
  const opts = become ? { become } : {};
  return {
    async list(dir) {
      const st = await conn.stat(dir, { follow: true, ...opts });
      if (!st || st.type !== 'directory') return [];
      try {
        const listed = await runBatch(conn, `listing ${dir}`, LIST_SCRIPT, [dir], opts);
        return listed
          .split('\0')
          .filter((line) => line.length > 2)
          .map((line) => ({ name: line.slice(2), kind: FIND_KINDS[line[0]] ?? 'other' }));
      } catch {
        // no GNU find there (BusyBox): one stat per entry
      }
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
    async digest(paths) {
      const out: FileDigest[] = [];
      for (const batch of chunks(paths, PATHS_PER_COMMAND)) {
        const lines = (await runBatch(conn, 'hashing the distributions', DIGEST_SCRIPT, batch, opts)).split('\n');
        for (let i = 0; i < batch.length; i++) {
          // sha256sum prefixes a line with a backslash when it had to escape the name
          const hash = /^\\?([0-9a-f]{64}) /.exec(lines[batch.length + i] ?? '');
          const size = Number(lines[i]);
          if (!hash || !Number.isInteger(size)) throw new Error(`cannot read the size and sha256 of ${batch[i]} on ${conn.host}`);
          out.push({ size, sha256: hash[1] });
        }
      }
      return out;
    },
    async readRanges(ranges) {
      const out: Buffer[] = [];
      for (const batch of chunks(ranges, Math.floor(PATHS_PER_COMMAND / 3))) {
        const args = batch.flatMap((range) => [range.path, String(range.start + 1), String(range.length)]);
        const lines = (await runBatch(conn, 'reading the wheels', RANGES_SCRIPT, args, opts)).split('\n');
        batch.forEach((range, i) => {
          const data = Buffer.from(lines[i] ?? '', 'base64');
          if (data.length !== range.length) throw new Error(`${range.path} on ${conn.host}: read ${data.length} of ${range.length} bytes`);
          out.push(data);
        });
      }
      return out;
    },
  };
}
