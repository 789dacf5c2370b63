import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { uriModule } from '../../src/modules/net/uri.js';
import { freePort } from '../support/services.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

/** a small web service on 127.0.0.1, which the containers (host network) reach as their own */
function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  res.sendDate = false;
  const send = (status: number, type: string, text: string, extra: Record<string, string | string[]> = {}) => {
    const data = Buffer.from(text);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(data.length), ...extra });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
  const path = (req.url ?? '/').split('?')[0];
  const auth = req.headers.authorization;
  switch (path) {
    case '/text':
      return send(200, 'text/plain; charset=utf-8', 'héllo\n');
    case '/json':
      return send(200, 'application/json', '{"a": 1, "b": [true, null], "c": "x"}');
    case '/problem':
      return send(422, 'application/problem+json', '{"title": "bad"}');
    case '/echo': {
      const seen = Object.fromEntries(['content-type', 'user-agent', 'authorization', 'content-length', 'x-extra', 'cache-control', 'accept-encoding'].map((h) => [h, req.headers[h] ?? null]));
      return send(200, 'application/json', JSON.stringify({ method: req.method, query: req.url, headers: seen, body: body.toString() }));
    }
    case '/redirect':
      return send(302, 'text/html', 'moved', { Location: '/text' });
    case '/created':
      return send(201, 'text/plain', '', { Location: 'items/7' });
    case '/missing':
      return send(404, 'text/plain', 'nope');
    case '/cookies':
      return send(200, 'text/plain', 'ok', { 'Set-Cookie': ['zeta=2; Path=/', 'alpha=1; Path=/'] });
    case '/auth':
      if (auth === `Basic ${Buffer.from('bob:secret').toString('base64')}`) return send(200, 'text/plain', 'welcome');
      return send(401, 'text/plain', 'who?', { 'WWW-Authenticate': 'Basic realm="test"' });
    case '/files/report.txt':
      return send(200, 'text/plain', 'report body\n', { 'Content-Disposition': 'attachment; filename="named.txt"' });
    default:
      return send(500, 'text/plain', `no route ${path}`);
  }
}

// 28 tasks through ansible-playbook's docker_api connection: about 14 minutes on a loaded 2-core CI machine
describe('uri: same results as Ansible, requests made from twin containers', { timeout: 1_800_000 }, () => {
  let server: Server | undefined;
  let base = '';
  let closed = '';
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    closed = `http://127.0.0.1:${await freePort()}/`;
  });
  after(() => server?.close());
  const twins = twinHosts('tsplay-mod-uri', async (host) => {
    await host.conn.exec(['mkdir', '-p', '/srv/dl']);
    await host.conn.writeFile('/srv/marker', 'x');
  });

  it('methods, bodies, statuses, redirects, cookies, auth, dest, creates/removes, failures', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'text', module: 'uri', args: { url: `${base}/text`, return_content: true } },
      { name: 'textQuiet', module: 'uri', args: { url: `${base}/text` } },
      { name: 'json', module: 'uri', args: { url: `${base}/json` } },
      { name: 'postJson', module: 'uri', args: { url: `${base}/echo`, method: 'POST', body_format: 'json', body: { name: 'n', list: [1, 2.5, true, null] } } },
      { name: 'postForm', module: 'uri', args: { url: `${base}/echo`, method: 'post', body_format: 'form-urlencoded', body: { q: 'a b&c', multi: ['x', 'y'], flag: true, skip: null } } },
      { name: 'putRaw', module: 'uri', args: { url: `${base}/echo?x=1`, method: 'PUT', body: 'plain text', headers: { 'X-Extra': 'yes', 'Content-Type': 'text/plain' } } },
      { name: 'force', module: 'uri', args: { url: `${base}/echo`, force: true, http_agent: 'probe/1', unredirected_headers: ['X-Extra'], headers: { 'X-Extra': 1 } } },
      { name: 'head', module: 'uri', args: { url: `${base}/text`, method: 'HEAD' } },
      { name: 'redirect', module: 'uri', args: { url: `${base}/redirect`, return_content: true } },
      { name: 'redirectNone', module: 'uri', args: { url: `${base}/redirect`, follow_redirects: 'none' } },
      { name: 'redirectPost', module: 'uri', args: { url: `${base}/redirect`, method: 'POST', body: 'x' } },
      { name: 'redirectPostAll', module: 'uri', args: { url: `${base}/redirect`, method: 'POST', body: 'x', follow_redirects: 'all' } },
      { name: 'created', module: 'uri', args: { url: `${base}/created`, method: 'POST', status_code: [201] } },
      { name: 'missing', module: 'uri', args: { url: `${base}/missing` } },
      { name: 'missingContent', module: 'uri', args: { url: `${base}/missing`, return_content: true } },
      { name: 'missingAllowed', module: 'uri', args: { url: `${base}/missing`, status_code: [200, 404] } },
      { name: 'problemJson', module: 'uri', args: { url: `${base}/problem` } },
      { name: 'cookies', module: 'uri', args: { url: `${base}/cookies` } },
      { name: 'authChallenge', module: 'uri', args: { url: `${base}/auth`, url_username: 'bob', url_password: 'secret' } },
      { name: 'authForce', module: 'uri', args: { url: `${base}/auth`, user: 'bob', password: 'secret', force_basic_auth: true } },
      { name: 'authWrong', module: 'uri', args: { url: `${base}/auth`, url_username: 'bob', url_password: 'nope', force_basic_auth: true } },
      { name: 'dest', module: 'uri', args: { url: `${base}/text`, dest: '/srv/dl/hello.txt', mode: '0640' } },
      { name: 'destAgain', module: 'uri', args: { url: `${base}/text`, dest: '/srv/dl/hello.txt' } },
      { name: 'destDir', module: 'uri', args: { url: `${base}/files/report.txt`, dest: '/srv/dl' } },
      { name: 'creates', module: 'uri', args: { url: `${base}/text`, creates: '/srv/marker' } },
      { name: 'removes', module: 'uri', args: { url: `${base}/text`, removes: '/srv/none' } },
      { name: 'badMethod', module: 'uri', args: { url: `${base}/text`, method: 'get it' } },
      { name: 'refused', module: 'uri', args: { url: closed } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { uri: uriModule })]);
    for (const results of [expected, actual]) for (const r of Object.values(results)) if (typeof r.elapsed === 'number') r.elapsed = 0;
    assert.equal(actual.json.json && (actual.json.json as { a: number }).a, 1);
    assert.equal(actual.dest.changed, true);
    assertSameResults(actual, expected);
    const show = ['sh', '-c', 'cd /srv/dl && for f in *; do echo "$f $(stat -c %a "$f")"; cat "$f"; done'];
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
  });
});
