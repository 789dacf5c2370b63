/**
 * End to end through the CLI: one playbook that runs a container to completion, starts a host
 * container, provisions it through the docker_api connection (facts, copy, command, stat) and
 * removes it — run by tsplay and by ansible-playbook, comparing the recap and what the tasks
 * printed, then a second run for idempotency.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ansibleAvailable, requireService, runAnsiblePlaybook, runCommand, runTsplay, tempDir, tsplayCli } from '../support/services.js';
import { needDocker, removeContainers, testImage, uniqueSuffix } from './support.js';

const PLAYBOOK = `
- hosts: localhost
  gather_facts: false
  tasks:
    - name: run a container to completion
      community.docker.docker_container:
        name: "{{ prefix }}-once"
        image: "{{ image }}"
        command: ["sh", "-c", "echo hello from {{ 'docker' | upper }}"]
        network_mode: none
        detach: false
        cleanup: true
      register: once
    - name: show its output
      debug:
        msg: "output={{ once.container.Output | trim }} status={{ once.status }}"
    - name: start a host container
      docker_container:
        name: "{{ prefix }}-host"
        image: "{{ image }}"
        command: sleep infinity
        network_mode: host
        stop_timeout: 1

- hosts: containers
  gather_facts: true
  tasks:
    - name: facts came through exec
      debug:
        msg: "{{ ansible_distribution }} {{ ansible_distribution_release }}"
    - name: a file through the archive API
      copy:
        content: "written on {{ inventory_hostname | length }}\\n"
        dest: /tmp/written.txt
        mode: "0640"
    - name: read it back
      command: cat /tmp/written.txt
      register: back
      changed_when: false
    - name: stat it
      stat:
        path: /tmp/written.txt
      register: st
    - name: show
      debug:
        msg: "{{ back.stdout }} mode={{ st.stat.mode }}"

- hosts: localhost
  gather_facts: false
  tasks:
    - name: remove the host container
      docker_container:
        name: "{{ prefix }}-host"
        state: absent
`;

function recap(stdout: string): string[] {
  const at = stdout.indexOf('PLAY RECAP');
  assert.ok(at >= 0, `no PLAY RECAP in:\n${stdout}`);
  return stdout
    .slice(at)
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(/\s+/g, ' ').replace(/-(?:a|t)-[0-9a-z]+-host/, '-host').trim());
}

function messages(stdout: string): string[] {
  return [...stdout.matchAll(/"msg": "(.*)"/g)].map((m) => m[1]);
}

test('a playbook with docker_container and the docker_api connection: tsplay and ansible-playbook agree', { timeout: 10 * 60_000 }, async (t) => {
  if (!(await needDocker(t))) return;
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible python3-docker')) return;
  if (!requireService(t, 'tsplay CLI', existsSync(tsplayCli()), 'npx tsc -p tsconfig.json')) return;
  const image = await testImage();
  const work = await tempDir('tsplay-docker-play-', t);
  await writeFile(join(work, 'play.yml'), PLAYBOOK);
  const suffix = uniqueSuffix();
  const prefixes = { ansible: `tsp-a-${suffix}`, tsplay: `tsp-t-${suffix}` };
  for (const prefix of Object.values(prefixes)) {
    await writeFile(
      join(work, `${prefix}.ini`),
      `localhost ansible_connection=local\n[containers]\n${prefix}-host ansible_connection=community.docker.docker_api\n`,
    );
  }
  t.after(() => removeContainers(Object.values(prefixes).flatMap((p) => [`${p}-once`, `${p}-host`])));

  const runBoth = async (): Promise<{ ansible: string; tsplay: string }> => {
    // the host container is in the inventory from the start; it exists by the time its play runs
    const args = (prefix: string): string[] => ['-i', join(work, `${prefix}.ini`), '-e', `prefix=${prefix}`, '-e', `image=${image}`, join(work, 'play.yml')];
    const a = await runAnsiblePlaybook(args(prefixes.ansible), { cwd: work, timeoutMs: 5 * 60_000 });
    assert.equal(a.code, 0, `ansible-playbook:\n${a.stdout}\n${a.stderr}`);
    const ts = await runTsplay(['run', ...args(prefixes.tsplay)], { cwd: work, timeoutMs: 5 * 60_000 });
    assert.equal(ts.code, 0, `tsplay:\n${ts.stdout}\n${ts.stderr}`);
    return { ansible: a.stdout, tsplay: ts.stdout };
  };

  const first = await runBoth();
  assert.deepEqual(recap(first.tsplay), recap(first.ansible));
  assert.deepEqual(messages(first.tsplay), messages(first.ansible));
  assert.ok(messages(first.tsplay).includes('output=hello from DOCKER status=0'), first.tsplay);
  assert.ok(messages(first.tsplay).includes('Debian bookworm'), first.tsplay);

  // the host container is removed at the end, so a second run does the same work again
  const second = await runBoth();
  assert.deepEqual(recap(second.tsplay), recap(second.ansible));
  const leftovers = await runCommand('docker', ['ps', '-a', '--filter', `name=${suffix}`, '--format', '{{.Names}}']);
  assert.equal(leftovers.stdout.trim(), '', 'nothing left behind');
});
