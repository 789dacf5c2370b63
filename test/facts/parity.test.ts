/**
 * Facts, key by key, equal to Ansible's setup on the same host: this machine (local connection)
 * and a container reached over community.docker.docker_api. The target is a parameter (FactTarget):
 * an SSH host is one more entry. Each target is gathered once by `ansible -m setup` and once by
 * tsplay (directly through its Connection, and through a playbook for the `ansible_<fact>` names).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { Connection, ExecOptions, ExecResult } from '../../src/connection/types.js';
import { LocalConnection } from '../../src/connection/local.js';
import { DockerApiConnection } from '../../src/connection/docker.js';
import { gatherFacts } from '../../src/facts/index.js';
import { SshConnection } from '../../src/connection/ssh/connection.js';
import { targetFor } from '../ssh/helpers.js';
import {
  ansibleAvailable,
  ansibleEnv,
  baseImage,
  dockerAvailable,
  requireService,
  runCommand,
  runTsplay,
  startContainerHost,
  startSshHost,
  tempDir,
  type SshHost,
} from '../support/services.js';

type Facts = Record<string, unknown>;

/** a host both tools can reach: how Ansible names it, how tsplay's inventory does, and its Connection */
interface FactTarget {
  label: string;
  /** `ansible` arguments selecting the host and its connection */
  ansibleArgs: string[];
  /** an inventory line for tsplay */
  inventory: string;
  /** inventory host name */
  host: string;
  open(): Promise<Connection>;
}

function localTarget(): FactTarget {
  return {
    label: 'local',
    ansibleArgs: ['localhost', '-i', 'localhost,', '-c', 'local'],
    inventory: 'localhost ansible_connection=local',
    host: 'localhost',
    open: async () => new LocalConnection('localhost'),
  };
}

function dockerTarget(container: string): FactTarget {
  return {
    label: 'docker_api',
    ansibleArgs: ['all', '-i', `${container},`, '-c', 'community.docker.docker_api'],
    inventory: `${container} ansible_connection=community.docker.docker_api`,
    host: container,
    open: async () => new DockerApiConnection({ host: container }),
  };
}

async function sshTarget(host: SshHost, t: TestContext): Promise<FactTarget> {
  const dir = await tempDir('tsplay-facts-ssh-', t);
  const inventory = host.inventoryLine('sshtarget');
  await writeFile(join(dir, 'inventory'), `${inventory}\n`);
  return {
    label: 'ssh',
    ansibleArgs: ['sshtarget', '-i', join(dir, 'inventory')],
    inventory,
    host: 'sshtarget',
    open: async () => new SshConnection(await targetFor(host)),
  };
}

/** the keys the issue names, compared exactly (nested ones by path) */
const EXACT_KEYS = [
  'distribution', 'distribution_release', 'distribution_version', 'distribution_major_version', 'os_family',
  'architecture', 'system', 'kernel', 'hostname', 'nodename', 'fqdn', 'domain',
  'user_id', 'user_uid', 'user_gid', 'user_dir', 'user_shell', 'pkg_mgr', 'service_mgr', 'python.version',
  'default_ipv4.address', 'default_ipv4.interface', 'all_ipv4_addresses', 'machine_id',
  'processor_count', 'processor_cores', 'memtotal_mb', 'selinux', 'apparmor', 'virtualization_type', 'lsb',
  // beyond the list, as Ansible has them here
  'default_ipv4', 'default_ipv6', 'all_ipv6_addresses', 'python_version', 'virtualization_role', 'kernel_version',
  'machine', 'userspace_bits', 'userspace_architecture', 'distribution_file_variety', 'fips', 'processor_vcpus',
  'processor_threads_per_core', 'effective_user_id', 'real_user_id',
];
/** date_time fields that do not move within a minute (the minute itself is compared with slack) */
const STABLE_DATE_FIELDS = ['date', 'year', 'month', 'day', 'weekday', 'weekday_number', 'weeknumber', 'tz', 'tz_dst', 'tz_offset'];
/**
 * variables only Ansible's module process has (its own interpreter and locale settings), and the
 * working directory, which is where each tool was started
 */
const ANSIBLE_ONLY_ENV = /^(ANSIBLE_|PYTHON|LC_|_$|OLDPWD$|SHLVL$|PWD$)/;

function at(facts: Facts, path: string): unknown {
  let value: unknown = facts;
  for (const part of path.split('.')) value = value === undefined || value === null ? undefined : (value as Facts)[part];
  return value;
}

async function ansibleSetup(target: FactTarget, t: TestContext): Promise<Facts> {
  const base = await tempDir('tsplay-facts-ansible-', t);
  const res = await runCommand('ansible', [...target.ansibleArgs, '-m', 'setup'], {
    env: { ...ansibleEnv(base), ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_LOAD_CALLBACK_PLUGINS: '1', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' },
    timeoutMs: 180_000,
  });
  assert.equal(res.code, 0, `ansible -m setup on ${target.label}: ${res.stderr}${res.stdout.slice(0, 2000)}`);
  const parsed = JSON.parse(res.stdout) as { plays: Array<{ tasks: Array<{ hosts: Record<string, { ansible_facts: Facts }> }> }> };
  const facts = parsed.plays[0].tasks[0].hosts[target.host].ansible_facts;
  const out: Facts = {};
  for (const [k, v] of Object.entries(facts)) out[k.replace(/^ansible_/, '')] = v;
  return out;
}

function compareFacts(label: string, ours: Facts, theirs: Facts): void {
  for (const key of EXACT_KEYS) {
    assert.deepEqual(at(ours, key), at(theirs, key), `${label}: fact ${key}`);
  }
  // Ansible returns interfaces from a set: the order changes from run to run
  assert.deepEqual([...((ours.interfaces as string[] | undefined) ?? [])].sort(), [...((theirs.interfaces as string[] | undefined) ?? [])].sort(), `${label}: interfaces`);
  for (const name of (theirs.interfaces as string[] | undefined) ?? []) assert.deepEqual(ours[name], theirs[name], `${label}: interface ${name}`);
  const d1 = ours.date_time as Record<string, string>;
  const d2 = theirs.date_time as Record<string, string>;
  assert.deepEqual(Object.keys(d1).sort(), Object.keys(d2).sort(), `${label}: date_time keys`);
  for (const key of STABLE_DATE_FIELDS) assert.equal(d1[key], d2[key], `${label}: date_time.${key}`);
  const minutes = (d: Record<string, string>) => Number(d.hour) * 60 + Number(d.minute);
  assert.ok(Math.abs(minutes(d1) - minutes(d2)) <= 2, `${label}: date_time hour:minute ${d1.time} vs ${d2.time}`);
  const e1 = ours.env as Record<string, string>;
  const e2 = theirs.env as Record<string, string>;
  // over SSH Ansible's session adds its own: a pty (SSH_TTY, TERM) and its module language (LANG)
  const sessionOnly = label === 'ssh' ? /^(SSH_TTY|TERM|LANG)$/ : /^$/;
  const shared = (env: Record<string, string>) => Object.keys(env).filter((k) => !ANSIBLE_ONLY_ENV.test(k) && !sessionOnly.test(k)).sort();
  assert.deepEqual(shared(e1), shared(e2), `${label}: env names`);
  // an SSH session's own client port is in SSH_CLIENT / SSH_CONNECTION: each session has its own
  for (const k of shared(e2)) if (!/^SSH_(CLIENT|CONNECTION)$/.test(k)) assert.equal(e1[k], e2[k], `${label}: env.${k}`);
}

async function checkTarget(target: FactTarget, t: TestContext): Promise<void> {
  const theirs = await ansibleSetup(target, t);

  // tsplay's gathering through the connection: one command on the target
  const conn = await target.open();
  let execs = 0;
  const counting: Connection = Object.create(conn, {
    exec: {
      value: (cmd: string[] | string, opts?: ExecOptions): Promise<ExecResult> => {
        execs++;
        return conn.exec(cmd, opts);
      },
    },
  }) as Connection;
  let ours: Facts;
  try {
    await conn.connect();
    ours = await gatherFacts(counting);
  } finally {
    await conn.close();
  }
  assert.equal(execs, 1, `${target.label}: facts cost one command on the target`);
  compareFacts(target.label, ours, theirs);

  // the ansible_<fact> top-level names of a play, as a role reads them
  const dir = await tempDir('tsplay-facts-play-', t);
  const names = ['distribution', 'distribution_major_version', 'os_family', 'hostname', 'user_id', 'pkg_mgr', 'architecture', 'memtotal_mb', 'processor_cores', 'virtualization_type'];
  const out = join(dir, 'facts.json');
  const mapping = names.map((n) => `'${n}': ansible_${n}`).join(', ');
  await writeFile(join(dir, 'inventory'), `${target.inventory}\n`);
  await writeFile(
    join(dir, 'play.yml'),
    `- hosts: all\n  gather_facts: true\n  tasks:\n    - copy:\n        content: "{{ {${mapping}} | to_json }}"\n        dest: ${out}\n      delegate_to: localhost\n`,
  );
  const run = await runTsplay(['run', '-i', join(dir, 'inventory'), join(dir, 'play.yml')], { cwd: dir, timeoutMs: 180_000 });
  assert.equal(run.code, 0, `tsplay play on ${target.label}: ${run.stdout}${run.stderr}`);
  const { readFile } = await import('node:fs/promises');
  const top = JSON.parse(await readFile(out, 'utf8')) as Facts;
  for (const n of names) assert.deepEqual(top[n], theirs[n], `${target.label}: ansible_${n}`);
}

const haveDocker = await dockerAvailable();
const haveAnsible = ansibleAvailable();

test('facts on this machine (local connection) equal ansible -m setup, key by key', { timeout: 600_000 }, async (t) => {
  if (!requireService(t, 'ansible', haveAnsible, 'install ansible-core (bash test/run.sh does)')) return;
  await checkTarget(localTarget(), t);
});

test('facts in a container (community.docker.docker_api) equal ansible -m setup, key by key', { timeout: 600_000 }, async (t) => {
  if (!requireService(t, 'dockerd and ansible', haveDocker && haveAnsible, 'run bash test/run.sh, which starts dockerd')) return;
  const host = await startContainerHost(await baseImage('bookworm'), t);
  await checkTarget(dockerTarget(host.name), t);
});

test('facts over SSH equal ansible -m setup over SSH, key by key', { timeout: 600_000 }, async (t) => {
  if (!requireService(t, 'dockerd and ansible', haveDocker && haveAnsible, 'run bash test/run.sh, which starts dockerd')) return;
  const host = await startSshHost(await baseImage('bookworm'), t);
  await checkTarget(await sshTarget(host, t), t);
});

test('gather_subset and filter choose facts as setup does', { timeout: 120_000 }, async () => {
  const conn = new LocalConnection('localhost');
  const min = await gatherFacts(conn, { gatherSubset: ['!all'] });
  assert.ok('distribution' in min && 'user_id' in min && 'date_time' in min, 'min facts stay with !all');
  assert.ok(!('memtotal_mb' in min) && !('interfaces' in min) && !('virtualization_type' in min), 'no hardware, network or virtual facts with !all');
  // as ansible -m setup -a 'gather_subset=...' answers: an exclusion alone leaves only min
  const noHardware = await gatherFacts(conn, { gatherSubset: ['!hardware'] });
  assert.ok(!('processor_cores' in noHardware) && !('virtualization_type' in noHardware) && 'distribution' in noHardware);
  const allButHardware = await gatherFacts(conn, { gatherSubset: ['all', '!hardware'] });
  assert.ok(!('processor_cores' in allButHardware) && !('memtotal_mb' in allButHardware));
  assert.ok('virtualization_type' in allButHardware && 'interfaces' in allButHardware);
  // ansible -m setup -a 'filter=ansible_distribution*,os_family' lists exactly these
  const filtered = await gatherFacts(conn, { filter: ['ansible_distribution*', 'os_family'] });
  assert.deepEqual(
    Object.keys(filtered).filter((k) => k !== 'gather_subset' && k !== 'module_setup').sort(),
    ['distribution', 'distribution_file_parsed', 'distribution_file_path', 'distribution_file_variety', 'distribution_major_version', 'distribution_minor_version', 'distribution_release', 'distribution_version', 'os_family'],
  );
  await assert.rejects(gatherFacts(conn, { gatherSubset: ['bogus'] }), /Bad subset 'bogus' given to Ansible/);
});
