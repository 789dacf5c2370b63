/**
 * The copy action as Ansible 2.14 runs it (controller side) together with the copy module it
 * calls (target side), without the temp-file transfer in between: the bytes go straight to an
 * atomic write on the target. Shared with the template module, which is copy of rendered text.
 */
import type { ModuleContext, ModuleResult, DiffEntry } from '../types.js';
import { ModuleFailure, fail } from './support/failure.js';
import { addPathInfo, applyFileAttributes, lstatOf, statOf, resolveMode, targetUmask } from './support/fsattrs.js';
import type { FileInfoDetail } from './support/fileinfo.js';
import { sha1, md5 } from './support/hash.js';
import { backupLocal } from './support/backup.js';
import { resolveLinks, dirname, basename } from './support/paths.js';
import { joinPath } from './support/walk.js';
import { runFile } from './file.js';
import { splitLines } from './support/lines.js';

/** Ansible's MAX_FILE_SIZE_FOR_DIFF default */
const MAX_DIFF_SIZE = 104448;

export interface CopyArgs {
  src?: string | null;
  content?: unknown;
  dest: string;
  backup?: boolean | null;
  force?: boolean | null;
  validate?: string | null;
  directory_mode?: unknown;
  remote_src?: boolean | null;
  local_follow?: boolean | null;
  checksum?: string | null;
  follow?: boolean | null;
  mode?: unknown;
  owner?: string | null;
  group?: string | null;
  decrypt?: boolean | null;
  _original_basename?: string | null;
}

/** one file to put on the target */
export interface SourceFile {
  data: Buffer;
  /** where it goes below a directory dest (its basename, or its path inside a copied tree) */
  rel: string;
  /** shown as the diff's after_header */
  header: string;
  /** the source's own permission bits, for mode=preserve */
  mode?: number;
}

async function readDest(ctx: ModuleContext, path: string): Promise<Buffer | null> {
  try {
    return await ctx.conn.readFile(path, { become: ctx.become });
  } catch {
    return null;
  }
}

/** Ansible's _get_diff_data: what the callback shows for a changed file */
export async function diffData(ctx: ModuleContext, destFile: string, source: SourceFile): Promise<DiffEntry & Record<string, unknown>> {
  const diff: DiffEntry & Record<string, unknown> = {};
  const info = await statOf(ctx, destFile);
  if (!info) {
    diff.before = '';
  } else {
    const head = info.type === 'file' ? await readDest(ctx, destFile) : null;
    if (head && head.subarray(0, 8192).includes(0)) diff.dst_binary = 1;
    else if (info.size && info.size > MAX_DIFF_SIZE) diff.dst_larger = MAX_DIFF_SIZE;
    else if (head) {
      diff.before_header = destFile;
      diff.before = head.toString('utf8');
    }
  }
  if (source.data.length > MAX_DIFF_SIZE) diff.src_larger = MAX_DIFF_SIZE;
  else if (source.data.includes(0)) diff.src_binary = 1;
  else {
    diff.after_header = source.header;
    diff.after = source.data.toString('utf8');
  }
  return diff;
}

function sameContent(info: FileInfoDetail | null, currentSum: string | null, wantedSum: string): boolean {
  return !!info && info.type === 'file' && currentSum !== null && currentSum === wantedSum;
}

/** the sha1 of the file on the target, computed there (null when unreadable or not a file) */
async function destChecksum(ctx: ModuleContext, path: string): Promise<string | null> {
  try {
    return await ctx.conn.checksum(path, { become: ctx.become });
  } catch {
    return null;
  }
}

/** the wanted mode when it is a plain number, so the atomic write can set it before the rename */
function numericMode(mode: unknown): number | undefined {
  if (typeof mode === 'number' && Number.isInteger(mode)) return mode;
  if (typeof mode === 'string' && /^[0-7]+$/.test(mode.trim())) return parseInt(mode.trim(), 8);
  return undefined;
}

/** mkdir -p for the copy module, giving each new directory directory_mode/owner/group */
async function makeParents(ctx: ModuleContext, dir: string, args: CopyArgs): Promise<void> {
  const missing: string[] = [];
  let cursor = dir;
  while (cursor !== '/' && cursor !== '.' && !(await statOf(ctx, cursor))) {
    missing.unshift(cursor);
    cursor = dirname(cursor);
  }
  for (const d of missing) {
    await ctx.conn.mkdir(d, { become: ctx.become });
    await applyFileAttributes(ctx, { path: d, mode: args.directory_mode ?? null, owner: args.owner, group: args.group }, true);
  }
}

/**
 * The copy module proper for one file whose bytes differ from the target's: resolve the final
 * path, back up, validate, write atomically, then apply owner/group/mode.
 */
export async function writeOne(ctx: ModuleContext, args: CopyArgs, dest: string, source: SourceFile, srcLabel: string): Promise<ModuleResult> {
  const checksum = sha1(source.data);
  const res: ModuleResult = { changed: false };
  try {
    if (args.checksum && args.checksum !== checksum) {
      fail('Copied file does not match the expected checksum. Transfer failed.', { checksum, expected_checksum: args.checksum });
    }
    if (!dest.includes('/')) dest = `./${dest}`;
    let mode = args.mode;
    if (mode === 'preserve') mode = source.mode !== undefined ? '0' + source.mode.toString(8).padStart(3, '0') : null;
    if (dest.endsWith('/')) {
      dest = joinPath(dest, source.rel);
      const parent = dirname(dest);
      if (!(await statOf(ctx, parent))) await makeParents(ctx, parent, args);
    }
    // one lstat serves both questions (is dest a directory, what is there) unless it is a link
    let existing = await lstatOf(ctx, dest);
    const asDir = existing?.type === 'link' ? await statOf(ctx, dest) : existing;
    if (asDir?.type === 'directory') {
      dest = joinPath(dest, source.rel);
      existing = await lstatOf(ctx, dest);
    }
    let followedExisting = existing;
    if (existing?.type === 'link') {
      followedExisting = await statOf(ctx, dest);
      if (followedExisting && args.follow) {
        dest = await resolveLinks(ctx, dest);
        existing = followedExisting;
      }
    }
    if (!followedExisting) {
      const parent = await statOf(ctx, dirname(dest));
      if (!parent) fail(`Destination directory ${dirname(dest)} does not exist`);
    }
    // the target may already hold these bytes (e.g. a second path to the same file)
    const current = existing?.type === 'file' && existing.size === source.data.length ? await destChecksum(ctx, dest) : null;
    let backupFile: string | undefined;
    const differs = !sameContent(existing, current, checksum) || existing?.type === 'link';
    if (differs) {
      if (!ctx.check) {
        if (args.backup && followedExisting) backupFile = await backupLocal(ctx, dest);
        if (args.validate) {
          if (!args.validate.includes('%s')) fail(`validate must contain %s: ${args.validate}`);
          const tmp = joinPath(await ctx.conn.tempDir(), `validate-${process.pid}-${Date.now()}-${basename(dest)}`);
          const m = numericMode(mode);
          await ctx.conn.writeFile(tmp, source.data, { mode: m ?? 0o600, become: ctx.become });
          try {
            const check = await ctx.conn.exec(args.validate.split('%s').join(tmp), { become: ctx.become, env: ctx.env });
            if (check.rc !== 0) {
              fail('failed to validate', {
                exit_status: check.rc,
                stdout: check.stdout,
                stderr: check.stderr,
                stdout_lines: splitLines(check.stdout),
                stderr_lines: splitLines(check.stderr),
              });
            }
          } finally {
            await ctx.conn.remove(tmp, { become: ctx.become }).catch(() => undefined);
          }
        }
        const m = numericMode(mode);
        const newFile = !existing || existing.type === 'link';
        // a replaced file keeps its mode unless one is asked for; a new one gets the umask default
        const writeMode = m ?? (newFile ? 0o666 & ~(await targetUmask(ctx)) : undefined);
        await ctx.conn.writeFile(dest, source.data, { mode: writeMode, become: ctx.become });
      }
      res.changed = true;
    }
    Object.assign(res, { dest, src: srcLabel, md5sum: md5(source.data), checksum });
    if (backupFile) res.backup_file = backupFile;
    res.changed = await applyFileAttributes(ctx, { path: dest, mode, owner: args.owner, group: args.group }, !!res.changed);
  } catch (err) {
    if (!(err instanceof ModuleFailure)) throw err;
    Object.assign(res, err.result, { failed: true });
    if (!res.checksum) res.checksum = checksum;
    return res;
  }
  await addPathInfo(ctx, res);
  return res;
}

/** Ansible's _copy_file: returns null when the file exists and force is off */
export async function copyFile(
  ctx: ModuleContext,
  args: CopyArgs,
  source: SourceFile,
  dest: string,
  follow: boolean,
  isContent: boolean,
  srcLabel: string,
): Promise<ModuleResult | null> {
  const force = args.force ?? true;
  const result: ModuleResult = { diff: [] };
  let destFile = dest.endsWith('/') ? joinPath(dest, source.rel) : dest;
  let status = (await ctx.conn.stat(destFile, { follow, become: ctx.become })) as FileInfoDetail | null;
  if (status?.type === 'directory') {
    if (isContent) return { ...result, failed: true, msg: 'can not use content with a dir as dest' };
    destFile = joinPath(dest, source.rel);
    status = (await ctx.conn.stat(destFile, { follow, become: ctx.become })) as FileInfoDetail | null;
  }
  if (status && !force) return null;
  // equal sizes are the only case worth hashing the target's file for (on the target)
  const current = status?.type === 'file' && status.size === source.data.length ? await destChecksum(ctx, destFile) : null;
  const checksum = sha1(source.data);
  let moduleReturn: ModuleResult;
  if (!sameContent(status, current, checksum)) {
    if (ctx.diff) (result.diff as DiffEntry[]).push(await diffData(ctx, destFile, source));
    if (ctx.check) return { ...result, changed: true };
    moduleReturn = await writeOne(ctx, args, dest, source, srcLabel);
  } else {
    let fileDest = dest;
    if (follow) {
      const own = await lstatOf(ctx, destFile);
      if (own?.type === 'link' && own.linkTarget) fileDest = own.linkTarget;
    }
    const mode = args.mode === 'preserve' ? (source.mode !== undefined ? source.mode : null) : args.mode;
    moduleReturn = await runFile(
      {
        path: fileDest,
        _original_basename: source.rel,
        state: 'file',
        recurse: false,
        follow: true,
        force: false,
        mode,
        owner: args.owner,
        group: args.group,
      },
      ctx,
    );
  }
  if (!moduleReturn.checksum) moduleReturn.checksum = checksum;
  return { ...result, ...moduleReturn };
}

/** checks the copy action makes before anything else, with Ansible's messages */
export function copyArgumentError(args: CopyArgs): string | undefined {
  if (!args.src && args.content == null) return 'src (or content) is required';
  if (!args.dest) return 'dest is required';
  if (args.src && args.content != null) return 'src and content are mutually exclusive';
  if (args.content != null && args.dest.endsWith('/')) return 'can not use content with a dir as dest';
  return undefined;
}

export { resolveMode };
