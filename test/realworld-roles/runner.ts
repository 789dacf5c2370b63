/**
 * Runs one public role of the corpus through both tools and compares what they did.
 *
 * Each tool gets a fresh container of its own from one image (tsplay-test/bookworm:1 plus the apt
 * package lists and python3-apt, as on any host Ansible has managed once), reached through the
 * Docker API connection (`community.docker.docker_api`) by both: it is the connection both tools
 * implement natively, needs no sshd inside the target (whose process would then be part of the
 * compared end state) and no keys. The role is applied twice by each tool; then the task statuses
 * of both runs, the recaps and the end state (dpkg selections; every path under /etc with its
 * type, mode, owner and content hash; running processes) are compared.
 *
 * Ansible's side is cached by a hash of the role's files, the playbook, the image and the Ansible
 * version (as test/parity/ansible-cache.ts does), so a repeated run pays only for tsplay.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  ansibleEnv,
  baseImage,
  cacheRoot,
  repoRoot,
  runCommand,
  runTsplay,
  startContainerHost,
  type CommandResult,
} from '../support/services.js';
import { walkFiles } from '../parity/ansible-cache.js';
import type { CorpusRole } from './corpus.js';

/** bump when what is recorded or how it is run changes, so cached Ansible runs are redone */
const HARNESS_VERSION = 'realworld-1';
const IMAGE_TAG = 'tsplay-test/realworld-bookworm:2';

export type Tool = 'ansible' | 'tsplay';

export interface PlayRun {
  rc: number;
  seconds: number;
  /** "task name => status", in the order they ran */
  tasks: string[];
  /** the recap of the one host */
  recap: Record<string, number>;
  /** the end of the tool's output, to explain a failure */
  tail: string;
}

export interface EndState {
  packages: string[];
  /** path -> "type mode owner:group [hash|target]" for everything under /etc */
  etc: Record<string, string>;
  /** content of the files under /etc changed during the runs (text, at most 64 kB each) */
  changed: Record<string, string>;
  /** "user command" of every process but the container's own sleep */
  processes: string[];
}

export interface ToolRun {
  runs: PlayRun[];
  state: EndState;
}

export interface RoleOutcome {
  role: CorpusRole;
  ansible: ToolRun;
  tsplay: ToolRun;
  ansibleCached: boolean;
  differences: string[];
}

export function rolesDir(): string {
  return join(repoRoot(), 'test', 'realworld-roles', 'roles');
}

// ---------------------------------------------------------------------------------------------
// The image

let imageReady: Promise<{ tag: string; id: string }> | undefined;

/** The base image with apt's lists, python3-apt and dpkg's unsafe-io, built once (docker commit) and reused. */
export function realworldImage(): Promise<{ tag: string; id: string }> {
  imageReady ??= (async () => {
    const inspect = async (): Promise<CommandResult> => runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', IMAGE_TAG]);
    let found = await inspect();
    if (found.code !== 0) {
      const host = await startContainerHost(await baseImage('bookworm'), undefined, { namePrefix: 'tsplay-realworld-image' });
      try {
        const res = await runCommand(
          'docker',
          ['exec', host.id, 'sh', '-c', [
            // dpkg without fsync: on the shared 2-core machines it made installs take minutes;
            // the same file is in both tools' containers, so it changes nothing compared
            'echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/realworld-unsafe-io',
            'apt-get update -qq',
            'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-apt >/dev/null',
            'apt-get clean',
          ].join(' && ')],
          { timeoutMs: 10 * 60_000 },
        );
        if (res.code !== 0) throw new Error(`preparing ${IMAGE_TAG} failed:\n${res.stdout}${res.stderr}`);
        // the container runs `sleep infinity`; the image must start a shell like its base
        const commit = await runCommand('docker', ['commit', '--change', 'CMD ["/bin/bash"]', host.id, IMAGE_TAG]);
        if (commit.code !== 0) throw new Error(`docker commit failed: ${commit.stderr}`);
      } finally {
        await host.stop();
      }
      found = await inspect();
    }
    return { tag: IMAGE_TAG, id: found.stdout.trim() };
  })();
  imageReady.catch(() => (imageReady = undefined));
  return imageReady;
}

// ---------------------------------------------------------------------------------------------
// The playbook

export function playbookText(role: CorpusRole): string {
  const play = [{ hosts: 'all', become: true, ...(role.vars ? { vars: role.vars } : {}), roles: [{ role: role.name }] }];
  return JSON.stringify(play, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// One container, one tool, two runs

/**
 * Prints the end state as JSON. Runs inside the container (python3 is there for Ansible anyway);
 * files whose ctime is after the marker written before the first run are "changed".
 */
const CAPTURE = String.raw`
import grp, hashlib, json, os, pwd, stat, subprocess
def name(fn, i):
    try:
        return fn(i)[0]
    except KeyError:
        return str(i)
marker = os.stat('/run/realworld-start').st_ctime
out = {'packages': sorted(subprocess.run(['dpkg-query', '-W', '-f=@{db:Status-Abbrev}@{Package} @{Version}\n'.replace('@', chr(36))], capture_output=True, text=True).stdout.splitlines()), 'etc': {}, 'changed': {}, 'processes': []}
for root, dirs, files in os.walk('/etc'):
    for n in dirs + files:
        p = os.path.join(root, n)
        st = os.lstat(p)
        who = '%s:%s %s' % (name(pwd.getpwuid, st.st_uid), name(grp.getgrgid, st.st_gid), oct(stat.S_IMODE(st.st_mode)))
        if stat.S_ISLNK(st.st_mode):
            out['etc'][p] = 'link %s -> %s' % (who, os.readlink(p))
        elif stat.S_ISDIR(st.st_mode):
            out['etc'][p] = 'dir %s' % who
        elif stat.S_ISREG(st.st_mode):
            data = open(p, 'rb').read()
            out['etc'][p] = 'file %s %s' % (who, hashlib.sha256(data).hexdigest()[:16])
            if st.st_ctime >= marker and len(data) <= 65536:
                out['changed'][p] = data.decode('utf-8', 'replace')
        else:
            out['etc'][p] = 'other %s' % who
me = {os.getpid(), os.getppid()}
for pid in os.listdir('/proc'):
    if not pid.isdigit() or int(pid) in me or pid == '1':
        continue
    try:
        comm = open('/proc/%s/comm' % pid).read().strip()
        uid = os.stat('/proc/%s' % pid).st_uid
        cmd = open('/proc/%s/cmdline' % pid, 'rb').read().decode('utf-8', 'replace')
    except OSError:
        continue
    # a module of the tool itself still finishing (its connection's exec) is not the role's
    if 'AnsiballZ' in cmd or 'ansible-tmp' in cmd:
        continue
    out['processes'].append('%s %s' % (name(pwd.getpwuid, uid), comm))
out['processes'].sort()
print(json.dumps(out))
`;

interface JsonReport {
  plays?: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }>;
  stats?: Record<string, Record<string, number>>;
}

function statusOf(r: Record<string, unknown>): string {
  if (r.unreachable) return 'unreachable';
  if (r.failed) return 'failed';
  if (r.skipped) return 'skipped';
  return r.changed ? 'changed' : 'ok';
}

function summarise(report: JsonReport, host: string): { tasks: string[]; recap: Record<string, number> } {
  const tasks: string[] = [];
  for (const play of report.plays ?? []) {
    for (const t of play.tasks) {
      const r = t.hosts[host];
      if (r) tasks.push(`${t.task.name} => ${statusOf(r)}`);
    }
  }
  const s = report.stats?.[host] ?? {};
  const recap: Record<string, number> = {};
  for (const k of ['ok', 'changed', 'unreachable', 'failures', 'skipped', 'rescued', 'ignored']) recap[k] = s[k] ?? 0;
  // tsplay's --json names the failures `failed` where ansible.posix's json callback says `failures`
  if (s.failures === undefined && s.failed !== undefined) recap.failures = s.failed;
  return { tasks, recap };
}

function tailOf(text: string, n = 3000): string {
  return text.length > n ? `...${text.slice(-n)}` : text;
}

async function dockerExec(id: string, args: string[], input?: string): Promise<CommandResult> {
  return runCommand('docker', ['exec', ...(input !== undefined ? ['-i'] : []), id, ...args], { input, timeoutMs: 120_000 });
}

/** an apt archive directory per tool and slot, kept between runs so packages are downloaded once */
async function aptArchive(tool: Tool, slot: number): Promise<string> {
  const dir = join(cacheRoot(), 'realworld', `apt-${tool}-${slot}`);
  await mkdir(join(dir, 'partial'), { recursive: true });
  return dir;
}

async function runOnce(tool: Tool, container: string, playbook: string, work: string, n: number): Promise<PlayRun> {
  const env = { ANSIBLE_ROLES_PATH: rolesDir() };
  const start = performance.now();
  let res: CommandResult;
  let report: JsonReport;
  if (tool === 'ansible') {
    const temp = join(work, `ansible-tmp-${n}`);
    res = await runCommand('ansible-playbook', ['-i', `${container},`, '-c', 'community.docker.docker_api', playbook], {
      env: { ...ansibleEnv(temp), ...env, ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json', ANSIBLE_LOAD_CALLBACK_PLUGINS: '1' },
      timeoutMs: 30 * 60_000,
    });
    const at = res.stdout.search(/^\{/m);
    report = at >= 0 ? (JSON.parse(res.stdout.slice(at)) as JsonReport) : {};
  } else {
    const json = join(work, `tsplay-${n}.json`);
    res = await runTsplay(['run', playbook, '-i', `${container},`, '-c', 'community.docker.docker_api', '--json', json], { env, timeoutMs: 30 * 60_000 });
    report = existsSync(json) ? (JSON.parse(await readFile(json, 'utf8')) as JsonReport) : {};
  }
  const seconds = Math.round((performance.now() - start) / 100) / 10;
  return { rc: res.code, seconds, ...summarise(report, container), tail: tailOf(res.stdout + res.stderr) };
}

/** a fresh container, the role twice, the end state */
export async function runTool(tool: Tool, role: CorpusRole, slot: number): Promise<ToolRun> {
  const image = await realworldImage();
  const work = await mkdtemp(join(tmpdir(), `tsplay-realworld-${tool}-`));
  const host = await startContainerHost(image.tag, undefined, {
    namePrefix: `tsplay-rw-${tool}`,
    runArgs: ['-v', `${await aptArchive(tool, slot)}:/var/cache/apt/archives`],
  });
  try {
    // the lists in the image count as fresh (cache_valid_time), the same for both tools whenever
    // each of them ran; the marker dates "changed" files
    const prep = await dockerExec(host.id, ['sh', '-c', 'mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp && touch /run/realworld-start']);
    if (prep.code !== 0) throw new Error(`preparing ${host.name}: ${prep.stderr}`);
    const playbook = join(work, 'play.json');
    await writeFile(playbook, playbookText(role));
    const runs = [await runOnce(tool, host.name, playbook, work, 1), await runOnce(tool, host.name, playbook, work, 2)];
    const cap = await dockerExec(host.id, ['python3', '-'], CAPTURE);
    if (cap.code !== 0) throw new Error(`capturing the end state of ${host.name}: ${cap.stderr}`);
    return { runs, state: JSON.parse(cap.stdout) as EndState };
  } finally {
    await host.stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Ansible's side, cached

let ansibleVersion: Promise<string> | undefined;

async function cacheKey(role: CorpusRole): Promise<string> {
  ansibleVersion ??= runCommand('ansible-playbook', ['--version']).then((r) => r.stdout.split('\n')[0]);
  const hash = createHash('sha256');
  hash.update(HARNESS_VERSION).update('\0').update(await ansibleVersion).update('\0').update((await realworldImage()).id).update('\0');
  hash.update(playbookText(role)).update('\0').update(CAPTURE).update('\0');
  const dir = join(rolesDir(), role.name);
  for (const f of await walkFiles(dir)) hash.update(relative(dir, f)).update('\0').update(await readFile(f)).update('\0');
  return hash.digest('hex').slice(0, 24);
}

/** Ansible's runs of the role: from the cache, or live (stored when both runs succeeded) */
export async function ansibleRun(role: CorpusRole, slot: number): Promise<{ run: ToolRun; cached: boolean }> {
  const file = join(cacheRoot(), 'realworld', `${role.name}-${await cacheKey(role)}.json`);
  if (process.env.REALWORLD_LIVE !== '1' && existsSync(file)) {
    try {
      return { run: JSON.parse(await readFile(file, 'utf8')) as ToolRun, cached: true };
    } catch {
      // unreadable: run again
    }
  }
  const run = await runTool('ansible', role, slot);
  if (run.runs.every((r) => r.rc === 0)) {
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, JSON.stringify(run));
    await rename(partial, file);
  }
  return { run, cached: false };
}

// ---------------------------------------------------------------------------------------------
// Comparison

/**
 * Paths whose content is made at random or from the clock by the packages' own scripts (keys,
 * certificates), so it differs between any two hosts; their type, mode and owner still count.
 */
const RANDOM_CONTENT = [/^\/etc\/ssh\/ssh_host_/, /^\/etc\/ssl\/(certs|private)\/ssl-cert-snakeoil/, /^\/etc\/ssl\/certs\/java\/cacerts$/, /^\/etc\/machine-id$/];

function withoutHash(desc: string): string {
  return desc.startsWith('file ') ? desc.replace(/ [0-9a-f]{16}$/, '') : desc;
}

function listDiff(what: string, a: string[], b: string[]): string[] {
  const count = (xs: string[]): Map<string, number> => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  const out: string[] = [];
  for (const [k, n] of ca) if ((cb.get(k) ?? 0) < n) out.push(`${what}: only under ansible: ${k}`);
  for (const [k, n] of cb) if ((ca.get(k) ?? 0) < n) out.push(`${what}: only under tsplay: ${k}`);
  return out;
}

function firstLineDiff(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: ansible ${JSON.stringify(la[i] ?? '<end>')} / tsplay ${JSON.stringify(lb[i] ?? '<end>')}`;
  }
  return 'same text';
}

export function compare(a: ToolRun, b: ToolRun): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.runs.length, b.runs.length); i++) {
    const ra = a.runs[i];
    const rb = b.runs[i];
    const tag = `run ${i + 1}`;
    if (ra.rc !== rb.rc) out.push(`${tag}: exit code ansible ${ra.rc}, tsplay ${rb.rc}`);
    const n = Math.max(ra.tasks.length, rb.tasks.length);
    for (let j = 0; j < n; j++) {
      if (ra.tasks[j] !== rb.tasks[j]) {
        out.push(`${tag}: task ${j + 1}: ansible ${JSON.stringify(ra.tasks[j] ?? '<none>')}, tsplay ${JSON.stringify(rb.tasks[j] ?? '<none>')}`);
        break; // the rest would be shifted; the first difference explains it
      }
    }
    const recap = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' ');
    if (recap(ra.recap) !== recap(rb.recap)) out.push(`${tag}: recap ansible ${recap(ra.recap)} / tsplay ${recap(rb.recap)}`);
  }
  out.push(...listDiff('package', a.state.packages, b.state.packages));
  const paths = new Set([...Object.keys(a.state.etc), ...Object.keys(b.state.etc)]);
  for (const p of [...paths].sort()) {
    let da = a.state.etc[p];
    let db = b.state.etc[p];
    if (da === db) continue;
    if (da === undefined || db === undefined) {
      out.push(`${p}: only under ${da === undefined ? 'tsplay' : 'ansible'} (${da ?? db})`);
      continue;
    }
    if (RANDOM_CONTENT.some((re) => re.test(p))) {
      da = withoutHash(da);
      db = withoutHash(db);
      if (da === db) continue;
    }
    const ca = a.state.changed[p];
    const cb = b.state.changed[p];
    const why = withoutHash(da) === withoutHash(db) && ca !== undefined && cb !== undefined ? `: ${firstLineDiff(ca, cb)}` : '';
    out.push(`${p}: ansible ${da} / tsplay ${db}${why}`);
  }
  out.push(...listDiff('process', a.state.processes, b.state.processes));
  return out;
}

export async function runRole(role: CorpusRole, slot: number): Promise<RoleOutcome> {
  const [a, tsplay] = await Promise.all([ansibleRun(role, slot), runTool('tsplay', role, slot)]);
  return { role, ansible: a.run, tsplay, ansibleCached: a.cached, differences: compare(a.run, tsplay) };
}

// ---------------------------------------------------------------------------------------------
// The table

function sum(outcomes: RoleOutcome[], pick: (o: RoleOutcome) => number): string {
  return outcomes.reduce((s, o) => s + pick(o), 0).toFixed(1);
}

export function table(outcomes: RoleOutcome[]): string {
  const rows = outcomes.map((o) => {
    const verdict = o.differences.length === 0 ? 'identical' : `${o.differences.length} difference(s)`;
    const [a1, a2] = o.ansible.runs.map((r) => r.seconds.toFixed(1));
    const [t1, t2] = o.tsplay.runs.map((r) => r.seconds.toFixed(1));
    return `| ${o.role.name} | ${verdict} | ${a1} / ${a2} s | ${t1} / ${t2} s |`;
  });
  const same = outcomes.filter((o) => o.differences.length === 0).length;
  return [
    '| role | result | ansible-playbook 1st / 2nd run | tsplay 1st / 2nd run |',
    '| --- | --- | --- | --- |',
    ...rows,
    `| **${same} / ${outcomes.length} identical** | | ${sum(outcomes, (o) => o.ansible.runs[0].seconds)} / ${sum(outcomes, (o) => o.ansible.runs[1].seconds)} s | ${sum(outcomes, (o) => o.tsplay.runs[0].seconds)} / ${sum(outcomes, (o) => o.tsplay.runs[1].seconds)} s |`,
  ].join('\n');
}

export async function writeReport(outcomes: RoleOutcome[]): Promise<string> {
  const dir = join(cacheRoot(), 'realworld');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'last-report.md');
  const details = outcomes
    .filter((o) => o.differences.length)
    .map((o) => `### ${o.role.name}\n${o.differences.map((d) => `- ${d}`).join('\n')}`)
    .join('\n\n');
  await writeFile(file, `${table(outcomes)}\n\n${details}\n`);
  return file;
}
