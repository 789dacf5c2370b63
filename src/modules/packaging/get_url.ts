/**
 * ansible.builtin.get_url: downloads a URL to a file on the target. The download happens ON THE
 * TARGET, as Ansible's module does it (curl, wget or python3 there, into a temp file there; its
 * proxies and the task's environment apply; target-fetch.ts). Where the connection's target is
 * this machine, or when the variable `tsplay_get_url_on: controller` asks for it, the controller
 * downloads with Node's http/https and puts the file on the target through the connection.
 * Decisions follow Ansible 2.14: a destination that already has
 * the requested checksum is not downloaded again; an existing destination without a checksum is
 * fetched with If-Modified-Since (304 → unchanged); the file is replaced only when its SHA-1
 * differs; a checksum that does not match after download removes the file and fails.
 */
import { createHash } from 'node:crypto';
import { fileCommonOptions } from '../builtin/support/specs.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { asBool, asInt, run, shellQuote } from './common.js';
import { applyAttributes, pathFacts, statOnTarget } from './file-attrs.js';
import type { FetchInfo, FetchOptions } from './http-fetch.js';

type GetUrlArgs = Record<string, unknown>;

const DIGESTS: Record<string, string> = {
  md5: 'md5sum',
  sha1: 'sha1sum',
  sha224: 'sha224sum',
  sha256: 'sha256sum',
  sha384: 'sha384sum',
  sha512: 'sha512sum',
};

function urlFilename(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // keep the raw string
  }
  const base = posix.basename(path);
  return base === '' || path.endsWith('/') ? 'index.html' : decodeURIComponent(base);
}

function filenameFromHeaders(headers: Record<string, string>): string | undefined {
  const match = /^attachment; ?filename="?([^"]+)/.exec(headers['content-disposition'] ?? '');
  return match ? posix.basename(match[1]) : undefined;
}

function digest(algorithm: string, data: Buffer): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** the digest of a file on the target, or undefined when it cannot be read */
async function targetDigest(ctx: ModuleContext, path: string, algorithm: string): Promise<string | undefined> {
  const tool = DIGESTS[algorithm];
  if (tool) {
    const out = await run(ctx, `${tool} -- ${shellQuote(path)}`);
    if (out.rc === 0) return out.stdout.trim().split(/\s+/)[0].replace(/^\\/, '');
  }
  try {
    return digest(algorithm, await ctx.conn.readFile(path, { become: ctx.become }));
  } catch {
    return undefined;
  }
}

/** a downloaded body, wherever it is: on the controller (bytes) or on the target (a temp file) */
interface Body {
  /** named as `src` in the result, as Ansible names its temp file */
  src: string;
  digest(algorithm: string): Promise<string | undefined>;
  text(): Promise<string>;
  /** puts the bytes at dest with this mode (atomically, beside dest) */
  installTo(dest: string, mode: number): Promise<void>;
  cleanup(): Promise<void>;
}

interface Fetched {
  status: number;
  msg: string;
  url: string;
  headers: Record<string, string>;
  body: Body;
}

/** where get_url's downloads happen: on the target, unless it is this machine or the play asks */
function downloadsOnTarget(ctx: ModuleContext): boolean {
  return !ctx.conn.targetIsController && ctx.vars?.tsplay_get_url_on !== 'controller';
}

async function fetchAny(ctx: ModuleContext, url: string, opts: FetchOptions, useProxy: boolean): Promise<Fetched> {
  if (downloadsOnTarget(ctx) && !url.startsWith('file:/')) {
    const { fetchOnTarget } = await import('./target-fetch.js');
    const path = posix.join(await ctx.conn.tempDir(), `get_url-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    const info = await fetchOnTarget(ctx, url, opts, path, useProxy);
    const body: Body = {
      src: path,
      digest: (algorithm) => targetDigest(ctx, path, algorithm),
      text: async () => (await ctx.conn.readFile(path, { become: ctx.become })).toString('utf8'),
      async installTo(dest, mode) {
        const tmp = posix.join(posix.dirname(dest), `.${posix.basename(dest)}.${process.pid}.tsplay-tmp`);
        const q = shellQuote(tmp);
        const out = await run(ctx, `cp -- ${shellQuote(path)} ${q} && chmod ${mode.toString(8)} ${q} && mv -f -- ${q} ${shellQuote(dest)} || { rm -f -- ${q}; exit 1; }`);
        if (out.rc !== 0) throw new Error(out.stderr.trim() || `rc=${out.rc}`);
      },
      cleanup: () => ctx.conn.remove(path, { become: ctx.become }).catch(() => undefined),
    };
    return { status: info.status, msg: info.msg, url: info.url, headers: info.headers, body };
  }
  const info = await fetchOn(ctx, url, opts);
  let tempDir: string | undefined;
  const body: Body = {
    src: '',
    digest: async (algorithm) => digest(algorithm, info.body),
    text: async () => info.body.toString('utf8'),
    installTo: (dest, mode) => ctx.conn.writeFile(dest, info.body, { mode, become: ctx.become }),
    cleanup: async () => {
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
  if (info.status === 200 || url.startsWith('file:/')) {
    // kept on the controller for the length of the task, named in the result as Ansible names its temp file
    tempDir = await mkdtemp(join(tmpdir(), 'tsplay-get_url-'));
    body.src = join(tempDir, 'download');
    await writeFile(body.src, info.body);
  }
  return { status: info.status, msg: info.msg, url: info.url, headers: info.headers, body };
}

async function fetchOn(ctx: ModuleContext, url: string, opts: FetchOptions): Promise<FetchInfo> {
  if (url.startsWith('file:/')) {
    // a file:// URL names a file on the target, where Ansible's module runs
    const path = decodeURIComponent(new URL(url).pathname);
    try {
      const body = opts.method === 'HEAD' ? Buffer.alloc(0) : await ctx.conn.readFile(path, { become: ctx.become });
      return { status: 200, msg: `OK (${body.length} bytes)`, url, headers: {}, body };
    } catch (err) {
      return { status: -1, msg: `Request failed: <urlopen error ${err instanceof Error ? err.message : String(err)}>`, url, headers: {}, body: Buffer.alloc(0) };
    }
  }
  // node:http, https and zlib load on the first download, not at every start-up
  const { fetchUrl } = await import('./http-fetch.js');
  return fetchUrl(url, opts);
}

function fetchOptions(args: GetUrlArgs, ctx: ModuleContext, method: 'GET' | 'HEAD', ifModifiedSince?: Date): FetchOptions {
  const headers: Record<string, string> = {};
  if (args.headers && typeof args.headers === 'object') {
    for (const [k, v] of Object.entries(args.headers as Record<string, unknown>)) headers[k] = String(v);
  }
  if (typeof args.http_agent === 'string') headers['User-Agent'] = args.http_agent;
  return {
    method,
    headers,
    timeoutMs: asInt(args.timeout, 10) * 1000,
    validateCerts: asBool(args.validate_certs, true),
    ...(ifModifiedSince ? { ifModifiedSince } : {}),
    ...(typeof args.url_username === 'string' ? { username: args.url_username } : {}),
    ...(typeof args.url_password === 'string' ? { password: args.url_password } : {}),
    decompress: asBool(args.decompress, true),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

async function download(args: GetUrlArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const url = String(args.url ?? '');
  let dest = String(args.dest ?? '');
  let force = asBool(args.force, false);
  const backup = asBool(args.backup, false);
  const attrs = {
    mode: args.mode ?? undefined,
    owner: typeof args.owner === 'string' ? args.owner : undefined,
    group: typeof args.group === 'string' ? args.group : undefined,
  };
  const useProxy = asBool(args.use_proxy, true);
  const result: ModuleResult = { changed: false, checksum_dest: null, checksum_src: null, dest, elapsed: 0, url };
  const finish = (extra: ModuleResult): ModuleResult => ({ ...result, ...extra });

  let destStat = await statOnTarget(ctx, dest);
  const destIsDir = destStat?.kind.includes('directory') ?? false;
  let algorithm = '';
  let checksum = '';
  const checksumArg = typeof args.checksum === 'string' ? args.checksum : '';
  if (checksumArg) {
    const colon = checksumArg.indexOf(':');
    if (colon < 0) return { ...result, failed: true, msg: 'The checksum parameter has to be in format <algorithm>:<checksum>' };
    algorithm = checksumArg.slice(0, colon).toLowerCase();
    checksum = checksumArg.slice(colon + 1);
    if (/^(https?|ftp|file):/.test(checksum)) {
      const listing = await fetchAny(ctx, checksum, fetchOptions(args, ctx, 'GET'), useProxy);
      const listingText = listing.status === 200 ? await listing.body.text() : '';
      await listing.body.cleanup();
      if (listing.status !== 200) {
        return { failed: true, changed: false, msg: listing.status === -1 ? listing.msg : 'Request failed', status_code: listing.status, url: checksum, dest };
      }
      const lines = listingText.split('\n').map((l) => l.replace(/\r$/, ''));
      const filename = urlFilename(url);
      const pairs: Array<[string, string]> = [];
      const nonEmpty = lines.filter((l) => l !== '');
      if (nonEmpty.length === 1 && nonEmpty[0].trim().split(/\s+/).length === 1) pairs.push([nonEmpty[0].trim(), filename]);
      else {
        for (const line of lines) {
          const space = line.indexOf(' ');
          if (space < 0) continue;
          let name = line.slice(space + 1);
          if (name.startsWith(' ') || name.startsWith('*')) name = name.slice(1);
          pairs.push([line.slice(0, space), name.replace(/^[./]+/, '')]);
        }
      }
      const found = pairs.find(([, name]) => name === filename);
      if (!found) return { failed: true, changed: false, msg: `Unable to find a checksum for file '${filename}' in '${checksum}'` };
      checksum = found[0];
    }
    checksum = checksum.replace(/\W+/g, '').toLowerCase();
    if (!/^[0-9a-f]+$/.test(checksum)) return { ...result, failed: true, msg: 'The checksum format is invalid' };
    if (!DIGESTS[algorithm]) {
      return { ...result, failed: true, msg: `Could not hash file '${dest}' with algorithm '${algorithm}'. Available algorithms: ${Object.keys(DIGESTS).join(', ')}` };
    }
  }

  let lastModified: Date | undefined;
  if (!destIsDir && destStat) {
    let mismatch = false;
    if (!force && checksum) {
      mismatch = (await targetDigest(ctx, dest, algorithm)) !== checksum;
      if (!mismatch) {
        const applied = await applyAttributes(ctx, dest, attrs);
        if (!applied.ok) return { ...result, failed: true, msg: applied.msg };
        result.changed = applied.changed;
        return finish({ msg: applied.changed ? 'file already exists but file attributes changed' : 'file already exists' });
      }
    }
    lastModified = new Date(destStat.mtime * 1000);
    if (mismatch) force = true;
  }

  const started = Date.now();
  const info = await fetchAny(ctx, url, fetchOptions(args, ctx, ctx.check ? 'HEAD' : 'GET', force ? undefined : lastModified), useProxy);
  try {
    return await install(info, started);
  } finally {
    await info.body.cleanup();
  }

  async function install(info: Fetched, started: number): Promise<ModuleResult> {
    const elapsed = Math.floor((Date.now() - started) / 1000);
    result.elapsed = elapsed;
    if (info.status === 304) {
      return { url, dest, changed: false, msg: info.msg, status_code: 304, elapsed };
    }
    if (info.status === -1) return { failed: true, changed: false, msg: info.msg, url, dest, elapsed };
    if (info.status !== 200 && !url.startsWith('file:/')) {
      return { failed: true, changed: false, msg: 'Request failed', status_code: info.status, response: info.msg, url, dest, elapsed };
    }
    result.src = info.body.src;
    if (destIsDir) {
      dest = posix.join(dest, filenameFromHeaders(info.headers) ?? urlFilename(info.url));
      result.dest = dest;
      destStat = await statOnTarget(ctx, dest);
    }
    result.checksum_src = (await info.body.digest('sha1')) ?? null;
    if (destStat) {
      result.checksum_dest = (await targetDigest(ctx, dest, 'sha1')) ?? null;
    } else {
      const parent = posix.dirname(dest);
      const parentStat = await statOnTarget(ctx, parent);
      if (!parentStat) return { ...result, failed: true, msg: `Destination ${parent} does not exist` };
    }

    if (ctx.check) {
      result.changed = result.checksum_src !== result.checksum_dest;
      return finish({ msg: info.msg });
    }

    let backupFile: string | undefined;
    if (result.checksum_src !== result.checksum_dest) {
      if (backup && destStat) {
        backupFile = `${dest}.${process.pid}.${backupStamp()}~`;
        const copied = await run(ctx, `cp -p -- ${shellQuote(dest)} ${shellQuote(backupFile)}`);
        if (copied.rc !== 0) return { ...result, failed: true, msg: `Could not make backup of ${dest} to ${backupFile}: ${copied.stderr.trim()}` };
      }
      try {
        // a replaced file keeps its permissions, a new one gets 0644 as Ansible's atomic_move gives it
        const mode = destStat ? destStat.mode & 0o7777 : 0o644;
        await info.body.installTo(dest, mode);
        if (destStat) await ctx.conn.chown(dest, destStat.uid, destStat.gid, { become: ctx.become }).catch(() => undefined);
      } catch (err) {
        return { ...result, failed: true, msg: `failed to copy ${info.body.src} to ${dest}: ${err instanceof Error ? err.message : String(err)}` };
      }
      result.changed = true;
    }

    if (checksum) {
      const got = await info.body.digest(algorithm);
      if (got !== checksum) {
        await ctx.conn.remove(dest, { become: ctx.become });
        return { ...result, failed: true, msg: `The checksum for ${dest} did not match ${checksum}; it was ${got}.` };
      }
    }
    const applied = await applyAttributes(ctx, dest, attrs);
    if (!applied.ok) return { ...result, failed: true, msg: applied.msg };
    result.changed = Boolean(result.changed) || applied.changed;
    result.md5sum = (await info.body.digest('md5')) ?? null;
    if (backupFile) result.backup_file = backupFile;
    return finish({ msg: info.msg, status_code: info.status });
  }
}

/** Like every Ansible module result naming an existing `dest`, success or failure, it carries that file's facts. */
export async function runGetUrl(args: GetUrlArgs, ctx: ModuleContext): Promise<ModuleResult> {
  let result: ModuleResult;
  try {
    result = await download(args, ctx);
  } catch (err) {
    if (err instanceof Error && err.name === 'NoHttpClientError') return { failed: true, changed: false, msg: err.message, url: args.url, dest: args.dest };
    throw err;
  }
  if (typeof result.dest === 'string' && result.dest !== '') Object.assign(result, pathFacts(await statOnTarget(ctx, result.dest)));
  return result;
}

/** the YYYY-MM-DD@HH:MM:SS stamp of Ansible's backup file names */
function backupStamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export const getUrl: ModuleDefinition<GetUrlArgs> = {
  name: 'ansible.builtin.get_url',
  supportsCheckMode: true,
  spec: {
    short_description: 'Downloads files from HTTP, HTTPS, or FTP to node',
    options: {
      url: { type: 'str', required: true },
      dest: { type: 'path', required: true },
      backup: { type: 'bool', default: false },
      checksum: { type: 'str', default: '' },
      timeout: { type: 'int', default: 10 },
      headers: { type: 'dict' },
      tmp_dest: { type: 'path' },
      unredirected_headers: { type: 'list', elements: 'str', default: [] },
      decompress: { type: 'bool', default: true },
      ciphers: { type: 'list', elements: 'str' },
      use_netrc: { type: 'bool', default: true },
      force: { type: 'bool', default: false },
      http_agent: { type: 'str', default: 'ansible-httpget' },
      use_proxy: { type: 'bool', default: true },
      validate_certs: { type: 'bool', default: true },
      url_username: { type: 'str', aliases: ['username'] },
      url_password: { type: 'str', no_log: true, aliases: ['password'] },
      force_basic_auth: { type: 'bool', default: false },
      client_cert: { type: 'path' },
      client_key: { type: 'path' },
      use_gssapi: { type: 'bool', default: false },
      // Ansible's add_file_common_args, as the file-like builtin modules declare them
      ...fileCommonOptions,
    },
  },
  run: runGetUrl,
};
