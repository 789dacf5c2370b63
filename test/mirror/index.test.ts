/**
 * The generated index is a valid simple repository: every page parses, every link's hash and
 * metadata hash match the bytes on disk, names are normalised, HTML and JSON agree, and real
 * pip installs from it over file://.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { localFs } from '../../src/mirror/fs.js';
import { publish } from '../../src/mirror/publish.js';
import { normalizeProjectName } from '../../src/mirror/names.js';
import { makeWheel } from '../../src/mirror/synth.js';
import { awkwardWheelSet, scratchDir, writeWheels } from './helpers.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');
}

interface Anchor {
  attributes: Map<string, string>;
  text: string;
}

function parseAnchors(html: string): Anchor[] {
  const anchors: Anchor[] = [];
  for (const match of html.matchAll(/<a ([^>]*)>([^<]*)<\/a>/g)) {
    const attributes = new Map<string, string>();
    for (const attr of match[1].matchAll(/([a-z-]+)="([^"]*)"/g)) attributes.set(attr[1], unescapeHtml(attr[2]));
    anchors.push({ attributes, text: unescapeHtml(match[2]) });
  }
  return anchors;
}

interface JsonFile {
  filename: string;
  url: string;
  hashes: Record<string, string>;
  size: number;
  'requires-python'?: string;
  'core-metadata'?: Record<string, string>;
}

test('every page parses and every hash matches the bytes it names', async () => {
  const dir = await scratchDir('valid');
  const root = path.join(dir, 'platform');
  try {
    const wheels = awkwardWheelSet();
    await writeWheels(root, wheels);
    const result = await publish(localFs, root);
    assert.equal(result.files, wheels.length);
    assert.equal(result.warnings.length, 2, 'the broken zip and the wheel without METADATA are reported');

    const simple = path.join(root, 'simple');
    assert.equal((await fsp.lstat(simple)).isSymbolicLink(), true);
    const rootHtml = await fsp.readFile(path.join(simple, 'index.html'), 'utf8');
    assert.match(rootHtml, /<meta name="pypi:repository-version" content="1\.0">/);
    const projects = parseAnchors(rootHtml).map((a) => a.text);
    const expectedProjects = [...new Set(wheels.map((w) => normalizeProjectName(w.filename.split('-')[0])))].sort();
    assert.deepEqual(projects, expectedProjects);
    assert.ok(projects.includes('hello-world') && projects.includes('zope-thing'));
    const rootJson = JSON.parse(await fsp.readFile(path.join(simple, 'index.v1_json'), 'utf8'));
    assert.equal(rootJson.meta['api-version'], '1.1');
    assert.deepEqual(rootJson.projects.map((p: { name: string }) => p.name), projects);

    let linksChecked = 0;
    for (const anchor of parseAnchors(rootHtml)) {
      const projectDir = path.join(simple, anchor.attributes.get('href')!);
      const html = await fsp.readFile(path.join(projectDir, 'index.html'), 'utf8');
      assert.match(html, /<meta name="pypi:repository-version" content="1\.0">/);
      const json = JSON.parse(await fsp.readFile(path.join(projectDir, 'index.v1_json'), 'utf8')) as {
        name: string; versions: string[]; files: JsonFile[];
      };
      assert.equal(json.name, anchor.text);
      const links = parseAnchors(html);
      assert.equal(links.length, json.files.length);
      links.forEach((link, i) => {
        const href = link.attributes.get('href')!;
        const [url, fragment] = href.split('#');
        const file = path.join(projectDir, decodeURIComponent(url));
        assert.equal(path.basename(file), link.text, 'link text is the file name');
        assert.equal(normalizeProjectName(link.text.split('-')[0]), anchor.text);
        const fileJson = json.files[i];
        assert.equal(fileJson.filename, link.text);
        assert.equal(fileJson.url, url);
        assert.equal(fragment, `sha256=${fileJson.hashes.sha256}`);
        assert.equal(fileJson['requires-python'], link.attributes.get('data-requires-python'));
        const metadataAttr = link.attributes.get('data-core-metadata');
        assert.equal(link.attributes.get('data-dist-info-metadata'), undefined);
        assert.equal(metadataAttr === undefined, fileJson['core-metadata'] === undefined);
        linksChecked++;
      });
      for (const fileJson of json.files) {
        const data = await fsp.readFile(path.join(root, fileJson.filename));
        assert.equal(sha256(data), fileJson.hashes.sha256, `${fileJson.filename} hash`);
        assert.equal(data.length, fileJson.size);
        if (fileJson['core-metadata']) {
          const metadata = await fsp.readFile(path.join(root, `${fileJson.filename}.metadata`));
          assert.equal(sha256(metadata), fileJson['core-metadata'].sha256);
          assert.match(metadata.toString('utf8'), /^Metadata-Version: /);
        }
      }
      assert.deepEqual(json.versions, [...new Set(json.files.map((f) => f.filename.split('-')[1]))].sort());
    }
    assert.equal(linksChecked, wheels.length);

    const hello = await fsp.readFile(path.join(simple, 'hello-world/index.html'), 'utf8');
    assert.ok(hello.includes('data-requires-python="&gt;=3.7,!=3.8.*,&lt;&#x27;4&#x27;&amp;&quot;x&quot;"'));
    const continued = JSON.parse(await fsp.readFile(path.join(simple, 'continued/index.v1_json'), 'utf8'));
    assert.equal(continued.files[0]['requires-python'], '>=3.6, <3.14');
    const plain = await fsp.readFile(path.join(simple, 'plain/index.html'), 'utf8');
    assert.ok(plain.includes('href="../../Plain-0.1%2Blocal.1-py3-none-any.whl#sha256='));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('a second publish with nothing new changes nothing', async () => {
  const dir = await scratchDir('idem');
  try {
    await writeWheels(dir, awkwardWheelSet());
    const first = await publish(localFs, dir);
    assert.equal(first.changed, true);
    const second = await publish(localFs, dir);
    assert.equal(second.changed, false);
    assert.equal(second.index, first.index);
    await writeWheels(dir, [makeWheel({ name: 'newcomer', version: '1' })]);
    const third = await publish(localFs, dir);
    assert.equal(third.changed, true);
    assert.notEqual(third.index, first.index);
    const entries = (await fsp.readdir(dir)).filter((name) => name.startsWith('.simple-')).sort();
    assert.deepEqual(entries, [first.index, third.index].sort(), 'the previous index is kept for readers in flight');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('real pip resolves and installs from the index over file://', (t) => {
  const pip = spawnSync('/usr/bin/python3', ['-m', 'pip', '--version'], { encoding: 'utf8' });
  if (pip.status !== 0) {
    if (process.env.CI === 'true') assert.fail('python3 -m pip is required in CI');
    t.skip('python3 -m pip not available');
    return;
  }
  return (async () => {
    const dir = await scratchDir('pip');
    const root = path.join(dir, 'platform');
    try {
      await writeWheels(root, [
        makeWheel({ name: 'Hello_World', version: '1.0', requiresPython: '>=3.7' }),
        makeWheel({ name: 'Hello_World', version: '2.0', requiresPython: '>=3.99' }),
        makeWheel({ name: 'zope.thing', version: '2.0', headers: ['Requires-Dist: Hello-World'] }),
      ]);
      await publish(localFs, root);
      const target = path.join(dir, 'installed');
      const run = spawnSync('/usr/bin/python3', [
        '-m', 'pip', 'install', '--isolated', '--disable-pip-version-check', '--index-url', `file://${root}/simple/`,
        '--target', target, 'ZOPE.thing',
      ], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const installed = (await fsp.readdir(target)).map((name) => name.toLowerCase()).sort();
      assert.ok(installed.includes('hello_world-1.0.dist-info'), `requires-python skipped 2.0: ${installed.join(' ')}`);
      assert.ok(installed.includes('zope_thing-2.0.dist-info'));
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  })();
});
