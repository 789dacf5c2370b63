/**
 * Ansible's side of a parity case, cached outside the repository ($TSPLAY_TEST_CACHE/<namespace>/)
 * by a hash of the case's files, the Ansible version and the harness's version: a repeated run
 * only runs tsplay. Only a run that behaved as the case declares is stored, so a broken case or a
 * flaky host is never cached. PARITY_LIVE=1 runs Ansible live and refreshes the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { cacheRoot, runCommand } from '../support/services.js';
import type { CaseSpec, Entry, ToolRun } from './harness.js';

let ansibleVersion: Promise<string> | undefined;
function ansibleVersionText(): Promise<string> {
  ansibleVersion ??= runCommand('ansible-playbook', ['--version']).then((r) => r.stdout.split('\n')[0].trim());
  return ansibleVersion;
}

export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** sha256 over the case's files (path and content), the Ansible version and the harness version */
export async function cacheKey(spec: CaseSpec, harnessVersion: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(harnessVersion).update('\0').update(await ansibleVersionText()).update('\0');
  for (const file of await walkFiles(spec.dir)) {
    hash.update(relative(spec.dir, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 24);
}

type StoredEntry = { type: 'file'; mode: string; content: string } | Exclude<Entry, { type: 'file' }>;

interface Stored {
  runs: ToolRun['runs'];
  out: Array<[string, StoredEntry]>;
}

function store(run: ToolRun): Stored {
  return {
    runs: run.runs,
    out: [...run.out.entries()].map(([p, e]) => [p, e.type === 'file' ? { ...e, content: e.content.toString('base64') } : e]),
  };
}

function load(s: Stored): ToolRun {
  return {
    work: '',
    runs: s.runs,
    out: new Map(s.out.map(([p, e]) => [p, e.type === 'file' ? { ...e, content: Buffer.from(e.content, 'base64') } : e])),
  };
}

/**
 * Ansible's result for a case: from the cache, or `produce()`d live and stored when `accept`s it.
 * `work` of a cached result is '' (nothing to remove).
 */
export async function cachedAnsibleRun(
  spec: CaseSpec,
  cache: { namespace: string; harnessVersion: string },
  produce: () => Promise<ToolRun>,
  accept: (run: ToolRun) => boolean,
): Promise<{ run: ToolRun; cached: boolean }> {
  const dir = join(cacheRoot(), cache.namespace);
  const file = join(dir, `${spec.name}-${await cacheKey(spec, cache.harnessVersion)}.json`);
  if (process.env.PARITY_LIVE !== '1' && existsSync(file)) {
    try {
      return { run: load(JSON.parse(await readFile(file, 'utf8')) as Stored), cached: true };
    } catch {
      // unreadable: run live and rewrite it
    }
  }
  const run = await produce();
  if (accept(run)) {
    await mkdir(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, JSON.stringify(store(run)));
    await rename(partial, file);
  }
  return { run, cached: false };
}
