/**
 * The target is the only place modules act: on a host whose user, home, working directory and
 * environment differ from the controller's, `~` and `$VAR` in path options and in command argv,
 * relative `creates`, the umask of new files and stat's checksum are those of the target. The same
 * playbook runs through ansible-playbook and tsplay, each against its own fresh container, and
 * the files left behind and the reported values must be equal.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
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

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: a path option with ~ and $VAR
      file: { path: "~/from-tilde", state: touch }
    - file: { path: "$TARGET_ONLY_DIR/from-var", state: touch }
    - name: argv words with ~ and $VAR
      command: { argv: [touch, "~/from-argv", "$TARGET_ONLY_DIR/from-argv-var"] }
    - name: a relative creates is taken from the target's working directory
      command: touch made-here
      args: { creates: made-here }
      register: first
    - command: touch made-here
      args: { creates: made-here }
      register: second
    - name: new files get the target's umask, and stat hashes them there
      copy: { content: "hello\\n", dest: "~/copied" }
    - stat: { path: "~/copied" }
      register: st
    - copy:
        dest: "{{ out }}"
        content: "{{ {'first': first.changed, 'second': second.changed, 'second_msg': second.msg, 'mode': st.stat.mode, 'checksum': st.stat.checksum, 'path': st.stat.path} | to_json }}"
      delegate_to: localhost
`;

async function prepare(t: TestContext): Promise<string> {
  const host = await startContainerHost(await baseImage('bookworm'), t, {
    runArgs: ['-e', 'TARGET_ONLY_DIR=/srv/target-only', '-w', '/srv/work'],
  });
  const setup = await runCommand('docker', [
    'exec', host.id, 'sh', '-c',
    'useradd -m -d /home/tgt -s /bin/sh tgt && mkdir -p /srv/target-only /srv/work && chown tgt /srv/target-only /srv/work',
  ]);
  assert.equal(setup.code, 0, setup.stderr);
  return host.name;
}

async function listing(container: string): Promise<string> {
  const res = await runCommand('docker', ['exec', container, 'sh', '-c', 'cd / && find home/tgt srv -newer /etc/hostname -printf "%p %u %m\\n" | grep -v "/\\.\\|\\.ansible" | sort']);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

const haveDocker = await dockerAvailable();
const haveAnsible = ansibleAvailable();

test('modules expand paths and argv with the target user, home, cwd and environment, as Ansible does', { timeout: 600_000 }, async (t) => {
  if (!requireService(t, 'dockerd and ansible', haveDocker && haveAnsible, 'run bash test/run.sh, which starts dockerd')) return;
  const [forAnsible, forTsplay] = await Promise.all([prepare(t), prepare(t)]);
  const dir = await tempDir('tsplay-target-env-', t);
  await writeFile(join(dir, 'play.yml'), PLAY);
  const run = async (container: string, tool: 'ansible' | 'tsplay') => {
    const inv = join(dir, `${tool}.ini`);
    const out = join(dir, `${tool}.json`);
    await writeFile(inv, `${container} ansible_connection=community.docker.docker_api ansible_user=tgt ansible_python_interpreter=/usr/bin/python3 out=${out}\n`);
    const res = tool === 'ansible'
      ? await runAnsiblePlaybook(['-i', inv, join(dir, 'play.yml')], { cwd: dir, timeoutMs: 300_000 })
      : await runTsplay(['run', '-i', inv, join(dir, 'play.yml')], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(res.code, 0, `${tool}: ${res.stdout}${res.stderr}`);
    return JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
  };
  const theirs = await run(forAnsible, 'ansible');
  const ours = await run(forTsplay, 'tsplay');
  assert.deepEqual(ours, theirs);
  assert.equal(theirs.path, '/home/tgt/copied', 'the oracle expanded ~ on the target');
  assert.equal(await listing(forTsplay), await listing(forAnsible));
  assert.match(await listing(forTsplay), /^srv\/target-only\/from-var tgt /m);
});
