/**
 * Prints the parity count: each case of the table validated by tsplay (from freshly built role
 * files) against Ansible's cached verdict. Exit code 1 when any case disagrees.
 * Usage: npx tsc -p tsconfig.json && node dist/test/argspec/report.js [-v]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parityCases } from './cases.js';
import { buildCaseRoles, compareVerdicts, tsplayVerdicts } from './oracle.js';
import { readVerdictCache } from './verdicts-file.js';

export interface ParityReport {
  total: number;
  agree: number;
  failedInAnsible: number;
  disagreements: Array<{ id: string; reason: string }>;
  ansible: string;
}

export async function parityReport(): Promise<ParityReport> {
  const cache = await readVerdictCache();
  const dir = await mkdtemp(join(tmpdir(), 'tsplay-argspec-report-'));
  try {
    await buildCaseRoles(dir, [...parityCases]);
    const ours = await tsplayVerdicts(dir, [...parityCases]);
    const disagreements: ParityReport['disagreements'] = [];
    for (const c of parityCases) {
      const expected = cache.verdicts[c.id];
      const reason = expected ? compareVerdicts(expected, ours[c.id], c.malformed) : 'no cached Ansible verdict (run regenerate.js)';
      if (reason) disagreements.push({ id: c.id, reason });
    }
    return {
      total: parityCases.length,
      agree: parityCases.length - disagreements.length,
      failedInAnsible: Object.values(cache.verdicts).filter((v) => v.failed).length,
      disagreements,
      ansible: cache.ansible,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const report = await parityReport();
  for (const d of report.disagreements) console.log(`DIFF ${d.id}: ${d.reason}`);
  console.log(`argspec parity: ${report.agree}/${report.total} cases agree with ${report.ansible} (${report.failedInAnsible} of them fail validation in Ansible)`);
  process.exitCode = report.disagreements.length ? 1 : 0;
}
