/**
 * The seed role's arguments: the same verdicts as ansible-playbook for a missing target and a
 * platform without an image (both before any container starts), and a package list given as a
 * comma-separated string accepted the way Ansible's list coercion accepts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ansibleAvailable, requireService, runAnsiblePlaybook, runCommand, runTsplay, tempDir } from '../support/services.js';
import { REPO_ROOT } from './helpers.js';

const roleEnv = { ANSIBLE_ROLES_PATH: path.join(REPO_ROOT, 'roles') };

const CASES: Array<{ label: string; role: string[]; error: RegExp }> = [
  {
    label: 'missing target',
    role: ['      platforms: [{image: "tsplay-test/none:1"}]', '      packages: [ansible]'],
    error: /missing required arguments: target/,
  },
  {
    label: 'platform without image',
    role: ['      target: /tmp/never-created-by-pip-mirrors', '      platforms: [{name: nameless}]', '      packages: [ansible]'],
    error: /missing required arguments: image found in platforms/,
  },
  {
    label: 'platforms not a list of dicts',
    role: ['      target: /tmp/never-created-by-pip-mirrors', '      platforms: [debian]', '      packages: [ansible]'],
    error: /Elements value for option 'platforms' is of type <class '[A-Za-z.]*'> and we were unable to convert to dict: dictionary requested/,
  },
];

async function containersNamed(prefix: string): Promise<string> {
  const res = await runCommand('docker', ['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${prefix}`]);
  return res.stdout.trim();
}

test('bad role arguments: same verdicts as ansible-playbook, nothing started', { timeout: 5 * 60_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-pip-mirrors-args-', t);
  for (const [i, testCase] of CASES.entries()) {
    const play = path.join(dir, `case-${i}.yaml`);
    await fsp.writeFile(play, ['- hosts: localhost', '  gather_facts: no', '  roles:', '    - role: pip-mirrors', ...testCase.role, ''].join('\n'));
    const args = [play, '-e', 'docker_install_source=debian'];
    const viaAnsible = await runAnsiblePlaybook(args, { env: roleEnv, cwd: dir });
    const viaTsplay = await runTsplay(['run', ...args], { env: roleEnv, cwd: dir });
    assert.notEqual(viaAnsible.code, 0, `${testCase.label}: ansible-playbook fails`);
    assert.notEqual(viaTsplay.code, 0, `${testCase.label}: tsplay fails`);
    assert.match(viaAnsible.stdout + viaAnsible.stderr, testCase.error, `${testCase.label}: ansible's verdict`);
    assert.match(viaTsplay.stdout + viaTsplay.stderr, testCase.error, `${testCase.label}: tsplay's verdict`);
    assert.doesNotMatch(viaTsplay.stdout, /TASK \[pip-mirrors : Fetch/, `${testCase.label}: tsplay stops before any fetch`);
    assert.doesNotMatch(viaAnsible.stdout, /TASK \[pip-mirrors : Fetch/, `${testCase.label}: so does ansible`);
  }
  await assert.rejects(fsp.stat('/tmp/never-created-by-pip-mirrors'), 'no target directory was made');
  assert.equal(await containersNamed('do_pip_fetch_nameless'), '');
});
