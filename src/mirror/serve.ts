/**
 * A small static server for a pip mirror (`tsplay serve-mirror DIR`), for labs and tests.
 * Directory URLs serve index.html, or the PEP 691 JSON file beside it (index.v1_json) when the
 * client's Accept header prefers `application/vnd.pypi.simple.v1+json` (server-driven content
 * negotiation, PEP 691). Paths are confined to DIR; names starting with a dot are never served
 * (the mirror's state lives there), though symlinks inside DIR such as `simple` are followed.
 */
import * as http from 'node:http';
import { promises as fsp, createReadStream } from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { JSON_INDEX_NAME } from './render.js';

export interface ServeOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port */
  port?: number;
  /** called once per request, for access logs */
  onRequest?: (line: string) => void;
}

export interface MirrorServer {
  /** http://host:port/ */
  url: string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const HTML_TYPE = 'application/vnd.pypi.simple.v1+html';

interface Representation {
  contentType: string;
  file: string;
}

/** What Accept asks for, by PEP 691's rules: the highest q wins; ties go to the earlier entry. */
export function chooseIndexFormat(accept: string | undefined): 'json' | 'html' | 'text-html' | undefined {
  const header = accept === undefined || accept.trim() === '' ? '*/*' : accept;
  let best: { format: 'json' | 'html' | 'text-html'; q: number } | undefined;
  for (const part of header.split(',')) {
    const [rawType, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((piece) => piece.trim());
      if (key === 'q') q = Number(value);
    }
    if (!Number.isFinite(q) || q <= 0) continue;
    let format: 'json' | 'html' | 'text-html' | undefined;
    if (rawType === JSON_TYPE || rawType === 'application/vnd.pypi.simple.latest+json') format = 'json';
    else if (rawType === HTML_TYPE || rawType === 'application/vnd.pypi.simple.latest+html') format = 'html';
    else if (rawType === 'text/html' || rawType === 'text/*' || rawType === '*/*') format = 'text-html';
    if (format && (!best || q > best.q)) best = { format, q };
  }
  return best?.format;
}

function contentTypeOf(file: string): string {
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith(JSON_INDEX_NAME)) return JSON_TYPE;
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.metadata')) return 'text/plain; charset=utf-8';
  if (file.endsWith('.whl') || file.endsWith('.zip')) return 'application/zip';
  if (file.endsWith('.tar.gz') || file.endsWith('.tgz')) return 'application/gzip';
  return 'application/octet-stream';
}

async function statOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

export async function serveMirror(dir: string, options: ServeOptions = {}): Promise<MirrorServer> {
  const root = await fsp.realpath(dir);
  const host = options.host ?? '127.0.0.1';

  async function resolve(urlPath: string, accept: string | undefined, format: string | null):
    Promise<{ status: number; rep?: Representation; location?: string; message?: string }> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return { status: 400, message: 'bad URL encoding' };
    }
    const segments = decoded.split('/').filter((segment) => segment !== '');
    if (segments.some((segment) => segment.startsWith('.') || segment.includes('\0') || segment.includes('\\'))) {
      return { status: 404, message: 'not found' };
    }
    const candidate = path.join(root, ...segments);
    const real = await fsp.realpath(candidate).catch(() => undefined);
    if (!real || (real !== root && !real.startsWith(root + path.sep))) return { status: 404, message: 'not found' };
    const st = await statOrUndefined(real);
    if (!st) return { status: 404, message: 'not found' };
    if (st.isFile()) return { status: 200, rep: { contentType: contentTypeOf(real), file: real } };
    if (!st.isDirectory()) return { status: 404, message: 'not found' };
    // the location is rebuilt from the segments: `//x/` would send the client to another host
    if (!urlPath.endsWith('/')) return { status: 301, location: `/${segments.map(encodeURIComponent).map((s) => `${s}/`).join('')}` };
    const wanted = format ? chooseIndexFormat(format) : chooseIndexFormat(accept);
    const jsonFile = path.join(real, JSON_INDEX_NAME);
    const htmlFile = path.join(real, 'index.html');
    const hasJson = Boolean((await statOrUndefined(jsonFile))?.isFile());
    const hasHtml = Boolean((await statOrUndefined(htmlFile))?.isFile());
    if (!hasJson && !hasHtml) return { status: 404, message: 'no index here' };
    if (wanted === 'json' && hasJson) return { status: 200, rep: { contentType: JSON_TYPE, file: jsonFile } };
    if (wanted === 'html' && hasHtml) return { status: 200, rep: { contentType: HTML_TYPE, file: htmlFile } };
    if (wanted === 'text-html' && hasHtml) return { status: 200, rep: { contentType: 'text/html; charset=utf-8', file: htmlFile } };
    if (wanted === undefined) return { status: 406, message: `not acceptable; this index offers ${JSON_TYPE} and ${HTML_TYPE}` };
    // Asked for a form this directory lacks: give the one it has rather than nothing.
    if (hasHtml) return { status: 200, rep: { contentType: 'text/html; charset=utf-8', file: htmlFile } };
    return { status: 200, rep: { contentType: JSON_TYPE, file: jsonFile } };
  }

  const server = http.createServer((req, res) => {
    const finish = (status: number, headers: Record<string, string>, body?: string): void => {
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      options.onRequest?.(`${req.method} ${req.url} ${status}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      finish(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }, 'method not allowed\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://mirror.invalid');
    resolve(url.pathname, req.headers.accept, url.searchParams.get('format'))
      .then(async (answer) => {
        if (answer.status === 301) {
          finish(301, { Location: answer.location! + url.search, 'Content-Type': 'text/plain' }, 'moved\n');
          return;
        }
        if (!answer.rep) {
          finish(answer.status, { 'Content-Type': 'text/plain; charset=utf-8' }, `${answer.message}\n`);
          return;
        }
        const st = await fsp.stat(answer.rep.file);
        res.writeHead(200, {
          'Content-Type': answer.rep.contentType,
          'Content-Length': String(st.size),
          Vary: 'Accept',
          'Last-Modified': st.mtime.toUTCString(),
        });
        options.onRequest?.(`${req.method} ${req.url} 200`);
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        createReadStream(answer.rep.file).on('error', () => res.destroy()).pipe(res);
      })
      .catch(() => {
        if (!res.headersSent) finish(500, { 'Content-Type': 'text/plain' }, 'internal error\n');
        else res.destroy();
      });
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
