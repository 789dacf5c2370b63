/** Where Ansible's cached answers for the parity table live, and how they are read and written. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../support/services.js';
import type { Verdict } from './oracle.js';

export interface VerdictCache<V = Verdict> {
  /** `ansible --version` first line at generation time */
  ansible: string;
  generated: string;
  /** case id → Ansible's verdict */
  verdicts: Record<string, V>;
}

export function verdictCachePath(name = 'ansible-verdicts.json'): string {
  return join(repoRoot(), 'test', 'argspec', 'data', name);
}

export async function readVerdictCache<V = Verdict>(name?: string): Promise<VerdictCache<V>> {
  return JSON.parse(await readFile(verdictCachePath(name), 'utf8')) as VerdictCache<V>;
}

/** written to a temp file first, then renamed, so a failed run never leaves half a cache */
export async function writeVerdictCache<V>(cache: VerdictCache<V>, name?: string): Promise<void> {
  const path = verdictCachePath(name);
  await writeFile(`${path}.tmp`, JSON.stringify(cache, null, 1) + '\n');
  await rename(`${path}.tmp`, path);
}
