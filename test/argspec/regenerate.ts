/**
 * Regenerates Ansible's cached answers (parity table and real-world specs) by running real
 * ansible-playbook. Usage: npx tsc -p tsconfig.json && node dist/test/argspec/regenerate.js
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand } from '../support/services.js';
import { moduleOnlyCases, parityCases } from './cases.js';
import { ansibleModuleVerdicts, moduleCases } from './module-oracle.js';
import { ansibleVerdicts, type ParityCase, type PlayVars } from './oracle.js';
import { realworldCases, REALWORLD_PLAY_VARS } from './realworld.js';
import { verdictCachePath, writeVerdictCache } from './verdicts-file.js';

async function regenerate(name: string, cases: ParityCase[], playVars: PlayVars, modules = false): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsplay-argspec-oracle-'));
  try {
    const started = Date.now();
    const verdicts: Record<string, { failed: boolean }> = modules ? await ansibleModuleVerdicts(dir, cases) : await ansibleVerdicts(dir, cases, playVars);
    const version = (await runCommand('ansible', ['--version'])).stdout.split('\n')[0];
    await mkdir(dirname(verdictCachePath(name)), { recursive: true });
    await writeVerdictCache({ ansible: version, generated: new Date().toISOString(), verdicts }, name);
    const failed = Object.values(verdicts).filter((v) => v.failed).length;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${cases.length} cases through ${version} in ${seconds} s: ${failed} failed validation; written to ${verdictCachePath(name)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'table') await regenerate('ansible-verdicts.json', [...parityCases], {});
if (which === 'all' || which === 'module') await regenerate('module-verdicts.json', [...moduleCases(parityCases), ...moduleOnlyCases], {}, true);
if (which === 'all' || which === 'realworld') await regenerate('realworld-verdicts.json', realworldCases(), REALWORLD_PLAY_VARS);
