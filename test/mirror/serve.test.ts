/**
 * serveMirror: directory indexes by content negotiation (PEP 691), trailing-slash redirects,
 * files, and nothing outside the directory or under dot-names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { localFs } from '../../src/mirror/fs.js';
import { publish } from '../../src/mirror/publish.js';
import { chooseIndexFormat, serveMirror } from '../../src/mirror/serve.js';
import { makeWheel } from '../../src/mirror/synth.js';
import { scratchDir, writeWheels } from './helpers.js';

const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

test('Accept negotiation follows PEP 691', () => {
  assert.equal(chooseIndexFormat(PIP_ACCEPT), 'json');
  assert.equal(chooseIndexFormat(undefined), 'text-html');
  assert.equal(chooseIndexFormat('text/html'), 'text-html');
  assert.equal(chooseIndexFormat('application/vnd.pypi.simple.v1+html'), 'html');
  assert.equal(chooseIndexFormat('application/vnd.pypi.simple.latest+json'), 'json');
  assert.equal(chooseIndexFormat('application/vnd.pypi.simple.v1+json;q=0.2, text/html'), 'text-html');
  assert.equal(chooseIndexFormat('image/png'), undefined);
});

test('serves HTML, JSON, files and redirects; refuses dot-names and escapes', async () => {
  const dir = await scratchDir('serve');
  const served = path.join(dir, 'served');
  const platform = path.join(served, 'debian-12');
  await writeWheels(platform, [makeWheel({ name: 'Hello_World', version: '1.0', requiresPython: '>=3.7' })]);
  await publish(localFs, platform);
  await fsp.writeFile(path.join(dir, 'outside-secret'), 'secret');
  await fsp.symlink(path.join(dir, 'outside-secret'), path.join(served, 'escape-link'));
  const server = await serveMirror(served, { port: 0 });
  try {
    const base = `${server.url}debian-12/simple/`;
    const redirect = await fetch(`${base}hello-world`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/debian-12/simple/hello-world/');

    const json = await fetch(`${base}hello-world/`, { headers: { Accept: PIP_ACCEPT } });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/vnd.pypi.simple.v1+json');
    assert.equal(json.headers.get('vary'), 'Accept');
    const body = (await json.json()) as { name: string; files: Array<{ url: string; filename: string; hashes: { sha256: string } }> };
    assert.equal(body.name, 'hello-world');

    const html = await fetch(`${base}hello-world/`);
    assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await html.text(), /data-requires-python="&gt;=3.7"/);
    const explicitHtml = await fetch(`${base}hello-world/`, { headers: { Accept: 'application/vnd.pypi.simple.v1+html' } });
    assert.equal(explicitHtml.headers.get('content-type'), 'application/vnd.pypi.simple.v1+html');
    const byFormat = await fetch(`${base}hello-world/?format=${encodeURIComponent('application/vnd.pypi.simple.v1+json')}`);
    assert.equal(byFormat.headers.get('content-type'), 'application/vnd.pypi.simple.v1+json');
    const refused = await fetch(`${base}hello-world/`, { headers: { Accept: 'image/png' } });
    assert.equal(refused.status, 406);

    const fileUrl = new URL(body.files[0].url, `${base}hello-world/`);
    const wheel = await fetch(fileUrl);
    assert.equal(wheel.status, 200);
    const bytes = Buffer.from(await wheel.arrayBuffer());
    assert.deepEqual(bytes, await fsp.readFile(path.join(platform, body.files[0].filename)));
    const metadata = await fetch(`${fileUrl}.metadata`);
    assert.equal(metadata.status, 200);
    assert.match(await metadata.text(), /^Metadata-Version/);

    const head = await fetch(fileUrl, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(bytes.length));

    for (const bad of ['debian-12/.pip-mirrors/', 'debian-12/.simple-x/', '..%2Foutside-secret', '%2e%2e/outside-secret', 'escape-link']) {
      const res = await fetch(`${server.url}${bad}`);
      assert.equal(res.status, 404, bad);
    }
    const post = await fetch(base, { method: 'POST' });
    assert.equal(post.status, 405);
  } finally {
    await server.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
