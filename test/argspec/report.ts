/**
 * Prints the parity count: each case of the table validated by tsplay (from freshly built role
 * files) against Ansible's cached verdict. Exit code 1 when any case disagrees.
 * Usage: npx tsc -p tsconfig.json && node dist/test/argspec/report.js [-v]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parityCases } from './cases.js';
import { buildCaseRoles, compareVerdicts, tsplayVerdicts, type ParityCase, type PlayVars, type Render } from './oracle.js';
import { realworldCases, REALWORLD_MAGIC_VARS, REALWORLD_PLAY_VARS } from './realworld.js';
import { readVerdictCache } from './verdicts-file.js';
import { moduleOnlyCases } from './cases.js';
import { compareModuleVerdicts, moduleCases, tsplayModuleVerdict, type ModuleVerdict } from './module-oracle.js';

/** the counts of a report: `reasonOf` says why a case disagrees with its cached verdict, if it does */
function summarize<C extends { id: string }, V extends { failed?: boolean }>(
  cases: C[],
  cache: { verdicts: Record<string, V | undefined>; ansible: string },
  reasonOf: (c: C, expected: V) => string | undefined,
  missing: string,
): ParityReport {
  const disagreements: ParityReport['disagreements'] = [];
  for (const c of cases) {
    const expected = cache.verdicts[c.id];
    const reason = expected ? reasonOf(c, expected) : missing;
    if (reason) disagreements.push({ id: c.id, reason });
  }
  return {
    total: cases.length,
    agree: cases.length - disagreements.length,
    failedInAnsible: cases.filter((c) => cache.verdicts[c.id]?.failed).length,
    disagreements,
    ansible: cache.ansible,
  };
}

/** module mode: each module case validated by tsplay against AnsibleModule's cached answer */
export async function moduleParityReport(): Promise<ParityReport> {
  const cache = await readVerdictCache<ModuleVerdict>('module-verdicts.json');
  const cases = [...moduleCases(parityCases), ...moduleOnlyCases];
  return summarize(cases, cache, (c, expected) => compareModuleVerdicts(c, expected, tsplayModuleVerdict(c)), 'no cached Ansible verdict (run regenerate.js module)');
}
import { templar } from '../../src/template/index.js';

/** the project's templar, as the engine renders role values and specs */
export const render: Render = (value, vars) => templar.template(value, Object.assign(Object.create(null) as Record<string, unknown>, vars));

export type ReportKind = 'table' | 'realworld';

function setup(kind: ReportKind): { cases: ParityCase[]; cache: string; playVars: PlayVars; tsVars: PlayVars } {
  if (kind === 'table') return { cases: [...parityCases], cache: 'ansible-verdicts.json', playVars: {}, tsVars: {} };
  return { cases: realworldCases(), cache: 'realworld-verdicts.json', playVars: REALWORLD_PLAY_VARS, tsVars: { ...REALWORLD_PLAY_VARS, ...REALWORLD_MAGIC_VARS } };
}

export interface ParityReport {
  total: number;
  agree: number;
  failedInAnsible: number;
  disagreements: Array<{ id: string; reason: string }>;
  ansible: string;
}

export async function parityReport(kind: ReportKind = 'table'): Promise<ParityReport> {
  const { cases, cache: cacheName, playVars, tsVars } = setup(kind);
  const cache = await readVerdictCache(cacheName);
  const dir = await mkdtemp(join(tmpdir(), 'tsplay-argspec-report-'));
  try {
    await buildCaseRoles(dir, cases, playVars);
    const ours = await tsplayVerdicts(dir, cases, tsVars, render);
    return summarize(cases, cache, (c, expected) => compareVerdicts(expected, ours[c.id], c.malformed), 'no cached Ansible verdict (run regenerate.js)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  let bad = 0;
  for (const kind of ['table', 'realworld'] as const) {
    const report = await parityReport(kind);
    for (const d of report.disagreements) console.log(`DIFF ${kind} ${d.id}: ${d.reason}`);
    const what = kind === 'table' ? 'parity table' : 'real-world specs';
    console.log(`argspec ${what}: ${report.agree}/${report.total} cases agree with ${report.ansible} (${report.failedInAnsible} of them fail validation in Ansible)`);
    bad += report.disagreements.length;
  }
  const modules = await moduleParityReport();
  for (const d of modules.disagreements) console.log(`DIFF module ${d.id}: ${d.reason}`);
  console.log(`argspec module mode: ${modules.agree}/${modules.total} cases agree with AnsibleModule in ${modules.ansible} (${modules.failedInAnsible} of them fail)`);
  bad += modules.disagreements.length;
  process.exitCode = bad ? 1 : 0;
}
