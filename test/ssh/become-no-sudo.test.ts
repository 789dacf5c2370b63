/**
 * become: true on a host without sudo: the host fails with a message that says sudo is missing,
 * as Ansible's does, instead of blaming the probe command (/usr/bin/id) that ran under it. The
 * host is a throwaway SSH container from the base image with sudo removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ansibleAvailable, baseImage, dockerAvailable, requireService, runAnsiblePlaybook, runCommand, runTsplay, startSshHost, tempDir,
} from '../support/services.js';
import { parseRecap } from '../parity/harness.js';

const PLAYBOOK = `- hosts: nosudo
  gather_facts: false
  tasks:
    - command: id -u
      become: true
    - debug: {msg: never}
`;

test('become: true where sudo is not installed fails the host saying so', async (t) => {
  if (!requireService(t, 'dockerd', await dockerAvailable(), 'start dockerd')) return;
  const host = await startSshHost(await baseImage('bookworm'), t, { users: [{ name: 'deploy' }] });
  const removed = await runCommand('docker', ['exec', host.id, 'rm', '-f', '/usr/bin/sudo']);
  // a login user that needs escalation: as root, become to root runs no sudo at all
  assert.equal(removed.code, 0, removed.stderr);
  const dir = await tempDir('tsplay-nosudo-', t);
  await writeFile(join(dir, 'inventory'), `${host.inventoryLine('nosudo').replace('ansible_user=root', 'ansible_user=deploy')}\n`);
  await writeFile(join(dir, 'site.yml'), PLAYBOOK);
  const ours = await runTsplay(['run', '-i', 'inventory', 'site.yml'], { cwd: dir, env: { ANSIBLE_HOST_KEY_CHECKING: 'False', TSPLAY_PLAIN: '1' }, timeoutMs: 120_000 });
  const output = ours.stdout + ours.stderr;
  assert.equal(ours.code, 2, output);
  assert.match(output, /fatal: \[nosudo\]: FAILED!/, output);
  // Ansible: MODULE FAILURE, rc 127, the shell's "sudo: not found" as the module's output
  assert.match(output, /fatal: \[nosudo\]: FAILED! => \{"changed": false, "module_stderr": "", "module_stdout": "[^"]*sudo: (command )?not found[^"]*", "msg": "MODULE FAILURE\\nSee stdout\/stderr for the exact error", "rc": 127\}/, output);
  assert.doesNotMatch(output, /\/usr\/bin\/id/, output);
  assert.deepEqual(parseRecap(ours.stdout)?.nosudo, { ok: 0, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 });
  if (!ansibleAvailable()) return;
  const theirs = await runAnsiblePlaybook(['-i', 'inventory', 'site.yml'], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(theirs.code, ours.code, theirs.stdout);
  assert.deepEqual(parseRecap(theirs.stdout)?.nosudo, parseRecap(ours.stdout)?.nosudo, theirs.stdout);
});
