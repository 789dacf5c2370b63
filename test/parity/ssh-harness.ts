/**
 * Parity over SSH: a case of ../cases runs through ansible-playbook (ssh connection, pipelining
 * on) and through tsplay, each against a fresh sshd container of its own, and the results are
 * compared with the local suite's functions (exit code, PLAY RECAP per host, the files under out/).
 *
 * How a local case becomes a remote one, the same way for both tools:
 * - the case is copied to a fresh controller temp dir (as in the local suite) and that directory
 *   is copied into the container at the SAME absolute path, so `{{ playbook_dir }}/out` names the
 *   same place on the target; controller-side files (copy/template src, vars files) stay where
 *   Ansible reads them, on the controller;
 * - root's home directory on the target is that path, so the cases' relative paths (`out/x`,
 *   `chdir: sub`), which resolve against the remote login directory over SSH, land there too;
 * - `connection: local` lines are dropped and every inventory host (the implicit localhost
 *   included) is mapped to the container by ansible_host/ansible_port/ansible_user/key with
 *   ansible_connection=ssh; host key checking is off for both tools (throwaway hosts);
 * - afterwards the target's out/ dir is copied back with `docker cp` and snapshotted.
 * Several inventory hosts of one case share one container (their recorded paths differ by
 * inventory_hostname), as several names for one machine do in a real inventory.
 *
 * Ansible's side is cached (exit code, stdout, out/ snapshot) under
 * $TSPLAY_TEST_CACHE/ssh-parity/, keyed by a hash of the case's files, the Ansible version and
 * HARNESS_VERSION, so a repeated run only runs tsplay.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { cachedAnsibleRun, walkFiles } from './ansible-cache.js';
import {
  runCommand, startSshHost, type SshHost, type SshHostOptions, type SshUserSpec,
} from '../support/services.js';
import {
  freshCopy, removeCopy, runProcess, snapshot, toolArgv, toolEnv,
  type CaseSpec, type Entry, type RunResult, type Tool, type ToolRun,
} from './harness.js';

/** Bump when anything here changes what Ansible's side would produce (invalidates the cache). */
export const HARNESS_VERSION = 'ssh-parity-1';

/**
 * Cases that cannot mean the same thing over SSH, with the reason. Everything else in ../cases
 * runs over SSH.
 */
export const SSH_EXCLUDED: Record<string, string> = {
  '56-inventory-yaml': 'delegate_to: localhost writes its file on the controller, not the target',
  '58-run-once-delegate': 'delegate_to: localhost writes its file on the controller, not the target',
};

/**
 * The representative part run by `npm test` (the rest runs with SSH_PARITY_ALL=1 or
 * scripts/ssh-parity.sh): loops, blocks/rescue, handlers, file modules, command/shell, become,
 * check/diff mode, facts, includes/roles, until, tags, precedence, multi-host inventories.
 */
export const SSH_REPRESENTATIVE = [
  '03-vars-files',
  '05-handlers-notify-listen',
  '07-become-noop',
  '08-environment',
  '09-tags-deploy',
  '19-loops',
  '21-changed-failed-when',
  '22-until-retries',
  '23-block-rescue-always',
  '25-include-tasks',
  '27-include-import-role',
  '29-role-deps',
  '33-prec-inventory-play',
  '41-check-mode',
  '46-idempotent-second-run',
  '47-command-shell',
  '48-file-module',
  '49-copy-template',
  '50-stat-find',
  '51-lineinfile',
  '55-inventory-ini',
  '59-multi-host-failure',
  '60-no-log-diff',
  '69-check-diff-template-idempotent',
  's01-become-user',
];

/** The inventory variables that reach `host` as root with the test key. */
export function sshVars(host: SshHost): Record<string, string> {
  return {
    ansible_connection: 'ssh',
    ansible_host: host.host,
    ansible_port: String(host.port),
    ansible_user: 'root',
    ansible_ssh_private_key_file: host.key.privateKeyPath,
  };
}

const iniVars = (host: SshHost): string =>
  Object.entries(sshVars(host))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

const SSH_INVENTORY = 'ssh-inventory';


/**
 * Rewrite a fresh copy of a case for SSH; returns the arguments to pass instead of the case's.
 * The rewrite is textual and small on purpose: the case stays readable as the local one.
 */
export async function rewriteForSsh(work: string, spec: CaseSpec, host: SshHost): Promise<string[]> {
  for (const file of await walkFiles(work)) {
    if (!/\.ya?ml$/.test(file)) continue;
    const text = await readFile(file, 'utf8');
    let next = text.replace(/^[ \t]*connection:[ \t]*local[ \t]*\n/gm, '');
    // a YAML inventory: each `ansible_connection: local` becomes the ssh variables, same indent
    next = next.replace(/^([ \t]*)ansible_connection:[ \t]*local[ \t]*$/gm, (_m, ind: string) =>
      Object.entries(sshVars(host))
        .map(([k, v]) => `${ind}${k}: ${JSON.stringify(v)}`)
        .join('\n'),
    );
    if (next !== text) await writeFile(file, next);
  }
  const args = [...spec.args];
  const at = args.findIndex((a) => a === '-i' || a === '--inventory');
  if (at < 0) {
    await writeFile(join(work, SSH_INVENTORY), `localhost ${iniVars(host)}\n`);
    return ['-i', SSH_INVENTORY, ...args];
  }
  const source = args[at + 1];
  if (source.includes(',')) {
    // a host list (`-i localhost,`): the same hosts, from a file that says how to reach them
    const names = source.split(',').map((s) => s.trim()).filter(Boolean);
    await writeFile(join(work, SSH_INVENTORY), names.map((n) => `${n} ${iniVars(host)}\n`).join(''));
    args[at + 1] = SSH_INVENTORY;
    return args;
  }
  const invFile = join(work, source);
  if (existsSync(invFile) && !invFile.endsWith('.yml') && !invFile.endsWith('.yaml')) {
    const text = await readFile(invFile, 'utf8');
    await writeFile(invFile, text.replace(/\bansible_connection=local\b/g, iniVars(host)));
  }
  return args;
}

/** The target's view: root's home is the case dir, which holds a copy of the controller's. */
async function mirrorIntoHost(host: SshHost, work: string): Promise<void> {
  const must = async (args: string[], what: string): Promise<void> => {
    const r = await runCommand('docker', args);
    if (r.code !== 0) throw new Error(`${what}: docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  };
  await must(['exec', host.id, 'mkdir', '-p', dirname(work)], 'making the case dir on the target');
  await must(['cp', work, `${host.id}:${dirname(work)}/`], 'copying the case to the target');
  // sshd reads authorized_keys from the (new) home; root:0:0:...:/root: → the case dir
  await must(
    ['exec', host.id, 'sh', '-c', 'set -e; cp -a /root/.ssh "$1/.ssh"; sed -i "s#^root:\\([^:]*\\):0:0:\\([^:]*\\):/root:#root:\\1:0:0:\\2:$1:#" /etc/passwd; grep -q "^root:[^:]*:0:0:[^:]*:$1:" /etc/passwd', 'sh', work],
    'making the case dir root\'s home on the target',
  );
}

/** The target's out/ dir, copied back into a fresh local dir and snapshotted. */
async function targetOut(host: SshHost, work: string): Promise<Map<string, Entry>> {
  const back = await mkdtemp(join(tmpdir(), 'ssh-parity-out-'));
  try {
    const r = await runCommand('docker', ['cp', `${host.id}:${join(work, 'out')}`, back]);
    if (r.code !== 0) {
      if (/No such container:path|Could not find the file/i.test(r.stderr)) return new Map();
      throw new Error(`copying out/ back from the target: ${r.stderr}`);
    }
    return await snapshot(join(back, 'out'));
  } finally {
    await rm(back, { recursive: true, force: true });
  }
}

/** The environment for one tool over SSH: the local suite's, plus ssh specifics. */
function sshToolEnv(work: string, cpDir: string): NodeJS.ProcessEnv {
  return {
    ...toolEnv(work),
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    // a short private ControlPath dir: a port reused by a later container must not find an old master
    ANSIBLE_SSH_CONTROL_PATH_DIR: cpDir,
    SSH_AUTH_SOCK: '',
  };
}

/**
 * What the case's host needs: `ssh_users` in case.yaml (the SSH-only cases under ../ssh-cases)
 * are extra users as startSshHost makes them, e.g. `{ name: deploy, sudo: nopasswd }`.
 */
export async function sshHostOptions(spec: CaseSpec): Promise<SshHostOptions> {
  const raw = (parseYaml(await readFile(join(spec.dir, 'case.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
  const users = raw.ssh_users ?? [];
  if (!Array.isArray(users) || !users.every((u) => typeof u === 'object' && u !== null && typeof (u as SshUserSpec).name === 'string')) {
    throw new Error(`${spec.name}/case.yaml: ssh_users must be a list of {name, password?, sudo?}`);
  }
  return { users: users as SshUserSpec[] };
}

/** Run a case `spec.runs` times with one tool against a fresh SSH host of its own. */
export async function runCaseOverSsh(spec: CaseSpec, tool: Tool, image: string): Promise<ToolRun> {
  const host = await startSshHost(image, undefined, await sshHostOptions(spec));
  const work = await freshCopy(spec, tool);
  const cpDir = await mkdtemp(join(tmpdir(), 'spc-'));
  try {
    const args = await rewriteForSsh(work, spec, host);
    await mirrorIntoHost(host, work);
    const runs: RunResult[] = [];
    for (let i = 0; i < spec.runs; i++) {
      runs.push(await runProcess(toolArgv(tool, spec.playbook, args), { cwd: work, env: sshToolEnv(work, cpDir), timeoutMs: 600_000 }));
    }
    return { work, runs, out: await targetOut(host, work) };
  } finally {
    await host.stop();
    await rm(cpDir, { recursive: true, force: true });
  }
}

/**
 * Ansible's result for a case over SSH: from the cache, or run live and stored (only when the
 * run behaved as the case declares, so a broken case or a flaky host is never cached).
 * `work` of a cached result is '' (nothing to remove).
 */
export async function ansibleOverSsh(
  spec: CaseSpec,
  image: string,
  accept: (run: ToolRun) => boolean,
): Promise<{ run: ToolRun; cached: boolean }> {
  return cachedAnsibleRun(spec, { namespace: 'ssh-parity', harnessVersion: HARNESS_VERSION }, () => runCaseOverSsh(spec, 'ansible', image), accept);
}

export async function removeRun(run: ToolRun | undefined): Promise<void> {
  if (run && run.work) await removeCopy(run.work);
}
