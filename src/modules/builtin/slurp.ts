/**
 * ansible.builtin.slurp: a target file's content, base64-encoded, in the result (which lives on
 * the controller, as in Ansible).
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';

export interface SlurpArgs {
  src: string;
}

/** reads a target file as Ansible's slurp does; a failure comes back as slurp's message */
export async function slurpFile(ctx: ModuleContext, src: string): Promise<{ data: Buffer } | { msg: string }> {
  const info = await ctx.conn.stat(src, { follow: true, become: ctx.become });
  if (!info) return { msg: `file not found: ${src}` };
  if (info.type === 'directory') return { msg: `source is a directory and must be a file: ${src}` };
  try {
    return { data: await ctx.conn.readFile(src, { become: ctx.become }) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { msg: `file not found: ${src}` };
    if (code === 'EACCES' || code === 'EPERM') return { msg: `file is not readable: ${src}` };
    if (code === 'EISDIR') return { msg: `source is a directory and must be a file: ${src}` };
    return { msg: `unable to slurp file: ${(err as Error).message}` };
  }
}

export const slurpModule: ModuleDefinition = defineModule<SlurpArgs>({
  name: 'ansible.builtin.slurp',
  spec: {
    short_description: 'Slurps a file from remote nodes',
    options: {
      src: { type: 'path', required: true, aliases: ['path'] },
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx): Promise<ModuleResult> => {
    const read = await slurpFile(ctx, args.src);
    if ('msg' in read) return { changed: false, failed: true, msg: read.msg };
    return { changed: false, content: read.data.toString('base64'), source: args.src, encoding: 'base64' };
  },
});
