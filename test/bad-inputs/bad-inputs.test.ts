/**
 * The bad-input corpus: every folder under test/bad-inputs/cases holds a broken input and an
 * expect.yaml saying what tsplay must do with it:
 *
 *   command: check                   # `tsplay check` instead of the default `tsplay run`
 *   args: ["site.yml", "-e", "..."]   # after `tsplay run` (or check); default ["site.yml"]
 *   exit: 3                          # 2 host failed, 3 rejected before running, 5 bad usage
 *   messages: ["ERROR!", "site.yml:5:7", "/regex/i"]   # each must appear in stdout+stderr
 *   ansible: {exit: 4, message: "..."}   # what ansible-playbook 2.14 does with the same input
 *
 * A message written /like this/flags is a regular expression; anything else is a plain fragment.
 * tsplay must also never print a stack trace for these, and must leave the case's files as they
 * were (nothing created, changed or removed). ansible-playbook always gets `args`, also for
 * `command: check` cases. The `ansible` records are re-checked
 * against the real ansible-playbook (when installed) so they stay true.
 *
 *   BAD_INPUT_CASE=<substring>   run only the matching cases
 *   TSPLAY_CLI=<path>            the CLI to test (default dist/src/cli/tsplay.cjs)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, lstat, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ansibleAvailable, repoRoot, requireService } from '../support/services.js';
import { runProcess, toolEnv, tsplayMain } from '../parity/harness.js';

interface Expectation {
  name: string;
  dir: string;
  command: 'run' | 'check';
  args: string[];
  exit: number;
  messages: string[];
  ansible: { exit: number; message: string };
}

const casesDir = join(repoRoot(), 'test', 'bad-inputs', 'cases');

async function loadExpectations(): Promise<Expectation[]> {
  const names = (await readdir(casesDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const out: Expectation[] = [];
  for (const name of names) {
    const dir = join(casesDir, name);
    const raw = parseYaml(await readFile(join(dir, 'expect.yaml'), 'utf8')) as Partial<Expectation>;
    if (typeof raw.exit !== 'number' || !Array.isArray(raw.messages) || !raw.ansible) {
      throw new Error(`${name}/expect.yaml needs exit, messages and ansible`);
    }
    if (raw.command !== undefined && raw.command !== 'run' && raw.command !== 'check') {
      throw new Error(`${name}/expect.yaml: command must be run or check`);
    }
    out.push({ name, dir, command: raw.command ?? 'run', args: raw.args ?? ['site.yml'], exit: raw.exit, messages: raw.messages, ansible: raw.ansible });
  }
  return out;
}

/** A fragment `/re/flags` is a regular expression; anything else must appear verbatim. */
export function matches(text: string, fragment: string): boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(fragment);
  return re ? new RegExp(re[1], re[2]).test(text) : text.includes(fragment);
}

/**
 * Ansible's wording of a position (`'/x/site.yml': line 5, column 7`) also counts as
 * file:line:column, so both are rewritten to `/x/site.yml:5:7` before fragments are matched.
 */
export function normalisePositions(text: string): string {
  return text.replace(/([^\s'"(]+)'?: line (\d+), column (\d+)/g, '$1:$2:$3');
}

/** Ansible wraps warnings and escapes newlines in JSON: compare with whitespace collapsed. */
function flatten(text: string): string {
  return text.replace(/\\n/g, ' ').replace(/\s+/g, ' ');
}

/** The recorded sentence may elide paths with `…`; its pieces must appear in order. */
function containsInOrder(text: string, sentence: string): boolean {
  let at = 0;
  for (const piece of flatten(sentence).split('…')) {
    const found = text.indexOf(piece.trim(), at);
    if (found < 0) return false;
    at = found + piece.trim().length;
  }
  return true;
}

/** Every entry under `dir` with its kind, size, mode and mtime: what a rejected input must leave alone. */
async function snapshot(dir: string, into = new Map<string, string>(), rel = ''): Promise<Map<string, string>> {
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    // toolEnv's ANSIBLE_LOCAL_TEMP: Ansible's own scratch space when tsplay asks it about a module
    if (path === '.tmp') continue;
    const st = await lstat(join(dir, path));
    into.set(path, `${e.isDirectory() ? 'd' : 'f'} ${st.size} ${st.mode} ${st.mtimeMs}`);
    if (e.isDirectory()) await snapshot(dir, into, path);
  }
  return into;
}

function touched(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [path, was] of before) if (after.get(path) !== was) out.push(after.has(path) ? `changed ${path}` : `removed ${path}`);
  for (const path of after.keys()) if (!before.has(path)) out.push(`created ${path}`);
  return out;
}

async function runIn(exp: Expectation, argv: (args: string[]) => string[]): Promise<{ code: number | null; output: string; touched: string[] }> {
  const root = await mkdtemp(join(tmpdir(), 'bad-input-'));
  const work = join(root, exp.name);
  try {
    await cp(exp.dir, work, { recursive: true, filter: (src) => !src.endsWith('expect.yaml') });
    const before = await snapshot(work);
    const r = await runProcess(argv(exp.args), { cwd: work, env: toolEnv(work), timeoutMs: 60_000 });
    return { code: r.code, output: r.stdout + r.stderr, touched: touched(before, await snapshot(work)) };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const filter = process.env.BAD_INPUT_CASE;
const all = await loadExpectations();
const expectations = filter ? all.filter((e) => e.name.includes(filter)) : all;

describe('bad inputs: tsplay explains them without a stack trace', { concurrency: 2 }, () => {
  it('has at least 150 cases', { skip: Boolean(filter) }, () => {
    assert.ok(all.length >= 150, `only ${all.length} bad-input cases`);
  });

  for (const exp of expectations) {
    it(exp.name, async () => {
      const { code, output, touched: changes } = await runIn(exp, (args) => [process.execPath, tsplayMain(), exp.command, ...args]);
      const problems: string[] = [];
      if (code !== exp.exit) problems.push(`exit code ${code}, expected ${exp.exit}`);
      const positioned = normalisePositions(output);
      for (const m of exp.messages) if (!matches(output, m) && !matches(positioned, m)) problems.push(`message lacks ${JSON.stringify(m)}`);
      const trace = output.split('\n').filter((l) => /^\s+at /.test(l));
      if (trace.length) problems.push(`printed a stack trace (${trace.length} "    at" lines)`);
      if (changes.length) problems.push(`touched the case's files: ${changes.join(', ')}`);
      if (problems.length) {
        assert.fail(`${exp.name} (tsplay ${exp.command} ${exp.args.join(' ')}):\n  - ${problems.join('\n  - ')}\n  output:\n${output.trimEnd().replace(/^/gm, '    | ')}`);
      }
    });
  }
});

describe('bad inputs: the ansible records are what ansible-playbook really does', { concurrency: 2 }, () => {
  const haveAnsible = ansibleAvailable();
  for (const exp of expectations) {
    it(exp.name, async (t) => {
      if (!requireService(t, 'ansible-playbook', haveAnsible, 'apt-get install ansible')) return;
      const { code, output } = await runIn(exp, (args) => ['ansible-playbook', ...args]);
      assert.equal(code, exp.ansible.exit, `${exp.name}: ansible-playbook exited ${code}\n${output}`);
      assert.ok(
        containsInOrder(flatten(output), exp.ansible.message),
        `${exp.name}: ansible-playbook no longer says ${JSON.stringify(exp.ansible.message)}\n${output}`,
      );
    });
  }
});
