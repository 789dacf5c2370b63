/**
 * ansible.builtin.fetch: copy a file from the target to the controller (the action plugin's
 * work in Ansible; the `dest` tree is on the controller by design). Files are stored as
 * DEST/<inventory_hostname>/<absolute source path>, or at DEST itself with flat=yes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { slurpFile } from './slurp.js';
import { expandTargetUser } from './support/targethome.js';

export interface FetchArgs {
  src?: unknown;
  dest?: unknown;
  fail_on_missing?: boolean | null;
  validate_checksum?: boolean | null;
  flat?: boolean | null;
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** Ansible's checksum(): sha1 of a controller file, or null when missing or not a file */
async function localFile(file: string): Promise<Buffer | null> {
  try {
    if (!(await stat(file)).isFile()) return null;
    return await readFile(file);
  } catch {
    return null;
  }
}

async function fetch(args: FetchArgs, ctx: ModuleContext): Promise<ModuleResult> {
  if (ctx.check) return { changed: false, skipped: true, msg: 'check mode not (yet) supported for this module' };
  const failOnMissing = args.fail_on_missing ?? true;
  const validateChecksum = args.validate_checksum ?? true;
  let msg = '';
  if (typeof args.src !== 'string') msg = 'Invalid type supplied for source option, it must be a string';
  if (typeof args.dest !== 'string') msg = 'Invalid type supplied for dest option, it must be a string';
  if (args.src == null || args.dest == null) msg = 'src and dest are required';
  if (msg) return { changed: false, failed: true, msg };

  const source = await expandTargetUser(ctx, args.src as string);
  let dest = args.dest as string;
  const result: ModuleResult = {};

  const info = await ctx.conn.stat(source, { follow: true, become: ctx.become }).catch(() => null);
  if (info?.type === 'directory') {
    if (!failOnMissing) return { changed: false, msg: 'remote file is a directory, fetch cannot work on directories, not transferring, ignored' };
    return { failed: true, changed: false, msg: 'remote file is a directory, fetch cannot work on directories' };
  }
  const read = await slurpFile(ctx, source);
  if ('msg' in read) {
    if (!failOnMissing) Object.assign(result, { file: source, changed: false });
    else Object.assign(result, { changed: false, failed: true, msg: read.msg });
    if (read.msg.includes('not found')) result.msg = 'the remote file does not exist, not transferring, ignored';
    else if (read.msg.startsWith('source is a directory')) result.msg = 'remote file is a directory, fetch cannot work on directories';
    else result.msg = read.msg;
    return result;
  }
  const remoteChecksum = sha1(read.data);

  const base = typeof ctx.vars.playbook_dir === 'string' ? ctx.vars.playbook_dir : process.cwd();
  const dwim = (p: string) => (path.isAbsolute(p) ? p : path.join(base, p));
  if (args.flat) {
    const isDir = await stat(dest).then((s) => s.isDirectory(), () => false);
    if (isDir && !dest.endsWith('/')) {
      return { changed: false, failed: true, msg: 'dest is an existing directory, use a trailing slash if you want to fetch src into that directory' };
    }
    if (dest.endsWith('/')) dest = path.join(dest, path.posix.basename(source));
    if (!dest.startsWith('/')) dest = dwim(dest);
  } else {
    dest = `${dwim(dest)}/${ctx.host}/${source}`;
  }
  dest = path.normalize(dest);

  const local = await localFile(dest);
  if (local === null || sha1(local) !== remoteChecksum) {
    try {
      await mkdir(path.dirname(dest), { recursive: true });
      const tmp = `${dest}.tsplay-${process.pid}-${Date.now()}`;
      await writeFile(tmp, read.data);
      await rename(tmp, dest).catch(async (err) => {
        await rm(tmp, { force: true });
        throw err;
      });
    } catch (err) {
      return { changed: false, failed: true, msg: `Failed to fetch the file: ${(err as Error).message}` };
    }
    const written = (await localFile(dest)) ?? Buffer.alloc(0);
    const newChecksum = sha1(written);
    if (validateChecksum && newChecksum !== remoteChecksum) {
      return {
        failed: true, md5sum: md5(written), msg: 'checksum mismatch', file: source, dest,
        remote_md5sum: null, checksum: newChecksum, remote_checksum: remoteChecksum,
      };
    }
    return { changed: true, md5sum: md5(written), dest, remote_md5sum: null, checksum: newChecksum, remote_checksum: remoteChecksum };
  }
  return { changed: false, md5sum: md5(local), file: source, dest, checksum: sha1(local) };
}

export const fetchModule: ModuleDefinition = defineModule<FetchArgs>({
  name: 'ansible.builtin.fetch',
  spec: {
    short_description: 'Fetch files from remote nodes',
    // the action plugin checks src and dest itself, with its own messages
    options: {
      src: { type: 'raw' },
      dest: { type: 'raw' },
      fail_on_missing: { type: 'bool', default: true },
      validate_checksum: { type: 'bool', default: true },
      flat: { type: 'bool', default: false },
    },
  },
  supportsCheckMode: true,
  run: (args, ctx) => fetch(args, ctx),
});
