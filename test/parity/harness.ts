/**
 * The parity harness: runs one case folder through ansible-playbook (the oracle) and through
 * tsplay in two fresh copies, and describes every difference in words a developer can act on.
 *
 * A case folder holds `site.yml`, whatever it needs (roles/, inventory, files) and `case.yaml`:
 *   args: ['--tags', 'x']   # flags passed to both tools after the playbook
 *   runs: 2                 # run N times in the same copy (idempotency); default 1
 *   rc: 0                   # the exit code Ansible must give, so a broken case is caught
 *   idempotent: false       # with runs > 1, don't require changed=0 on the last run
 *   playbook: site.yml      # default site.yml
 * Playbooks write what they want compared into `{{ playbook_dir }}/out/`.
 */
import { spawn } from 'node:child_process';
import { cp, lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot, tsplayCli } from '../support/services.js';

export { repoRoot };
/**
 * The CLI under test. TSPLAY_CLI points elsewhere, e.g. at a private build
 * (`npx tsc -p tsconfig.json --outDir test/parity/.dist`) that other people's concurrent
 * compiles of dist/ cannot change half-way through a run.
 */
export const tsplayMain = (): string => process.env.TSPLAY_CLI ?? tsplayCli();

export interface CaseSpec {
  name: string;
  dir: string;
  playbook: string;
  args: string[];
  runs: number;
  rc: number;
  /** with runs > 1: the last run must report changed=0 on every host (checked on Ansible too) */
  idempotent: boolean;
}

export async function loadCases(casesDir: string): Promise<CaseSpec[]> {
  const names = (await readdir(casesDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const specs: CaseSpec[] = [];
  for (const name of names) {
    const dir = join(casesDir, name);
    const raw = (parseYaml(await readFile(join(dir, 'case.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
    const args = raw.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
      throw new Error(`${name}/case.yaml: args must be a list of strings`);
    }
    specs.push({
      name,
      dir,
      playbook: typeof raw.playbook === 'string' ? raw.playbook : 'site.yml',
      args,
      runs: typeof raw.runs === 'number' ? raw.runs : 1,
      rc: typeof raw.rc === 'number' ? raw.rc : 0,
      idempotent: raw.idempotent !== false,
    });
  }
  return specs;
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runProcess(
  argv: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The environment both tools run with: no colour, no retry files, temp dirs inside `work`. */
export function toolEnv(work: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    // a developer's own ANSIBLE_* settings must not leak into the oracle
    if (key.startsWith('ANSIBLE_')) delete env[key];
  }
  Object.assign(env, {
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_LOCAL_TEMP: join(work, '.tmp', 'local'),
    ANSIBLE_REMOTE_TEMP: join(work, '.tmp', 'remote'),
    NO_COLOR: '1',
    LC_ALL: 'C.UTF-8',
  });
  return env;
}

export type Tool = 'ansible' | 'tsplay';

export function toolArgv(tool: Tool, playbook: string, args: string[]): string[] {
  return tool === 'ansible'
    ? ['ansible-playbook', playbook, ...args]
    : [process.execPath, tsplayMain(), 'run', playbook, ...args];
}

/** Copy a case into a fresh temp dir; the copy's path ends in the case name for readable errors. */
export async function freshCopy(spec: CaseSpec, tool: Tool): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `parity-${tool}-`));
  const work = join(root, spec.name);
  await cp(spec.dir, work, { recursive: true, filter: (src) => !src.endsWith('case.yaml') || dirname(src) !== spec.dir });
  return work;
}

export async function removeCopy(work: string): Promise<void> {
  // a cached result has no copy ('' would name the current directory's parent)
  if (work === '') return;
  await rm(dirname(work), { recursive: true, force: true });
}

export type Recap = Record<string, Record<string, number>>;

/** Parse the PLAY RECAP lines: `host : ok=N changed=N unreachable=N failed=N ...`. */
export function parseRecap(stdout: string): Recap | undefined {
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return undefined;
  const recap: Recap = {};
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s*:\s*((?:\w+=\d+\s*)+)$/.exec(line.trim());
    if (!m) continue;
    const counts: Record<string, number> = {};
    for (const pair of m[2].trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      counts[k] = Number(v);
    }
    recap[m[1]] = counts;
  }
  return recap;
}

export type Entry =
  | { type: 'file'; mode: string; content: Buffer }
  | { type: 'dir'; mode: string }
  | { type: 'link'; target: string }
  | { type: 'other'; mode: string };

/** Every entry under `dir` keyed by its path relative to `dir`. */
export async function snapshot(dir: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  if (!existsSync(dir)) return out;
  const walk = async (abs: string): Promise<void> => {
    for (const e of (await readdir(abs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(abs, e.name);
      const rel = relative(dir, path);
      const st = await lstat(path);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      if (st.isSymbolicLink()) out.set(rel, { type: 'link', target: await readlink(path) });
      else if (st.isDirectory()) {
        out.set(rel, { type: 'dir', mode });
        await walk(path);
      } else if (st.isFile()) out.set(rel, { type: 'file', mode, content: await readFile(path) });
      else out.set(rel, { type: 'other', mode });
    }
  };
  await walk(dir);
  return out;
}

const indent = (text: string, by = '      '): string =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');

function show(buf: Buffer): string {
  const text = buf.toString('utf8');
  return text.length > 1500 ? text.slice(0, 1500) + `… (${text.length} chars)` : text;
}

/** Where two parsed JSON values differ, as `path: ansible=… tsplay=…` lines. */
export function jsonDiff(a: unknown, b: unknown, path = '$'): string[] {
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);
  if (kind(a) !== kind(b)) return [`${path}: ansible=${JSON.stringify(a)} (${kind(a)}) tsplay=${JSON.stringify(b)} (${kind(b)})`];
  if (Array.isArray(a) && Array.isArray(b)) {
    const lines: string[] = [];
    if (a.length !== b.length) lines.push(`${path}: list length ansible=${a.length} tsplay=${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) lines.push(...jsonDiff(a[i], b[i], `${path}[${i}]`));
    return lines;
  }
  if (kind(a) === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const lines: string[] = [];
    for (const k of Object.keys(ao)) {
      if (!(k in bo)) lines.push(`${path}.${k}: missing in tsplay (ansible=${JSON.stringify(ao[k])})`);
      else lines.push(...jsonDiff(ao[k], bo[k], `${path}.${k}`));
    }
    for (const k of Object.keys(bo)) if (!(k in ao)) lines.push(`${path}.${k}: only in tsplay (${JSON.stringify(bo[k])})`);
    if (lines.length === 0 && Object.keys(ao).join('\0') !== Object.keys(bo).join('\0')) {
      lines.push(`${path}: key order ansible=${JSON.stringify(Object.keys(ao))} tsplay=${JSON.stringify(Object.keys(bo))}`);
    }
    return lines;
  }
  return a === b ? [] : [`${path}: ansible=${JSON.stringify(a)} tsplay=${JSON.stringify(b)}`];
}

function tryJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** Differences between the oracle's output tree and tsplay's, one readable item each. */
export function compareTrees(ansible: Map<string, Entry>, tsplay: Map<string, Entry>): string[] {
  const diffs: string[] = [];
  const paths = [...new Set([...ansible.keys(), ...tsplay.keys()])].sort();
  for (const p of paths) {
    const a = ansible.get(p);
    const t = tsplay.get(p);
    if (!a) {
      diffs.push(`out/${p}: produced only by tsplay (${t!.type})`);
      continue;
    }
    if (!t) {
      const what = a.type === 'file' ? `file with content:\n${indent(show(a.content))}` : a.type;
      diffs.push(`out/${p}: missing in tsplay; ansible produced a ${what}`);
      continue;
    }
    if (a.type !== t.type) {
      diffs.push(`out/${p}: ansible produced a ${a.type}, tsplay a ${t.type}`);
      continue;
    }
    if (a.type === 'link' && t.type === 'link' && a.target !== t.target) {
      diffs.push(`out/${p}: link target ansible=${a.target} tsplay=${t.target}`);
    }
    if ('mode' in a && 'mode' in t && a.mode !== t.mode) diffs.push(`out/${p}: mode ansible=${a.mode} tsplay=${t.mode}`);
    if (a.type === 'file' && t.type === 'file' && !a.content.equals(t.content)) {
      const ja = tryJson(a.content);
      const jt = tryJson(t.content);
      let detail = '';
      if (ja.ok && jt.ok) {
        const all = jsonDiff(ja.value, jt.value);
        const lines = all.length > 20 ? [...all.slice(0, 20), `… ${all.length - 20} more`] : all;
        detail = lines.length ? `values differ:\n${indent(lines.join('\n'))}` : 'same values, different JSON text';
      } else detail = 'content differs';
      diffs.push(
        `out/${p}: ${detail}\n    ansible:\n${indent(show(a.content))}\n    tsplay:\n${indent(show(t.content))}`,
      );
    }
  }
  return diffs;
}

export function compareRecaps(ansible: Recap | undefined, tsplay: Recap | undefined): string[] {
  if (!ansible && !tsplay) return [];
  if (!ansible) return ['PLAY RECAP: printed by tsplay but not by ansible'];
  if (!tsplay) return ['PLAY RECAP: missing (or unparsable) in tsplay output; ansible printed ' + JSON.stringify(ansible)];
  const diffs: string[] = [];
  for (const host of [...new Set([...Object.keys(ansible), ...Object.keys(tsplay)])].sort()) {
    const a = ansible[host];
    const t = tsplay[host];
    if (!a) diffs.push(`recap ${host}: only tsplay lists this host`);
    else if (!t) diffs.push(`recap ${host}: missing in tsplay; ansible ${fmtCounts(a)}`);
    else {
      const bad = Object.keys(a).filter((k) => a[k] !== t[k]);
      if (bad.length) diffs.push(`recap ${host}: ${bad.map((k) => `${k} ansible=${a[k]} tsplay=${t[k] ?? 'absent'}`).join(', ')}`);
    }
  }
  return diffs;
}

const fmtCounts = (c: Record<string, number>): string =>
  Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n');
}

export interface ToolRun {
  work: string;
  runs: RunResult[];
  out: Map<string, Entry>;
}

/** Run a case `spec.runs` times with one tool in a fresh copy, then snapshot its out/ dir. */
export async function runCase(spec: CaseSpec, tool: Tool): Promise<ToolRun> {
  const work = await freshCopy(spec, tool);
  const runs: RunResult[] = [];
  for (let i = 0; i < spec.runs; i++) {
    runs.push(await runProcess(toolArgv(tool, spec.playbook, spec.args), { cwd: work, env: toolEnv(work) }));
  }
  return { work, runs, out: await snapshot(join(work, 'out')) };
}

/** All the differences between the oracle and tsplay for one case; empty means parity. */
export function compareCase(spec: CaseSpec, ansible: ToolRun, tsplay: ToolRun): string[] {
  const diffs: string[] = [];
  for (let i = 0; i < spec.runs; i++) {
    const a = ansible.runs[i];
    const t = tsplay.runs[i];
    const label = spec.runs > 1 ? `run ${i + 1}: ` : '';
    const run: string[] = [];
    if (a.code !== t.code) run.push(`exit code ansible=${a.code} tsplay=${t.code ?? 'signal ' + t.signal}`);
    run.push(...compareRecaps(parseRecap(a.stdout), parseRecap(t.stdout)));
    diffs.push(...run.map((d) => label + d));
  }
  diffs.push(...compareTrees(ansible.out, tsplay.out));
  return diffs;
}

export function describeFailure(spec: CaseSpec, diffs: string[], ansible: ToolRun, tsplay: ToolRun): string {
  const last = (r: ToolRun): RunResult => r.runs[r.runs.length - 1];
  const cmd = `${spec.playbook} ${spec.args.join(' ')}`.trim();
  return [
    `parity case ${spec.name} (${cmd}${spec.runs > 1 ? `, ${spec.runs} runs` : ''}) differs from ansible-playbook:`,
    ...diffs.map((d) => '  - ' + d),
    '  tsplay output (last run):',
    indent(tail(last(tsplay).stdout + (last(tsplay).stderr ? '\n[stderr]\n' + last(tsplay).stderr : '')), '    | '),
    '  ansible output (last run):',
    indent(tail(last(ansible).stdout + (last(ansible).stderr ? '\n[stderr]\n' + last(ansible).stderr : ''), 25), '    | '),
  ].join('\n');
}
