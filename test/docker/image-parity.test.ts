/**
 * docker_image through community.docker (ansible-playbook) and through tsplay: build from a path,
 * idempotent re-runs, source local, tagging into a repository, load from an archive, removal,
 * check mode, and the failures (pull without a registry, a broken Dockerfile, a missing local
 * image). Compares changed / failed / whether an image came back / actions.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { dockerImage } from '../../src/modules/docker/docker_image.js';
import { ansibleAvailable, requireService, runAnsiblePlaybook, runCommand, tempDir } from '../support/services.js';
import { moduleContext, needDocker, runModule, testImage, uniqueSuffix } from './support.js';

interface ImageStep {
  id: string;
  title: string;
  args: Record<string, unknown>;
  check?: boolean;
}

function imageTable(p: { repo: string; context: string; broken: string; archive: string; loadName: string }): ImageStep[] {
  const build = { path: p.context };
  const steps: Array<Omit<ImageStep, 'id'>> = [
    { title: 'check mode: build would happen', args: { name: p.repo, tag: 'v1', source: 'build', build }, check: true },
    { title: 'build from a path', args: { name: p.repo, tag: 'v1', source: 'build', build } },
    { title: 'build again: already there', args: { name: p.repo, tag: 'v1', source: 'build', build } },
    { title: 'name:tag form, source local', args: { name: `${p.repo}:v1`, source: 'local' } },
    { title: 'force_source rebuild from cache: same image', args: { name: p.repo, tag: 'v1', source: 'build', build, force_source: true } },
    { title: 'tag into another repository', args: { name: p.repo, tag: 'v1', source: 'local', repository: `${p.repo}-copy:stable` } },
    { title: 'tag again: already tagged', args: { name: p.repo, tag: 'v1', source: 'local', repository: `${p.repo}-copy:stable` } },
    { title: 'source local of a missing image fails', args: { name: p.repo, tag: 'nope', source: 'local' } },
    { title: 'remove the copy', args: { name: `${p.repo}-copy`, tag: 'stable', state: 'absent' } },
    { title: 'remove the copy again: nothing to do', args: { name: `${p.repo}-copy`, tag: 'stable', state: 'absent' } },
    { title: 'load from an archive', args: { name: p.loadName, tag: 'saved', source: 'load', load_path: p.archive } },
    { title: 'load again: already there', args: { name: p.loadName, tag: 'saved', source: 'load', load_path: p.archive } },
    { title: 'pull without a registry fails', args: { name: 'tsplay-test/never-published', tag: '1', source: 'pull' } },
    { title: 'a broken Dockerfile fails', args: { name: `${p.repo}-broken`, tag: 'v1', source: 'build', build: { path: p.broken } } },
    { title: 'remove the built image', args: { name: p.repo, tag: 'v1', state: 'absent' } },
  ];
  return steps.map((s, i) => ({ ...s, id: `i${String(i + 1).padStart(2, '0')}` }));
}

function outcome(r: Record<string, unknown> | undefined, repo: string): Record<string, unknown> {
  const res = r ?? {};
  const image = (res.image ?? {}) as Record<string, unknown>;
  return {
    changed: Boolean(res.changed),
    failed: Boolean(res.failed),
    image: typeof image.Id === 'string',
    actions: ((res.actions as string[] | undefined) ?? []).map((a) => a.split(repo).join('REPO')),
  };
}

test('docker_image parity with community.docker under ansible-playbook', { timeout: 10 * 60_000 }, async (t) => {
  if (!(await needDocker(t))) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible python3-docker')) return;
  const base = await testImage();
  const work = await tempDir('tsplay-docker-image-', t);
  const context = join(work, 'context');
  const broken = join(work, 'broken');
  await mkdir(context);
  await mkdir(broken);
  await writeFile(join(context, 'Dockerfile'), `FROM ${base}\nCOPY greeting.txt /greeting.txt\nLABEL org.example.test=tsplay\n`);
  await writeFile(join(context, 'greeting.txt'), 'built by a test\n');
  await writeFile(join(broken, 'Dockerfile'), `FROM ${base}\nCOPY does-not-exist.txt /x\n`);
  const suffix = uniqueSuffix();
  const loadName = `tsplay-test/img-load-${suffix}`;
  // an archive holding loadName:saved, made with the Docker CLI and then removed from the daemon
  const archive = join(work, 'saved.tar');
  assert.equal((await runCommand('docker', ['tag', base, `${loadName}:saved`])).code, 0);
  const saved = await runCommand('docker', ['save', '-o', archive, `${loadName}:saved`]);
  assert.equal(saved.code, 0, saved.stderr);
  await runCommand('docker', ['rmi', `${loadName}:saved`]);

  const ansibleRepo = `tsplay-test/imga-${suffix}`;
  const tsplayRepo = `tsplay-test/imgt-${suffix}`;
  t.after(async () => {
    for (const repo of [ansibleRepo, tsplayRepo]) {
      await runCommand('docker', ['rmi', '-f', `${repo}:v1`, `${repo}-copy:stable`, `${repo}-broken:v1`]);
    }
    await runCommand('docker', ['rmi', '-f', `${loadName}:saved`]);
  });

  const ansibleSteps = imageTable({ repo: ansibleRepo, context, broken, archive, loadName });
  const resultsPath = join(work, 'results.json');
  const tasks: unknown[] = ansibleSteps.map((s) => ({
    name: `${s.id} ${s.title}`,
    'community.docker.docker_image': s.args,
    register: `r_${s.id}`,
    ignore_errors: true,
    ...(s.check ? { check_mode: true } : {}),
  }));
  tasks.push({ copy: { content: `{{ {${ansibleSteps.map((s) => `'${s.id}': r_${s.id}`).join(', ')}} | to_json }}`, dest: resultsPath } });
  await writeFile(join(work, 'play.yml'), JSON.stringify([{ hosts: 'localhost', gather_facts: false, tasks }]));
  const ran = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', join(work, 'play.yml')], { cwd: work, timeoutMs: 8 * 60_000 });
  assert.equal(ran.code, 0, `${ran.stdout.slice(-3000)}\n${ran.stderr.slice(-2000)}`);
  const ansible = JSON.parse(await readFile(resultsPath, 'utf8')) as Record<string, Record<string, unknown>>;
  // the loaded image is shared by name: remove it so tsplay's load really loads
  await runCommand('docker', ['rmi', '-f', `${loadName}:saved`]);

  const tsplaySteps = imageTable({ repo: tsplayRepo, context, broken, archive, loadName });
  const mismatches: string[] = [];
  for (const [i, step] of tsplaySteps.entries()) {
    const got = outcome(await runModule(dockerImage, step.args, moduleContext({ check: step.check ?? false })), tsplayRepo);
    const want = outcome(ansible[ansibleSteps[i].id], ansibleRepo);
    const same = JSON.stringify(want) === JSON.stringify(got);
    t.diagnostic(`${same ? 'ok  ' : 'DIFF'} ${step.id} ${step.title}: ${JSON.stringify(want)}`);
    if (!same) mismatches.push(`${step.id} ${step.title}\n  ansible: ${JSON.stringify(want)}\n  tsplay:  ${JSON.stringify(got)}`);
  }
  t.diagnostic(`docker_image parity: ${tsplaySteps.length - mismatches.length}/${tsplaySteps.length} steps agree`);
  assert.deepEqual(mismatches, [], mismatches.join('\n'));
});

test('docker_image failures explain themselves', async (t) => {
  if (!(await needDocker(t))) return;
  const pulled = await runModule(dockerImage, { name: 'tsplay-test/never-published', tag: '1', source: 'pull' });
  assert.equal(pulled.failed, true);
  assert.match(String(pulled.msg), /Error pulling image tsplay-test\/never-published:1/);
  assert.match(String(pulled.msg), /registry reachable/);
  const local = await runModule(dockerImage, { name: 'tsplay-test/never-built', tag: '3', source: 'local' });
  assert.equal(local.msg, 'Cannot find the image tsplay-test/never-built:3 locally.');
  const noPath = await runModule(dockerImage, { name: 'x/y', source: 'build', build: { path: '/nonexistent/ctx' } });
  assert.equal(noPath.msg, 'Requested build path /nonexistent/ctx could not be found or you do not have access.');
});
