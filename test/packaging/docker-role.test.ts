/**
 * roles/docker run for real against throwaway Debian container hosts through the docker_api
 * connection, by ansible-playbook (community.docker.docker_api) and by tsplay, each on its own
 * fresh host: the first run installs (changed), the second changes nothing, and both hosts end
 * up with the same packages.
 *
 * The role runs with docker_install_source=debian: download.docker.com (the default source) is
 * not reachable from these machines, only Debian's archive is, and apt inside the containers
 * reaches it through the host network. No Docker daemon runs inside the containers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { repoRoot, runAnsiblePlaybook, runTsplay, tsplayCli, type CommandResult } from '../support/services.js';
import { type ContainerHost, requireService, servicesAvailable, startHost } from './hosts.js';

const PLAY = `- hosts: all
  roles:
    - role: docker
      docker_install_source: debian
`;

interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
}

function recapOf(run: CommandResult, host: string): Recap {
  const line = new RegExp(`^${host}\\s*:\\s*ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)\\s+skipped=(\\d+)`, 'm').exec(run.stdout);
  assert.ok(line, `no recap line for ${host} in:\n${run.stdout}\n${run.stderr}`);
  return { ok: Number(line[1]), changed: Number(line[2]), unreachable: Number(line[3]), failed: Number(line[4]), skipped: Number(line[5]) };
}

/** every package dpkg knows on the host, with version and state */
async function packagesOn(host: ContainerHost): Promise<string> {
  const out = await host.conn.exec(['dpkg-query', '-W', '-f=${Package} ${Version} ${db:Status-Status}\n']);
  assert.equal(out.rc, 0, out.stderr);
  return out.stdout.split('\n').sort().join('\n');
}

// the tests of this suite run side by side: each tool provisions its own host
describe('roles/docker (docker_install_source: debian) through the docker_api connection', { timeout: 1_800_000, concurrency: true }, () => {
  let dir = '';
  let ready = false;
  const hosts: ContainerHost[] = [];

  before(async () => {
    if (!(await servicesAvailable())) return;
    dir = await mkdtemp(join(tmpdir(), 'tsplay-docker-role-'));
    await writeFile(join(dir, 'play.yaml'), PLAY);
    // the playbook's own roles/ dir is on both tools' role search path
    await symlink(join(repoRoot(), 'roles'), join(dir, 'roles'));
    ready = true;
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.remove()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ansibleArgs = (host: string) => ['-i', `${host},`, '-c', 'community.docker.docker_api', 'play.yaml'];
  let ansibleHost: ContainerHost | undefined;
  let tsplayHost: ContainerHost | undefined;
  /** settles when the Ansible half is over: its host's packages, or undefined when it did not get there */
  let ansiblePackagesDone: (packages: string | undefined) => void = () => undefined;
  const ansiblePackages = new Promise<string | undefined>((resolve) => (ansiblePackagesDone = resolve));

  it('ansible-playbook: first run installs docker.io and python3-docker, second run changes nothing', async (t) => {
    t.after(() => ansiblePackagesDone(undefined));
    if (!requireService(t, ready, 'dockerd and ansible with community.docker')) return;
    ansibleHost = await startHost('tsplay-pkg-role-ansible');
    hosts.push(ansibleHost);
    const env = { ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' };
    const first = await runAnsiblePlaybook(ansibleArgs(ansibleHost.name), { cwd: dir, env, timeoutMs: 900_000 });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const firstRecap = recapOf(first, ansibleHost.name);
    assert.equal(firstRecap.failed, 0);
    assert.ok(firstRecap.changed >= 1, first.stdout);
    assert.match(first.stdout, /TASK \[docker : Ensure Docker repository is available\] \**\nskipping:/);
    const second = await runAnsiblePlaybook(ansibleArgs(ansibleHost.name), { cwd: dir, env, timeoutMs: 600_000 });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(recapOf(second, ansibleHost.name).changed, 0, second.stdout);
    const packages = await packagesOn(ansibleHost);
    assert.match(packages, /^docker\.io \S+ installed$/m);
    assert.match(packages, /^python3-docker \S+ installed$/m);
    ansiblePackagesDone(packages);
  });

  it('tsplay: first run installs, second run changes nothing, and the host ends up as Ansible left its twin', async (t) => {
    if (!requireService(t, ready, 'dockerd and ansible with community.docker')) return;
    if (!requireService(t, existsSync(tsplayCli()), `the compiled CLI ${tsplayCli()}`)) return;
    tsplayHost = await startHost('tsplay-pkg-role-tsplay');
    hosts.push(tsplayHost);
    const first = await runTsplay(['run', ...ansibleArgs(tsplayHost.name)], { cwd: dir, timeoutMs: 900_000 });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const firstRecap = recapOf(first, tsplayHost.name);
    assert.equal(firstRecap.failed, 0);
    assert.ok(firstRecap.changed >= 1, first.stdout);
    const second = await runTsplay(['run', ...ansibleArgs(tsplayHost.name)], { cwd: dir, timeoutMs: 600_000 });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(recapOf(second, tsplayHost.name).changed, 0, second.stdout);
    const packages = await packagesOn(tsplayHost);
    assert.match(packages, /^docker\.io \S+ installed$/m);
    assert.match(packages, /^python3-docker \S+ installed$/m);
    const expected = await ansiblePackages;
    assert.ok(expected !== undefined, 'the ansible-playbook half did not complete, so there is nothing to compare with');
    assert.equal(packages, expected, 'both tools leave the same packages installed');
  });

  it('both tools reject an unknown docker_install_source from the argument spec before any task runs', async (t) => {
    if (!requireService(t, ready, 'dockerd and ansible with community.docker')) return;
    const bad = PLAY.replace('docker_install_source: debian', 'docker_install_source: podman');
    await writeFile(join(dir, 'bad.yaml'), bad.replace('hosts: all', 'hosts: all\n  gather_facts: false'));
    const args = ['-i', 'localhost,', '-c', 'local', 'bad.yaml'];
    const [ansible, tsplay] = await Promise.all([
      runAnsiblePlaybook(args, { cwd: dir, timeoutMs: 120_000 }),
      runTsplay(['run', ...args], { cwd: dir, timeoutMs: 120_000 }),
    ]);
    assert.notEqual(ansible.code, 0);
    assert.notEqual(tsplay.code, 0);
    const expected = "value of docker_install_source must be one of: docker, debian, got: podman";
    assert.match(ansible.stdout + ansible.stderr, new RegExp(expected));
    assert.match(tsplay.stdout + tsplay.stderr, new RegExp(expected));
    assert.doesNotMatch(tsplay.stdout, /Ensure Docker is installed/);
  });
});
