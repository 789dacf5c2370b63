/**
 * ansible.builtin.stat: facts about one path, with the keys Ansible 2.14 reports. The file
 * itself is read only for a checksum; mime type and attributes come from file(1) and lsattr(1)
 * in one shell call, as Ansible runs those same tools.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { permissionFlags, rawMode, statCore, type FileInfoDetail } from './support/fileinfo.js';
import { Accounts } from './support/users.js';
import { digest } from './support/hash.js';
import { resolveLinks } from './support/paths.js';
import { errnoText } from './support/failure.js';

export interface StatArgs {
  path: string;
  follow?: boolean | null;
  get_md5?: boolean | null;
  get_checksum?: boolean | null;
  get_mime?: boolean | null;
  get_attributes?: boolean | null;
  checksum_algorithm?: string | null;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents',
  E: 'encrypted', h: 'blocksize', i: 'immutable', I: 'indexed', j: 'journalled', N: 'inline', s: 'zero',
  S: 'synchronous', t: 'notail', T: 'blockroot', u: 'undelete', X: 'compressedraw', Z: 'compresseddirty',
};


/** the uid the module would run as on the target */
async function effectiveUid(ctx: ModuleContext): Promise<number> {
  if (ctx.become.become) {
    const user = ctx.become.user || 'root';
    if (user === 'root') return 0;
    return (await Accounts.of(ctx.conn)).uid(user) ?? 0;
  }
  return (await ctx.conn.targetInfo()).uid;
}

/** os.access: root may read and write anything and execute what has an x bit (or is a directory) */
function access(target: FileInfoDetail | null, uid: number, bit: 4 | 2 | 1): boolean {
  if (!target) return false;
  if (uid === 0) return bit !== 1 || target.type === 'directory' || (target.mode & 0o111) !== 0;
  const shift = target.uid === uid ? 6 : target.gid === uid ? 3 : 0;
  return ((target.mode >> shift) & bit) !== 0;
}

async function mimeAndAttributes(ctx: ModuleContext, path: string, wantMime: boolean, wantAttr: boolean) {
  const script = [
    wantMime ? 'command -v file >/dev/null 2>&1 && file --mime-type --mime-encoding "$1" 2>/dev/null' : ':',
    'echo "@@tsplay@@"',
    wantAttr ? 'command -v lsattr >/dev/null 2>&1 && lsattr -vd "$1" 2>/dev/null' : ':',
  ].join('; ');
  const res = await ctx.conn.exec(['/bin/sh', '-c', script, 'sh', path], { become: ctx.become });
  const [mimePart, attrPart] = res.stdout.split('@@tsplay@@\n');
  const out: Record<string, unknown> = {};
  if (wantMime) {
    out.mimetype = 'unknown';
    out.charset = 'unknown';
    const line = mimePart.trim();
    const colon = line.lastIndexOf(':');
    if (colon >= 0) {
      const [mimetype, charset] = line.slice(colon + 1).split(';');
      if (charset !== undefined) {
        out.mimetype = mimetype.trim();
        out.charset = charset.split('=')[1]?.trim();
      }
    }
  }
  if (wantAttr) {
    out.version = null;
    out.attributes = [];
    out.attr_flags = '';
    const fields = (attrPart ?? '').trim().split(/\s+/);
    if (fields.length >= 3) {
      const flags = fields[1].replace(/-/g, '').trim();
      out.version = fields[0].trim();
      out.attr_flags = flags;
      out.attributes = [...flags].filter((f) => ATTRIBUTE_NAMES[f]).map((f) => ATTRIBUTE_NAMES[f]);
    }
  }
  return out;
}

export async function runStat(args: StatArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const path = args.path;
  let info: FileInfoDetail | null;
  try {
    info = (await ctx.conn.stat(path, { follow: !!args.follow, become: ctx.become })) as FileInfoDetail | null;
  } catch (err) {
    return { changed: false, failed: true, msg: errnoText(err).replace(/^\[Errno \d+\] /, '').replace(/: '.*'$/, '') };
  }
  if (!info) return { changed: false, stat: { exists: false } };
  const mode = rawMode(info);
  const st: Record<string, unknown> = {
    exists: true,
    path,
    ...statCore(info),
    ...permissionFlags(mode),
  };
  if (info.blocks !== undefined) st.blocks = info.blocks;
  if (info.blksize !== undefined) st.block_size = info.blksize;
  if (info.rdev !== undefined) st.device_type = info.rdev;
  for (const key of Object.keys(st)) if (st[key] === undefined) delete st[key];

  // os.access follows links
  const target = info.type === 'link' ? ((await ctx.conn.stat(path, { follow: true, become: ctx.become })) as FileInfoDetail | null) : info;
  const uid = await effectiveUid(ctx);
  st.readable = access(target, uid, 4);
  st.writeable = access(target, uid, 2);
  st.executable = access(target, uid, 1);
  if (st.islnk) {
    st.lnk_source = await resolveLinks(ctx, path);
    st.lnk_target = info.linkTarget ?? (await ctx.conn.readlink(path, { become: ctx.become }));
  }
  const accounts = await Accounts.of(ctx.conn);
  const pw = accounts.userName(info.uid);
  if (pw !== undefined) st.pw_name = pw;
  const gr = accounts.groupName(info.gid);
  if (gr !== undefined) st.gr_name = gr;
  if (st.isreg && st.readable && (args.get_md5 || args.get_checksum !== false)) {
    const algorithm = args.checksum_algorithm ?? 'sha1';
    if (!args.get_md5 && algorithm === 'sha1') {
      // the common case is hashed on the target: no file content crosses the wire
      const sum = await ctx.conn.checksum(path, { become: ctx.become });
      if (sum !== null) st.checksum = sum;
    } else {
      const data = await ctx.conn.readFile(path, { become: ctx.become });
      if (args.get_md5) st.md5 = digest('md5', data);
      if (args.get_checksum !== false) st.checksum = digest(algorithm, data);
    }
  }
  const wantMime = args.get_mime !== false;
  const wantAttr = args.get_attributes !== false;
  if (wantMime || wantAttr) Object.assign(st, await mimeAndAttributes(ctx, path, wantMime, wantAttr));
  return { changed: false, stat: st };
}

export const statModule: ModuleDefinition = defineModule<StatArgs>({
  name: 'ansible.builtin.stat',
  spec: {
    short_description: 'Retrieve file or file system status',
    options: {
      path: { type: 'path', required: true, aliases: ['dest', 'name'] },
      follow: { type: 'bool', default: false },
      get_md5: { type: 'bool', default: false },
      get_checksum: { type: 'bool', default: true },
      get_mime: { type: 'bool', default: true, aliases: ['mime', 'mime_type', 'mime-type'] },
      get_attributes: { type: 'bool', default: true, aliases: ['attr', 'attributes'] },
      checksum_algorithm: {
        type: 'str',
        default: 'sha1',
        choices: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'],
        aliases: ['checksum', 'checksum_algo'],
      },
    },
  },
  supportsCheckMode: true,
  run: (args, ctx) => runStat(args, withStatCache(ctx)),
});
