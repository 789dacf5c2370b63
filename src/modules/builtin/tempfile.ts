/**
 * ansible.builtin.tempfile: create a uniquely named empty file (mode 0600) or directory (0700)
 * on the target, named as Python's mkstemp/mkdtemp name them, in the target's temp dir.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { errnoText } from './support/failure.js';
import { join } from './support/paths.js';
import { addPathInfo } from './support/fsattrs.js';

export interface TempfileArgs {
  state?: 'file' | 'directory' | null;
  path?: string | null;
  prefix?: string | null;
  suffix?: string | null;
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_';

function randomName(): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return out;
}

/** Python's tempfile.gettempdir on the target: $TMPDIR, $TEMP, $TMP, then the usual dirs */
async function targetTempDir(ctx: ModuleContext): Promise<string> {
  const env = { ...(await ctx.conn.targetInfo()).env, ...ctx.env };
  const candidates = [env.TMPDIR, env.TEMP, env.TMP, '/tmp', '/var/tmp', '/usr/tmp'].filter((d): d is string => !!d);
  for (const dir of candidates) {
    const info = await ctx.conn.stat(dir, { follow: true, become: ctx.become });
    if (info?.type === 'directory') return dir;
  }
  return (await ctx.conn.targetInfo()).home;
}

async function tempfile(args: TempfileArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const dir = args.path ?? (await targetTempDir(ctx));
  const opts = { become: ctx.become };
  // like mkstemp: try fresh names until one is free
  for (let attempt = 0; attempt < 100; attempt++) {
    const path = join(dir, `${args.prefix ?? 'ansible.'}${randomName()}${args.suffix ?? ''}`);
    try {
      if (await ctx.conn.stat(path, { follow: false, ...opts })) continue;
      if (args.state === 'directory') {
        await ctx.conn.mkdir(path, { mode: 0o700, ...opts });
        await ctx.conn.chmod(path, 0o700, opts);
      } else {
        const parent = await ctx.conn.stat(dir, { follow: true, ...opts });
        if (!parent) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        if (parent.type !== 'directory') throw Object.assign(new Error('not a dir'), { code: 'ENOTDIR' });
        await ctx.conn.writeFile(path, '', { mode: 0o600, ...opts });
        await ctx.conn.chmod(path, 0o600, opts);
      }
    } catch (err) {
      return { changed: false, failed: true, msg: errnoText(err, path) };
    }
    const result: ModuleResult = { changed: true, path };
    await addPathInfo(ctx, result);
    return result;
  }
  return { changed: false, failed: true, msg: `[Errno 17] No usable temporary file name found` };
}

export const tempfileModule: ModuleDefinition = defineModule<TempfileArgs>({
  name: 'ansible.builtin.tempfile',
  spec: {
    short_description: 'Creates temporary files and directories',
    options: {
      state: { type: 'str', default: 'file', choices: ['file', 'directory'] },
      path: { type: 'path' },
      prefix: { type: 'str', default: 'ansible.' },
      suffix: { type: 'str', default: '' },
    },
  },
  supportsCheckMode: false,
  run: (args, ctx) => tempfile(args, ctx),
});
