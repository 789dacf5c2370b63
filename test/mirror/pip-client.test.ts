/**
 * roles/pip-client under tsplay and ansible-playbook: same files and same changed counts through
 * present / again / check+diff / offline / absent / absent again; then on container hosts (the
 * docker_api connection) pip installs a mirrored package with only the mirror configured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  ansibleAvailable,
  baseImage,
  dockerAvailable,
  requireService,
  runAnsiblePlaybook,
  runCommand,
  runTsplay,
  startContainerHost,
  tempDir,
} from '../support/services.js';
import { localFs } from '../../src/mirror/fs.js';
import { publish } from '../../src/mirror/publish.js';
import { serveMirror } from '../../src/mirror/serve.js';
import { makeWheel } from '../../src/mirror/synth.js';
import { REPO_ROOT, writeWheels } from './helpers.js';

const roleEnv = { ANSIBLE_ROLES_PATH: path.join(REPO_ROOT, 'roles') };

async function writePlay(dir: string, hosts: string): Promise<string> {
  const play = path.join(dir, 'client.yaml');
  await fsp.writeFile(play, [
    `- hosts: ${hosts}`,
    '  gather_facts: no',
    '  roles:',
    '    - role: pip-client',
    '      mirrors: "{{ client_mirrors }}"',
    '      trusted_hosts: "{{ client_trusted | default([]) }}"',
    '      config_path: "{{ client_path | default(\'/etc/pip.conf\') }}"',
    '      offline: "{{ client_offline | default(false) }}"',
    '      state: "{{ client_state | default(\'present\') }}"',
    '',
  ].join('\n'));
  return play;
}

function recapChanged(output: string): number {
  const match = /changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(output);
  assert.ok(match, `no recap in:\n${output}`);
  assert.equal(match[3], '0', `a task failed:\n${output}`);
  return Number(match[1]);
}

type Runner = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

const runners: Record<string, Runner> = {
  tsplay: (args) => runTsplay(['run', ...args], { env: roleEnv, cwd: REPO_ROOT, timeoutMs: 5 * 60_000 }),
  ansible: (args) => runAnsiblePlaybook(args, { env: roleEnv, cwd: REPO_ROOT, timeoutMs: 5 * 60_000 }),
};

test('pip-client: same files and changes under tsplay and ansible-playbook, absent restores the original', { timeout: 10 * 60_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-pip-client-', t);
  const play = await writePlay(dir, 'localhost');
  const original = '[global]\ntimeout = 5\n';
  const steps: Array<{ label: string; extra: Record<string, unknown>; flags?: string[] }> = [
    { label: 'present', extra: {} },
    { label: 'present again', extra: {} },
    { label: 'check and diff', extra: {}, flags: ['--check', '--diff'] },
    { label: 'offline', extra: { client_offline: true } },
    { label: 'absent', extra: { client_state: 'absent' } },
    { label: 'absent again', extra: { client_state: 'absent' } },
    { label: 'present without an original', extra: { client_path: 'NEW' } },
    { label: 'absent without an original', extra: { client_path: 'NEW', client_state: 'absent' } },
  ];
  const seen: Record<string, Array<{ changed: number; files: Record<string, string> }>> = {};
  for (const [tool, run] of Object.entries(runners)) {
    const work = path.join(dir, tool);
    await fsp.mkdir(work);
    await fsp.writeFile(path.join(work, 'pip.conf'), original);
    seen[tool] = [];
    for (const step of steps) {
      const configPath = step.extra.client_path === 'NEW' ? path.join(work, 'sub', 'pip.conf') : path.join(work, 'pip.conf');
      const extra = {
        client_mirrors: ['http://127.0.0.1:1/debian-12/simple/', 'file:///srv/mirror/pip/generic/simple/'],
        client_trusted: ['127.0.0.1'],
        ...step.extra,
        client_path: configPath,
      };
      const res = await run([play, '-e', JSON.stringify(extra), ...(step.flags ?? [])]);
      assert.equal(res.code, 0, `${tool} ${step.label}:\n${res.stdout}${res.stderr}`);
      const files: Record<string, string> = {};
      for (const name of (await fsp.readdir(work, { recursive: true })).map(String).sort()) {
        const full = path.join(work, name);
        if ((await fsp.stat(full)).isFile()) files[name] = await fsp.readFile(full, 'utf8');
      }
      seen[tool].push({ changed: recapChanged(res.stdout), files });
    }
  }
  steps.forEach((step, i) => {
    assert.deepEqual(seen.tsplay[i], seen.ansible[i], `step "${step.label}": tsplay and ansible-playbook agree`);
  });
  const [present, again, checked, offline, absent, absentAgain, fresh, freshAbsent] = seen.ansible;
  assert.ok(present.changed > 0);
  assert.equal(again.changed, 0, 'idempotent');
  assert.equal(checked.changed, 0, 'check mode finds nothing to change');
  assert.match(present.files['pip.conf'], /index-url = http:\/\/127\.0\.0\.1:1\/debian-12\/simple\/\nextra-index-url =\n    file:\/\/\/srv\/mirror\/pip\/generic\/simple\/\n    https:\/\/pypi\.org\/simple\/\ntrusted-host =\n    127\.0\.0\.1\n/);
  assert.equal(present.files['pip.conf.pip-client-orig'], original);
  assert.ok(!offline.files['pip.conf'].includes('pypi.org'), 'offline drops the public index');
  assert.deepEqual(absent.files, { 'pip.conf': original }, 'absent restores exactly the original');
  assert.equal(absentAgain.changed, 0);
  assert.ok(fresh.files['sub/pip.conf.pip-client-none'] === '');
  assert.deepEqual(freshAbsent.files, { 'pip.conf': original }, 'a config the role created is removed again');
});

test('pip-client on container hosts: pip installs from the mirror alone', { timeout: 15 * 60_000 }, async (t) => {
  if (!requireService(t, 'dockerd', await dockerAvailable(), 'start it: scripts/env/dockerd.sh start')) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible python3-docker')) return;
  const image = await baseImage('bookworm');
  const dir = await tempDir('tsplay-pip-client-hosts-', t);
  const platform = path.join(dir, 'mirror', 'debian-12');
  await writeWheels(platform, [makeWheel({ name: 'Mirrored_Only', version: '3.1', requiresPython: '>=3.7' })]);
  await publish(localFs, platform);
  const server = await serveMirror(path.join(dir, 'mirror'), { port: 0 });
  t.after(() => server.close());
  const mirrorUrl = `${server.url}debian-12/simple/`;
  const confs: string[] = [];
  for (const [tool, run] of Object.entries(runners)) {
    const host = await startContainerHost(image, t, { namePrefix: `tsplay-pip-client-${tool}` });
    const play = await writePlay(dir, host.name);
    const extra = JSON.stringify({ client_mirrors: [mirrorUrl], client_trusted: ['127.0.0.1'], client_offline: true });
    const res = await run([play, '-i', `${host.name},`, '-c', 'community.docker.docker_api', '-e', extra]);
    assert.equal(res.code, 0, `${tool}:\n${res.stdout}${res.stderr}`);
    assert.ok(recapChanged(res.stdout) > 0);
    const again = await run([play, '-i', `${host.name},`, '-c', 'community.docker.docker_api', '-e', extra]);
    assert.equal(recapChanged(again.stdout), 0, `${tool}: second run changes nothing`);
    const conf = await runCommand('docker', ['exec', host.name, 'cat', '/etc/pip.conf']);
    confs.push(conf.stdout);
    // No --index-url here: pip takes it from /etc/pip.conf, where only the mirror is listed.
    const install = await runCommand('docker', ['exec', '-e', 'PIP_DISABLE_PIP_VERSION_CHECK=1', host.name,
      'pip', 'install', '--no-cache-dir', '--target', '/tmp/site', 'mirrored-only'], { timeoutMs: 3 * 60_000 });
    assert.equal(install.code, 0, `${tool}: ${install.stdout}${install.stderr}`);
    assert.match(install.stdout, new RegExp(`Looking in indexes: ${mirrorUrl.replace(/[.]/g, '\\.')}\\n`));
    assert.match(install.stdout, /Successfully installed Mirrored[-_]Only-3\.1/i);
  }
  assert.equal(confs[0], confs[1], 'the same /etc/pip.conf from both tools');
});
