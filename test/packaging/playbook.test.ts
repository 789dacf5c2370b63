/**
 * The packaging modules inside a playbook, run by ansible-playbook and by tsplay on twin fresh
 * Debian containers (docker_api connection): same recap, same registered values, and the hosts end
 * with the same packages and APT sources. Covers facts feeding `package`, `register`, check mode
 * and diff mode on a task, and an ignored failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAnsiblePlaybook, runTsplay, tsplayCli } from '../support/services.js';
import { type ContainerHost, requireService, servicesAvailable, startHost } from './hosts.js';

const PLAY = `- hosts: all
  tasks:
    - name: Debian updates repository
      become: yes
      ansible.builtin.apt_repository:
        repo: deb http://deb.debian.org/debian bookworm-updates main
        filename: updates
    - name: hello through apt
      ansible.builtin.apt:
        name: hello
        cache_valid_time: 3600
      register: hello_result
    - name: show what apt said
      ansible.builtin.debug:
        msg: "changed={{ hello_result.changed }} cache_updated={{ hello_result.cache_updated }}"
    - name: packages through package, dispatched on the gathered pkg_mgr fact
      ansible.builtin.package:
        name: [hello, sl]
    - name: a service this host does not have
      ansible.builtin.service:
        name: no-such-service
        state: started
      ignore_errors: true
    - name: removal in check mode with diff
      ansible.builtin.apt:
        name: sl
        state: absent
      check_mode: true
      diff: true
      register: removal
    - name: show the prepared diff
      ansible.builtin.debug:
        var: removal.diff.prepared
`;

function recap(out: string, host: string): string {
  const line = new RegExp(`^${host}\\s*:\\s*(ok=.*)$`, 'm').exec(out);
  assert.ok(line, `no recap for ${host} in:\n${out}`);
  return line[1].replace(/\s+/g, ' ').trim();
}

async function endState(host: ContainerHost): Promise<string> {
  const out = await host.conn.exec("dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\\n' | sort; cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list");
  return out.stdout;
}

describe('packaging modules in a playbook: ansible-playbook and tsplay agree', { timeout: 1_200_000 }, () => {
  let dir = '';
  let ready = false;
  const hosts: ContainerHost[] = [];

  before(async () => {
    if (!(await servicesAvailable())) return;
    dir = await mkdtemp(join(tmpdir(), 'tsplay-pkg-play-'));
    await writeFile(join(dir, 'play.yaml'), PLAY);
    ready = true;
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.remove()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('same recap, registered values and end state', async (t) => {
    if (!requireService(t, ready, 'dockerd and ansible with community.docker')) return;
    if (!requireService(t, existsSync(tsplayCli()), `the compiled CLI ${tsplayCli()}`)) return;
    const [a, b] = await Promise.all([startHost('tsplay-pkg-play-a'), startHost('tsplay-pkg-play-b')]);
    hosts.push(a, b);
    const args = (name: string) => ['-i', `${name},`, '-c', 'community.docker.docker_api', 'play.yaml'];
    const [ansible, tsplay] = await Promise.all([
      runAnsiblePlaybook(args(a.name), { cwd: dir, env: { ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' }, timeoutMs: 900_000 }),
      runTsplay(['run', ...args(b.name)], { cwd: dir, timeoutMs: 900_000 }),
    ]);
    assert.equal(ansible.code, 0, ansible.stdout + ansible.stderr);
    assert.equal(tsplay.code, 0, tsplay.stdout + tsplay.stderr);
    assert.equal(recap(tsplay.stdout, b.name), recap(ansible.stdout, a.name));
    assert.match(ansible.stdout, /changed=True cache_updated=False/);
    assert.match(tsplay.stdout, /changed=True cache_updated=False/);
    const prepared = /"removal\.diff\.prepared": "([^"]*)"/;
    const expectedDiff = prepared.exec(ansible.stdout);
    assert.ok(expectedDiff, ansible.stdout);
    assert.equal(prepared.exec(tsplay.stdout)?.[1], expectedDiff[1]);
    const [expectedState, actualState] = await Promise.all([endState(a), endState(b)]);
    assert.equal(actualState, expectedState);
    assert.match(actualState, /^hello \S+ installed$/m);
    assert.match(actualState, /^sl \S+ installed$/m);
  });
});
