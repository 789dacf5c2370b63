/**
 * The community.docker.docker_api connection: tasks run inside a running container through the
 * Engine API. Commands are exec instances (stdin, demultiplexed stdout/stderr, exit code, env,
 * cwd, user); files move through the archive API (one-file tar), written beside the target and
 * renamed into place; the other file operations are small shell commands in the container.
 * Become needs no sudo in the container: the exec simply runs as the become user.
 */
import { randomBytes } from 'node:crypto';
import { posix as posixPath } from 'node:path';
import type { Duplex } from 'node:stream';
import type { BecomeOptions, Connection, ExecOptions, ExecResult, FileInfo, TargetInfo, WriteOptions } from './types.js';
import { parseStatAnswer, statScript } from './stat-command.js';
import { TARGET_PROBE_SCRIPT, checksumScript, parseChecksum, parseTargetProbe } from './probe.js';
import { UnreachableError } from './types.js';
import type { DockerClient, DockerHostSettings } from '../docker/client.js';
import { dockerClientFor } from '../docker/client.js';
import type { Json } from '../docker/api.js';
import { demuxFrames, dial, inspectContainer } from '../docker/api.js';
import { DockerError } from '../docker/errors.js';
import { DockerHostError } from '../docker/transport.js';
import { tarOneFile, untar } from '../docker/tar.js';

export interface DockerApiConnectionOptions {
  /** the inventory hostname */
  host: string;
  /** the container's name or id (ansible_docker_host / ansible_host); defaults to host */
  container?: string;
  /** ansible_docker_user / ansible_user: the user commands run as; container default if unset */
  user?: string;
  /** ansible_docker_docker_host etc. */
  docker?: DockerHostSettings;
  /** an already-made client (tests, or a docker daemon reached over another connection) */
  client?: DockerClient;
}

/** What an executor passes from a host's variables, in community.docker's variable names. */
export function dockerApiOptionsFromVars(inventoryHostname: string, vars: Record<string, unknown>): DockerApiConnectionOptions {
  const str = (k: string): string | undefined => (typeof vars[k] === 'string' && vars[k] !== '' ? (vars[k] as string) : undefined);
  const bool = (k: string): boolean | undefined => (typeof vars[k] === 'boolean' ? (vars[k] as boolean) : undefined);
  return {
    host: inventoryHostname,
    container: str('ansible_docker_host') ?? str('ansible_host') ?? inventoryHostname,
    user: str('ansible_docker_user') ?? str('ansible_user'),
    docker: {
      // community.docker's ansible_docker_timeout (default 60): the daemon's time to answer a request
      timeoutSeconds: typeof vars.ansible_docker_timeout === 'number' ? vars.ansible_docker_timeout : Number(vars.ansible_docker_timeout ?? 60) || 60,
      dockerHost: str('ansible_docker_docker_host'),
      tls: bool('ansible_docker_tls'),
      validateCerts: bool('ansible_docker_validate_certs'),
      caCert: str('ansible_docker_ca_cert'),
      clientCert: str('ansible_docker_client_cert'),
      clientKey: str('ansible_docker_client_key'),
    },
  };
}

export class DockerExecTimeoutError extends Error {
  constructor(readonly command: string, readonly timeoutMs: number) {
    super(`command timed out after ${timeoutMs} ms: ${command}`);
    this.name = 'DockerExecTimeoutError';
  }
}

function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

interface RawResult {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

export class DockerApiConnection implements Connection {
  readonly transport = 'docker';
  readonly host: string;
  /** the container as the daemon knows it (name or id) */
  readonly container: string;
  private readonly user?: string;
  private client?: DockerClient;
  private readonly settings?: DockerHostSettings;
  private containerId?: string;
  private runTempDir?: string;
  private readonly ids = new Map<string, { uid: number; gid: number }>();

  constructor(opts: DockerApiConnectionOptions) {
    this.host = opts.host;
    this.container = opts.container ?? opts.host;
    this.user = opts.user;
    this.client = opts.client;
    this.settings = opts.docker;
  }

  private unreachable(message: string): UnreachableError {
    return new UnreachableError(message, this.host);
  }

  async connect(): Promise<void> {
    if (this.containerId) return;
    try {
      this.client ??= await dockerClientFor(undefined, this.settings ?? {});
      const info = await inspectContainer(this.client, this.container);
      if (!info) throw this.unreachable(`Could not find container "${this.container}" (docker daemon at ${this.client.where})`);
      const state = (info.State as Json | undefined) ?? {};
      if (state.Paused) throw this.unreachable(`The container "${this.container}" has been paused`);
      if (!state.Running) throw this.unreachable(`The container "${this.container}" is not running (state: ${String(state.Status)}); start it first`);
      this.containerId = String(info.Id);
    } catch (err) {
      if (err instanceof DockerError || err instanceof DockerHostError) throw this.unreachable(err.message);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.runTempDir && this.containerId) {
      const dir = this.runTempDir;
      this.runTempDir = undefined;
      await this.execRaw(['rm', '-rf', '--', dir]).catch(() => undefined);
    }
    this.containerId = undefined;
    this.ids.clear();
    this.info = undefined;
  }

  private async ready(): Promise<{ client: DockerClient; id: string }> {
    await this.connect();
    return { client: this.client!, id: this.containerId! };
  }

  private execUser(become: BecomeOptions | undefined): string {
    if (become?.become) return become.user && become.user !== '' ? become.user : 'root';
    return this.user ?? '';
  }

  /** One exec instance, output kept as bytes. */
  private async execRaw(cmd: string[] | string, opts: ExecOptions = {}): Promise<RawResult> {
    const { client, id } = await this.ready();
    const argv = Array.isArray(cmd) ? cmd : ['/bin/sh', '-c', cmd];
    if (argv.length === 0) throw new Error('exec: empty argv');
    const hasStdin = opts.stdin !== undefined;
    const body: Json = {
      AttachStdin: hasStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Cmd: argv,
      User: this.execUser(opts.become),
    };
    if (opts.env && Object.keys(opts.env).length) body.Env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    if (opts.cwd) body.WorkingDir = opts.cwd;
    let execId: string;
    try {
      const created = await dial<Json>(client, `creating an exec in container ${this.container}`, {
        method: 'POST',
        path: `/containers/${id}/exec`,
        body,
      });
      execId = String(created.Id);
    } catch (err) {
      throw this.translate(err);
    }
    const shown = argv.join(' ');
    const exec = client.api.getExec(execId);
    const stream = (await client
      .call(`starting an exec in container ${this.container}`, (api) =>
        api.getExec(execId).start({ hijack: hasStdin, stdin: hasStdin, Detach: false, Tty: false } as never) as unknown as Promise<Duplex>,
      )
      .catch((err: unknown) => {
        throw this.translate(err);
      })) as Duplex;
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', reject);
    });
    if (hasStdin) {
      stream.write(Buffer.from(opts.stdin as string | Buffer));
      stream.end(); // half-close: the process sees EOF on stdin
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      opts.timeoutMs && opts.timeoutMs > 0
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              stream.destroy();
              reject(new DockerExecTimeoutError(shown, opts.timeoutMs!));
            }, opts.timeoutMs);
          })
        : undefined;
    try {
      await (timeout ? Promise.race([done, timeout]) : done);
    } finally {
      if (timer) clearTimeout(timer);
    }
    const { stdout, stderr } = demuxFrames(Buffer.concat(chunks));
    const inspected = (await client.call('inspecting an exec', () => exec.inspect() as unknown as Promise<Json>)) as Json;
    const rc = typeof inspected.ExitCode === 'number' ? inspected.ExitCode : -1;
    return { rc, stdout, stderr };
  }

  /** Docker faults during a task: the container is gone or stopped → the host is unreachable. */
  private translate(err: unknown): Error {
    if (err instanceof DockerError) {
      if (err.statusCode === 404) return this.unreachable(`Could not find container "${this.container}" (${err.message})`);
      if (err.statusCode === 409) return this.unreachable(`The container "${this.container}" is not running or paused (${err.message})`);
      if (err.kind === 'no-daemon' || err.kind === 'permission') return this.unreachable(err.message);
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  async exec(cmd: string[] | string, opts: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.execRaw(cmd, opts);
    return { rc: raw.rc, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8') };
  }

  /** runs a shell script; a non-zero exit becomes an Error with the script's stderr (ENOENT when missing) */
  private async sh(script: string, become?: BecomeOptions, stdin?: string | Buffer): Promise<Buffer> {
    const res = await this.execRaw(script, { become, stdin });
    if (res.rc !== 0) {
      const text = res.stderr.toString('utf8').trim();
      const err = new Error(text || `command failed in container ${this.container} (rc=${res.rc}): ${script}`) as NodeJS.ErrnoException;
      if (/No such file or directory|Not a directory/.test(text)) err.code = 'ENOENT';
      else if (/Permission denied|Operation not permitted/.test(text)) err.code = 'EACCES';
      throw err;
    }
    return res.stdout;
  }

  async stat(path: string, opts: { follow?: boolean; become?: BecomeOptions } = {}): Promise<FileInfo | null> {
    const res = await this.execRaw(statScript(shellQuote(path), opts.follow ?? false), { become: opts.become });
    return parseStatAnswer(res.rc, res.stdout.toString('utf8'), res.stderr.toString('utf8'), path, `in container ${this.container}`);
  }


  /** GET /archive of one path; symlinks are followed (as Ansible's fetch does) */
  async readFile(path: string, opts: { become?: BecomeOptions } = {}): Promise<Buffer> {
    const { client, id } = await this.ready();
    let target = this.absolute(path);
    for (let hops = 0; hops < 2; hops++) {
      let archive: Buffer;
      try {
        archive = await client.call(`reading ${target} from container ${this.container}`, async (api) => {
          const stream = (await api.getContainer(id).getArchive({ path: target })) as NodeJS.ReadableStream;
          const parts: Buffer[] = [];
          for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
          return Buffer.concat(parts);
        });
      } catch (err) {
        if (err instanceof DockerError && err.statusCode === 404) {
          const e = new Error(`${path}: No such file or directory (in container ${this.container})`) as NodeJS.ErrnoException;
          e.code = 'ENOENT';
          throw e;
        }
        throw this.translate(err);
      }
      const entry = untar(archive)[0];
      if (!entry) throw new Error(`reading ${path} from container ${this.container}: empty archive`);
      if (entry.type === 'file') return entry.data;
      if (entry.type === 'directory') {
        const e = new Error(`${path}: Is a directory`) as NodeJS.ErrnoException;
        e.code = 'EISDIR';
        throw e;
      }
      if (entry.type !== 'symlink') break;
      target = (await this.sh(`readlink -f -- ${shellQuote(target)}`, opts.become)).toString('utf8').trim();
    }
    // fall back to reading through a process for anything else (devices, link chains)
    return this.sh(`cat -- ${shellQuote(path)}`, opts.become);
  }

  private absolute(path: string): string {
    return posixPath.normalize(path.startsWith('/') ? path : `/${path}`);
  }

  private async idsOf(become: BecomeOptions | undefined): Promise<{ uid: number; gid: number }> {
    const user = this.execUser(become);
    const known = this.ids.get(user);
    if (known) return known;
    const out = (await this.sh('id -u && id -g', become)).toString('utf8').trim().split('\n');
    const ids = { uid: Number(out[0]), gid: Number(out[1]) };
    if (Number.isNaN(ids.uid) || Number.isNaN(ids.gid)) throw new Error(`cannot tell the user and group ids of "${user || 'default user'}" in container ${this.container}`);
    this.ids.set(user, ids);
    return ids;
  }

  /** PUT /archive of a temp file beside `path`, then rename over it (atomic within the directory) */
  async writeFile(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const { client, id } = await this.ready();
    const dest = this.absolute(path);
    const dir = posixPath.dirname(dest);
    const tmpName = `.tsplay-${randomBytes(8).toString('hex')}.tmp`;
    const tmp = posixPath.join(dir, tmpName);
    const current = await this.stat(dest, { follow: true, become: opts.become });
    const { uid, gid } = await this.idsOf(opts.become);
    const mode = opts.mode ?? current?.mode ?? 0o644;
    const archive = tarOneFile({ name: tmpName, data: Buffer.isBuffer(data) ? data : Buffer.from(data), mode, uid, gid });
    try {
      await client.call(`writing ${dest} in container ${this.container}`, (api) =>
        api.getContainer(id).putArchive(archive, { path: dir }) as unknown as Promise<unknown>,
      );
    } catch (err) {
      if (err instanceof DockerError && err.statusCode === 404) {
        const e = new Error(`${dir}: No such file or directory (in container ${this.container})`) as NodeJS.ErrnoException;
        e.code = 'ENOENT';
        throw e;
      }
      throw this.translate(err);
    }
    const q = shellQuote(dest);
    const qt = shellQuote(tmp);
    // an existing file keeps its owner when we overwrite it without an explicit mode, as locally
    const keepOwner = current && opts.mode === undefined ? `chown ${current.uid}:${current.gid} ${qt} 2>/dev/null; ` : '';
    await this.sh(`${keepOwner}mv -f -- ${qt} ${q} || { rm -f -- ${qt}; exit 1; }`, opts.become);
  }

  async mkdir(path: string, opts: { mode?: number; parents?: boolean; become?: BecomeOptions } = {}): Promise<void> {
    const q = shellQuote(path);
    const modeArg = opts.mode !== undefined ? `-m ${opts.mode.toString(8)} ` : '';
    const script = opts.parents ? `[ -d ${q} ] || mkdir -p ${modeArg}-- ${q}` : `mkdir ${modeArg}-- ${q}`;
    await this.sh(script, opts.become);
  }

  async chmod(path: string, mode: number, opts: { become?: BecomeOptions } = {}): Promise<void> {
    await this.sh(`chmod ${mode.toString(8)} -- ${shellQuote(path)}`, opts.become);
  }

  async chown(path: string, uid: number, gid: number, opts: { follow?: boolean; become?: BecomeOptions } = {}): Promise<void> {
    const owner = `${uid < 0 ? '' : uid}:${gid < 0 ? '' : gid}`;
    await this.sh(`chown ${opts.follow === false ? '-h ' : ''}${owner} -- ${shellQuote(path)}`, opts.become);
  }

  async symlink(target: string, path: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    await this.sh(`ln -s -- ${shellQuote(target)} ${shellQuote(path)}`, opts.become);
  }

  async readlink(path: string, opts: { become?: BecomeOptions } = {}): Promise<string> {
    return (await this.sh(`readlink -- ${shellQuote(path)}`, opts.become)).toString('utf8').replace(/\n$/, '');
  }

  async remove(path: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    await this.sh(`rm -rf -- ${shellQuote(path)}`, opts.become);
  }

  async rename(from: string, to: string, opts: { become?: BecomeOptions } = {}): Promise<void> {
    await this.sh(`mv -fT -- ${shellQuote(from)} ${shellQuote(to)}`, opts.become);
  }

  async readdir(path: string, opts: { become?: BecomeOptions } = {}): Promise<string[]> {
    const q = shellQuote(path);
    const out = await this.sh(`[ -d ${q} ] || { echo "${path}: No such file or directory" >&2; exit 1; }; find ${q} -mindepth 1 -maxdepth 1 -printf '%f\\0'`, opts.become);
    return out.toString('utf8').split('\0').filter((n) => n !== '').sort();
  }

  async utimes(path: string, atimeMs: number, mtimeMs: number, opts: { become?: BecomeOptions } = {}): Promise<void> {
    const at = (atimeMs / 1000).toFixed(9);
    const mt = (mtimeMs / 1000).toFixed(9);
    const q = shellQuote(path);
    await this.sh(`touch -a -d @${at} -- ${q} && touch -m -d @${mt} -- ${q}`, opts.become);
  }

  async tempDir(): Promise<string> {
    if (!this.runTempDir) {
      this.runTempDir = (await this.sh('mktemp -d /tmp/tsplay-XXXXXXXX')).toString('utf8').trim();
    }
    return this.runTempDir;
  }

  private info?: TargetInfo;
  async targetInfo(): Promise<TargetInfo> {
    if (!this.info) {
      const res = await this.execRaw(TARGET_PROBE_SCRIPT);
      this.info = parseTargetProbe(res.stdout.toString('utf8'), `container ${this.container}`);
    }
    return this.info;
  }

  async checksum(path: string, opts: { become?: BecomeOptions } = {}): Promise<string | null> {
    const res = await this.execRaw(checksumScript(shellQuote(path)), { become: opts.become });
    return parseChecksum(res.rc, res.stdout.toString('utf8'), res.stderr.toString('utf8'), path);
  }
}
