/**
 * ansible.builtin.debconf: read a package's debconf answers with `debconf-show` and pre-seed one
 * with `debconf-set-selections` (fed on stdin), with Ansible 2.14's results: `current`,
 * `previous` (all answers when the question was new) and the diff of answers.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail } from '../builtin/support/failure.js';
import { splitLines } from '../builtin/support/lines.js';
import { shlexSplit } from '../../util/shlex.js';
import { missingBinary, run } from '../system/support.js';

export interface DebconfArgs {
  name: string;
  question?: string | null;
  vtype?: string | null;
  value?: string | null;
  unseen?: boolean | null;
}

async function binary(ctx: ModuleContext, name: string): Promise<string> {
  const res = await run(ctx, ['/bin/sh', '-c', `PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v ${name}`]);
  const found = res.stdout.trim().split('\n')[0];
  if (res.rc !== 0 || !found) fail(missingBinary(name));
  return found;
}

/** every answer debconf-show lists for the package, keyed by question (the seen mark `*` dropped) */
async function selections(ctx: ModuleContext, pkg: string): Promise<Record<string, string>> {
  // Ansible joins the command into one string and splits it again as a shell would, without a shell
  const res = await run(ctx, shlexSplit(`${await binary(ctx, 'debconf-show')} ${pkg}`));
  if (res.rc !== 0) fail(res.stderr);
  const out: Record<string, string> = {};
  for (const line of splitLines(res.stdout)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    out[line.slice(0, colon).replace(/^\*+|\*+$/g, '').trim()] = line.slice(colon + 1).trim();
  }
  return out;
}

async function debconf(a: DebconfArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const pkg = a.name;
  const question = a.question ?? null;
  let value = a.value ?? null;
  let prev = await selections(ctx, pkg);
  let changed = false;
  if (question !== null) {
    if (a.vtype == null || value === null) fail('when supplying a question you must supply a valid vtype and value');
    if (!(question in prev)) changed = true;
    else {
      let existing = prev[question];
      // booleans compare the way debconf spells them
      if (a.vtype === 'boolean') {
        value = value.toLowerCase();
        existing = existing.toLowerCase();
      }
      if (value !== existing) changed = true;
    }
  }
  let msg = '';
  if (changed && question !== null && value !== null) {
    if (!ctx.check) {
      const argv = [await binary(ctx, 'debconf-set-selections'), ...(a.unseen ? ['-u'] : [])];
      let answer = value;
      if (a.vtype === 'boolean') answer = answer === 'True' ? 'true' : answer === 'False' ? 'false' : answer;
      const res = await run(ctx, argv, { stdin: [pkg, question, a.vtype, answer].join(' ') });
      if (res.rc !== 0) fail(res.stderr);
      msg = res.stdout;
    }
    const current = { [question]: value };
    // a question already there is shown alone; a new one is added to everything there was
    if (question in prev) prev = { [question]: prev[question] };
    else prev[question] = '';
    const diff = ctx.diff ? { before: prev, after: { ...prev, ...current } } : {};
    return { changed, msg, current, previous: prev, diff };
  }
  return { changed, msg, current: prev };
}

export const debconfModule: ModuleDefinition = defineModule<DebconfArgs>({
  name: 'ansible.builtin.debconf',
  spec: {
    short_description: 'Configure a .deb package',
    options: {
      name: { type: 'str', required: true, aliases: ['pkg'] },
      question: { type: 'str', aliases: ['selection', 'setting'] },
      vtype: { type: 'str', choices: ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'] },
      value: { type: 'str', aliases: ['answer'] },
      unseen: { type: 'bool', default: false },
    },
    required_together: [['question', 'vtype', 'value']],
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await debconf(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
