/**
 * A small upstream package index on loopback, standing in for PyPI where PyPI is unreachable
 * (tests and the demo): an sdist that must be built (with a dependency), a project with two
 * versions, names that need PEP 503 normalisation, and Debian's own setuptools and wheel
 * wheels so pip can build the sdist with build isolation.
 */
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { localFs } from './fs.js';
import { publish } from './publish.js';
import { serveMirror, type MirrorServer } from './serve.js';
import { makeWheel } from './synth.js';

export const DEBIAN_WHEELS_DIR = '/usr/share/python-wheels';

export interface FixtureUpstream {
  /** the directory served (holds upstream/simple/) */
  dir: string;
  /** http://127.0.0.1:PORT/simple/ */
  indexUrl: string;
  /** projects a mirror of this upstream can be asked for */
  projects: string[];
  server: MirrorServer;
  /** stops the server (the directory stays) */
  stop(): Promise<void>;
}

/** A pure-Python sdist built with setuptools, named the PEP 625 way. */
async function writeSdist(dest: string, name: string, version: string, dependencies: string[]): Promise<void> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsplay-sdist-'));
  try {
    const distName = name.replace(/[-_.]+/g, '_');
    const base = `${distName}-${version}`;
    const src = path.join(work, base);
    const pkg = distName.toLowerCase();
    await fsp.mkdir(path.join(src, pkg), { recursive: true });
    await fsp.writeFile(path.join(src, pkg, '__init__.py'), `GREETING = "hello from ${name} ${version}"\n`);
    await fsp.writeFile(path.join(src, 'pyproject.toml'),
      '[build-system]\nrequires = ["setuptools>=40.8"]\nbuild-backend = "setuptools.build_meta"\n');
    const requires = dependencies.length ? `install_requires =\n${dependencies.map((d) => `    ${d}\n`).join('')}` : '';
    await fsp.writeFile(path.join(src, 'setup.cfg'),
      `[metadata]\nname = ${name}\nversion = ${version}\n\n[options]\npackages = ${pkg}\npython_requires = >=3.7\n${requires}`);
    const pkgInfo = `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nRequires-Python: >=3.7\n` +
      dependencies.map((d) => `Requires-Dist: ${d}\n`).join('');
    await fsp.writeFile(path.join(src, 'PKG-INFO'), pkgInfo);
    const tar = spawnSync('tar', ['-C', work, '--owner=0', '--group=0', '--mtime=2024-01-01', '-czf', path.join(dest, `${base}.tar.gz`), base]);
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

/** Writes the upstream distributions into dir/upstream and publishes dir/upstream/simple. */
export async function buildFixtureUpstream(dir: string): Promise<{ root: string; projects: string[] }> {
  const root = path.join(dir, 'upstream');
  await fsp.mkdir(root, { recursive: true });
  const wheels = [
    makeWheel({ name: 'zope.thing', version: '1.0', requiresPython: '>=3.7' }),
    makeWheel({ name: 'zope.thing', version: '2.0', requiresPython: '>=3.7' }),
    makeWheel({ name: 'plain_pkg', version: '0.1' }),
  ];
  for (const wheel of wheels) await fsp.writeFile(path.join(root, wheel.filename), wheel.data);
  await writeSdist(root, 'Hello_World', '1.0', ['zope.thing>=1.0']);
  let copied = 0;
  for (const name of await fsp.readdir(DEBIAN_WHEELS_DIR).catch(() => [] as string[])) {
    if (/^(setuptools|wheel)-.*\.whl$/.test(name)) {
      await fsp.copyFile(path.join(DEBIAN_WHEELS_DIR, name), path.join(root, name));
      copied++;
    }
  }
  if (copied < 2) {
    throw new Error(`setuptools and wheel wheels are missing from ${DEBIAN_WHEELS_DIR}: apt-get install python3-setuptools-whl python3-wheel-whl`);
  }
  await publish(localFs, root);
  return { root, projects: ['Hello_World', 'zope.thing', 'plain_pkg'] };
}

export async function startFixtureUpstream(dir: string, port = 0): Promise<FixtureUpstream> {
  const { projects } = await buildFixtureUpstream(dir);
  const server = await serveMirror(path.join(dir, 'upstream'), { host: '127.0.0.1', port });
  return { dir, indexUrl: `${server.url}simple/`, projects, server, stop: () => server.close() };
}
