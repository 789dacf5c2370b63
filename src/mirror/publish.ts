/**
 * Publishing a platform directory of a pip mirror in two steps, so a client never sees a
 * half-written index and a failed run never removes anything:
 *
 *   stage   move this run's freshly built files in (prune mode), write `<file>.metadata`
 *           beside each wheel, render the whole index into a new `.simple-<digest>/` directory,
 *           and record what commit must do in `.pip-mirrors/pending.json`. The live index is
 *           untouched, so the staged one can be verified first.
 *   commit  point the `simple` symlink at the staged directory (one atomic rename), then delete
 *           the files the run no longer needs and record the run's manifest.
 *
 * Layout of a platform directory (ROOT = target/<platform>):
 *   ROOT/*.whl, *.tar.gz           the distributions (where the seed's `pip wheel -w /mnt/` puts them)
 *   ROOT/<wheel>.metadata          PEP 658 core metadata, beside the file it describes
 *   ROOT/simple -> .simple-<hex>   the live index (PEP 503 HTML + PEP 691 JSON)
 *   ROOT/.pip-mirrors/incoming/    where prune-mode runs build into
 *   ROOT/.pip-mirrors/runs/NNNNNN.json   the file list of each committed prune-mode run
 *
 * roles/pip-mirrors/files/simple_index.py implements the same steps and must leave the same bytes.
 */
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import * as path from 'node:path';
import type { EntryKind, MirrorFs } from './fs.js';
import { compareCodePoints, parseDistFilename, type DistFile } from './names.js';
import { renderIndex, requiresPythonFromMetadata, dumpJson, type IndexedFile } from './render.js';
import { listZipMembers, locateCentralDirectory, memberSpan, readCentralDirectory, readZipMember, readZipMemberAt, type ZipMember } from './zip.js';

export const STATE_DIR = '.pip-mirrors';
export const LIVE_INDEX = 'simple';
export const INDEX_DIR_PREFIX = '.simple-';
const PENDING = 'pending.json';
const RUNS = 'runs';
const READ_CONCURRENCY = 32;
/** how much of a wheel's end is read first: its central directory, for all but huge wheels */
const TAIL_BYTES = 64 * 1024;

export interface StageOptions {
  /** directory holding only this run's files (prune mode); moved into the root */
  incoming?: string;
  /** delete distributions that neither this run nor the kept previous runs resolved to */
  prune?: boolean;
  /** how many previous runs' files a prune keeps besides this run's */
  keepPrevious?: number;
}

export interface StageResult {
  changed: boolean;
  /** the staged index directory's name, relative to the root */
  index: string;
  projects: number;
  files: number;
  added: string[];
  /** what commit will delete */
  remove: string[];
  warnings: string[];
}

export interface CommitResult {
  changed: boolean;
  index: string;
  removed: string[];
  warnings: string[];
}

export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

interface PendingCommit {
  index: string;
  remove: string[];
  manifest: string[] | null;
  keep_previous: number;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function distFilesIn(fs: MirrorFs, dir: string): Promise<DistFile[]> {
  return distFilesFrom(await fs.list(dir));
}

function distFilesFrom(entries: EntryKind[]): DistFile[] {
  const files: DistFile[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'file') continue;
    const parsed = parseDistFilename(entry.name);
    if (parsed) files.push(parsed);
  }
  return files.sort((a, b) => compareCodePoints(a.filename, b.filename));
}

/** Prefers `<name>-<version>.dist-info/METADATA` matching the file name, else the first one. */
function findMetadataMember(members: string[], dist: DistFile): string | undefined {
  const candidates = members.filter((name) => /^[^/]+\.dist-info\/METADATA$/.test(name));
  for (const candidate of candidates) {
    const dirName = candidate.slice(0, -'.dist-info/METADATA'.length);
    const cut = dirName.lastIndexOf('-');
    if (cut <= 0) continue;
    const project = dirName.slice(0, cut).replace(/[-_.]+/g, '-').toLowerCase();
    if (project === dist.project && dirName.slice(cut + 1) === dist.version) return candidate;
  }
  return candidates[0];
}

interface Described {
  indexed: IndexedFile;
  metadata?: Buffer;
  /** the metadata differs from the `<file>.metadata` beside the wheel (or there is none) */
  metadataIsNew?: boolean;
  warning?: string;
}

function indexedFile(dist: DistFile, size: number, sha256: string): IndexedFile {
  return { filename: dist.filename, kind: dist.kind, project: dist.project, version: dist.version, sha256, size };
}

function withMetadata(indexed: IndexedFile, metadata: Buffer, existing: Buffer | undefined): Described {
  indexed.metadataSha256 = sha256Hex(metadata);
  const requiresPython = requiresPythonFromMetadata(metadata.toString('utf8'));
  if (requiresPython !== undefined) indexed.requiresPython = requiresPython;
  return { indexed, metadata, metadataIsNew: !existing || !existing.equals(metadata) };
}

/** an existing `<file>.metadata` is the member when its size and CRC-32 match: no need to inflate it again */
function isMember(existing: Buffer | undefined, member: ZipMember): existing is Buffer {
  return existing !== undefined && existing.length === member.uncompressedSize && zlibCrc32(existing) === member.crc32;
}

/**
 * Hash, size and (for wheels) core metadata of one distribution read whole. `existingMetadata` is
 * the `<file>.metadata` already beside it.
 */
function describe(dist: DistFile, data: Buffer, existingMetadata?: Buffer): Described {
  const indexed = indexedFile(dist, data.length, sha256Hex(data));
  if (dist.kind !== 'wheel') return { indexed };
  try {
    const members = listZipMembers(data);
    const memberName = findMetadataMember(members.map((m) => m.name), dist);
    if (memberName === undefined) {
      return { indexed, warning: `${dist.filename}: no .dist-info/METADATA inside; indexed without metadata` };
    }
    // Python's zipfile answers a duplicated name with its last entry; so do we.
    const member = [...members].reverse().find((m) => m.name === memberName)!;
    return withMetadata(indexed, isMember(existingMetadata, member) ? existingMetadata : readZipMember(data, member), existingMetadata);
  } catch (error) {
    return { indexed, warning: `${dist.filename}: unreadable wheel (${(error as Error).message}); indexed without metadata` };
  }
}

interface WheelReading {
  /** position in the distributions being described */
  at: number;
  dist: DistFile;
  size: number;
  /** size of the `<file>.metadata` beside it, if any */
  metadataSize?: number;
  member?: ZipMember;
}

/**
 * Describes every distribution with a fixed number of batched operations, whatever their number:
 * hashes and sizes where the files are, then each wheel's end (its central directory), then its
 * METADATA member or the `<file>.metadata` already beside it. Over SSH that is three or four
 * commands, not a whole-file read per wheel. A wheel that is odd in any way (not a zip, no
 * METADATA, a directory beyond the end read, a stale `.metadata`) is read whole, as before, so
 * its warning is the same.
 */
async function describeAll(fs: MirrorFs, root: string, dists: DistFile[], rootFiles: Set<string>): Promise<Described[]> {
  const at = (name: string): string => path.join(root, name);
  const metadataOf = (dist: DistFile): string | undefined =>
    dist.kind === 'wheel' && rootFiles.has(`${dist.filename}.metadata`) ? `${dist.filename}.metadata` : undefined;
  const withMeta = dists.filter((dist) => metadataOf(dist) !== undefined);
  const digests = await fs.digest([...dists.map((dist) => at(dist.filename)), ...withMeta.map((dist) => at(metadataOf(dist)!))]);
  const metadataSizes = new Map(withMeta.map((dist, i) => [dist.filename, digests[dists.length + i].size]));
  const results: Array<Described | undefined> = dists.map((dist, i) =>
    dist.kind === 'wheel' ? undefined : { indexed: indexedFile(dist, digests[i].size, digests[i].sha256) },
  );
  const whole: WheelReading[] = [];
  const wheels: WheelReading[] = [];
  dists.forEach((dist, i) => {
    if (dist.kind === 'wheel') wheels.push({ at: i, dist, size: digests[i].size, metadataSize: metadataSizes.get(dist.filename) });
  });

  // the central directories, from each wheel's end (a second read for one larger than that)
  const tailStart = (w: WheelReading): number => Math.max(0, w.size - TAIL_BYTES);
  const tails = await fs.readRanges(wheels.map((w) => ({ path: at(w.dist.filename), start: tailStart(w), length: w.size - tailStart(w) })));
  const farther: Array<{ wheel: WheelReading; start: number }> = [];
  const listed = new Map<WheelReading, ZipMember[]>();
  wheels.forEach((w, k) => {
    try {
      const cd = locateCentralDirectory(tails[k], tailStart(w));
      if (cd.offset >= tailStart(w)) listed.set(w, readCentralDirectory(tails[k], tailStart(w), cd));
      else if (cd.offset >= 0 && cd.offset < w.size) farther.push({ wheel: w, start: cd.offset });
      else whole.push(w);
    } catch {
      whole.push(w);
    }
  });
  if (farther.length > 0) {
    const views = await fs.readRanges(farther.map((f) => ({ path: at(f.wheel.dist.filename), start: f.start, length: f.wheel.size - f.start })));
    farther.forEach((f, j) => {
      try {
        listed.set(f.wheel, readCentralDirectory(views[j], f.start, locateCentralDirectory(views[j], f.start)));
      } catch {
        whole.push(f.wheel);
      }
    });
  }

  // the METADATA member, or the `.metadata` beside the wheel when it has the member's size
  const reads: Array<{ wheel: WheelReading; existing: boolean; start: number; length: number }> = [];
  for (const [w, members] of listed) {
    const memberName = findMetadataMember(members.map((m) => m.name), w.dist);
    const member = memberName === undefined ? undefined : [...members].reverse().find((m) => m.name === memberName);
    if (!member || member.localHeaderOffset >= w.size) {
      whole.push(w);
      continue;
    }
    w.member = member;
    if (w.metadataSize === member.uncompressedSize) reads.push({ wheel: w, existing: true, start: 0, length: w.metadataSize });
    else reads.push({ wheel: w, existing: false, start: member.localHeaderOffset, length: Math.min(memberSpan(member), w.size - member.localHeaderOffset) });
  }
  const views = await fs.readRanges(reads.map((r) => ({ path: at(r.existing ? metadataOf(r.wheel.dist)! : r.wheel.dist.filename), start: r.start, length: r.length })));
  reads.forEach((r, j) => {
    const w = r.wheel;
    const indexed = indexedFile(w.dist, w.size, digests[w.at].sha256);
    try {
      if (r.existing) {
        if (!isMember(views[j], w.member!)) throw new Error('stale metadata beside the wheel');
        results[w.at] = withMetadata(indexed, views[j], views[j]);
      } else {
        // a `.metadata` of another size is rewritten: compared with nothing, it counts as new
        results[w.at] = withMetadata(indexed, readZipMemberAt(views[j], r.start, w.member!), undefined);
      }
    } catch {
      whole.push(w);
    }
  });

  await mapLimited(whole, READ_CONCURRENCY, async (w) => {
    const existingName = metadataOf(w.dist);
    const existing = existingName === undefined ? undefined : await fs.read(at(existingName));
    results[w.at] = describe(w.dist, await fs.read(at(w.dist.filename)), existing);
  });
  return results.map((described) => described!);
}

/** sha256 over every page (path, NUL, bytes, NUL) in path order: names the index directory. */
export function indexDigest(pages: Map<string, string>): string {
  const hash = createHash('sha256');
  for (const key of [...pages.keys()].sort(compareCodePoints)) {
    hash.update(key, 'utf8');
    hash.update('\0');
    hash.update(pages.get(key)!, 'utf8');
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function readManifests(fs: MirrorFs, root: string): Promise<string[]> {
  const entries = await fs.list(path.join(root, STATE_DIR, RUNS));
  return entries
    .filter((entry) => entry.kind === 'file' && /^[0-9]{6}\.json$/.test(entry.name))
    .map((entry) => entry.name)
    .sort(compareCodePoints);
}

async function manifestFiles(fs: MirrorFs, file: string): Promise<string[]> {
  const parsed = JSON.parse((await fs.read(file)).toString('utf8')) as { files?: unknown };
  if (!Array.isArray(parsed.files)) throw new PublishError(`${file}: no "files" list`);
  return parsed.files.map(String);
}

async function writeAtomically(fs: MirrorFs, file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}.tmp`;
  await fs.write(temp, data);
  await fs.rename(temp, file);
}

export async function stage(fs: MirrorFs, root: string, options: StageOptions = {}): Promise<StageResult> {
  const prune = options.prune ?? false;
  const keepPrevious = options.keepPrevious ?? 0;
  if (!Number.isInteger(keepPrevious) || keepPrevious < 0) {
    throw new PublishError(`keep_previous must be a whole number >= 0, got ${keepPrevious}`);
  }
  if (prune && options.incoming === undefined) {
    throw new PublishError('prune needs the incoming directory of this run (the files the current package list resolved to)');
  }
  if ((await fs.kind(root)) !== 'directory') throw new PublishError(`${root}: not a directory`);
  const stateDir = path.join(root, STATE_DIR);
  await fs.mkdirp(stateDir);
  const warnings: string[] = [];
  const added: string[] = [];
  let manifest: string[] | null = null;

  if (options.incoming !== undefined) {
    manifest = [];
    const inRoot = new Set((await fs.list(root)).map((entry) => entry.name));
    for (const dist of await distFilesIn(fs, options.incoming)) {
      manifest.push(dist.filename);
      // A published file is never replaced: clients may have recorded its hash.
      if (!inRoot.has(dist.filename)) {
        await fs.rename(path.join(options.incoming, dist.filename), path.join(root, dist.filename));
        added.push(dist.filename);
      }
    }
    await fs.remove(options.incoming);
  }

  const rootEntries = await fs.list(root);
  const rootFiles = new Set(rootEntries.filter((entry) => entry.kind === 'file').map((entry) => entry.name));
  const present = distFilesFrom(rootEntries);
  let keep: Set<string>;
  if (prune) {
    keep = new Set(manifest ?? []);
    let runs = await readManifests(fs, root);
    // A run that resolves to what the last run recorded is that run again, not one more:
    // re-running an unchanged play must not push older files out of the kept window.
    if (manifest !== null && (await sameAsLastManifest(fs, root, manifest))) runs = runs.slice(0, -1);
    const previous = keepPrevious === 0 ? [] : runs.slice(Math.max(0, runs.length - keepPrevious));
    for (const run of previous) {
      for (const name of await manifestFiles(fs, path.join(stateDir, RUNS, run))) keep.add(name);
    }
  } else {
    keep = new Set(present.map((dist) => dist.filename));
  }
  const indexedDists = present.filter((dist) => keep.has(dist.filename));
  const remove: string[] = [];
  for (const dist of present) {
    if (keep.has(dist.filename)) continue;
    remove.push(dist.filename);
    if (rootFiles.has(`${dist.filename}.metadata`)) remove.push(`${dist.filename}.metadata`);
  }

  const described = await describeAll(fs, root, indexedDists, rootFiles);
  await mapLimited(described, READ_CONCURRENCY, async (info) => {
    if (info.metadata && info.metadataIsNew) await writeAtomically(fs, path.join(root, `${info.indexed.filename}.metadata`), info.metadata);
  });
  for (const info of described) if (info.warning) warnings.push(info.warning);

  const pages = renderIndex(described.map((info) => info.indexed));
  const indexName = INDEX_DIR_PREFIX + indexDigest(pages);
  const indexPath = path.join(root, indexName);
  if ((await fs.kind(indexPath)) !== 'directory') {
    const temp = path.join(stateDir, 'tmp-index');
    await fs.remove(temp);
    await fs.mkdirp(temp);
    const dirs = new Set<string>();
    for (const page of pages.keys()) {
      const dir = path.posix.dirname(page);
      if (dir !== '.') dirs.add(dir);
    }
    await mapLimited([...dirs], READ_CONCURRENCY, (dir) => fs.mkdirp(path.join(temp, dir)));
    await mapLimited([...pages], READ_CONCURRENCY, ([page, content]) => fs.write(path.join(temp, page), content));
    await fs.rename(temp, indexPath);
  }

  const pending: PendingCommit = { index: indexName, remove, manifest, keep_previous: keepPrevious };
  await writeAtomically(fs, path.join(stateDir, PENDING), dumpJson(pending) + '\n');
  const live = await fs.readlink(path.join(root, LIVE_INDEX));
  const manifestIsNew = manifest !== null && !(await sameAsLastManifest(fs, root, manifest));
  return {
    changed: live !== indexName || remove.length > 0 || added.length > 0 || manifestIsNew,
    index: indexName,
    projects: new Set(indexedDists.map((dist) => dist.project)).size,
    files: indexedDists.length,
    added,
    remove,
    warnings,
  };
}

async function sameAsLastManifest(fs: MirrorFs, root: string, manifest: string[]): Promise<boolean> {
  const runs = await readManifests(fs, root);
  if (runs.length === 0) return false;
  const last = await manifestFiles(fs, path.join(root, STATE_DIR, RUNS, runs[runs.length - 1]));
  return last.length === manifest.length && last.every((name, i) => name === manifest[i]);
}

export async function commit(fs: MirrorFs, root: string): Promise<CommitResult> {
  const stateDir = path.join(root, STATE_DIR);
  const pendingPath = path.join(stateDir, PENDING);
  const live = await fs.readlink(path.join(root, LIVE_INDEX));
  if ((await fs.kind(pendingPath)) !== 'file') {
    return { changed: false, index: live ?? '', removed: [], warnings: [`${root}: nothing staged to commit`] };
  }
  const pending = JSON.parse((await fs.read(pendingPath)).toString('utf8')) as PendingCommit;
  if (typeof pending.index !== 'string' || !pending.index.startsWith(INDEX_DIR_PREFIX) || pending.index.includes('/')) {
    throw new PublishError(`${pendingPath}: bad index name`);
  }
  if ((await fs.kind(path.join(root, pending.index))) !== 'directory') {
    throw new PublishError(`${root}/${pending.index}: staged index is missing; stage again`);
  }
  let changed = false;
  const livePath = path.join(root, LIVE_INDEX);
  const liveKind = await fs.kind(livePath);
  if (liveKind !== 'link' && liveKind !== 'missing') {
    // An index written by something else: moved aside, so the swap below stays one rename.
    await fs.remove(path.join(stateDir, 'old-simple'));
    await fs.rename(livePath, path.join(stateDir, 'old-simple'));
  }
  if (live !== pending.index) {
    const tempLink = path.join(root, `${LIVE_INDEX}.tmp-link`);
    await fs.remove(tempLink);
    await fs.symlink(pending.index, tempLink);
    await fs.rename(tempLink, livePath);
    changed = true;
  }
  for (const name of pending.remove) {
    if (name.includes('/') || name.startsWith('.')) continue;
    await fs.remove(path.join(root, name));
    changed = true;
  }
  if (pending.manifest !== null) {
    const runsDir = path.join(stateDir, RUNS);
    if (!(await sameAsLastManifest(fs, root, pending.manifest))) {
      await fs.mkdirp(runsDir);
      const runs = await readManifests(fs, root);
      const nextNumber = runs.length === 0 ? 1 : Number(runs[runs.length - 1].slice(0, 6)) + 1;
      const name = `${String(nextNumber).padStart(6, '0')}.json`;
      await writeAtomically(fs, path.join(runsDir, name), dumpJson({ files: pending.manifest }) + '\n');
      changed = true;
    }
    const runs = await readManifests(fs, root);
    const keep = pending.keep_previous + 1;
    for (const old of runs.slice(0, Math.max(0, runs.length - keep))) await fs.remove(path.join(runsDir, old));
  }
  // Keep the index the link pointed at until now, for clients that are still reading it.
  for (const entry of await fs.list(root)) {
    if (entry.kind !== 'directory' || !entry.name.startsWith(INDEX_DIR_PREFIX)) continue;
    if (entry.name === pending.index || entry.name === live) continue;
    await fs.remove(path.join(root, entry.name));
  }
  await fs.remove(pendingPath);
  return { changed, index: pending.index, removed: pending.remove, warnings: [] };
}

/** stage then commit: what a run without verification does. */
export async function publish(fs: MirrorFs, root: string, options: StageOptions = {}): Promise<StageResult> {
  const staged = await stage(fs, root, options);
  const committed = await commit(fs, root);
  return { ...staged, changed: staged.changed || committed.changed, warnings: [...staged.warnings, ...committed.warnings] };
}
