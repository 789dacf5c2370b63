/**
 * Regenerates Ansible's cached answers for the parity table by running real ansible-playbook.
 * Usage: npx tsc -p tsconfig.json && node dist/test/argspec/regenerate.js
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand } from '../support/services.js';
import { parityCases } from './cases.js';
import { ansibleVerdicts } from './oracle.js';
import { verdictCachePath, writeVerdictCache } from './verdicts-file.js';

const dir = await mkdtemp(join(tmpdir(), 'tsplay-argspec-oracle-'));
try {
  const started = Date.now();
  const verdicts = await ansibleVerdicts(dir, [...parityCases]);
  const version = (await runCommand('ansible', ['--version'])).stdout.split('\n')[0];
  await mkdir(dirname(verdictCachePath()), { recursive: true });
  await writeVerdictCache({ ansible: version, generated: new Date().toISOString(), verdicts });
  const failed = Object.values(verdicts).filter((v) => v.failed).length;
  console.log(`${parityCases.length} cases through ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${failed} failed validation; written to ${verdictCachePath()}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
