/**
 * One HTTP(S) request from the controller with Node's http/https, the way Ansible's fetch_url
 * behaves for get_url: redirects followed (up to 10), If-Modified-Since when a local copy exists,
 * gzip/deflate bodies decompressed, and an `info` record with Ansible's status/msg conventions
 * (status -1 and "Request failed: <reason>" when no response came back).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { defaultTrustedCas } from '../../util/extra-ca.js';

export interface FetchOptions {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  timeoutMs: number;
  validateCerts: boolean;
  ifModifiedSince?: Date;
  username?: string;
  password?: string;
  decompress: boolean;
  signal?: AbortSignal;
}

export interface FetchInfo {
  /** HTTP status, or -1 when the request failed before a response */
  status: number;
  msg: string;
  /** the final URL after redirects */
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_REDIRECTS = 10;

/** Node's socket errors in the words Python's urllib uses, so messages read as Ansible's do */
const PYTHON_ERRORS: Record<string, string> = {
  ECONNREFUSED: '[Errno 111] Connection refused',
  ECONNRESET: '[Errno 104] Connection reset by peer',
  EHOSTUNREACH: '[Errno 113] No route to host',
  ENETUNREACH: '[Errno 101] Network is unreachable',
  ENOTFOUND: '[Errno -2] Name or service not known',
  EAI_AGAIN: '[Errno -3] Temporary failure in name resolution',
};

function pythonReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && PYTHON_ERRORS[code]) return PYTHON_ERRORS[code];
  return err instanceof Error ? err.message : String(err);
}

function once(url: URL, opts: FetchOptions): Promise<IncomingMessage> {
  const headers: Record<string, string> = { 'User-Agent': 'ansible-httpget', ...opts.headers };
  if (opts.ifModifiedSince) headers['If-Modified-Since'] = opts.ifModifiedSince.toUTCString();
  const user = opts.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const pass = opts.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  if (user !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    headers.Authorization = `Basic ${Buffer.from(`${user}:${pass ?? ''}`).toString('base64')}`;
  }
  const target = new URL(url.href);
  target.username = '';
  target.password = '';
  const https = target.protocol === 'https:';
  const make = https ? httpsRequest : httpRequest;
  const ca = https && opts.validateCerts !== false ? defaultTrustedCas() : undefined;
  return new Promise((resolve, reject) => {
    const req = make(
      target,
      { method: opts.method, headers, timeout: opts.timeoutMs, rejectUnauthorized: opts.validateCerts, signal: opts.signal, ...(ca ? { ca } : {}) },
      resolve,
    );
    req.on('timeout', () => req.destroy(new Error('The read operation timed out')));
    req.on('error', reject);
    req.end();
  });
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export async function fetchUrl(rawUrl: string, opts: FetchOptions): Promise<FetchInfo> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { status: -1, msg: `Request failed: <urlopen error unknown url type: ${rawUrl}>`, url: rawUrl, headers: {}, body: Buffer.alloc(0) };
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { status: -1, msg: `Request failed: <urlopen error unknown url type: ${url.protocol.replace(':', '')}>`, url: url.href, headers: {}, body: Buffer.alloc(0) };
    }
    let res: IncomingMessage;
    try {
      res = await once(url, opts);
    } catch (err) {
      return { status: -1, msg: `Request failed: <urlopen error ${pythonReason(err)}>`, url: url.href, headers: {}, body: Buffer.alloc(0) };
    }
    const status = res.statusCode ?? 0;
    const headers = flatHeaders(res);
    if ([301, 302, 303, 307, 308].includes(status) && headers.location) {
      res.resume();
      url = new URL(headers.location, url);
      continue;
    }
    let stream: Readable = res;
    const encoding = (headers['content-encoding'] ?? '').toLowerCase();
    if (opts.decompress && encoding === 'gzip') stream = res.pipe(createGunzip());
    else if (opts.decompress && encoding === 'deflate') stream = res.pipe(createInflate());
    let body: Buffer;
    try {
      body = await readAll(stream);
    } catch (err) {
      return { status: -1, msg: `Request failed: ${err instanceof Error ? err.message : String(err)}`, url: url.href, headers, body: Buffer.alloc(0) };
    }
    const msg =
      status === 200
        ? `OK (${headers['content-length'] ?? 'unknown'} bytes)`
        : `HTTP Error ${status}: ${res.statusMessage ?? ''}`;
    return { status, msg, url: url.href, headers, body };
  }
  return { status: -1, msg: 'Request failed: too many redirects', url: url.href, headers: {}, body: Buffer.alloc(0) };
}
