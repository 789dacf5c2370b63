/**
 * ansible.builtin.getent: run getent(1) on the target and return its entries as the fact
 * getent_<database>, keyed by each line's first field.
 */
import type { ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { splitLines } from './support/lines.js';

export interface GetentArgs {
  database: string;
  key?: string | null;
  service?: string | null;
  split?: string | null;
  fail_key?: boolean | null;
}

const COLON_DATABASES = ['passwd', 'shadow', 'group', 'gshadow'];

/** Python's str.split(sep), or split on whitespace runs when sep is null */
function pySplit(text: string, sep: string | null): string[] {
  if (sep === null) return text.split(/[ \t\n\r\f\v\x1c-\x1f\x85]+/).filter((s) => s !== '');
  return text.split(sep);
}

export const getentModule: ModuleDefinition = defineModule<GetentArgs>({
  name: 'ansible.builtin.getent',
  spec: {
    short_description: 'A wrapper to the unix getent utility',
    options: {
      database: { type: 'str', required: true },
      key: { type: 'str', no_log: false },
      service: { type: 'str' },
      split: { type: 'str' },
      fail_key: { type: 'bool', default: true },
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx): Promise<ModuleResult> => {
    const cmd = ['getent', args.database];
    if (args.key != null) cmd.push(args.key);
    if (args.service != null) cmd.push('-s', args.service);
    const split = args.split ?? (COLON_DATABASES.includes(args.database) ? ':' : null);
    const res = await ctx.conn.exec(cmd, { become: ctx.become, env: ctx.env });
    if (res.rc === 127) return { changed: false, failed: true, msg: 'Failed to find required executable "getent" in paths: /usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin' };
    const tree: Record<string, unknown> = {};
    const fact = `getent_${args.database}`;
    if (res.rc === 0) {
      const seen = new Map<string, number>();
      for (const line of splitLines(res.stdout)) {
        const [first, ...rest] = pySplit(line, split);
        const n = seen.get(first) ?? 0;
        if (n === 0) tree[first] = rest;
        else {
          if (n === 1) tree[first] = [tree[first]];
          (tree[first] as unknown[]).push(rest);
        }
        seen.set(first, n + 1);
      }
      return { changed: false, ansible_facts: { [fact]: tree } };
    }
    let msg = 'Unexpected failure!';
    if (res.rc === 1) msg = 'Missing arguments, or database unknown.';
    else if (res.rc === 2) {
      msg = 'One or more supplied key could not be found in the database.';
      if (!args.fail_key) return { changed: false, ansible_facts: { [fact]: { [String(args.key)]: null } }, msg };
    } else if (res.rc === 3) msg = 'Enumeration not supported on this database.';
    return { changed: false, failed: true, msg };
  },
});
