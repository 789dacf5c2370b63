/**
 * The ssh transport: one ssh2 connection per host, opened once and shared by every call.
 * Commands run on exec channels (at most 8 open at once, sshd's MaxSessions being 10 by default);
 * file operations go over one SFTP session opened on first use, so they cost a request each and
 * no process on the target. With become, commands are wrapped in sudo/su as Ansible does it
 * (become.ts), and file operations that need another user run as one shell command each; a write
 * as root is uploaded by SFTP first and moved into place by one sudo command.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { posix as posixPath } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ClientChannel, ExecOptions as Ssh2ExecOptions, SFTPWrapper, Stats as SftpStats } from 'ssh2';
import { ExecTimeoutError, shellQuote } from '../local.js';
import { TARGET_PROBE_SCRIPT, checksumScript, parseChecksum, parseTargetProbe } from '../probe.js';
import type { BecomeOptions, Connection, ExecOptions, ExecResult, FileInfo, TargetInfo, WriteOptions } from '../types.js';
import { BecomeProgramMissing, UnreachableError } from '../types.js';
import { Escalation, becomePlan, escalationUser } from './become.js';
import { openClient, type OpenClient } from './open.js';
import { Slots } from './slots.js';
import { countSsh } from './stats.js';
import { fileTypeOfMode, parseStatAnswer, statScript } from '../stat-command.js';
import type { SshTarget } from './target.js';

/** sshd's MaxSessions is 10 by default; the SFTP session holds one of these while open */
const MAX_CHANNELS = 8;

/** SFTP status codes (draft-ietf-secsh-filexfer-02) */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;

/** files up to this size are hashed on this side of the connection */
const CHECKSUM_READ_LIMIT = 1024 * 1024;

/** how far apart an SFTP write is cut: below OpenSSH's packet limit */
const WRITE_CHUNK = 256 * 1024;

interface RawResult {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** one opened connection; a reset or a drop replaces it with a fresh one on the next call */
interface Live extends OpenClient {
  slots: Slots;
  sftp?: Promise<SFTPWrapper>;
  /** set once the connection is gone: why */
  dead?: UnreachableError;
  /** the rejecters of every call in flight, failed at once when the connection drops */
  inflight: Set<(err: Error) => void>;
}

type SftpError = Error & { code?: number | string };


function errnoError(message: string, code: string): NodeJS.ErrnoException {
  const err = new Error(message) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

/** an SFTP status as the node:fs-style error modules expect (ENOENT, EACCES, ...) */
function sftpError(err: SftpError, op: string, path: string): NodeJS.ErrnoException {
  if (err.code === SFTP_NO_SUCH_FILE) return errnoError(`${op} ${path}: No such file or directory`, 'ENOENT');
  if (err.code === SFTP_PERMISSION_DENIED) return errnoError(`${op} ${path}: Permission denied`, 'EACCES');
  const e = errnoError(`${op} ${path}: ${err.message}`, err.code === SFTP_FAILURE ? 'EIO' : String(err.code ?? 'EIO'));
  return e;
}

/** what the command line turns into on the target: env assignments and cwd applied there */
function commandLine(cmd: string[] | string, opts: ExecOptions): string {
  if (Array.isArray(cmd) && cmd.length === 0) throw new Error('exec: empty argv');
  let line = Array.isArray(cmd) ? cmd.map(shellQuote).join(' ') : `/bin/sh -c ${shellQuote(cmd)}`;
  // sshd's AcceptEnv refuses most names, so the environment travels in the command line
  const env = Object.entries(opts.env ?? {});
  if (env.length > 0) line = `env ${env.map(([k, v]) => shellQuote(`${k}=${v}`)).join(' ')} ${line}`;
  if (opts.cwd) line = `cd -- ${shellQuote(opts.cwd)} && ${line}`;
  return line;
}

/**
 * A Node stream destroys itself once both directions ended, and ssh2's Channel.destroy() sends
 * CHANNEL_CLOSE: after our EOF (stdin done) and the server's EOF (output done) the channel would
 * close itself before the exit status arrived whenever that came in a later packet, and sshd
 * does not send an exit status on a channel we closed. The server closes the channel after the
 * status; ssh2 answers that close itself.
 */
function keepOpenUntilServerCloses(channel: ClientChannel): ClientChannel {
  const states = channel as unknown as { _readableState?: { autoDestroy: boolean }; _writableState?: { autoDestroy: boolean } };
  if (states._readableState) states._readableState.autoDestroy = false;
  if (states._writableState) states._writableState.autoDestroy = false;
  return channel;
}

/** the exit status ssh2 recorded for a channel, if one came: code, or -N for signal N */
function exitCodeOf(channel: ClientChannel): number | undefined {
  const exit = (channel as unknown as { _exit?: { code?: number | null; signal?: string } })._exit;
  if (!exit || exit.code === undefined) return undefined;
  return exit.code ?? -signalNumber(exit.signal);
}

function signalNumber(name: string | undefined): number {
  if (!name) return 1;
  const sig = name.startsWith('SIG') ? name : `SIG${name}`;
  return (osConstants.signals as Record<string, number>)[sig] ?? 1;
}

export class SshConnection implements Connection {
  readonly transport = 'ssh';
  readonly host: string;
  private live: Live | undefined;
  private opening: Promise<Live> | undefined;
  private runTempDir: Promise<string> | undefined;
  private info: Promise<TargetInfo> | undefined;
  /** names the session-id line of killable commands, so output cannot fake it */
  private readonly sidToken = randomBytes(6).toString('hex');

  constructor(readonly target: SshTarget) {
    this.host = target.inventoryHost;
  }

  private get where(): string {
    return `${this.target.user}@${this.target.host}:${this.target.port}`;
  }

  async connect(): Promise<void> {
    await this.ready();
  }

  /** the open connection, opening it when there is none (concurrent callers share one open) */
  private ready(): Promise<Live> {
    if (this.live && !this.live.dead) return Promise.resolve(this.live);
    this.opening ??= openClient(this.target).then(
      (opened) => {
        this.opening = undefined;
        countSsh('connections');
        const live: Live = { ...opened, slots: new Slots(MAX_CHANNELS), inflight: new Set() };
        this.watch(live);
        this.live = live;
        return live;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  /** a connection that drops fails everything in flight now, and the next call reconnects */
  private watch(live: Live): void {
    const lost = (cause: string): void => {
      if (live.dead) return;
      live.dead = new UnreachableError(`Failed to connect to the host via ssh: connection to ${this.where} lost: ${cause}`, this.host);
      if (this.live === live) {
        this.live = undefined;
        // both belonged to the connection that is gone
        this.runTempDir = undefined;
        this.info = undefined;
      }
      for (const reject of [...live.inflight]) reject(live.dead);
      live.inflight.clear();
      live.slots.failWaiting(live.dead);
      for (const j of live.jumps) j.end();
    };
    live.client.on('error', (err: Error) => lost(err.message));
    live.client.on('close', () => lost('connection closed'));
    live.client.on('end', () => lost('connection closed by the remote host'));
    for (const j of live.jumps) {
      j.on('error', (err: Error) => lost(`jump host: ${err.message}`));
      j.on('close', () => {
        lost('jump host connection closed');
        live.client.end();
      });
    }
  }

  /** runs `work` as a call of `live`: it is rejected with UnreachableError if the connection drops */
  private guard<T>(live: Live, work: (resolve: (v: T) => void, reject: (err: Error) => void) => void): Promise<T> {
    if (live.dead) return Promise.reject(live.dead);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const fail = (err: Error): void => {
        if (done) return;
        done = true;
        live.inflight.delete(fail);
        reject(err);
      };
      live.inflight.add(fail);
      try {
        work(
          (v) => {
            if (done) return;
            done = true;
            live.inflight.delete(fail);
            resolve(v);
          },
          fail,
        );
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    const live = this.live;
    if (!live) return;
    const tempDir = this.runTempDir;
    this.runTempDir = undefined;
    this.info = undefined;
    if (tempDir && !live.dead) {
      const dir = await tempDir.catch(() => undefined);
      if (dir) await this.runRaw(`rm -rf -- ${shellQuote(dir)}`, {}).catch(() => undefined);
    }
    this.live = undefined;
    if (live.sftp) {
      const sftp = await live.sftp.catch(() => undefined);
      sftp?.end();
    }
    // the jump hosts go once the target's goodbye went through them
    if (live.jumps.length > 0) live.client.once('close', () => live.jumps.forEach((j) => j.end()));
    live.client.end();
  }

  /** meta: reset_connection: drop the connection; the next call opens a new one */
  async reset(): Promise<void> {
    await this.close();
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  private loginUser(): string {
    return this.target.user;
  }

  private escalates(become: BecomeOptions | undefined): boolean {
    return escalationUser(become, this.loginUser()) !== undefined;
  }

  exec(cmd: string[] | string, opts: ExecOptions = {}): Promise<ExecResult> {
    let line: string;
    try {
      line = commandLine(cmd, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    const shown = Array.isArray(cmd) ? cmd.join(' ') : cmd;
    return this.runRaw(line, { ...opts, shown }).then((raw) => ({
      rc: raw.rc,
      stdout: raw.stdout.toString('utf8'),
      stderr: raw.stderr.toString('utf8'),
    }));
  }

  /**
   * Opens an exec channel, queued behind the connection's channel limit. sshd frees a finished
   * session only when it next collects closed channels, so an open that follows a close closely
   * can still find MaxSessions full: that refusal is retried after a moment.
   */
  private async channel(live: Live, command: string, pty: boolean): Promise<{ channel: ClientChannel; release: () => void }> {
    const release = await live.slots.acquire();
    const options: Ssh2ExecOptions = pty ? { pty: { term: 'dumb', modes: { ECHO: 0, ONLCR: 0 } } } : {};
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          countSsh('execChannels');
          const channel = await this.guard<ClientChannel>(live, (resolve, reject) => {
            live.client.exec(command, options, (err, ch) => {
              if (err) reject(live.dead ?? err);
              else resolve(keepOpenUntilServerCloses(ch));
            });
          });
          return { channel, release };
        } catch (err) {
          if (err instanceof UnreachableError) throw err;
          if (attempt >= 20 || !/Channel open failure/.test((err as Error).message)) {
            throw new UnreachableError(`Failed to connect to the host via ssh: ${this.where}: cannot open a channel: ${(err as Error).message}`, this.host);
          }
          await new Promise((r) => setTimeout(r, 10 * attempt));
        }
      }
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Runs one command line on the target and collects its output as bytes. Escalation, stdin,
   * timeout and abort are handled here; the remote command is killed when the call ends early.
   */
  private async runRaw(
    line: string,
    opts: { stdin?: string | Buffer; become?: BecomeOptions; timeoutMs?: number; signal?: AbortSignal; shown?: string },
  ): Promise<RawResult> {
    const user = escalationUser(opts.become, this.loginUser());
    const plan = user === undefined ? undefined : becomePlan(line, opts.become!, user);
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error(`command aborted: ${opts.shown ?? line}`);
    const live = await this.ready();
    // A command that may be cut short tells us its session id first (stderr, stripped again):
    // sshd ignores signal requests for root logins and cannot signal what sudo runs as root, so
    // the kill is a second command: everything in that session, as the user it runs as.
    const killable = ((opts.timeoutMs ?? 0) > 0 || opts.signal !== undefined || plan !== undefined) && !plan?.pty;
    const sidMarker = `tsplay-sid-${this.sidToken}`;
    let command = plan ? plan.command : line;
    if (killable) command = `echo ${sidMarker}=$$ >&2; ${command}`;
    const { channel, release } = await this.channel(live, command, plan?.pty ?? false);
    channel.on('close', release);
    const stdin = opts.stdin === undefined ? undefined : Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin);
    const shown = opts.shown ?? line;

    return this.guard<RawResult>(live, (resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let rc: number | undefined;
      let finished = false;
      const timers: NodeJS.Timeout[] = [];
      const escalation = plan ? new Escalation(plan, (data) => channel.write(data)) : undefined;

      const cleanup = (): void => {
        finished = true;
        for (const t of timers) clearTimeout(t);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      let killPending = false;
      const killNow = (): void => {
        killPending = false;
        // as the login user (sudo itself, a become program that hangs) and, unless escalation
        // was refused, as the become user too (the command, once sudo started it)
        const asBecomeUser = plan !== undefined && escalation?.state !== 'failed' ? opts.become : undefined;
        this.kill(channel, sid, asBecomeUser);
      };
      const stop = (why: Error): void => {
        if (finished) return;
        cleanup();
        reject(why);
        if (!killable || sid !== undefined) {
          killNow();
          return;
        }
        // its session id is still on its way: kill once it arrives, or just close after a while
        killPending = true;
        setTimeout(() => {
          if (killPending) killNow();
        }, 5000).unref();
      };
      let sid: number | undefined;
      let sidPending: Buffer | undefined = killable ? Buffer.alloc(0) : undefined;
      const flushSid = (): void => {
        const held = sidPending;
        sidPending = undefined;
        if (held && held.length > 0) take('err', held);
      };
      const takeErr = (chunk: Buffer): void => {
        if (sidPending === undefined) return take('err', chunk);
        sidPending = Buffer.concat([sidPending, chunk]);
        const at = sidPending.indexOf(`${sidMarker}=`);
        const nl = at < 0 ? -1 : sidPending.indexOf(0x0a, at);
        if (nl >= 0) {
          sid = Number(sidPending.subarray(at + sidMarker.length + 1, nl).toString('latin1'));
          sidPending = Buffer.concat([sidPending.subarray(0, at), sidPending.subarray(nl + 1)]);
          flushSid();
          if (killPending) killNow();
        } else if (sidPending.length > 65536) flushSid();
      };
      const sendInput = (): void => {
        if (stdin !== undefined && stdin.length > 0) channel.write(stdin);
        // a terminal has no half-close: end-of-file is ^D at the start of a line
        if (plan?.pty) {
          if (stdin !== undefined) channel.write(stdin.length > 0 && stdin[stdin.length - 1] !== 0x0a ? '\x04\x04' : '\x04');
        } else channel.end();
      };
      const take = (kind: 'out' | 'err', chunk: Buffer): void => {
        if (finished) return;
        if (!escalation || escalation.state === 'done') {
          (kind === 'out' ? out : err).push(chunk);
          return;
        }
        const wasPending = escalation.state === 'pending';
        const kept = escalation.feed(kind, chunk);
        if (escalation.state === 'failed') {
          stop(new Error(`${escalation.failure!} (become ${plan!.method} to ${user} on ${this.host})`));
          return;
        }
        if (kept) (kind === 'out' ? out : err).push(kept);
        if (wasPending && (escalation.state as string) === 'done' && plan!.password !== undefined) sendInput();
      };

      channel.on('data', (chunk: Buffer) => take('out', chunk));
      channel.stderr.on('data', (chunk: Buffer) => takeErr(chunk));
      channel.on('exit', (code: number | null, signalName?: string) => {
        rc = code ?? -signalNumber(signalName);
      });
      channel.on('close', () => {
        if (finished) return;
        flushSid();
        cleanup();
        // the status may have come with the channel's opening, before our 'exit' listener
        rc ??= exitCodeOf(channel);
        if (rc === undefined) {
          // a dropped connection closes its channels before it reports itself: let it, for the cause
          setTimeout(() => reject(live.dead ?? new UnreachableError(`Failed to connect to the host via ssh: ${this.where}: the channel closed before the command's exit status came: ${shown}`, this.host)), 20);
          return;
        }
        if (escalation && escalation.state === 'pending') {
          // escalation itself failed (unknown user, sudo not installed...): what it said is the output
          const said = escalation.pendingOutput();
          if (rc === 127 && new RegExp(`\\b${plan!.method}: (command )?not found`).test(said.stdout + said.stderr)) {
            reject(new BecomeProgramMissing(plan!.method, rc, Buffer.from(said.stdout + said.stderr, 'latin1').toString('utf8'), this.host));
            return;
          }
          resolve({ rc, stdout: Buffer.from(said.stdout, 'latin1'), stderr: Buffer.from(said.stderr, 'latin1') });
          return;
        }
        resolve({ rc, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      });
      channel.on('error', (e: Error) => stop(e));

      // without a password to send, the input can go at once: sudo -n does not read it
      if (!plan || plan.password === undefined) sendInput();
      if (plan) {
        const waitMs = this.target.connectTimeoutMs + 2000;
        timers.push(
          setTimeout(() => {
            if (escalation!.state === 'pending') {
              stop(new Error(`Timeout (${Math.round(waitMs / 1000)}s) waiting for privilege escalation prompt (become ${plan.method} to ${user} on ${this.host})`));
            }
          }, waitMs),
        );
      }
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        timers.push(setTimeout(() => stop(new ExecTimeoutError(shown, opts.timeoutMs!)), opts.timeoutMs));
      }
      const onAbort = (): void => {
        const reason = opts.signal!.reason;
        stop(reason instanceof Error ? reason : new Error(`command aborted: ${shown}`));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      // aborted while waiting for the connection or a channel
      if (opts.signal?.aborted) onAbort();
    });
  }

  /**
   * Ends a command early: closes its channel and, when its session id is known, kills every
   * process of that session by a second command (as the become user when it escalated).
   */
  private kill(channel: ClientChannel, sid: number | undefined, become: BecomeOptions | undefined): void {
    const close = (): void => {
      try {
        channel.close();
      } catch {
        // already closed
      }
    };
    if (sid === undefined || !Number.isInteger(sid) || sid <= 1) {
      close();
      return;
    }
    const script = `kill -KILL -- -${sid} 2>/dev/null; pkill -KILL -s ${sid} 2>/dev/null; true`;
    const kills = [this.runRaw(script, { shown: `kill session ${sid}` })];
    if (become) kills.push(this.runRaw(script, { become, shown: `kill session ${sid}` }));
    void Promise.allSettled(kills).finally(close);
  }

  // -------------------------------------------------------------------------------------------
  // Shell commands for file operations that must run as another user

  /** runs a script (as the become user when asked); non-zero exit → Error with its stderr (ENOENT/EACCES coded) */
  private async sh(script: string, become?: BecomeOptions, stdin?: string | Buffer): Promise<Buffer> {
    const res = await this.runRaw(script, { become, stdin, shown: script });
    if (res.rc !== 0) {
      const text = res.stderr.toString('utf8').trim();
      const err = new Error(text || `command failed on ${this.host} (rc=${res.rc}): ${script}`) as NodeJS.ErrnoException;
      if (/No such file or directory|Not a directory/.test(text)) err.code = 'ENOENT';
      else if (/Permission denied|Operation not permitted/.test(text)) err.code = 'EACCES';
      else if (/File exists/.test(text)) err.code = 'EEXIST';
      throw err;
    }
    return res.stdout;
  }

  // -------------------------------------------------------------------------------------------
  // SFTP

  private sftpSession(live: Live): Promise<SFTPWrapper> {
    live.sftp ??= (async () => {
      const release = await live.slots.acquire();
      try {
        const sftp = await this.guard<SFTPWrapper>(live, (resolve, reject) => {
          live.client.sftp((err, s) => {
            if (err) reject(live.dead ?? new Error(`cannot open an SFTP session on ${this.where}: ${err.message}`));
            else resolve(s);
          });
        });
        sftp.on('close', () => {
          release();
          if (live.sftp === current) live.sftp = undefined;
        });
        return sftp;
      } catch (err) {
        release();
        live.sftp = undefined;
        throw err;
      }
    })();
    const current = live.sftp;
    return current;
  }

  /** one SFTP request; errors keep the raw status (for callers that branch on it) */
  private async sftpRaw<T>(op: (s: SFTPWrapper, cb: (err: SftpError | undefined | null, value?: T) => void) => void): Promise<T> {
    const live = await this.ready();
    const sftp = await this.sftpSession(live);
    countSsh('sftpRequests');
    return this.guard<T>(live, (resolve, reject) => {
      op(sftp, (err, value) => {
        if (err) reject(live.dead ?? err);
        else resolve(value as T);
      });
    });
  }

  /** one SFTP request; errors as node:fs-style errors */
  private sftp<T>(name: string, path: string, op: (s: SFTPWrapper, cb: (err: SftpError | undefined | null, value?: T) => void) => void): Promise<T> {
    return this.sftpRaw(op).catch((err: unknown) => {
      if (err instanceof UnreachableError || (err as SftpError).code === undefined || typeof (err as SftpError).code === 'string') throw err;
      throw sftpError(err as SftpError, name, path);
    });
  }

  private infoFromAttrs(st: SftpStats): FileInfo {
    return {
      type: fileTypeOfMode(st.mode),
      mode: st.mode & 0o7777,
      size: st.size,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: st.mtime * 1000,
      atimeMs: st.atime * 1000,
      rawMode: st.mode,
    };
  }

  /** lstat/stat by SFTP; null when missing (or a path component is not a directory) */
  private async sftpStat(path: string, follow: boolean): Promise<SftpStats | null> {
    try {
      return await this.sftpRaw<SftpStats>((s, cb) => (follow ? s.stat(path, cb) : s.lstat(path, cb)));
    } catch (err) {
      const code = (err as SftpError).code;
      // sftp-server reports ENOTDIR and ELOOP as a plain failure
      if (code === SFTP_NO_SUCH_FILE || code === SFTP_FAILURE) return null;
      if (typeof code === 'number') throw sftpError(err as SftpError, 'stat', path);
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Files

  async stat(path: string, opts: { follow?: boolean; become?: BecomeOptions } = {}): Promise<FileInfo | null> {
    if (this.escalates(opts.become)) return this.statAsUser(path, opts);
    const st = await this.sftpStat(path, opts.follow ?? false);
    if (!st) return null;
    const info = this.infoFromAttrs(st);
    if (info.type === 'link') info.linkTarget = await this.readlink(path);
    return info;
  }

  private async statAsUser(path: string, opts: { follow?: boolean; become?: BecomeOptions }): Promise<FileInfo | null> {
    const res = await this.runRaw(statScript(shellQuote(path), opts.follow ?? false), { become: opts.become, shown: `stat ${path}` });
    return parseStatAnswer(res.rc, res.stdout.toString('utf8'), res.stderr.toString('utf8'), path, `on ${this.host}`);
  }


  async readFile(path: string, opts: { become?: BecomeOptions } = {}): Promise<Buffer> {
    if (this.escalates(opts.become)) return this.sh(`cat -- ${shellQuote(path)}`, opts.become);
    return this.sftp<Buffer>('read', path, (s, cb) => s.readFile(path, cb));
  }

  async writeFile(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (this.escalates(opts.become)) return this.writeFileAsUser(path, buf, opts);
    const tmp = posixPath.join(posixPath.dirname(path), `.${posixPath.basename(path)}.${randomBytes(6).toString('hex')}.tsplay-tmp`);
    // what the file is now (its mode and owner carry over) and the temp file, in one round trip;
    // 0666: the server's umask gives a new file its usual mode
    const [existing, opened] = await Promise.allSettled([
      opts.mode === undefined ? this.sftpStat(path, true) : Promise.resolve(null),
      this.sftp<Buffer>('open', tmp, (s, cb) => s.open(tmp, 'wx', { mode: 0o666 }, cb)),
    ]);
    if (opened.status === 'rejected') throw opened.reason;
    const handle = opened.value;
    try {
      if (existing.status === 'rejected') throw existing.reason;
      const current = existing.value;
      const extra: Array<Promise<unknown>> = [];
      if (current && opts.mode === undefined) {
        // only root may give a file away; for anyone else the file stays theirs anyway
        extra.push(this.sftpRaw((s, cb) => s.fchown(handle, current.uid, current.gid, cb)).catch(() => undefined));
      }
      const mode = opts.mode ?? (current ? current.mode & 0o7777 : undefined);
      if (mode !== undefined) extra.push(this.sftp('chmod', path, (s, cb) => s.fchmod(handle, mode, cb)));
      await this.fill(handle, tmp, buf, extra);
    } catch (err) {
      await this.sftpRaw((s, cb) => s.close(handle, cb)).catch(() => undefined);
      await this.sftpRaw((s, cb) => s.unlink(tmp, cb)).catch(() => undefined);
      throw err;
    }
    // sftp-server answers in order: the rename goes out with the close, one round trip for both
    const [closed, renamed] = await Promise.allSettled([
      this.sftp('close', tmp, (s, cb) => s.close(handle, cb)),
      this.sftp('rename', path, (s, cb) => s.ext_openssh_rename(tmp, path, cb)),
    ]);
    const failed = closed.status === 'rejected' ? closed.reason : renamed.status === 'rejected' ? renamed.reason : undefined;
    if (failed !== undefined) {
      await this.sftpRaw((s, cb) => s.unlink(tmp, cb)).catch(() => undefined);
      throw failed;
    }
  }

  /** writes `buf` into an open handle, every chunk (and `extra` requests) sent at once */
  private async fill(handle: Buffer, path: string, buf: Buffer, extra: Array<Promise<unknown>> = []): Promise<void> {
    const pending: Array<Promise<unknown>> = [];
    for (let at = 0; at < buf.length; at += WRITE_CHUNK) {
      const len = Math.min(WRITE_CHUNK, buf.length - at);
      const offset = at;
      pending.push(this.sftp('write', path, (s, cb) => s.write(handle, buf, offset, len, offset, cb)));
    }
    await Promise.all([...pending, ...extra]);
  }

  /** a new private file in our temp dir: open, write, close in one round trip */
  private async stage(data: Buffer): Promise<string> {
    const staged = posixPath.join(await this.tempDir(), `upload-${randomBytes(6).toString('hex')}`);
    const handle = await this.sftp<Buffer>('open', staged, (s, cb) => s.open(staged, 'wx', { mode: 0o600 }, cb));
    const closing = (): Promise<unknown> => this.sftp('close', staged, (s, cb) => s.close(handle, cb));
    try {
      await Promise.all([this.fill(handle, staged, data), closing()]);
    } catch (err) {
      await this.sftpRaw((s, cb) => s.unlink(staged, cb)).catch(() => undefined);
      throw err;
    }
    return staged;
  }

  /**
   * As another user: root gets the content uploaded to our private temp dir and moved into place
   * by one sudo command; another user cannot read that dir, so the content goes on its stdin.
   * Either way the file lands beside its destination first and is renamed over it.
   */
  private async writeFileAsUser(path: string, data: Buffer, opts: WriteOptions): Promise<void> {
    const q = shellQuote(path);
    const beside = shellQuote(posixPath.join(posixPath.dirname(path), `.${posixPath.basename(path)}.${randomBytes(6).toString('hex')}.tsplay-tmp`));
    const keep = `if [ -e ${q} ]; then chmod --reference=${q} ${beside} && chown --reference=${q} ${beside} 2>/dev/null; fi; `;
    const setMode = opts.mode !== undefined ? `chmod ${opts.mode.toString(8)} ${beside} && ` : keep;
    const place = `${setMode}mv -f -- ${beside} ${q} || { rm -f -- ${beside}; exit 1; }`;
    const user = escalationUser(opts.become, this.loginUser());
    if (user === 'root') {
      const src = shellQuote(await this.stage(data));
      await this.sh(`cat -- ${src} > ${beside} || { rm -f -- ${src} ${beside}; exit 1; }; rm -f -- ${src}; ${place}`, opts.become);
      return;
    }
    await this.sh(`cat > ${beside} || { rm -f -- ${beside}; exit 1; }; ${place}`, opts.become, data);
  }

  async mkdir(path: string, opts: { mode?: number; parents?: boolean; become?: BecomeOptions } = {}): Promise<void> {
    if (this.escalates(opts.become)) {
      const q = shellQuote(path);
      const modeFlag = opts.mode !== undefined ? ` && chmod ${opts.mode.toString(8)} -- ${q}` : '';
      await this.sh(`mkdir ${opts.parents ? '-p ' : ''}-- ${q}${modeFlag}`, opts.become);
      return;
    }
    await this.mkdirSftp(path, opts.parents ?? false);
    // the umask filtered mkdir's mode; an explicit mode must land exactly
    if (opts.mode !== undefined) await this.chmod(path, opts.mode);
  }

  private async mkdirSftp(path: string, parents: boolean): Promise<void> {
    try {
      await this.sftpRaw((s, cb) => s.mkdir(path, cb));
      return;
    } catch (err) {
      const code = (err as SftpError).code;
      if (typeof code !== 'number') throw err;
      if (code === SFTP_NO_SUCH_FILE && parents) {
        const parent = posixPath.dirname(path);
        if (parent === path) throw sftpError(err as SftpError, 'mkdir', path);
        await this.mkdirSftp(parent, true);
        return this.mkdirSftp(path, false).catch(async (again: unknown) => {
          // another call made it meanwhile
          const st = await this.sftpStat(path, true);
          if (!st || fileTypeOfMode(st.mode) !== 'directory') throw again;
        });
      }
      const st = await this.sftpStat(path, parents);
      if (st) {
        if (parents && fileTypeOfMode(st.mode) === 'directory') return;
        throw errnoError(`mkdir ${path}: File exists`, 'EEXIST');
      }
      throw sftpError(err as SftpError, 'mkdir', path);
    }
  }

  async chmod(path: string, mode: number, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (this.escalates(opts.become)) {
      await this.sh(`chmod ${mode.toString(8)} -- ${shellQuote(path)}`, opts.become);
      return;
    }
    await this.sftp('chmod', path, (s, cb) => s.chmod(path, mode, cb));
  }

  async chown(path: string, uid: number, gid: number, opts: { follow?: boolean; become?: BecomeOptions } = {}): Promise<void> {
    const follow = opts.follow !== false;
    if (this.escalates(opts.become) || !follow) {
      // SFTP's setstat follows links; lchown needs the shell
      const owner = `${uid < 0 ? '' : uid}:${gid < 0 ? '' : gid}`;
      await this.sh(`chown ${follow ? '' : '-h '}${owner} -- ${shellQuote(path)}`, opts.become);
      return;
    }
    if (uid < 0 || gid < 0) {
      // SFTP sets both ids or none: the one left alone is read first
      const st = await this.sftpStat(path, true);
      if (!st) throw errnoError(`chown ${path}: No such file or directory`, 'ENOENT');
      if (uid < 0) uid = st.uid;
      if (gid < 0) gid = st.gid;
    }
    await this.sftp('chown', path, (s, cb) => s.chown(path, uid, gid, cb));
  }

  async symlink(target: string, path: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (this.escalates(opts.become)) {
      await this.sh(`ln -s -- ${shellQuote(target)} ${shellQuote(path)}`, opts.become);
      return;
    }
    try {
      // ssh2 swaps the arguments for OpenSSH, whose sftp-server has them the other way round
      await this.sftpRaw((s, cb) => s.symlink(target, path, cb));
    } catch (err) {
      if (typeof (err as SftpError).code !== 'number') throw err;
      if ((err as SftpError).code === SFTP_FAILURE && (await this.sftpStat(path, false))) {
        throw errnoError(`symlink ${path}: File exists`, 'EEXIST');
      }
      throw sftpError(err as SftpError, 'symlink', path);
    }
  }

  async readlink(path: string, opts: { become?: BecomeOptions } = {}): Promise<string> {
    if (this.escalates(opts.become)) {
      return (await this.sh(`readlink -- ${shellQuote(path)}`, opts.become)).toString('utf8').replace(/\n$/, '');
    }
    return this.sftp<string>('readlink', path, (s, cb) => s.readlink(path, cb));
  }

  async remove(path: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (!this.escalates(opts.become)) {
      const st = await this.sftpStat(path, false);
      if (!st) return;
      if (fileTypeOfMode(st.mode) !== 'directory') {
        await this.sftp('unlink', path, (s, cb) => s.unlink(path, cb));
        return;
      }
    }
    await this.sh(`rm -rf -- ${shellQuote(path)}`, opts.become);
  }

  async rename(from: string, to: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    if (this.escalates(opts.become)) {
      await this.sh(`mv -fT -- ${shellQuote(from)} ${shellQuote(to)}`, opts.become);
      return;
    }
    await this.sftp('rename', from, (s, cb) => s.ext_openssh_rename(from, to, cb));
  }

  async readdir(path: string, opts: { become?: BecomeOptions } = {}): Promise<string[]> {
    if (this.escalates(opts.become)) {
      const q = shellQuote(path);
      const out = await this.sh(`[ -d ${q} ] || { echo "${path}: No such file or directory" >&2; exit 1; }; find ${q} -mindepth 1 -maxdepth 1 -printf '%f\\0'`, opts.become);
      return out.toString('utf8').split('\0').filter((n) => n !== '').sort();
    }
    const entries = await this.sftp<Array<{ filename: string }>>('readdir', path, (s, cb) => s.readdir(path, cb));
    return entries.map((e) => e.filename).filter((n) => n !== '.' && n !== '..').sort();
  }

  async utimes(path: string, atimeMs: number, mtimeMs: number, opts: { become?: BecomeOptions } = {}): Promise<void> {
    // SFTP carries whole seconds; a fraction needs touch
    if (!this.escalates(opts.become) && atimeMs % 1000 === 0 && mtimeMs % 1000 === 0) {
      await this.sftp('utimes', path, (s, cb) => s.utimes(path, atimeMs / 1000, mtimeMs / 1000, cb));
      return;
    }
    const q = shellQuote(path);
    await this.sh(`touch -a -d @${(atimeMs / 1000).toFixed(9)} -- ${q} && touch -m -d @${(mtimeMs / 1000).toFixed(9)} -- ${q}`, opts.become);
  }

  tempDir(): Promise<string> {
    this.runTempDir ??= this.sh('mktemp -d "${TMPDIR:-/tmp}/tsplay-XXXXXXXX"').then(
      (out) => out.toString('utf8').trim(),
      (err: unknown) => {
        this.runTempDir = undefined;
        throw err;
      },
    );
    return this.runTempDir;
  }

  targetInfo(): Promise<TargetInfo> {
    this.info ??= this.runRaw(TARGET_PROBE_SCRIPT, { shown: 'probe' }).then(
      (res) => parseTargetProbe(res.stdout.toString('utf8'), `${this.host} (${this.where})`),
      (err: unknown) => {
        this.info = undefined;
        throw err;
      },
    );
    return this.info;
  }

  async checksum(path: string, opts: { become?: BecomeOptions } = {}): Promise<string | null> {
    if (!this.escalates(opts.become)) {
      // a small file is read and hashed here: two SFTP requests cost less than a process there
      const st = await this.sftpStat(path, true);
      if (!st || fileTypeOfMode(st.mode) !== 'file') return null;
      if (st.size <= CHECKSUM_READ_LIMIT) return createHash('sha1').update(await this.readFile(path)).digest('hex');
    }
    const res = await this.runRaw(checksumScript(shellQuote(path)), { become: opts.become, shown: `sha1 ${path}` });
    return parseChecksum(res.rc, res.stdout.toString('utf8'), res.stderr.toString('utf8'), path);
  }

  /** a stream to a Unix socket on the target (direct-streamlocal@openssh.com), e.g. the docker daemon's */
  async openUnixSocket(path: string): Promise<Duplex> {
    const live = await this.ready();
    return this.guard<Duplex>(live, (resolve, reject) => {
      live.client.openssh_forwardOutStreamLocal(path, (err, stream) => {
        if (err) reject(live.dead ?? errnoError(`cannot open the socket ${path} on ${this.host}: ${err.message}`, 'ECONNREFUSED'));
        else resolve(stream);
      });
    });
  }

  async openTcp(host: string, port: number): Promise<Duplex> {
    const live = await this.ready();
    return this.guard<Duplex>(live, (resolve, reject) => {
      // the origin is informational for sshd; 127.0.0.1:0 says "this client"
      live.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err) reject(live.dead ?? errnoError(`cannot connect to ${host}:${port} from ${this.host}: ${err.message}`, 'ECONNREFUSED'));
        else resolve(stream);
      });
    });
  }
}
