/**
 * docker_container parity: the same ordered table of tasks through community.docker (under
 * ansible-playbook, the oracle) and through tsplay's module, comparing changed / failed / status /
 * Output (plus running state and docker_container_info's exists), and the failure msg of a
 * non-zero exit. Prints "docker_container parity: N/N steps agree".
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { test } from 'node:test';
import { dockerContainer } from '../../src/modules/docker/docker_container.js';
import { dockerContainerInfo } from '../../src/modules/docker/docker_container_info.js';
import { ansibleAvailable, requireService, runAnsiblePlaybook, runCommand, tempDir } from '../support/services.js';
import { ansiblePlaybook, outcomeOf, parityTable, type ParityStep, type StepOutcome } from './container-parity-table.js';
import { moduleContext, needDocker, removeContainers, removeVolumes, runModule, testImage, uniqueSuffix } from './support.js';

function namesOf(prefix: string): { containers: string[]; volumes: string[] } {
  return {
    containers: ['main', 'run', 'acc', 'chk', 'compat', 'ports'].map((n) => `${prefix}-${n}`),
    volumes: [`${prefix}-vol`],
  };
}

async function runTsplaySide(steps: ParityStep[]): Promise<Record<string, Record<string, unknown>>> {
  const results: Record<string, Record<string, unknown>> = {};
  for (const step of steps) {
    const mod = step.module === 'docker_container' ? dockerContainer : dockerContainerInfo;
    results[step.id] = await runModule(mod, step.args, moduleContext({ check: step.check ?? false, diff: true }));
  }
  return results;
}

test('docker_container parity with community.docker under ansible-playbook', { timeout: 15 * 60_000 }, async (t) => {
  if (!(await needDocker(t))) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible python3-docker')) return;
  const image = await testImage();
  const suffix = uniqueSuffix();
  // per run: another run of this test (the whole suite, elsewhere) removes its own alias when done
  const imageAlias = `tsplay-test/docker-parity-alias:${suffix}`;
  const tagged = await runCommand('docker', ['tag', image, imageAlias]);
  assert.equal(tagged.code, 0, tagged.stderr);

  const work = await tempDir('tsplay-docker-parity-', t);
  const hostDir = join(work, 'host');
  await runCommand('mkdir', ['-p', hostDir]);
  await writeFile(join(hostDir, 'hello.txt'), 'from-host\n');
  await writeFile(join(hostDir, 'vars.env'), '# comment\nA=from-file\n\nB=from-file\n');
  const ansiblePrefix = `tspa-${suffix}`;
  const tsplayPrefix = `tspt-${suffix}`;
  t.after(async () => {
    for (const prefix of [ansiblePrefix, tsplayPrefix]) {
      const names = namesOf(prefix);
      await removeContainers(names.containers);
      await removeVolumes(names.volumes);
    }
    await runCommand('docker', ['rmi', imageAlias]);
  });

  // ansible-playbook: the whole table in one run, every result dumped to one JSON file
  const ansibleSteps = parityTable({ prefix: ansiblePrefix, image, imageAlias, hostDir });
  const resultsPath = join(work, 'ansible-results.json');
  const playbook = join(work, 'play.yml');
  await writeFile(playbook, JSON.stringify(ansiblePlaybook(ansibleSteps, resultsPath), null, 1));
  const ansibleStarted = Date.now();
  const ran = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', playbook], { cwd: work, timeoutMs: 12 * 60_000 });
  assert.equal(ran.code, 0, `ansible-playbook failed:\n${ran.stdout.slice(-3000)}\n${ran.stderr.slice(-2000)}`);
  const ansible = JSON.parse(await readFile(resultsPath, 'utf8')) as Record<string, Record<string, unknown>>;

  const tsplaySteps = parityTable({ prefix: tsplayPrefix, image, imageAlias, hostDir });
  const ansibleMs = Date.now() - ansibleStarted;
  const tsplayStarted = Date.now();
  const tsplay = await runTsplaySide(tsplaySteps);
  const tsplayMs = Date.now() - tsplayStarted;

  const mismatches: string[] = [];
  const rows: string[] = [];
  for (const step of ansibleSteps) {
    // names differ only by the tool's prefix
    const want: StepOutcome = JSON.parse(JSON.stringify(outcomeOf(ansible[step.id])).split(ansiblePrefix).join('PREFIX'));
    const got: StepOutcome = JSON.parse(JSON.stringify(outcomeOf(tsplay[step.id])).split(tsplayPrefix).join('PREFIX'));
    if (step.goneOrGoing) {
      // see ParityStep.goneOrGoing: a container being removed and a removed one are both "not running"
      assert.notEqual(got.running, true, `${step.id}: an auto_remove container that exited cannot be running`);
      want.running = want.running === true ? true : null;
      got.running = null;
    }
    const same = isDeepStrictEqual(want, got);
    // a failed run (non-zero exit) must carry the output as msg, exactly as community.docker does
    const wantMsg = want.status !== null && want.status !== 0 ? ansible[step.id].msg : undefined;
    const msgSame = wantMsg === undefined || wantMsg === tsplay[step.id].msg;
    rows.push(`${same && msgSame ? 'ok  ' : 'DIFF'} ${step.id} ${step.title}: ${JSON.stringify(want)}`);
    if (!same) {
      const why = tsplay[step.id].msg ?? ansible[step.id].msg;
      mismatches.push(`${step.id} ${step.title}\n  ansible: ${JSON.stringify(want)}\n  tsplay:  ${JSON.stringify(got)}${why ? `\n  msg: ${String(why)}` : ''}`);
    }
    if (!msgSame) mismatches.push(`${step.id} ${step.title}: msg\n  ansible: ${JSON.stringify(wantMsg)}\n  tsplay:  ${JSON.stringify(tsplay[step.id].msg)}`);
  }
  for (const row of rows) t.diagnostic(row);
  const agree = ansibleSteps.length - new Set(mismatches.map((m) => m.slice(0, 3))).size;
  t.diagnostic(`docker_container parity: ${agree}/${ansibleSteps.length} steps agree`);
  // wall time includes the containers' own run time (stops, sleeps), the same for both tools
  t.diagnostic(`time: ansible-playbook ${(ansibleMs / 1000).toFixed(1)} s (whole run), tsplay modules ${(tsplayMs / 1000).toFixed(1)} s`);
  assert.ok(ansibleSteps.length >= 25, 'the table has at least 25 tasks');
  assert.deepEqual(mismatches, [], mismatches.join('\n'));
});
