/**
 * get_url's download ON THE TARGET, as Ansible's module does it there: with curl, wget or python3,
 * whichever the target has (in that order), into a temporary file on the target, so the bytes
 * never cross the connection and the target's own network, proxies (`http_proxy`, `https_proxy`,
 * `no_proxy` from its environment and the task's `environment:`) and name resolution apply.
 * One command per request; it prints the outcome (status, final URL, headers) and leaves the body
 * in `bodyPath`.
 */
import type { ModuleContext } from '../types.js';
import type { FetchOptions } from './http-fetch.js';

export interface TargetFetchInfo {
  /** HTTP status, or -1 when no response came back */
  status: number;
  msg: string;
  url: string;
  headers: Record<string, string>;
  /** where the body is on the target */
  bodyPath: string;
}

export class NoHttpClientError extends Error {
  override name = 'NoHttpClientError';
}

/** a python3 stand-in for curl: same arguments in the environment, same report */
const PYTHON_FETCH = String.raw`import os, sys, urllib.request, ssl, base64, gzip, zlib
e = os.environ
url, out, method = e["TSF_URL"], e["TSF_OUT"], e["TSF_METHOD"]
handlers = []
if e.get("TSF_NOPROXY") == "1": handlers.append(urllib.request.ProxyHandler({}))
ctx = ssl.create_default_context()
if e.get("TSF_INSECURE") == "1":
    ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
handlers.append(urllib.request.HTTPSHandler(context=ctx))
opener = urllib.request.build_opener(*handlers)
req = urllib.request.Request(url, method=method)
for line in e.get("TSF_HEADERS", "").split("\n"):
    if ":" in line:
        k, v = line.split(":", 1); req.add_header(k.strip(), v.strip())
try:
    res = opener.open(req, timeout=float(e["TSF_TIMEOUT"]))
    status, final, hdrs, body, why = res.status, res.geturl(), res.headers, res.read(), res.reason
except urllib.error.HTTPError as err:
    status, final, hdrs, body, why = err.code, err.geturl(), err.headers, err.read(), err.reason
except Exception as err:
    reason = getattr(err, "reason", err)
    print("-1 " + url); print("E " + str(reason)); sys.exit(0)
enc = (hdrs.get("Content-Encoding") or "").lower()
if e.get("TSF_DECOMPRESS") == "1" and enc == "gzip": body = gzip.decompress(body)
elif e.get("TSF_DECOMPRESS") == "1" and enc == "deflate": body = zlib.decompress(body)
with open(out, "wb") as f: f.write(body)
print("%d %s" % (status, final)); print("R %s" % why)
for k, v in hdrs.items(): print("H %s: %s" % (k, v))`;

/**
 * The script: $TSF_* carry the request. curl's -D file holds every response of a redirect chain;
 * the last block is the answer. wget -S prints them to stderr, indented.
 */
const FETCH_SCRIPT = String.raw`set -u
hdr="$TSF_OUT.h"
if command -v curl >/dev/null 2>&1; then
  set -- -sS -L --max-redirs 10 -o "$TSF_OUT" -D "$hdr" -w '%{http_code} %{url_effective}\n' --max-time "$TSF_TIMEOUT"
  [ "$TSF_INSECURE" = 1 ] && set -- "$@" -k
  [ "$TSF_NOPROXY" = 1 ] && set -- "$@" --noproxy '*'
  [ "$TSF_DECOMPRESS" = 1 ] && set -- "$@" --compressed
  [ "$TSF_METHOD" = HEAD ] && set -- "$@" -I
  if [ -n "$TSF_HEADERS" ]; then
    while IFS= read -r h; do [ -n "$h" ] && set -- "$@" -H "$h"; done <<EOF
$TSF_HEADERS
EOF
  fi
  line=$(curl "$@" "$TSF_URL" 2>"$TSF_OUT.e"); rc=$?
  failed=0; [ $rc -ne 0 ] && case "$line" in 000*|'') failed=1;; esac
  if [ $failed = 1 ]; then echo "-1 $TSF_URL"; echo "C curl $rc"; echo "E $(sed -e 's/^curl: ([0-9]*) //' "$TSF_OUT.e" | head -n 1)"
  else echo "$line"; awk 'BEGIN{RS="\r?\n\r?\n"} NF{last=$0} END{print last}' "$hdr" | tr -d '\r' | sed -n -e 's/^HTTP\/[0-9.]* [0-9]* *\(.*\)/R \1/p' -e 's/^\([^: ]*\): */H \1: /p'
  fi
  rm -f "$hdr" "$TSF_OUT.e"
elif command -v wget >/dev/null 2>&1; then
  set -- -nv -S -O "$TSF_OUT" --timeout="$TSF_TIMEOUT" --max-redirect=10
  [ "$TSF_INSECURE" = 1 ] && set -- "$@" --no-check-certificate
  [ "$TSF_NOPROXY" = 1 ] && set -- "$@" --no-proxy
  [ "$TSF_METHOD" = HEAD ] && set -- "$@" --spider
  if [ -n "$TSF_HEADERS" ]; then
    while IFS= read -r h; do [ -n "$h" ] && set -- "$@" --header="$h"; done <<EOF
$TSF_HEADERS
EOF
  fi
  wget "$@" "$TSF_URL" 2>"$hdr"
  status=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$hdr" | tail -n 1)
  if [ -z "$status" ]; then echo "-1 $TSF_URL"; echo "E $(sed -n 's/.*failed: \(.*\)\.$/\1/p' "$hdr" | tail -n 1)"
  else echo "$status $TSF_URL"; awk '/^ *HTTP\//{n=0; r=$0; sub(/^ *HTTP\/[0-9.]* [0-9]* */, "", r)} /^  [A-Za-z-]+:/{sub(/^  /, ""); h[n++]=$0} END{print "R " r; for(i=0;i<n;i++) print "H " h[i]}' "$hdr"
  fi
  rm -f "$hdr"
elif command -v python3 >/dev/null 2>&1; then
  python3 -c "$TSF_PYTHON"
else
  echo "none"
fi`;

/** Runs one request on the target; the body lands in `bodyPath` there. */
export async function fetchOnTarget(ctx: ModuleContext, url: string, opts: FetchOptions, bodyPath: string, useProxy: boolean): Promise<TargetFetchInfo> {
  const headers: Record<string, string> = { 'User-Agent': 'ansible-httpget', ...opts.headers };
  if (opts.ifModifiedSince) headers['If-Modified-Since'] = opts.ifModifiedSince.toUTCString();
  if (opts.username !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }
  const env: Record<string, string> = {
    ...ctx.env,
    TSF_URL: url,
    TSF_OUT: bodyPath,
    TSF_METHOD: opts.method,
    TSF_TIMEOUT: String(Math.max(1, Math.round(opts.timeoutMs / 1000))),
    TSF_INSECURE: opts.validateCerts ? '0' : '1',
    TSF_NOPROXY: useProxy ? '0' : '1',
    TSF_DECOMPRESS: opts.decompress ? '1' : '0',
    TSF_HEADERS: Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n'),
    TSF_PYTHON: PYTHON_FETCH,
  };
  const res = await ctx.conn.exec(['/bin/sh', '-c', FETCH_SCRIPT], { env, become: ctx.become, signal: ctx.signal });
  const lines = res.stdout.split('\n');
  if (lines[0].trim() === 'none') {
    throw new NoHttpClientError(
      'get_url downloads on the target, which has none of curl, wget or python3; install one there, or set the variable tsplay_get_url_on: controller to download on the controller',
    );
  }
  const first = /^(-?\d+) (.*)$/.exec(lines[0].trim());
  if (!first) return { status: -1, msg: `Request failed: ${res.stderr.trim() || res.stdout.trim() || `rc=${res.rc}`}`, url, headers: {}, bodyPath };
  const status = Number(first[1]);
  const out: Record<string, string> = {};
  let error = '';
  let reason: string | undefined;
  for (const line of lines.slice(1)) {
    if (line.startsWith('H ')) {
      const colon = line.indexOf(':');
      if (colon > 2) out[line.slice(2, colon).toLowerCase()] = line.slice(colon + 1).trim();
    } else if (line.startsWith('E ')) error ||= line.slice(2).trim();
    else if (line.startsWith('R ')) reason = line.slice(2).trim();
    else if (line.startsWith('C curl ')) error = CURL_ERRORS[line.slice(7).trim()] ?? error;
  }
  if (status === -1 || status === 0) return { status: -1, msg: `Request failed: <urlopen error ${PYTHON_WORDS[error] ?? error}>`, url: first[2], headers: {}, bodyPath };
  const msg = status === 200 ? `OK (${out['content-length'] ?? 'unknown'} bytes)` : `HTTP Error ${status}: ${reason ?? reasonPhrase(status)}`;
  return { status, msg, url: first[2], headers: out, bodyPath };
}

/** curl's exit codes and wget's words for the failures urllib names, in urllib's words */
const CURL_ERRORS: Record<string, string> = { '6': '[Errno -2] Name or service not known', '7': '[Errno 111] Connection refused', '28': 'timed out' };
const PYTHON_WORDS: Record<string, string> = { 'Connection refused': '[Errno 111] Connection refused', 'Name or service not known': '[Errno -2] Name or service not known' };

function reasonPhrase(status: number): string {
  const known: Record<number, string> = { 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
  return known[status] ?? '';
}

