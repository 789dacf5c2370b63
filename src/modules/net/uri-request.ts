/**
 * uri's HTTP request, made ON THE TARGET as Ansible's module makes it there: a small python3
 * program using the same standard library (urllib, http.cookiejar, ssl) with Ansible's rules for
 * redirects, authentication, proxies and netrc, so statuses, messages, headers and cookies come
 * back as Ansible reports them. The request arrives as JSON on stdin, the body leaves in a file
 * on the target, and one JSON line reports the rest.
 */
import type { ModuleContext } from '../types.js';

export interface UriRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** the body, base64 (absent: no body) */
  data?: string;
  /** a file on the target sent as the body instead (src) */
  data_file?: string;
  timeout: number;
  validate_certs: boolean;
  ca_path?: string | null;
  use_proxy: boolean;
  follow_redirects: string;
  username?: string | null;
  password?: string | null;
  force_basic_auth: boolean;
  http_agent: string;
  /** send `cache-control: no-cache` (instead of If-Modified-Since) */
  force: boolean;
  /** epoch seconds of dest's mtime, sent as If-Modified-Since */
  last_mod_time?: number | null;
  decompress: boolean;
  unredirected_headers: string[];
  client_cert?: string | null;
  client_key?: string | null;
  ciphers?: string[] | null;
  use_netrc: boolean;
  unix_socket?: string | null;
  out: string;
}

export interface UriResponse {
  /** false: no response object at all (connection errors); the body file then holds nothing */
  response: boolean;
  status: number;
  url: string;
  msg: string;
  headers: Array<[string, string]>;
  /** null when the request failed (Ansible then reports no cookies at all) */
  cookies: Array<[string, string]> | null;
  /** Content-Disposition's filename, else the final URL's last path segment */
  filename?: string | null;
  content_type: string;
  charset: string;
  /** whole seconds the request took, timed on the target as Ansible times it */
  elapsed: number;
}

const PROGRAM = String.raw`import base64, datetime, gzip, io, json, netrc, os, socket, ssl, sys
import http.client, http.cookiejar, urllib.error, urllib.parse, urllib.request
q = json.loads(sys.stdin.read())
url = q["url"]
info = {"response": False, "status": -1, "url": url, "msg": "", "headers": [], "cookies": []}
class Redirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        how = q["follow_redirects"]
        if how == "urllib2":
            return super().redirect_request(req, fp, code, msg, hdrs, newurl)
        if how in ("no", "none"):
            raise urllib.error.HTTPError(newurl, code, msg, hdrs, fp)
        method = req.get_method()
        if how in ("all", "yes"):
            if code < 300 or code >= 400:
                raise urllib.error.HTTPError(req.get_full_url(), code, msg, hdrs, fp)
        elif how == "safe":
            if code < 300 or code >= 400 or method not in ("GET", "HEAD"):
                raise urllib.error.HTTPError(req.get_full_url(), code, msg, hdrs, fp)
        else:
            raise urllib.error.HTTPError(req.get_full_url(), code, msg, hdrs, fp)
        data = req.data
        newurl = newurl.replace(" ", "%20")
        if code in (307, 308):
            headers = req.headers
        else:
            data = None
            headers = dict((k, v) for k, v in req.headers.items() if k.lower() not in ("content-length", "content-type", "transfer-encoding"))
            if code in (302, 303) and method != "HEAD":
                method = "GET"
            if code == 301 and method == "POST":
                method = "GET"
        new = urllib.request.Request(newurl, data=data, headers=headers, origin_req_host=req.origin_req_host, unverifiable=True, method=method)
        return new
class UnixHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(q["unix_socket"])
class UnixHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(UnixHTTPConnection, req)
handlers = []
cookies = http.cookiejar.LWPCookieJar()
handlers.append(urllib.request.HTTPCookieProcessor(cookies))
if not q["use_proxy"]:
    handlers.append(urllib.request.ProxyHandler({}))
if q.get("unix_socket"):
    handlers.append(UnixHandler())
ctx = ssl.create_default_context(cafile=q.get("ca_path") or None)
if not q["validate_certs"]:
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
if q.get("ciphers"):
    ctx.set_ciphers(":".join(q["ciphers"]))
if q.get("client_cert"):
    ctx.load_cert_chain(q["client_cert"], keyfile=q.get("client_key") or None)
handlers.append(urllib.request.HTTPSHandler(context=ctx))
handlers.append(Redirect())
user, password = q.get("username"), q.get("password")
parsed = urllib.parse.urlparse(url)
headers = dict(q["headers"])
if parsed.username is not None:
    user, password = urllib.parse.unquote(parsed.username), urllib.parse.unquote(parsed.password or "")
    url = parsed._replace(netloc=parsed.netloc.rpartition("@")[2]).geturl()
if user is not None and user != "" or password:
    if q["force_basic_auth"]:
        token = base64.b64encode(("%s:%s" % (user or "", password or "")).encode()).decode()
        headers["Authorization"] = "Basic %s" % token
    else:
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, "%s://%s" % (parsed.scheme, parsed.netloc.rpartition("@")[2]), user or "", password or "")
        handlers.append(urllib.request.HTTPBasicAuthHandler(mgr))
        handlers.append(urllib.request.HTTPDigestAuthHandler(mgr))
elif q["use_netrc"]:
    try:
        found = netrc.netrc(os.environ.get("NETRC")).authenticators(parsed.hostname)
    except Exception:
        found = None
    if found:
        token = base64.b64encode(("%s:%s" % (found[0], found[2])).encode()).decode()
        headers["Authorization"] = "Basic %s" % token
opener = urllib.request.build_opener(*handlers)
data = None
if q.get("data") is not None:
    data = base64.b64decode(q["data"])
elif q.get("data_file"):
    data = open(q["data_file"], "rb")
req = urllib.request.Request(url, data=data, method=q["method"])
req.add_header("User-agent", q["http_agent"])
if q["force"]:
    req.add_header("cache-control", "no-cache")
elif q.get("last_mod_time") is not None:
    when = datetime.datetime.utcfromtimestamp(q["last_mod_time"])
    req.add_header("If-Modified-Since", when.strftime("%a, %d %b %Y %H:%M:%S GMT"))
unredirected = [h.lower() for h in q["unredirected_headers"]]
for k, v in headers.items():
    if k.lower() in unredirected:
        req.add_unredirected_header(k, v)
    else:
        req.add_header(k, v)
body = b""
r = None
started = datetime.datetime.utcnow()
try:
    r = opener.open(req, timeout=q["timeout"])
    info["response"] = True
    body = r.read()
    if q["decompress"] and (r.headers.get("Content-Encoding") or "").lower() == "gzip":
        body = gzip.decompress(body)
    info.update(status=r.code, url=r.geturl(), msg="OK (%s bytes)" % r.headers.get("Content-Length", "unknown"))
except urllib.error.HTTPError as e:
    r = e
    info["response"] = True
    try:
        body = e.read() if e.fp is not None else b""
    except Exception:
        body = b""
    info.update(status=e.code, msg=str(e))
except urllib.error.URLError as e:
    info.update(status=int(getattr(e, "code", -1)), msg="Request failed: %s" % e)
except socket.error as e:
    info.update(msg="Connection failure: %s" % e)
except http.client.BadStatusLine as e:
    info.update(msg="Connection failure: connection was closed before a valid response was received: %s" % e.line)
except Exception as e:
    info.update(msg="An unknown error occurred: %s" % e)
info["elapsed"] = (datetime.datetime.utcnow() - started).seconds
if r is not None and getattr(r, "headers", None) is not None:
    merged = {}
    for k, v in r.headers.items():
        k = k.lower()
        merged[k] = merged[k] + ", " + v if k in merged else v
    info["headers"] = list(merged.items())
    info["content_type"] = (r.headers.get_content_type() or "application/octet-stream").split(",")[0]
    info["charset"] = (r.headers.get_param("charset") or "utf-8").split(",")[0]
    name = os.path.basename(urllib.parse.urlparse(r.geturl()).path.rstrip("/")) or None
    info["filename"] = r.headers.get_param("filename", header="content-disposition") or (urllib.parse.unquote(name) if name else None)
else:
    info.update(content_type="application/octet-stream", charset="utf-8")
# only a successful request reports its cookies
info["cookies"] = None if isinstance(r, urllib.error.HTTPError) or r is None else [(c.name, c.value) for c in cookies]
with open(q["out"], "wb") as f:
    f.write(body)
print(json.dumps(info))`;

export class NoPythonError extends Error {
  override name = 'NoPythonError';
}

export async function requestOnTarget(ctx: ModuleContext, q: UriRequest): Promise<UriResponse> {
  const res = await ctx.conn.exec(['/bin/sh', '-c', 'command -v python3 >/dev/null 2>&1 || exit 90; exec python3 -c "$1"', 'uri', PROGRAM], {
    stdin: JSON.stringify(q),
    env: ctx.env,
    become: ctx.become,
    signal: ctx.signal,
  });
  if (res.rc === 90) throw new NoPythonError('uri makes its request from the target with python3 (as Ansible does), which this target lacks');
  const line = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as UriResponse;
  } catch {
    throw new Error(`the request on the target failed: ${res.stderr.trim() || res.stdout.trim() || `rc=${res.rc}`}`);
  }
}
