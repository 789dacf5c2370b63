/**
 * The one interface every transport implements (local process, SSH, Docker API).
 * Modules only ever see this, so they never know where they run.
 * Kept deliberately small: run a command, and a handful of file operations that map
 * one-to-one onto both node:fs and SFTP, so a module costs no process spawn per file op.
 */
import type { Duplex } from 'node:stream';

export interface BecomeOptions {
  /** privilege escalation requested for this call */
  become: boolean;
  user?: string; // default 'root'
  method?: string; // 'sudo' (default); the ssh transport also knows 'su'
  flags?: string;
  /** become_exe: the sudo/su program to run (default: the method's name) */
  exe?: string;
  password?: string;
}

export interface ExecOptions {
  /** data written to the command's stdin, then stdin is closed */
  stdin?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  become?: BecomeOptions;
  /** kill the command after this many milliseconds */
  timeoutMs?: number;
  /** kill the command when aborted */
  signal?: AbortSignal;
}

export interface ExecResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export type FileType = 'file' | 'directory' | 'link' | 'other';

export interface FileInfo {
  type: FileType;
  /** permission bits only (e.g. 0o644) */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  atimeMs: number;
  /** set when type === 'link' (lstat) */
  linkTarget?: string;
  /** where the transport knows them (hard links make the file module report state 'hard'; stat reports the rest) */
  nlink?: number;
  ino?: number;
  dev?: number;
  ctimeMs?: number;
  rdev?: number;
  blocks?: number;
  blksize?: number;
  /** st_mode with the file-type bits */
  rawMode?: number;
}

export interface WriteOptions {
  mode?: number;
  become?: BecomeOptions;
}

/**
 * The target's facts of life, read by one probe when first asked and cached for the connection:
 * what Ansible's modules learn by running on the target (its user, home, umask, environment).
 * Modules ask this instead of looking at the controller's process.
 */
export interface TargetInfo {
  /** the login user's name, uid and primary gid (before become) */
  user: string;
  uid: number;
  gid: number;
  /** the login user's home directory, as `~` expands there */
  home: string;
  /** the umask new files get there */
  umask: number;
  /** the environment a command started there sees (before the task's `environment:`) */
  env: Record<string, string>;
  /**
   * the directory a command started there runs in (a module's cwd: the login directory over SSH,
   * the container's working directory over Docker); relative `creates`/`removes` are taken from it
   */
  cwd?: string;
}

export interface Connection {
  /** 'local' | 'ssh' | 'docker' ... as named by ansible_connection */
  readonly transport: string;
  /** the host name as the inventory knows it */
  readonly host: string;
  /**
   * true when the target is this very process's machine and user: its files are node:fs paths and
   * its unix sockets can be opened directly. Modules use this to take a fast path (node:fs for the
   * mirror publisher, the Docker socket without a tunnel) instead of naming transports.
   */
  readonly targetIsController?: boolean;
  connect(): Promise<void>;
  close(): Promise<void>;

  /** argv form runs without a shell; string form runs through /bin/sh -c */
  exec(cmd: string[] | string, opts?: ExecOptions): Promise<ExecResult>;

  /** lstat when follow is false; null when the path does not exist */
  stat(path: string, opts?: { follow?: boolean; become?: BecomeOptions }): Promise<FileInfo | null>;
  readFile(path: string, opts?: { become?: BecomeOptions }): Promise<Buffer>;
  /** atomic: written to a temp file beside `path`, then renamed over it */
  writeFile(path: string, data: Buffer | string, opts?: WriteOptions): Promise<void>;
  mkdir(path: string, opts?: { mode?: number; parents?: boolean; become?: BecomeOptions }): Promise<void>;
  chmod(path: string, mode: number, opts?: { become?: BecomeOptions }): Promise<void>;
  chown(path: string, uid: number, gid: number, opts?: { follow?: boolean; become?: BecomeOptions }): Promise<void>;
  symlink(target: string, path: string, opts?: { become?: BecomeOptions }): Promise<void>;
  readlink(path: string, opts?: { become?: BecomeOptions }): Promise<string>;
  /** removes a file, link, or (recursively) a directory; no error if missing */
  remove(path: string, opts?: { become?: BecomeOptions }): Promise<void>;
  rename(from: string, to: string, opts?: { become?: BecomeOptions }): Promise<void>;
  readdir(path: string, opts?: { become?: BecomeOptions }): Promise<string[]>;
  utimes(path: string, atimeMs: number, mtimeMs: number, opts?: { become?: BecomeOptions }): Promise<void>;
  /** path on the target for temporary files of this run */
  tempDir(): Promise<string>;

  /** one probe of the target (user, home, umask, environment), cached per connection */
  targetInfo(): Promise<TargetInfo>;
  /**
   * sha1 of a regular file's content as hex (what Ansible reports as `checksum`), computed on the
   * target; null when the path is missing or not a regular file (links are followed).
   */
  checksum(path: string, opts?: { become?: BecomeOptions }): Promise<string | null>;

  /** a stream to a Unix socket on the target (dockerode over SSH); optional */
  openUnixSocket?(path: string): Promise<Duplex>;
  /** a TCP stream opened from the target to host:port (docker_host tcp:// over SSH); optional */
  openTcp?(host: string, port: number): Promise<Duplex>;
}

/** A host that could not be reached: the executor marks it unreachable, not failed. */
/**
 * The become program (sudo, su) is not installed on the target: the shell said so (exit 127)
 * before escalation began. The task fails as Ansible's does, `MODULE FAILURE` with what the shell
 * said as the module's output, instead of a result that looks like the task's own command failed.
 */
export class BecomeProgramMissing extends Error {
  constructor(
    readonly method: string,
    readonly rc: number,
    /** what the shell printed (stdout, then stderr) */
    readonly said: string,
    readonly host: string,
  ) {
    super(`${said.trim() || `${method}: not found`} (become ${method} on ${host}: ${method} is not installed there)`);
    this.name = 'BecomeProgramMissing';
  }
}

export class UnreachableError extends Error {
  constructor(message: string, readonly host: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}
