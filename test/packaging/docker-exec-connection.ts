/**
 * A Connection into a running container through the `docker exec` CLI, for testing the packaging
 * modules against throwaway hosts while the Docker API connection (src/connection/docker.ts) is
 * being written. Every operation is a real command inside the container.
 */
import { spawn } from 'node:child_process';
import type { Connection, ExecOptions, ExecResult, FileInfo, WriteOptions } from '../../src/connection/types.js';

function sq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function dockerCli(args: string[], stdin?: string | Buffer): Promise<{ rc: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ rc: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(stdin ?? '');
  });
}

export class DockerExecConnection implements Connection {
  readonly transport = 'docker-exec';
  constructor(readonly host: string, private readonly container: string = host) {}

  async connect(): Promise<void> {
    const probe = await dockerCli(['exec', this.container, 'true']);
    if (probe.rc !== 0) throw new Error(`container ${this.container} is not running: ${probe.stderr}`);
  }

  async close(): Promise<void> {}

  async exec(cmd: string[] | string, opts: ExecOptions = {}): Promise<ExecResult> {
    const argv = typeof cmd === 'string' ? ['/bin/sh', '-c', cmd] : cmd;
    const args = ['exec', '-i'];
    for (const [key, value] of Object.entries(opts.env ?? {})) args.push('-e', `${key}=${value}`);
    if (opts.cwd) args.push('-w', opts.cwd);
    if (opts.become?.become && opts.become.user && opts.become.user !== 'root') args.push('-u', opts.become.user);
    args.push(this.container, ...argv);
    const result = await dockerCli(args, opts.stdin);
    return { rc: result.rc, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
  }

  private async sh(script: string, stdin?: string | Buffer): Promise<{ rc: number; stdout: Buffer; stderr: string }> {
    return dockerCli(['exec', '-i', this.container, '/bin/sh', '-c', script], stdin);
  }

  private async must(script: string, what: string, stdin?: string | Buffer): Promise<Buffer> {
    const result = await this.sh(script, stdin);
    if (result.rc !== 0) throw new Error(`${what} failed on ${this.host}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  async stat(path: string, opts: { follow?: boolean } = {}): Promise<FileInfo | null> {
    const flag = opts.follow ? '-L ' : '';
    const result = await this.sh(`stat ${flag}-c '%F|%a|%s|%u|%g|%Y|%X' ${sq(path)} 2>/dev/null || echo MISSING`);
    const line = result.stdout.toString('utf8').trim();
    if (line === 'MISSING' || line === '') return null;
    const [kind, mode, size, uid, gid, mtime, atime] = line.split('|');
    const type = kind.includes('symbolic link') ? 'link' : kind.includes('directory') ? 'directory' : kind.includes('regular') ? 'file' : 'other';
    const info: FileInfo = {
      type,
      mode: parseInt(mode, 8),
      size: Number(size),
      uid: Number(uid),
      gid: Number(gid),
      mtimeMs: Number(mtime) * 1000,
      atimeMs: Number(atime) * 1000,
    };
    if (type === 'link') info.linkTarget = await this.readlink(path);
    return info;
  }

  async readFile(path: string): Promise<Buffer> {
    return this.must(`cat ${sq(path)}`, `reading ${path}`);
  }

  async writeFile(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const tmp = `${path}.tsplay-tmp-${process.pid}-${Date.now()}`;
    const chmod = opts.mode !== undefined ? `chmod ${(opts.mode & 0o7777).toString(8)} ${sq(tmp)} && ` : '';
    await this.must(`cat > ${sq(tmp)} && ${chmod}mv -f ${sq(tmp)} ${sq(path)}`, `writing ${path}`, data);
  }

  async mkdir(path: string, opts: { mode?: number; parents?: boolean } = {}): Promise<void> {
    const mode = opts.mode !== undefined ? `-m ${(opts.mode & 0o7777).toString(8)} ` : '';
    await this.must(`mkdir ${opts.parents ? '-p ' : ''}${mode}${sq(path)}`, `mkdir ${path}`);
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.must(`chmod ${(mode & 0o7777).toString(8)} ${sq(path)}`, `chmod ${path}`);
  }

  async chown(path: string, uid: number, gid: number, opts: { follow?: boolean } = {}): Promise<void> {
    await this.must(`chown ${opts.follow === false ? '-h ' : ''}${uid}:${gid} ${sq(path)}`, `chown ${path}`);
  }

  async symlink(target: string, path: string): Promise<void> {
    await this.must(`ln -s ${sq(target)} ${sq(path)}`, `symlink ${path}`);
  }

  async readlink(path: string): Promise<string> {
    return (await this.must(`readlink ${sq(path)}`, `readlink ${path}`)).toString('utf8').replace(/\n$/, '');
  }

  async remove(path: string): Promise<void> {
    await this.must(`rm -rf ${sq(path)}`, `removing ${path}`);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.must(`mv -f ${sq(from)} ${sq(to)}`, `renaming ${from}`);
  }

  async readdir(path: string): Promise<string[]> {
    const out = await this.must(`ls -A1 ${sq(path)}`, `listing ${path}`);
    return out.toString('utf8').split('\n').filter(Boolean);
  }

  async utimes(path: string, _atimeMs: number, mtimeMs: number): Promise<void> {
    await this.must(`touch -d @${Math.floor(mtimeMs / 1000)} ${sq(path)}`, `touch ${path}`);
  }

  async tempDir(): Promise<string> {
    return (await this.must('mktemp -d /tmp/tsplay.XXXXXX', 'mktemp')).toString('utf8').trim();
  }
}
