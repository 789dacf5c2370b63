/**
 * ansible.builtin.get_url on twin Debian containers against a real HTTP server on 127.0.0.1
 * (Python's http.server, which answers If-Modified-Since with 304 as real servers do): each step
 * through real Ansible on one host and tsplay's module (which downloads on the controller) on the
 * other; results must agree apart from the temp file name and the timing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modules } from '../../src/modules/packaging/index.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { type ContainerHost, comparable, runAnsibleModule, runModule, servicesAvailable, twinHosts } from './hosts.js';

const getUrl = modules.find((m) => m.name === 'ansible.builtin.get_url')!;
const DEFAULTS = { backup: false, checksum: '', timeout: 10, force: false, decompress: true, validate_certs: true, use_proxy: true, http_agent: 'ansible-httpget' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('get_url: same results as Ansible 2.14', { timeout: 600_000 }, () => {
  let server: ChildProcess | undefined;
  let www = '';
  let base = '';
  const twins = twinHosts('tsplay-pkg-geturl');

  before(async () => {
    if (!(await servicesAvailable())) return;
    www = await mkdtemp(join(tmpdir(), 'tsplay-get_url-www-'));
    await writeFile(join(www, 'a.txt'), 'hello world\n');
    await writeFile(join(www, 'SHA256SUMS'), `${sha256('hello world\n')}  a.txt\n${sha256('other')} *b.txt\n`);
    // an old modification time, so a later change on the server is newer than any download
    await utimes(join(www, 'a.txt'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', www], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      const up = await fetch(`${base}/a.txt`).then((r) => r.ok).catch(() => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    if (server?.pid) process.kill(server.pid);
    if (www) await rm(www, { recursive: true, force: true });
  });

  function masked(result: ModuleResult): Record<string, unknown> {
    const out = comparable(result);
    delete out.src;
    delete out.elapsed;
    return out;
  }

  async function both(args: Record<string, unknown>, opts: { check?: boolean } = {}): Promise<ModuleResult> {
    const [expected, actual] = await Promise.all([
      runAnsibleModule(twins.ansible.name, 'get_url', args, opts),
      runModule(getUrl, twins.tsplay.conn, { ...DEFAULTS, ...args }, opts),
    ]);
    assert.deepEqual(masked(actual), masked(expected), `get_url ${JSON.stringify(args)} ${JSON.stringify(opts)}`);
    return actual;
  }

  async function fileOn(host: ContainerHost, path: string): Promise<string | undefined> {
    const out = await host.conn.exec(['cat', path]);
    return out.rc === 0 ? out.stdout : undefined;
  }

  it('check mode reports a download without writing the file', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ url: `${base}/a.txt`, dest: '/tmp/a.txt' }, { check: true });
    assert.equal(result.changed, true);
    assert.equal(await fileOn(twins.tsplay, '/tmp/a.txt'), undefined);
  });

  it('downloads with a mode, then skips by checksum, then gets 304 without one', async (t) => {
    if (!twins.ready(t)) return;
    const first = await both({ url: `${base}/a.txt`, dest: '/tmp/a.txt', mode: '0640' });
    assert.equal(first.changed, true);
    assert.equal(first.mode, '0640');
    assert.equal(await fileOn(twins.tsplay, '/tmp/a.txt'), 'hello world\n');
    const bySum = await both({ url: `${base}/a.txt`, dest: '/tmp/a.txt', checksum: `sha256:${sha256('hello world\n')}` });
    assert.equal(bySum.msg, 'file already exists');
    const conditional = await both({ url: `${base}/a.txt`, dest: '/tmp/a.txt' });
    assert.equal(conditional.status_code, 304);
  });

  it('into a directory with force: same content is not rewritten', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ url: `${base}/a.txt`, dest: '/tmp/', force: true });
    assert.equal(result.dest, '/tmp/a.txt');
    assert.equal(result.changed, false);
  });

  it('takes the checksum from a checksum file URL', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ url: `${base}/a.txt`, dest: '/tmp/sum.txt', checksum: `sha256:${base}/SHA256SUMS` });
    assert.equal(result.changed, true);
  });

  it('fails on a wrong checksum and removes the file', async (t) => {
    if (!twins.ready(t)) return;
    const result = await both({ url: `${base}/a.txt`, dest: '/tmp/bad.txt', checksum: 'sha256:abcd' });
    assert.equal(result.failed, true);
    assert.equal(await fileOn(twins.tsplay, '/tmp/bad.txt'), undefined);
  });

  it('fails on HTTP errors and refused connections', async (t) => {
    if (!twins.ready(t)) return;
    const missing = await both({ url: `${base}/missing`, dest: '/tmp/missing' });
    assert.equal(missing.status_code, 404);
    // nothing listens on port 9 of the loopback
    const refused = await both({ url: 'http://127.0.0.1:9/x', dest: '/tmp/refused' });
    assert.equal(refused.failed, true);
    const nowhere = await both({ url: `${base}/a.txt`, dest: '/nonexistent/a.txt' });
    assert.equal(nowhere.msg, 'Destination /nonexistent does not exist');
  });

  it('fetches again when the server has a newer file', async (t) => {
    if (!twins.ready(t)) return;
    await writeFile(join(www, 'a.txt'), 'hello again\n');
    const future = new Date(Date.now() + 3600_000);
    await utimes(join(www, 'a.txt'), future, future);
    const result = await both({ url: `${base}/a.txt`, dest: '/tmp/a.txt' });
    assert.equal(result.changed, true);
    assert.equal(await fileOn(twins.tsplay, '/tmp/a.txt'), 'hello again\n');
  });
});
