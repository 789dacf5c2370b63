/**
 * tsplay.pip.simple_index: publishes one platform directory of a pip mirror as a static simple
 * index (PEP 503 HTML, PEP 691 JSON, PEP 658 metadata), in stage/commit steps so the pip-mirrors
 * role can verify a staged index before it goes live. The role's files/simple_index.py does the
 * same under ansible-playbook and leaves the same bytes.
 */
import type { ModuleDefinition, ModuleContext, ModuleResult } from '../types.js';
import { connectionFs, localFs, type MirrorFs } from '../../mirror/fs.js';

export interface SimpleIndexArgs {
  path: string;
  action: 'stage' | 'commit' | 'publish';
  incoming?: string | null;
  prune: boolean;
  keep_previous: number;
}

function mirrorFsFor(ctx: ModuleContext): MirrorFs {
  // Straight to node:fs when the connection says its target is this process's machine and user
  // and no other user is involved: an index is thousands of small files, and that path is the fast one.
  if (ctx.conn.targetIsController && !ctx.become.become) return localFs;
  return connectionFs(ctx.conn, ctx.become);
}

export const simpleIndexModule: ModuleDefinition<SimpleIndexArgs> = {
  name: 'tsplay.pip.simple_index',
  aliases: ['simple_index'],
  supportsCheckMode: false,
  spec: {
    short_description: 'Publish a directory of wheels as a static pip index (PEP 503/691/658)',
    options: {
      path: { type: 'path', required: true, description: 'Platform directory holding the distributions (target/<platform>)' },
      action: {
        type: 'str',
        default: 'publish',
        choices: ['stage', 'commit', 'publish'],
        description: 'stage writes a new index beside the live one; commit makes it live and prunes; publish does both',
      },
      incoming: { type: 'path', description: "Directory holding only this run's files; they are moved into path" },
      prune: { type: 'bool', default: false, description: 'Remove distributions neither this run nor the kept previous runs resolved to' },
      keep_previous: { type: 'int', default: 0, description: "How many previous runs' files prune keeps" },
    },
  },
  async run(args, ctx): Promise<ModuleResult> {
    // the publisher (node:zlib, the zip reader) loads with the first index task, not at every start-up
    const { commit, stage, PublishError } = await import('../../mirror/publish.js');
    const fs = mirrorFsFor(ctx);
    const root = args.path.replace(/\/+$/, '') || '/';
    try {
      const result: ModuleResult = { changed: false, path: root };
      const warnings: string[] = [];
      if (args.action === 'stage' || args.action === 'publish') {
        const staged = await stage(fs, root, {
          incoming: args.incoming ?? undefined,
          prune: args.prune,
          keepPrevious: args.keep_previous,
        });
        Object.assign(result, {
          changed: staged.changed,
          index: staged.index,
          projects: staged.projects,
          files: staged.files,
          added: staged.added,
          remove: staged.remove,
        });
        warnings.push(...staged.warnings);
      }
      if (args.action === 'commit' || args.action === 'publish') {
        const committed = await commit(fs, root);
        result.changed = Boolean(result.changed) || committed.changed;
        result.index = committed.index;
        result.removed = committed.removed;
        if (args.action === 'commit') warnings.push(...committed.warnings);
      }
      for (const warning of warnings) ctx.warn(warning);
      return result;
    } catch (error) {
      if (error instanceof PublishError) return { failed: true, changed: false, msg: error.message };
      const code = (error as NodeJS.ErrnoException).code;
      if (code) return { failed: true, changed: false, msg: `publishing ${root} failed: ${(error as Error).message}` };
      throw error;
    }
  },
};
