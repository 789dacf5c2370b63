/**
 * ansible.builtin.apt_repository: keeps one-line APT sources present or absent.
 * A line already present in any .list file (or sources.list) counts as present, even under a
 * different file name; a commented-out copy is re-enabled in place. Changes are written
 * atomically, the package lists refreshed (update_cache, default yes), and the files restored
 * when that refresh fails.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult, DiffEntry } from '../types.js';
import { APT_ENV, updateAptCache } from './apt-cache.js';
import { asBool, asInt, fail, marker, parseMode, run } from './common.js';
import {
  InvalidSourceError,
  SOURCES_LIST,
  SOURCES_PARTS,
  SourcesList,
  expandSourcesPath,
  normaliseRepo,
  suggestFilename,
} from './sources-list.js';

const DEFAULT_SOURCES_MODE = 0o644;

type AptRepositoryArgs = {
  repo?: string;
  state?: 'present' | 'absent';
  mode?: unknown;
  update_cache?: unknown;
  update_cache_retries?: unknown;
  update_cache_retry_max_delay?: unknown;
  filename?: string | null;
  install_python_apt?: unknown;
  validate_certs?: unknown;
  codename?: string | null;
};

/** Reads sources.list and every sources.list.d/*.list in one round trip. */
async function loadSources(ctx: ModuleContext): Promise<SourcesList | ModuleResult> {
  const mark = marker();
  const script =
    `[ -d /etc/apt ] || { echo NO-APT; exit 0; }\n` +
    `[ -x /usr/bin/python3 ] && printf 'PYAPT=%s\\n' "$(dpkg-query -W -f='\${db:Status-Status}' python3-apt 2>/dev/null)"\n` +
    `for f in ${SOURCES_LIST} ${SOURCES_PARTS}/*.list; do\n` +
    `  [ -f "$f" ] || continue\n` +
    `  printf '\\n%s %s\\n' '${mark}' "$f"\n` +
    `  cat "$f" || exit 3\n` +
    `done\n`;
  const result = await run(ctx, script);
  if (result.rc !== 0) return fail(`Could not read the APT sources: ${result.stderr.trim()}`, { rc: result.rc });
  if (result.stdout.startsWith('NO-APT')) return fail('Module apt_repository is not supported on target.');
  const sources = new SourcesList();
  const pyApt = /^PYAPT=(.*)$/m.exec(result.stdout.split(`\n${mark} `)[0]);
  sources.lacksPythonApt = pyApt !== null && pyApt[1].trim() !== 'installed';
  for (const chunk of result.stdout.split(`\n${mark} `).slice(1)) {
    const newline = chunk.indexOf('\n');
    const path = newline < 0 ? chunk : chunk.slice(0, newline);
    sources.load(path, newline < 0 ? '' : chunk.slice(newline + 1));
  }
  return sources;
}

function diffOf(before: Map<string, string>, after: Map<string, string>): DiffEntry[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names.map((name) => ({
    before: before.get(name) ?? '',
    after: after.get(name) ?? '',
    before_header: before.has(name) ? name : '/dev/null',
    after_header: after.has(name) ? name : '/dev/null',
  }));
}

/** Writes the files whose text changed and removes those left without any line. */
async function saveSources(
  ctx: ModuleContext,
  before: Map<string, string>,
  after: Map<string, string>,
  modeFor: (path: string) => number | undefined,
): Promise<void> {
  const become = ctx.become;
  for (const [path, text] of after) {
    if (before.get(path) === text) continue;
    const existing = await ctx.conn.stat(path, { become });
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    if (!existing) await ctx.conn.mkdir(dir, { parents: true, become });
    const mode = modeFor(path) ?? existing?.mode ?? DEFAULT_SOURCES_MODE;
    await ctx.conn.writeFile(path, text, { mode, become });
    await ctx.conn.chmod(path, mode, { become });
  }
  for (const path of before.keys()) {
    if (!after.has(path)) await ctx.conn.remove(path, { become });
  }
}

export const aptRepository: ModuleDefinition<AptRepositoryArgs> = {
  name: 'ansible.builtin.apt_repository',
  supportsCheckMode: true,
  spec: {
    short_description: 'Add and remove APT repositories',
    options: {
      repo: { type: 'str', required: true },
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
      mode: { type: 'raw' },
      update_cache: { type: 'bool', default: true, aliases: ['update-cache'] },
      update_cache_retries: { type: 'int', default: 5 },
      update_cache_retry_max_delay: { type: 'int', default: 12 },
      filename: { type: 'str' },
      install_python_apt: { type: 'bool', default: true },
      validate_certs: { type: 'bool', default: true },
      codename: { type: 'str' },
    },
  },

  async run(args, ctx) {
    const repo = args.repo ?? '';
    const state = args.state ?? 'present';
    if (repo.startsWith('ppa:')) {
      return fail(`PPA repositories (${repo}) are not supported by tsplay's apt_repository: give the full 'deb ...' line and install its signing key first`);
    }
    let modeValue: number | undefined;
    if (args.mode !== undefined && args.mode !== null) {
      const parsed = parseMode(args.mode);
      if (!parsed.ok) return fail(parsed.error);
      modeValue = parsed.mode;
    }

    let loaded = await loadSources(ctx);
    if (!(loaded instanceof SourcesList)) return loaded;
    if (loaded.lacksPythonApt) {
      // Ansible's module needs python3-apt and installs it first; tsplay leaves the host the same way
      if (ctx.check) {
        return fail('python3-apt must be installed to use check mode. If run normally this module can auto-install it.');
      }
      if (!asBool(args.install_python_apt, true)) return fail('python3-apt is not installed, and install_python_apt is False');
      for (const cmd of [['apt-get', 'update'], ['apt-get', 'install', 'python3-apt', '-y', '-q']]) {
        const out = await run(ctx, cmd, APT_ENV);
        if (out.rc !== 0) return fail(`Failed to auto-install python3-apt. Error was: '${out.stderr.trim()}'`);
      }
      loaded = await loadSources(ctx);
      if (!(loaded instanceof SourcesList)) return loaded;
    }
    const sources = loaded;
    if (!repo) return fail("Please set argument 'repo' to a non-empty value");
    const dumpBefore = sources.dump();

    let source: string;
    try {
      source = normaliseRepo(repo);
    } catch (err) {
      if (err instanceof InvalidSourceError) return fail(`Invalid repository string: ${err.message}`);
      throw err;
    }
    if (state === 'present') {
      sources.add(source, expandSourcesPath(suggestFilename(source, args.filename)));
    } else {
      sources.remove(source);
    }
    const dumpAfter = sources.dump();
    const changed =
      dumpBefore.size !== dumpAfter.size || [...dumpAfter].some(([path, text]) => dumpBefore.get(path) !== text);

    const result: ModuleResult = { changed, repo, state, diff: changed && ctx.diff ? diffOf(dumpBefore, dumpAfter) : {} };
    if (!changed || ctx.check) return result;

    const modeFor = (path: string): number | undefined =>
      sources.appendedTo.has(path) ? modeValue ?? DEFAULT_SOURCES_MODE : undefined;
    try {
      await saveSources(ctx, dumpBefore, dumpAfter, modeFor);
    } catch (err) {
      await saveSources(ctx, dumpAfter, dumpBefore, () => undefined).catch(() => undefined);
      return fail(err instanceof Error ? err.message : String(err));
    }

    if (asBool(args.update_cache, true)) {
      const update = await updateAptCache(ctx, asInt(args.update_cache_retries, 5), asInt(args.update_cache_retry_max_delay, 12));
      if (!update.ok) {
        // put the sources back as they were, so a broken repository does not break later apt runs
        await saveSources(ctx, dumpAfter, dumpBefore, () => undefined).catch(() => undefined);
        return fail(`Failed to update apt cache: ${update.error || 'unknown reason'}`);
      }
    }
    return result;
  },
};
