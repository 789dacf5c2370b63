/**
 * ansible.builtin.group: make a group exist (with a gid) or not, with the shadow tools
 * (groupadd/groupmod/groupdel, or libuser's lgroup* with local=yes), as Ansible does on Linux.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { run } from './support.js';

export interface GroupArgs {
  name: string;
  state?: 'present' | 'absent' | null;
  gid?: number | null;
  system?: boolean | null;
  local?: boolean | null;
  non_unique?: boolean | null;
}

const GROUP_FILE = '/etc/group';

/** grp.getgrnam through NSS: [name, password, gid, members] or null */
async function groupEntry(ctx: ModuleContext, name: string): Promise<[string, string, number, string] | null> {
  const res = await run(ctx, ['getent', 'group', name]);
  if (res.rc !== 0) return null;
  const line = res.stdout.split('\n')[0];
  const [n, pw, gid, members] = line.split(':');
  return [n, pw, Number(gid), members ?? ''];
}

class GroupState {
  readonly warnings: string[] = [];
  constructor(
    private readonly ctx: ModuleContext,
    private readonly args: GroupArgs,
  ) {}

  async exists(): Promise<boolean> {
    if (!this.args.local) return (await groupEntry(this.ctx, this.args.name)) !== null;
    const info = await this.ctx.conn.stat(GROUP_FILE, { become: this.ctx.become });
    if (!info) throw new GroupFailure(`'local: true' specified but unable to find local group file ${GROUP_FILE} to parse.`);
    const text = (await this.ctx.conn.readFile(GROUP_FILE, { become: this.ctx.become })).toString('latin1');
    const found = text.split(/(?<=\n)/).some((line) => line.startsWith(`${this.args.name}:`));
    if (!found) {
      this.warnings.push(
        `'local: true' specified and group was not found in ${GROUP_FILE}. The local group may already exist if the local group database exists somewhere other than ${GROUP_FILE}.`,
      );
    }
    return found;
  }

  async info(): Promise<[string, string, number, string] | null> {
    if (!(await this.exists())) return null;
    return groupEntry(this.ctx, this.args.name);
  }

  /** libuser's tools do not check gid clashes themselves */
  async checkGidFree(): Promise<void> {
    if (!this.args.gid) return;
    const all = await run(this.ctx, ['getent', 'group']);
    for (const line of all.stdout.split('\n')) {
      const [name, , gid] = line.split(':');
      if (name && Number(gid) === this.args.gid && name !== this.args.name) {
        throw new GroupFailure(`GID '${this.args.gid}' already exists with group '${name}'`);
      }
    }
  }

  del() {
    return run(this.ctx, [this.args.local ? 'lgroupdel' : 'groupdel', this.args.name]);
  }

  async add() {
    if (this.args.local) await this.checkGidFree();
    const cmd = [this.args.local ? 'lgroupadd' : 'groupadd'];
    if (this.args.gid != null) {
      cmd.push('-g', String(this.args.gid));
      if (this.args.non_unique) cmd.push('-o');
    }
    if (this.args.system) cmd.push('-r');
    cmd.push(this.args.name);
    return run(this.ctx, cmd);
  }

  /** null when nothing needs changing */
  async mod(): Promise<{ rc: number; stdout: string; stderr: string } | null> {
    if (this.args.local) await this.checkGidFree();
    const cmd = [this.args.local ? 'lgroupmod' : 'groupmod'];
    const info = await this.info();
    if (this.args.gid != null && info && info[2] !== this.args.gid) {
      cmd.push('-g', String(this.args.gid));
      if (this.args.non_unique) cmd.push('-o');
    }
    if (cmd.length === 1) return null;
    if (this.ctx.check) return { rc: 0, stdout: '', stderr: '' };
    cmd.push(this.args.name);
    return run(this.ctx, cmd);
  }
}

class GroupFailure extends Error {}

async function group(args: GroupArgs, ctx: ModuleContext, state: GroupState): Promise<ModuleResult> {
  const result: ModuleResult = { name: args.name, state: args.state ?? 'present' };
  let res: { rc: number; stdout: string; stderr: string } | null = null;
  if ((args.state ?? 'present') === 'absent') {
    if (await state.exists()) {
      if (ctx.check) return { changed: true };
      res = await state.del();
      if (res.rc !== 0) return { changed: false, failed: true, name: args.name, msg: res.stderr };
    }
  } else {
    if (!(await state.exists())) {
      if (ctx.check) return { changed: true };
      res = await state.add();
    } else {
      res = await state.mod();
    }
    if (res && res.rc !== 0) return { changed: false, failed: true, name: args.name, msg: res.stderr };
  }
  result.changed = res !== null;
  if (res?.stdout) result.stdout = res.stdout;
  if (res?.stderr) result.stderr = res.stderr;
  const info = await state.info();
  if (info) {
    result.system = args.system ?? false;
    result.gid = info[2];
  }
  return result;
}

export const groupModule: ModuleDefinition = defineModule<GroupArgs>({
  name: 'ansible.builtin.group',
  spec: {
    short_description: 'Add or remove groups',
    options: {
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
      name: { type: 'str', required: true },
      gid: { type: 'int' },
      system: { type: 'bool', default: false },
      local: { type: 'bool', default: false },
      non_unique: { type: 'bool', default: false },
    },
    required_if: [['non_unique', true, ['gid']]],
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    const state = new GroupState(ctx, args);
    let result: ModuleResult;
    try {
      result = await group(args, ctx, state);
    } catch (err) {
      if (!(err instanceof GroupFailure)) throw err;
      result = { changed: false, failed: true, msg: err.message };
    }
    if (state.warnings.length) result.warnings = state.warnings; // repeated as often as Ansible repeats them
    return result;
  },
});
