/**
 * Shared helpers of the mirror tests: a wheel set covering the awkward cases, tree snapshots,
 * and running the role's Python publisher.
 */
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeWheel, type SyntheticWheel } from '../../src/mirror/synth.js';
import { writeZip } from '../../src/mirror/zip.js';

/** the repository root (tests run from dist/test/mirror) */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PY_PUBLISHER = path.join(REPO_ROOT, 'roles/pip-mirrors/files/simple_index.py');

export async function scratchDir(label: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `tsplay-mirror-${label}-`));
}

/** Wheels whose index needs normalisation, escaping, two versions, odd metadata. */
export function awkwardWheelSet(): SyntheticWheel[] {
  const broken: SyntheticWheel = { filename: 'broken_pkg-1.0-py3-none-any.whl', data: Buffer.from('not a zip at all') };
  const noMetadata: SyntheticWheel = {
    filename: 'nometa-0.1-py3-none-any.whl',
    data: writeZip([{ name: 'nometa/__init__.py', data: '' }]),
  };
  return [
    makeWheel({ name: 'Hello_World', version: '1.0', requiresPython: '>=3.7, <4' }),
    makeWheel({ name: 'Hello_World', version: '1.1', requiresPython: ">=3.7,!=3.8.*,<'4'&\"x\"" }),
    makeWheel({ name: 'zope.thing', version: '2.0', tag: 'cp311-cp311-linux_x86_64' }),
    makeWheel({ name: 'zope.thing', version: '2.0', tag: 'cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64' }),
    makeWheel({ name: 'Plain', version: '0.1+local.1', headers: ['Summary: café ünïcode'] }),
    makeWheel({ name: 'continued', version: '3', headers: ['Requires-Python: >=3.6,', '  <3.14'] }),
    broken,
    noMetadata,
  ];
}

export async function writeWheels(dir: string, wheels: SyntheticWheel[]): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  for (const wheel of wheels) await fsp.writeFile(path.join(dir, wheel.filename), wheel.data);
}

/** Every entry under dir: files by content, links by target, directories by name. */
export async function snapshotTree(dir: string, skip: (relative: string) => boolean = () => false): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(current: string): Promise<void> {
    const entries = await fsp.readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      const relative = path.relative(dir, full);
      if (skip(relative)) continue;
      if (entry.isSymbolicLink()) out.set(relative, `link:${await fsp.readlink(full)}`);
      else if (entry.isDirectory()) {
        out.set(relative, 'dir');
        await walk(full);
      } else out.set(relative, `file:${(await fsp.readFile(full)).toString('base64')}`);
    }
  }
  await walk(dir);
  return out;
}

export function runPythonPublisher(args: string[]): { status: number; stdout: string; stderr: string } {
  const python = ['/usr/bin/python3', 'python3'].find((candidate) => spawnSync(candidate, ['--version']).status === 0);
  if (!python) throw new Error('no python3 to run the role publisher');
  const result = spawnSync(python, [PY_PUBLISHER, ...args], { encoding: 'utf8' });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export async function copyTree(from: string, to: string): Promise<void> {
  await fsp.cp(from, to, { recursive: true, verbatimSymlinks: true });
}
