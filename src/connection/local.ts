/**
 * The local transport: commands run as child processes (started by the spawn helper,
 * local/spawn-helper.ts), file operations go straight to node:fs. No process is spawned for a file operation unless privilege escalation
 * to another user is requested; then the operation runs through sudo with coreutils, because
 * this process cannot act as that user itself.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  promises as fsp,
} from 'node:fs';
import * as os from 'node:os';
import { mkdirParents } from '../util/mkdirp.js';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { spawnHelper, trackRunning } from './local/spawn-helper.js';
import { parseStatAnswer, statScript } from './stat-command.js';
import type {
  TargetInfo,
  BecomeOptions,
  Connection,
  ExecOptions,
  ExecResult,
  FileInfo,
  FileType,
  WriteOptions,
} from './types.js';

/** Raised when a command outlives its timeoutMs; the child has been killed. */
export class ExecTimeoutError extends Error {
  constructor(readonly command: string, readonly timeoutMs: number) {
    super(`command timed out after ${timeoutMs} ms: ${command}`);
    this.name = 'ExecTimeoutError';
  }
}

/** node:fs fills every optional field of the contract's FileInfo */
export type LocalFileInfo = FileInfo;

let currentUserName: string | undefined;
function currentUser(): string {
  if (currentUserName === undefined) {
    try {
      currentUserName = os.userInfo().username;
    } catch {
      currentUserName = String(process.getuid?.() ?? '');
    }
  }
  return currentUserName;
}

/** POSIX shell single-quoting: safe for any byte string. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/**
 * The user a call must run as, or undefined when it runs as ourselves. Ansible skips become
 * when the become user is the user it already runs as, so do we.
 */
function escalationTarget(become: BecomeOptions | undefined): string | undefined {
  if (!become?.become) return undefined;
  const user = become.user && become.user !== '' ? become.user : 'root';
  if (user === currentUser()) return undefined;
  if (user === 'root' && process.getuid?.() === 0) return undefined;
  return user;
}

function fileTypeOf(st: import('node:fs').Stats): FileType {
  if (st.isSymbolicLink()) return 'link';
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  return 'other';
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export { killRunningCommands, warmSpawnHelper } from './local/spawn-helper.js';

export class LocalConnection implements Connection {
  readonly transport = 'local';
  readonly targetIsController: boolean = true;
  private runTempDir: string | undefined;

  constructor(readonly host: string = 'localhost') {}

  async connect(): Promise<void> {
    // nothing to open: the target is this machine
  }

  async close(): Promise<void> {
    if (this.runTempDir) {
      const dir = this.runTempDir;
      this.runTempDir = undefined;
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * `signal` (beyond the contract) kills the command when the task is interrupted or times out;
   * the call then rejects with the signal's reason.
   */
  exec(cmd: string[] | string, opts: ExecOptions & { signal?: AbortSignal } = {}): Promise<ExecResult> {
    if (Array.isArray(cmd) && cmd.length === 0) {
      return Promise.reject(new Error('exec: empty argv'));
    }
    let file: string;
    let args: string[];
    let stdin = opts.stdin;
    const target = escalationTarget(opts.become);
    if (target !== undefined) {
      const script = Array.isArray(cmd) ? cmd.map(shellQuote).join(' ') : cmd;
      const flags = (opts.become?.flags ?? '').split(/\s+/).filter((f) => f !== '');
      const password = opts.become?.password;
      // -S reads a password from stdin; -n refuses to prompt when none is expected
      const sudoFlags = password !== undefined ? ['-H', '-S', '-p', ''] : ['-H', '-S', '-n'];
      file = 'sudo';
      args = [...sudoFlags, ...flags, '-u', target, '/bin/sh', '-c', script];
      if (password !== undefined) {
        const rest = stdin === undefined ? Buffer.alloc(0) : Buffer.from(stdin);
        stdin = Buffer.concat([Buffer.from(password + '\n'), rest]);
      }
    } else if (Array.isArray(cmd)) {
      file = cmd[0];
      args = cmd.slice(1);
    } else {
      file = '/bin/sh';
      args = ['-c', cmd];
    }
    const env = opts.env && Object.keys(opts.env).length > 0 ? { ...process.env, ...opts.env } : process.env;
    const shown = Array.isArray(cmd) ? cmd.join(' ') : cmd;
    const launch = { file, args, cwd: opts.cwd, env, stdin: stdin === undefined ? undefined : Buffer.from(stdin) };
    const running = trackRunning(spawnHelper.launch(launch));

    return new Promise<ExecResult>((resolve, reject) => {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          running.kill();
        }, opts.timeoutMs);
      }
      const onAbort = () => running.kill();
      if (opts.signal) {
        if (opts.signal.aborted) onAbort();
        else opts.signal.addEventListener('abort', onAbort, { once: true });
      }
      const settle = () => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      running.done.then(
        (exit) => {
          settle();
          if (opts.signal?.aborted) {
            reject(opts.signal.reason instanceof Error ? opts.signal.reason : new Error(`command aborted: ${shown}`));
            return;
          }
          if (timedOut) {
            reject(new ExecTimeoutError(shown, opts.timeoutMs!));
            return;
          }
          resolve({ rc: exit.rc, stdout: exit.stdout.toString('utf8'), stderr: exit.stderr.toString('utf8') });
        },
        (err) => {
          settle();
          reject(err);
        },
      );
    });
  }

  /** Runs a small shell script as the become user; fails with the script's stderr. */
  private async asUser(become: BecomeOptions | undefined, script: string, stdin?: Buffer | string): Promise<string> {
    const res = await this.exec(script, { become, stdin });
    if (res.rc !== 0) {
      const err = new Error(res.stderr.trim() || `command failed (rc=${res.rc}): ${script}`) as NodeJS.ErrnoException;
      if (/No such file or directory/.test(res.stderr)) err.code = 'ENOENT';
      throw err;
    }
    return res.stdout;
  }

  async stat(p: string, opts: { follow?: boolean; become?: BecomeOptions } = {}): Promise<LocalFileInfo | null> {
    if (escalationTarget(opts.become) !== undefined) return this.statAsUser(p, opts);
    // Synchronous on purpose, as is all this class's file system work on this machine but a
    // recursive removal: a call takes microseconds, while each trip through libuv's thread pool
    // costs ~0.1 ms, and a file task makes several.
    let st: import('node:fs').Stats | undefined;
    try {
      st = opts.follow ? statSync(p, { throwIfNoEntry: false }) : lstatSync(p, { throwIfNoEntry: false });
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    if (!st) return null;
    const info: LocalFileInfo = {
      type: fileTypeOf(st),
      mode: st.mode & 0o7777,
      size: st.size,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: st.mtimeMs,
      atimeMs: st.atimeMs,
      ctimeMs: st.ctimeMs,
      nlink: st.nlink,
      ino: st.ino,
      dev: st.dev,
      rdev: st.rdev,
      blocks: st.blocks,
      blksize: st.blksize,
      rawMode: st.mode,
    };
    if (info.type === 'link') info.linkTarget = readlinkSync(p);
    return info;
  }

  private async statAsUser(p: string, opts: { follow?: boolean; become?: BecomeOptions }): Promise<LocalFileInfo | null> {
    const res = await this.exec(statScript(shellQuote(p), opts.follow ?? false), { become: opts.become });
    return parseStatAnswer(res.rc, res.stdout, res.stderr, p, 'as the become user');
  }


  async readFile(p: string, opts: { become?: BecomeOptions } = {}): Promise<Buffer> {
    if (escalationTarget(opts.become) !== undefined) {
      const res = await this.execRaw(`cat -- ${shellQuote(p)}`, opts.become);
      return res;
    }
    // one synchronous read instead of four pool trips (open, fstat, read, close); see stat()
    return readFileSync(p);
  }

  /** exec that keeps stdout as bytes (for binary file reads through sudo). */
  private execRaw(script: string, become: BecomeOptions | undefined): Promise<Buffer> {
    const target = escalationTarget(become)!;
    return new Promise<Buffer>((resolve, reject) => {
      const child = spawn('sudo', ['-H', '-S', '-n', '-u', target, '/bin/sh', '-c', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => errOut.push(c));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out));
        else {
          const err = new Error(Buffer.concat(errOut).toString('utf8').trim()) as NodeJS.ErrnoException;
          if (/No such file or directory/.test(err.message)) err.code = 'ENOENT';
          reject(err);
        }
      });
    });
  }

  async writeFile(p: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const dir = path.dirname(p);
    const tmp = path.join(dir, `.${path.basename(p)}.${process.pid}.${randomBytes(6).toString('hex')}.tsplay-tmp`);
    if (escalationTarget(opts.become) !== undefined) {
      const q = shellQuote(p);
      const qt = shellQuote(tmp);
      // keep an existing file's mode and owner unless a mode was asked for, as Ansible's atomic move does
      const keep = `if [ -e ${q} ]; then chmod --reference=${q} ${qt} && chown --reference=${q} ${qt} 2>/dev/null; fi; `;
      const setMode = opts.mode !== undefined ? `chmod ${opts.mode.toString(8)} ${qt} && ` : keep;
      await this.asUser(opts.become, `cat > ${qt} && ${setMode}mv -f -- ${qt} ${q} || { rm -f ${qt}; exit 1; }`, data);
      return;
    }
    try {
      writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
      if (opts.mode !== undefined) {
        chmodSync(tmp, opts.mode);
      } else {
        // a replaced file keeps its mode and owner; a new one gets the umask default
        let existing: import('node:fs').Stats | undefined;
        try {
          existing = statSync(p);
        } catch (err) {
          if (!isMissing(err)) throw err;
        }
        if (existing) {
          chmodSync(tmp, existing.mode & 0o7777);
          if (process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0)) {
            chownSync(tmp, existing.uid, existing.gid);
          }
        } else {
          chmodSync(tmp, 0o666 & ~currentUmask());
        }
      }
      renameSync(tmp, p);
    } catch (err) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async mkdir(p: string, opts: { mode?: number; parents?: boolean; become?: BecomeOptions } = {}): Promise<void> {
    if (escalationTarget(opts.become) !== undefined) {
      const modeFlag = opts.mode !== undefined ? ` && chmod ${opts.mode.toString(8)} ${shellQuote(p)}` : '';
      await this.asUser(opts.become, `mkdir ${opts.parents ? '-p ' : ''}-- ${shellQuote(p)}${modeFlag}`);
      return;
    }
    if (opts.parents) mkdirParents(p);
    else mkdirSync(p);
    // mkdir's mode is filtered by the umask; an explicit mode must land exactly
    if (opts.mode !== undefined) chmodSync(p, opts.mode);
  }

  async chmod(p: string, mode: number, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (escalationTarget(opts.become) !== undefined) {
      await this.asUser(opts.become, `chmod ${mode.toString(8)} -- ${shellQuote(p)}`);
      return;
    }
    chmodSync(p, mode);
  }

  async chown(p: string, uid: number, gid: number, opts: { follow?: boolean; become?: BecomeOptions } = {}): Promise<void> {
    if (escalationTarget(opts.become) !== undefined) {
      const owner = `${uid < 0 ? '' : uid}:${gid < 0 ? '' : gid}`;
      await this.asUser(opts.become, `chown ${opts.follow === false ? '-h ' : ''}${owner} -- ${shellQuote(p)}`);
      return;
    }
    if (opts.follow === false) lchownSync(p, uid, gid);
    else chownSync(p, uid, gid);
  }

  async symlink(target: string, p: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (escalationTarget(opts.become) !== undefined) {
      await this.asUser(opts.become, `ln -s -- ${shellQuote(target)} ${shellQuote(p)}`);
      return;
    }
    symlinkSync(target, p);
  }

  async readlink(p: string, opts: { become?: BecomeOptions } = {}): Promise<string> {
    if (escalationTarget(opts.become) !== undefined) {
      return (await this.asUser(opts.become, `readlink -- ${shellQuote(p)}`)).replace(/\n$/, '');
    }
    return readlinkSync(p);
  }

  async remove(p: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (escalationTarget(opts.become) !== undefined) {
      await this.asUser(opts.become, `rm -rf -- ${shellQuote(p)}`);
      return;
    }
    await fsp.rm(p, { recursive: true, force: true });
  }

  async rename(from: string, to: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (escalationTarget(opts.become) !== undefined) {
      await this.asUser(opts.become, `mv -f -- ${shellQuote(from)} ${shellQuote(to)}`);
      return;
    }
    renameSync(from, to);
  }

  async readdir(p: string, opts: { become?: BecomeOptions } = {}): Promise<string[]> {
    if (escalationTarget(opts.become) !== undefined) {
      // one name per NUL so names with newlines survive
      const out = await this.asUser(opts.become, `cd -- ${shellQuote(p)} && find . -mindepth 1 -maxdepth 1 -printf '%f\\0'`);
      return out.split('\0').filter((n) => n !== '');
    }
    return readdirSync(p);
  }

  async utimes(p: string, atimeMs: number, mtimeMs: number, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (escalationTarget(opts.become) !== undefined) {
      const q = shellQuote(p);
      await this.asUser(
        opts.become,
        `touch -a -d @${(atimeMs / 1000).toFixed(9)} -- ${q} && touch -m -d @${(mtimeMs / 1000).toFixed(9)} -- ${q}`,
      );
      return;
    }
    utimesSync(p, atimeMs / 1000, mtimeMs / 1000);
  }

  async tempDir(): Promise<string> {
    if (!this.runTempDir) {
      this.runTempDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsplay-'));
    }
    return this.runTempDir;
  }

  private info: TargetInfo | undefined;
  /** the target is this process's machine and user: no probe needed */
  async targetInfo(): Promise<TargetInfo> {
    if (!this.info) {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
      this.info = {
        user: currentUser(),
        uid: process.getuid?.() ?? 0,
        gid: process.getgid?.() ?? 0,
        home: os.homedir(),
        umask: currentUmask(),
        env,
        cwd: process.cwd(),
      };
    }
    return this.info;
  }

  async checksum(p: string, opts: { become?: BecomeOptions } = {}): Promise<string | null> {
    if (escalationTarget(opts.become) !== undefined) {
      const { checksumScript, parseChecksum } = await import('./probe.js');
      const res = await this.exec(checksumScript(shellQuote(p)), { become: opts.become });
      return parseChecksum(res.rc, res.stdout, res.stderr, p);
    }
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st || !st.isFile()) return null;
    return createHash('sha1').update(readFileSync(p)).digest('hex');
  }
}

let cachedUmask: number | undefined;
/** process.umask() without an argument is deprecated; read it once by setting and restoring. */
export function currentUmask(): number {
  if (cachedUmask === undefined) {
    const old = process.umask(0o022);
    process.umask(old);
    cachedUmask = old;
  }
  return cachedUmask;
}
