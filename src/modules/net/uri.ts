/**
 * ansible.builtin.uri: an HTTP request made from the target (uri-request.ts), with Ansible's
 * handling of bodies (raw, json, form-urlencoded), expected status codes, returned content and
 * JSON, `dest` downloads, creates/removes, and the response headers as result keys. Its action
 * plugin's part (a `src` file found on the controller and sent along) is done here too.
 */
import { readFile } from 'node:fs/promises';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail } from '../builtin/support/failure.js';
import { fileCommonOptions } from '../builtin/support/specs.js';
import { addPathInfo, applyFileAttributes, targetUmask } from '../builtin/support/fsattrs.js';
import { pyJsonDumps } from '../builtin/support/pyjson.js';
import { join } from '../builtin/support/paths.js';
import { NoPythonError, requestOnTarget, type UriResponse } from './uri-request.js';

export interface UriArgs {
  url: string;
  dest?: string | null;
  url_username?: string | null;
  url_password?: string | null;
  body?: unknown;
  body_format: 'form-urlencoded' | 'json' | 'raw' | 'form-multipart';
  src?: string | null;
  method: string;
  return_content: boolean;
  follow_redirects: string;
  creates?: string | null;
  removes?: string | null;
  status_code: number[];
  timeout: number;
  headers: Record<string, unknown>;
  unix_socket?: string | null;
  remote_src: boolean;
  ca_path?: string | null;
  unredirected_headers: string[];
  decompress: boolean;
  ciphers?: string[] | null;
  use_netrc: boolean;
  force: boolean;
  http_agent: string;
  use_proxy: boolean;
  validate_certs: boolean;
  force_basic_auth: boolean;
  client_cert?: string | null;
  client_key?: string | null;
  use_gssapi: boolean;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
}

const JSON_CANDIDATES = new Set(['json', 'javascript']);

/** Python's str() of a value in a form body */
function pyStr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'object' && v !== null) return pyJsonDumps(v);
  return String(v);
}

/** urllib.parse.quote_plus: only letters, digits and _.-~ stay; spaces become + */
function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** uri's form_urlencoded: a mapping or a list of pairs; list values repeat the key; None dropped */
function formUrlencoded(body: unknown): string {
  if (typeof body === 'string') return body;
  let pairs: Array<[unknown, unknown]>;
  if (Array.isArray(body)) pairs = body.map((p) => (Array.isArray(p) ? [p[0], p[1]] : fail('failed to parse body as form_urlencoded: too many values to unpack (expected 2)', { elapsed: 0 })));
  else if (body && typeof body === 'object') pairs = Object.entries(body);
  else return String(body);
  const out: string[] = [];
  for (const [key, values] of pairs) {
    const list = Array.isArray(values) ? values : [values];
    for (const v of list) if (v !== null && v !== undefined) out.push(`${quotePlus(pyStr(key))}=${quotePlus(pyStr(v))}`);
  }
  return out.join('&');
}

/** uri's absolute_location for a Location header */
function absoluteLocation(url: string, location: string): string {
  if (location.includes('://')) return location;
  if (location.startsWith('/')) {
    const path = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url)?.[1] ?? '';
    return `${path ? url.split(path).join('') : url}${location}`;
  }
  const slash = url.lastIndexOf('/');
  return `${slash >= 0 ? url.slice(0, slash) : ''}/${location}`;
}

function decode(data: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(data);
  } catch {
    return data.toString('utf8');
  }
}

async function exists(ctx: ModuleContext, path: string): Promise<boolean> {
  return (await ctx.conn.stat(path, { follow: true, become: ctx.become }).catch(() => null)) !== null;
}

async function uri(a: UriArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const url = a.url;
  const bodyFormat = a.body_format.toLowerCase();
  const method = a.method.toUpperCase();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.headers ?? {})) headers[k] = pyStr(v);
  let body = a.body;

  // what the action plugin does on the controller before the module runs
  let data: Buffer | undefined;
  let dataFile: string | undefined;
  if (a.src != null && !a.remote_src) {
    const found = ctx.findFile('files', a.src);
    if (!found) fail(`Could not find or access '${a.src}'`);
    try {
      data = await readFile(found);
    } catch {
      fail(`Unable to open source file ${a.src}`, { elapsed: 0 });
    }
  }
  if (bodyFormat === 'form-multipart') {
    fail('tsplay\'s uri does not send form-multipart bodies yet; use body_format raw with a prepared body');
  }
  if (a.use_gssapi) fail('tsplay\'s uri does not support use_gssapi');

  if (!/^[A-Z]+$/.test(method)) fail("Parameter 'method' needs to be a single word in uppercase, like GET or POST.");
  const hasHeader = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
  if (bodyFormat === 'json') {
    if (typeof body !== 'string') body = pyJsonDumps(body);
    if (!hasHeader('content-type')) headers['Content-Type'] = 'application/json';
  } else if (bodyFormat === 'form-urlencoded') {
    if (typeof body !== 'string') body = formUrlencoded(body);
    if (!hasHeader('content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }

  if (a.creates != null && (await exists(ctx, a.creates))) return { stdout: `skipped, since '${a.creates}' exists`, changed: false };
  if (a.removes != null && !(await exists(ctx, a.removes))) return { stdout: `skipped, since '${a.removes}' does not exist`, changed: false };

  if (a.src != null && a.remote_src) {
    const info = await ctx.conn.stat(a.src, { follow: true, become: ctx.become }).catch(() => null);
    if (!info) fail(`Unable to open source file ${a.src}`, { elapsed: 0 });
    headers['Content-Length'] = String(info.size);
    dataFile = a.src;
  } else if (data) headers['Content-Length'] = String(data.length);
  else if (body !== null && body !== undefined) data = Buffer.from(typeof body === 'string' ? body : pyStr(body), 'utf8');

  let dest = a.dest ?? null;
  const destInfo = dest !== null ? await ctx.conn.stat(dest, { follow: true, become: ctx.become }).catch(() => null) : null;

  const tmp = await ctx.conn.tempDir();
  const out = join(tmp, `uri-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  let res: UriResponse;
  try {
    res = await requestOnTarget(ctx, {
      url,
      method,
      headers,
      data: data?.toString('base64'),
      data_file: dataFile,
      timeout: a.timeout,
      validate_certs: a.validate_certs,
      ca_path: a.ca_path,
      use_proxy: a.use_proxy,
      follow_redirects: a.follow_redirects,
      username: a.url_username,
      password: a.url_password,
      force_basic_auth: a.force_basic_auth,
      http_agent: a.http_agent,
      // uri's own call to fetch_url never passes `force` on: Ansible accepts the option and sends no cache-control (seen in the parity test)
      force: false,
      last_mod_time: destInfo?.type === 'file' ? destInfo.mtimeMs / 1000 : null,
      decompress: a.decompress,
      unredirected_headers: a.unredirected_headers,
      client_cert: a.client_cert,
      client_key: a.client_key,
      ciphers: a.ciphers,
      use_netrc: a.use_netrc,
      unix_socket: a.unix_socket,
      out,
    });
  } catch (err) {
    if (err instanceof NoPythonError) fail(err.message);
    throw err;
  }
  try {
    if (res.response && dest !== null && destInfo?.type === 'directory') dest = join(dest, res.filename || 'index.html');

    const [, subType = ''] = res.content_type.split('/');
    const suffix = subType.includes('+') ? subType.slice(subType.indexOf('+') + 1) : subType;
    const maybeJson = JSON_CANDIDATES.has(suffix.toLowerCase());
    const isHttpError = res.response && (res.status < 200 || res.status >= 300);
    const maybeOutput = maybeJson || a.return_content || !a.status_code.includes(res.status);
    let content: Buffer | undefined;
    if (maybeOutput || !res.response) content = await ctx.conn.readFile(out, { become: ctx.become }).catch(() => Buffer.alloc(0));

    const resp: Record<string, unknown> = { url: res.url };
    for (const [k, v] of res.headers) resp[k] = v;
    if (res.cookies) {
      resp.cookies_string = res.cookies.map(([k, v]) => `${k}=${v}`).join('; ');
      resp.cookies = Object.fromEntries(res.cookies);
    }
    resp.msg = res.msg;
    resp.status = res.status;
    // an error response's body stays in the result when nothing else reads it
    if (isHttpError && !maybeOutput) resp.body = decode(await ctx.conn.readFile(out, { become: ctx.become }), 'utf-8');
    resp.redirected = res.url !== url;
    resp.elapsed = res.elapsed;
    resp.changed = false;

    if (res.response && dest !== null) {
      if (a.status_code.includes(res.status) && res.status !== 304) {
        await writeDest(ctx, out, dest);
        resp.changed = true;
        resp.changed = await applyFileAttributes(ctx, { path: dest, mode: a.mode, owner: a.owner, group: a.group }, true);
      }
      resp.path = dest;
    }

    const result: ModuleResult = {};
    for (const [k, v] of Object.entries(resp)) result[k.replace(/-/g, '_').toLowerCase()] = v;
    if (typeof result.location === 'string') result.location = absoluteLocation(url, result.location);
    let text: string | undefined;
    if (content !== undefined) {
      text = decode(content, res.charset);
      if (maybeJson) {
        try {
          result.json = JSON.parse(text) as unknown;
        } catch {
          // not JSON after all: Ansible leaves `json` out
        }
      }
    }
    if (!a.status_code.includes(res.status)) {
      result.msg = `Status code was ${res.status} and not [${a.status_code.join(', ')}]: ${String(result.msg ?? '')}`;
      if (a.return_content) result.content = text ?? null;
      result.failed = true;
    } else if (a.return_content) result.content = text ?? null;
    if (typeof result.path === 'string') await addPathInfo(ctx, result);
    return result;
  } finally {
    await ctx.conn.remove(out, { become: ctx.become }).catch(() => undefined);
  }
}

/** write_file: the download replaces dest only when its bytes differ (sha1), keeping dest's mode */
async function writeDest(ctx: ModuleContext, tmp: string, dest: string): Promise<void> {
  const [ours, theirs] = await Promise.all([ctx.conn.checksum(tmp, { become: ctx.become }), ctx.conn.checksum(dest, { become: ctx.become })]);
  if (ours === theirs) return;
  const before = await ctx.conn.stat(dest, { follow: true, become: ctx.become });
  const bytes = await ctx.conn.readFile(tmp, { become: ctx.become });
  try {
    await ctx.conn.writeFile(dest, bytes, { mode: before ? before.mode & 0o7777 : 0o666 & ~(await targetUmask(ctx)), become: ctx.become });
    if (before) {
      const after = await ctx.conn.stat(dest, { follow: true, become: ctx.become });
      if (after && (after.uid !== before.uid || after.gid !== before.gid)) await ctx.conn.chown(dest, before.uid, before.gid, { become: ctx.become }).catch(() => undefined);
    }
  } catch (err) {
    fail(`failed to copy ${tmp} to ${dest}: ${(err as Error).message}`);
  }
}

export const uriModule: ModuleDefinition = defineModule<UriArgs>({
  name: 'ansible.builtin.uri',
  spec: {
    short_description: 'Interacts with webservices',
    options: {
      url: { type: 'str', required: true },
      force: { type: 'bool', default: false },
      http_agent: { type: 'str', default: 'ansible-httpget' },
      use_proxy: { type: 'bool', default: true },
      validate_certs: { type: 'bool', default: true },
      url_username: { type: 'str', aliases: ['user'] },
      url_password: { type: 'str', aliases: ['password'], no_log: true },
      force_basic_auth: { type: 'bool', default: false },
      client_cert: { type: 'path' },
      client_key: { type: 'path' },
      use_gssapi: { type: 'bool', default: false },
      dest: { type: 'path' },
      body: { type: 'raw' },
      body_format: { type: 'str', default: 'raw', choices: ['form-urlencoded', 'json', 'raw', 'form-multipart'] },
      src: { type: 'path' },
      method: { type: 'str', default: 'GET' },
      return_content: { type: 'bool', default: false },
      follow_redirects: { type: 'str', default: 'safe', choices: ['all', 'no', 'none', 'safe', 'urllib2', 'yes'] },
      creates: { type: 'path' },
      removes: { type: 'path' },
      status_code: { type: 'list', elements: 'int', default: [200] },
      timeout: { type: 'int', default: 30 },
      headers: { type: 'dict', default: {} },
      unix_socket: { type: 'path' },
      remote_src: { type: 'bool', default: false },
      ca_path: { type: 'path' },
      unredirected_headers: { type: 'list', elements: 'str', default: [] },
      decompress: { type: 'bool', default: true },
      ciphers: { type: 'list', elements: 'str' },
      use_netrc: { type: 'bool', default: true },
      ...fileCommonOptions,
    },
    mutually_exclusive: [['body', 'src']],
  },
  // Ansible's module does not declare check mode support: the task is skipped under --check
  supportsCheckMode: false,
  run: async (args, ctx) => {
    try {
      return await uri(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, failed: true, ...err.result };
      throw err;
    }
  },
});
