/**
 * `async` + `poll: 0` command/shell jobs run detached on the target and async_status reads them
 * there: the same playbook through ansible-playbook and tsplay, each against its own container,
 * must leave the same job files and report the same results (times and job ids aside); a job
 * started by tsplay finishes after tsplay itself has exited.
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
    - shell: echo out; echo 'q"uo\\te' >&2; sleep 1
      async: 60
      poll: 0
      register: job
    - async_status: { jid: "{{ job.ansible_job_id }}" }
      register: done
      until: done.finished
      retries: 30
      delay: 1
    - command: cat "{{ job.results_file }}"
      register: file
    - command: sh -c 'exit 3'
      async: 60
      poll: 0
      register: bad
    - async_status: { jid: "{{ bad.ansible_job_id }}" }
      register: bad_done
      until: bad_done.finished
      retries: 30
      delay: 1
      ignore_errors: true
    - async_status: { jid: "{{ job.ansible_job_id }}", mode: cleanup }
      register: cleaned
    - async_status: { jid: nonexistent.1 }
      register: missing
      ignore_errors: true
    - name: a job that outlives the run
      shell: sleep 3; touch /tmp/finished-later
      async: 60
      poll: 0
    - copy:
        dest: "{{ out }}"
        content: "{{ {'job': job, 'done': done, 'file': file.stdout | from_json, 'bad': bad_done, 'cleaned': cleaned, 'missing': missing} | to_json }}"
      delegate_to: localhost
`;

const VOLATILE = new Set(['ansible_job_id', 'start', 'end', 'delta', 'results_file', 'erased', 'attempts']);

/** the results with job ids and times replaced by their shape */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (VOLATILE.has(k)) out[k] = typeof v === 'string' ? v.replace(/j\d+\.\d+/, 'JID').replace(/\d/g, '9') : typeof v;
      else out[k] = normalized(v);
    }
    return out;
  }
  return value;
}

async function jobFiles(container: string): Promise<string> {
  const res = await runCommand('docker', ['exec', container, 'sh', '-c', 'ls /root/.ansible_async | wc -l; test -e /tmp/finished-later && echo later']);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

async function container(t: TestContext): Promise<string> {
  return (await startContainerHost(await baseImage('bookworm'), t)).name;
}

const haveDocker = await dockerAvailable();
const haveAnsible = ansibleAvailable();

test('async poll 0 jobs run detached on the target and async_status reads them there, as in Ansible', { timeout: 600_000 }, async (t) => {
  if (!requireService(t, 'dockerd and ansible', haveDocker && haveAnsible, 'run bash test/run.sh, which starts dockerd')) return;
  const [forAnsible, forTsplay] = await Promise.all([container(t), container(t)]);
  const dir = await tempDir('tsplay-async-target-', t);
  await writeFile(join(dir, 'play.yml'), PLAY);
  const run = async (host: string, tool: 'ansible' | 'tsplay') => {
    const inv = join(dir, `${tool}.ini`);
    const out = join(dir, `${tool}.json`);
    await writeFile(inv, `${host} ansible_connection=community.docker.docker_api ansible_python_interpreter=/usr/bin/python3 out=${out}\n`);
    const res = tool === 'ansible'
      ? await runAnsiblePlaybook(['-i', inv, join(dir, 'play.yml')], { cwd: dir, timeoutMs: 300_000 })
      : await runTsplay(['run', '-i', inv, join(dir, 'play.yml')], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(res.code, 0, `${tool}: ${res.stdout}${res.stderr}`);
    return JSON.parse(await readFile(out, 'utf8')) as Record<string, Record<string, unknown>>;
  };
  const theirs = await run(forAnsible, 'ansible');
  const ours = await run(forTsplay, 'tsplay');
  // the job file as the command module left it, minus the module's own invocation details
  for (const r of [theirs, ours]) delete r.file.invocation;
  assert.deepEqual(normalized(ours), normalized(theirs));
  assert.match(String(ours.job.results_file), /^\/root\/\.ansible_async\/j\d+\.\d+$/);
  // the last job was still running when each tool exited; it finishes there on its own
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(await jobFiles(forTsplay), await jobFiles(forAnsible));
  assert.match(await jobFiles(forTsplay), /later/);
});
