/**
 * ansible.builtin.user on Linux: make an account exist with the given properties (useradd /
 * usermod / userdel, or libuser's tools with local=yes), its home directory, optional SSH key
 * and password ageing, in Ansible 2.14's order and with its results and messages.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import type { ExecResult } from '../../connection/types.js';
import { defineModule } from '../builtin/support/define.js';
import { dirname, join } from '../builtin/support/paths.js';
import { run } from './support.js';
import { getgrall, getgrgid, getgrnam, getpwnam, getspnam, type GroupEntry, type PasswdEntry } from './accounts.js';

export interface UserArgs {
  name: string;
  state?: 'present' | 'absent' | null;
  uid?: number | null;
  non_unique?: boolean | null;
  group?: string | null;
  groups?: string[] | null;
  comment?: string | null;
  home?: string | null;
  shell?: string | null;
  password?: string | null;
  password_expire_max?: number | null;
  password_expire_min?: number | null;
  seuser?: string | null;
  force?: boolean | null;
  remove?: boolean | null;
  create_home?: boolean | null;
  skeleton?: string | null;
  system?: boolean | null;
  move_home?: boolean | null;
  append?: boolean | null;
  generate_ssh_key?: boolean | null;
  ssh_key_bits?: number | null;
  ssh_key_type?: string | null;
  ssh_key_file?: string | null;
  ssh_key_comment?: string | null;
  ssh_key_passphrase?: string | null;
  update_password?: 'always' | 'on_create' | null;
  expires?: number | null;
  password_lock?: boolean | null;
  local?: boolean | null;
  umask?: string | null;
}

type Cmd = { rc: number | null; stdout: string; stderr: string };
const NOTHING: Cmd = { rc: null, stdout: '', stderr: '' };
const PASSWORD_FILE = '/etc/passwd';
const LOGIN_DEFS = '/etc/login.defs';

class Failure extends Error {
  constructor(readonly result: ModuleResult & { msg: string }) {
    super(result.msg);
  }
}

/** Python's time.gmtime(t)[:3] as YYYY-MM-DD */
function utcDate(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().slice(0, 10);
}

class LinuxUser {
  readonly warnings: string[] = [];
  readonly groups: string | null;
  readonly sshFile: string;

  constructor(
    private readonly ctx: ModuleContext,
    readonly a: UserArgs,
  ) {
    this.groups = a.groups != null ? a.groups.join(',') : null;
    this.sshFile = a.ssh_key_file ?? join('.ssh', `id_${a.ssh_key_type ?? 'rsa'}`);
    if (a.umask != null && a.local) throw new Failure({ msg: "'umask' can not be used with 'local'" });
    if (this.groups === null && a.append) {
      this.warnings.push("'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.This will change to an error in Ansible 2.14.");
    }
  }

  /** execute_command: in check mode (unless told otherwise) nothing runs and all is well */
  async exec(argv: Array<string | number>, opts: { stdin?: string; obeyCheck?: boolean } = {}): Promise<ExecResult> {
    if (this.ctx.check && opts.obeyCheck !== false) return { rc: 0, stdout: '', stderr: '' };
    return run(this.ctx, argv.map(String), { stdin: opts.stdin });
  }

  checkPasswordEncrypted(): void {
    const pw = this.a.password;
    if (!pw) return;
    let maybeInvalid = false;
    if (!['*', '!', '*************'].includes(pw)) {
      if (/[:*!]/.test(pw)) maybeInvalid = true;
      if (!pw.includes('$')) maybeInvalid = true;
      else {
        const fields = pw.split('$');
        if (fields.length >= 3) {
          const last = fields[fields.length - 1];
          if (/[^a-zA-Z0-9./=]/.test(last)) maybeInvalid = true;
          if (fields[1] === '1' && last.length !== 22) maybeInvalid = true;
          if (fields[1] === '5' && last.length !== 43) maybeInvalid = true;
          if (fields[1] === '6' && last.length !== 86) maybeInvalid = true;
        } else maybeInvalid = true;
      }
    }
    if (maybeInvalid) {
      this.warnings.push("The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.");
    }
  }

  async exists(): Promise<boolean> {
    if (!this.a.local) return (await getpwnam(this.ctx, this.a.name)) !== null;
    const info = await this.ctx.conn.stat(PASSWORD_FILE, { become: this.ctx.become });
    if (!info) throw new Failure({ msg: `'local: true' specified but unable to find local account file ${PASSWORD_FILE} to parse.` });
    const text = (await this.ctx.conn.readFile(PASSWORD_FILE, { become: this.ctx.become })).toString('latin1');
    const found = text.split('\n').some((l) => l.startsWith(`${this.a.name}:`));
    if (!found) {
      this.warnings.push(
        `'local: true' specified and user '${this.a.name}' was not found in ${PASSWORD_FILE}. The local user account may already exist if the local account database exists somewhere other than ${PASSWORD_FILE}.`,
      );
    }
    return found;
  }

  async pwdInfo(): Promise<PasswdEntry | null> {
    if (!(await this.exists())) return null;
    return getpwnam(this.ctx, this.a.name);
  }

  /** the passwd entry with the shadow password in place of 'x' */
  async info(): Promise<PasswdEntry | null> {
    if (!(await this.exists())) return null;
    const info = await getpwnam(this.ctx, this.a.name);
    if (info && info[1].length <= 1) info[1] = (await this.password())[0];
    return info;
  }

  async password(): Promise<[string, number | string]> {
    const sp = await getspnam(this.ctx, this.a.name);
    return sp ? [sp.pwdp, sp.expire] : ['', ''];
  }

  async groupExists(group: string): Promise<boolean> {
    return (await this.groupInfo(group)) !== null;
  }

  async groupInfo(group: string): Promise<GroupEntry | null> {
    if (/^\s*[+-]?\d+\s*$/.test(group)) {
      const byGid = await getgrgid(this.ctx, Number(group));
      if (byGid) return byGid;
    }
    return getgrnam(this.ctx, group);
  }

  async groupsSet(removeExisting: boolean): Promise<string[]> {
    const info = await this.info();
    const groups = [...new Set((this.groups ?? '').split(',').filter((g) => g).map((g) => g.trim()))];
    const out: string[] = [];
    for (const g of groups) {
      const gi = await this.groupInfo(g);
      if (!gi) throw new Failure({ msg: `Group ${g} does not exist` });
      if (info && removeExisting && gi.gid === info[3]) continue;
      out.push(g);
    }
    return out;
  }

  async membership(): Promise<string[]> {
    return (await getgrall(this.ctx)).filter((g) => g.members.includes(this.a.name)).map((g) => g.name);
  }

  remove(): Promise<ExecResult> {
    const cmd = [this.a.local ? 'luserdel' : 'userdel'];
    if (this.a.force && !this.a.local) cmd.push('-f');
    if (this.a.remove) cmd.push('-r');
    cmd.push(this.a.name);
    return this.exec(cmd);
  }

  async create(): Promise<Cmd> {
    const a = this.a;
    const cmd: Array<string | number> = [a.local ? 'luseradd' : 'useradd'];
    if (a.uid != null) {
      cmd.push('-u', a.uid);
      if (a.non_unique) cmd.push('-o');
    }
    if (a.seuser != null) cmd.push('-Z', a.seuser);
    if (a.group != null) {
      if (!(await this.groupExists(a.group))) throw new Failure({ msg: `Group ${a.group} does not exist` });
      cmd.push('-g', a.group);
    } else if (await this.groupExists(a.name)) {
      // Debian's useradd: -N keeps it from trying to make the same-named group
      cmd.push(a.local ? '-n' : '-N');
    }
    let groups: string[] = [];
    if (this.groups) {
      groups = await this.groupsSet(true);
      if (!a.local) cmd.push('-G', groups.join(','));
    }
    if (a.comment != null) cmd.push('-c', a.comment);
    if (a.home != null) {
      if (a.create_home && !(await this.isDir(dirname(a.home)))) await this.createHomedir(a.home);
      cmd.push('-d', a.home);
    }
    if (a.shell != null) cmd.push('-s', a.shell);
    if (a.expires != null && !a.local) cmd.push('-e', a.expires < 0 ? '' : utcDate(a.expires));
    if (a.password != null) cmd.push('-p', a.password_lock ? `!${a.password}` : a.password);
    if (a.create_home) {
      if (!a.local) cmd.push('-m');
      if (a.skeleton != null) cmd.push('-k', a.skeleton);
      if (a.umask != null) cmd.push('-K', `UMASK=${a.umask}`);
    } else cmd.push('-M');
    if (a.system) cmd.push('-r');
    cmd.push(a.name);
    const res: Cmd = await this.exec(cmd);
    if (!a.local || res.rc !== 0) return res;
    if (a.expires != null) {
      const lexpires = a.expires < 0 ? -1 : Math.floor(Math.floor(a.expires) / 86400);
      const r = await this.exec(['lchage', '-E', lexpires, a.name]);
      res.stdout += r.stdout;
      res.stderr += r.stderr;
      if (r.rc !== 0) return { ...res, rc: r.rc };
    }
    for (const g of groups) {
      const r = await this.exec(['lgroupmod', '-M', a.name, g]);
      res.stdout += r.stdout;
      res.stderr += r.stderr;
      if (r.rc !== 0) return { ...res, rc: r.rc };
    }
    return res;
  }

  async hasAppend(): Promise<boolean> {
    const help = await this.exec([this.a.local ? 'lusermod' : 'usermod', '--help'], { obeyCheck: false });
    return `${help.stdout}${help.stderr}`.split('\n').some((l) => l.trim().startsWith('-a, --append'));
  }

  async modify(): Promise<Cmd> {
    const a = this.a;
    const cmd: Array<string | number> = [a.local ? 'lusermod' : 'usermod'];
    const info = (await this.info())!;
    let lgroupAdd: string[] = [];
    let lgroupDel: string[] = [];
    let lexpires: number | null = null;
    if (a.uid != null && info[2] !== a.uid) {
      cmd.push('-u', a.uid);
      if (a.non_unique) cmd.push('-o');
    }
    if (a.group != null) {
      const gi = await this.groupInfo(a.group);
      if (!gi) throw new Failure({ msg: `Group ${a.group} does not exist` });
      if (info[3] !== gi.gid) cmd.push('-g', gi.gid);
    }
    if (this.groups !== null) {
      const current = await this.membership();
      let needMod = false;
      let groups: string[] = [];
      let diff: string[] = [];
      if (this.groups === '') {
        if (current.length && !a.append) needMod = true;
      } else {
        groups = await this.groupsSet(false);
        diff = [...current.filter((g) => !groups.includes(g)), ...groups.filter((g) => !current.includes(g))];
        if (diff.length) {
          if (a.append) {
            if (groups.some((g) => diff.includes(g))) {
              if (await this.hasAppend()) cmd.push('-a');
              needMod = true;
            }
          } else needMod = true;
        }
      }
      if (needMod) {
        if (a.local) {
          lgroupAdd = groups.filter((g) => !current.includes(g));
          lgroupDel = a.append ? [] : current.filter((g) => !groups.includes(g));
        } else if (a.append && !(await this.hasAppend())) cmd.push('-A', diff.join(','));
        else cmd.push('-G', groups.join(','));
      }
    }
    if (a.comment != null && info[4] !== a.comment) cmd.push('-c', a.comment);
    if (a.home != null && info[5] !== a.home) {
      cmd.push('-d', a.home);
      if (a.move_home) cmd.push('-m');
    }
    if (a.shell != null && info[6] !== a.shell) cmd.push('-s', a.shell);
    if (a.expires != null) {
      const currentExpires = Number((await this.password())[1]);
      if (a.expires < 0) {
        if (currentExpires >= 0) {
          if (a.local) lexpires = -1;
          else cmd.push('-e', '');
        }
      } else if (currentExpires < 0 || utcDate(currentExpires * 86400) !== utcDate(a.expires)) {
        if (a.local) lexpires = Math.floor(Math.floor(a.expires) / 86400);
        else cmd.push('-e', utcDate(a.expires));
      }
    }
    if (a.password_lock && !info[1].startsWith('!')) cmd.push('-L');
    else if (a.password_lock === false && info[1].startsWith('!')) cmd.push('-U');
    let argv = cmd;
    if (a.update_password !== 'on_create' && a.password != null && info[1].replace(/^!+/, '') !== a.password.replace(/^!+/, '')) {
      argv = cmd.filter((c) => c !== '-U' && c !== '-L');
      argv.push('-p', a.password_lock ? `!${a.password}` : a.password);
    }
    let res: Cmd = { ...NOTHING };
    if (argv.length > 1) {
      argv.push(a.name);
      res = await this.exec(argv);
    }
    if (!a.local || !(res.rc === null || res.rc === 0)) return res;
    const more = async (c: Array<string | number>): Promise<boolean> => {
      const r = await this.exec(c);
      res = { rc: r.rc, stdout: res.stdout + r.stdout, stderr: res.stderr + r.stderr };
      return r.rc === 0;
    };
    if (lexpires !== null && !(await more(['lchage', '-E', lexpires, a.name]))) return res;
    for (const g of lgroupAdd) if (!(await more(['lgroupmod', '-M', a.name, g]))) return res;
    for (const g of lgroupDel) if (!(await more(['lgroupmod', '-m', a.name, g]))) return res;
    return res;
  }

  async isDir(path: string): Promise<boolean> {
    return (await this.ctx.conn.stat(path, { follow: true, become: this.ctx.become }))?.type === 'directory';
  }

  async exists_(path: string): Promise<boolean> {
    return (await this.ctx.conn.stat(path, { follow: true, become: this.ctx.become })) !== null;
  }

  /** Ansible's create_homedir: a copy of the skeleton (or an empty dir), mode from login.defs' UMASK */
  async createHomedir(path: string): Promise<void> {
    if (await this.exists_(path)) return;
    const skeleton = this.a.skeleton ?? '/etc/skel';
    // like shutil.copytree, missing parents are made first
    const res = (await this.exists_(skeleton))
      ? await run(this.ctx, ['sh', '-c', 'mkdir -p -- "$(dirname -- "$2")" && cp -R -P --preserve=mode,timestamps -- "$1" "$2"', 'sh', skeleton, path])
      : await run(this.ctx, ['mkdir', '-p', '--', path]);
    if (res.rc !== 0) throw new Failure({ msg: res.stderr.trim() });
    if (await this.exists_(LOGIN_DEFS)) {
      const defs = (await this.ctx.conn.readFile(LOGIN_DEFS, { become: this.ctx.become })).toString('utf8');
      for (const line of defs.split('\n')) {
        const m = /^UMASK\s+(\d+)$/.exec(line);
        if (m) await this.ctx.conn.chmod(path, 0o777 & ~parseInt(m[1], 8), { become: this.ctx.become });
      }
    }
  }

  async chownHomedir(uid: number, gid: number, path: string): Promise<void> {
    const res = await run(this.ctx, ['chown', '-R', `${uid}:${gid}`, path]);
    if (res.rc !== 0) throw new Failure({ msg: res.stderr.trim() });
  }

  async sshKeyPath(): Promise<string> {
    if (this.sshFile.startsWith('/')) return this.sshFile;
    const info = (await this.info())!;
    return join(info[5], this.sshFile);
  }

  async sshKeyGen(): Promise<Cmd> {
    const a = this.a;
    const info = (await this.info())!;
    if (!this.sshFile.startsWith('/') && !(await this.exists_(info[5])) && !this.ctx.check) {
      return { rc: 1, stdout: '', stderr: `User ${a.name} home directory does not exist` };
    }
    const keyFile = await this.sshKeyPath();
    const pubFile = `${keyFile}.pub`;
    const sshDir = dirname(keyFile);
    const opts = { become: this.ctx.become };
    if (!(await this.exists_(sshDir))) {
      if (this.ctx.check) return { rc: 0, stdout: '', stderr: '' };
      try {
        await this.ctx.conn.mkdir(sshDir, { mode: 0o700, ...opts });
        await this.ctx.conn.chmod(sshDir, 0o700, opts);
        await this.ctx.conn.chown(sshDir, info[2], info[3], opts);
      } catch (err) {
        return { rc: 1, stdout: '', stderr: `Failed to create ${sshDir}: ${(err as Error).message}` };
      }
    }
    let overwrite: string | undefined;
    if (await this.exists_(keyFile)) {
      if (!a.force) {
        this.warnings.push(`Found existing ssh key private file "${keyFile}", no force, so skipping ssh-keygen generation`);
        return { rc: null, stdout: 'Key already exists, use "force: yes" to overwrite', stderr: '' };
      }
      this.warnings.push(`Overwriting existing ssh key private file "${keyFile}"`);
      overwrite = 'y';
    }
    if (await this.exists_(pubFile)) {
      if (!a.force) {
        this.warnings.push(`Found existing ssh key public file "${pubFile}", no force, so skipping ssh-keygen generation`);
        return { rc: null, stdout: 'Public key already exists, use "force: yes" to overwrite', stderr: '' };
      }
      this.warnings.push(`Overwriting existing ssh key public file "${pubFile}"`);
      if (!this.ctx.check) await this.ctx.conn.remove(pubFile, opts);
    }
    const cmd: Array<string | number> = ['ssh-keygen', '-t', a.ssh_key_type ?? 'rsa'];
    if ((a.ssh_key_bits ?? 0) > 0) cmd.push('-b', a.ssh_key_bits!);
    cmd.push('-C', a.ssh_key_comment ?? `ansible-generated on ${await this.hostname()}`, '-f', keyFile);
    let res: ExecResult;
    if (a.ssh_key_passphrase != null) {
      if (this.ctx.check) return { rc: 0, stdout: '', stderr: '' };
      // Ansible answers ssh-keygen's overwrite question by giving up, even with force
      if (overwrite) return { rc: null, stdout: 'Key already exists', stderr: '' };
      // Ansible types the passphrase into a pty; here it travels on stdin to the shell that
      // starts ssh-keygen, so it never appears in a command line on the controller
      const script = `IFS= read -r p; exec ${cmd.map((c) => `'${String(c).replace(/'/g, `'\\''`)}'`).join(' ')} -N "$p"`;
      res = await run(this.ctx, ['sh', '-c', script], { stdin: `${a.ssh_key_passphrase}\n` });
    } else {
      cmd.push('-N', '');
      res = await this.exec(cmd, { stdin: overwrite });
    }
    if (res.rc === 0 && !this.ctx.check) {
      await this.ctx.conn.chown(keyFile, info[2], info[3], opts);
      await this.ctx.conn.chown(pubFile, info[2], info[3], opts);
    }
    return res;
  }

  async hostname(): Promise<string> {
    const res = await run(this.ctx, ['uname', '-n']);
    return res.stdout.trim();
  }

  async sshFingerprint(): Promise<Cmd> {
    const keyFile = await this.sshKeyPath();
    if (!(await this.exists_(keyFile))) return { rc: 1, stdout: `SSH Key file ${keyFile} does not exist`, stderr: '' };
    return this.exec(['ssh-keygen', '-l', '-f', keyFile], { obeyCheck: false });
  }

  async sshPublicKey(): Promise<string | null> {
    try {
      return (await this.ctx.conn.readFile(`${await this.sshKeyPath()}.pub`, { become: this.ctx.become })).toString('utf8').trim();
    } catch {
      return null;
    }
  }

  async setPasswordExpire(): Promise<Cmd> {
    let minChange = this.a.password_expire_min != null;
    let maxChange = this.a.password_expire_max != null;
    const sp = await getspnam(this.ctx, this.a.name);
    if (!sp) return NOTHING;
    minChange &&= this.a.password_expire_min !== sp.min;
    maxChange &&= this.a.password_expire_max !== sp.max;
    if (!minChange && !maxChange) return NOTHING;
    const cmd: Array<string | number> = ['chage'];
    if (minChange) cmd.push('-m', this.a.password_expire_min!);
    if (maxChange) cmd.push('-M', this.a.password_expire_max!);
    cmd.push(this.a.name);
    return this.exec(cmd);
  }
}

async function user(args: UserArgs, ctx: ModuleContext, u: LinuxUser): Promise<ModuleResult> {
  u.checkPasswordEncrypted();
  const state = args.state ?? 'present';
  const result: ModuleResult = { name: args.name, state };
  let res: Cmd = { ...NOTHING };
  const failed = (r: Cmd) => new Failure({ name: args.name, msg: r.stderr, rc: r.rc ?? undefined });
  if (state === 'absent') {
    if (await u.exists()) {
      if (ctx.check) return { changed: true };
      res = await u.remove();
      if (res.rc !== 0) throw failed(res);
      result.force = args.force ?? false;
      result.remove = args.remove ?? false;
    }
  } else {
    if (!(await u.exists())) {
      if (ctx.check) return { changed: true };
      const needsParents = args.home != null && !!args.create_home && !(await u.isDir(dirname(args.home)));
      res = await u.create();
      if (needsParents) {
        const info = await u.info();
        if (info) await u.chownHomedir(info[2], info[3], args.home!);
      }
      result.system = args.system ?? false;
      result.create_home = args.create_home ?? true;
    } else {
      res = await u.modify();
      result.append = args.append ?? false;
      result.move_home = args.move_home ?? false;
    }
    if (res.rc !== null && res.rc !== 0) throw failed(res);
    if (args.password != null) result.password = 'NOT_LOGGING_PASSWORD';
  }
  result.changed = res.rc !== null;
  if (res.stdout) result.stdout = res.stdout;
  if (res.stderr) result.stderr = res.stderr;

  if (state === 'present' && (await u.exists())) {
    let info = await u.info();
    if (!info) return { ...result, failed: true, msg: `failed to look up user name: ${args.name}` };
    result.uid = info[2];
    result.group = info[3];
    result.comment = info[4];
    result.home = info[5];
    result.shell = info[6];
    if (u.groups !== null) result.groups = u.groups;
    info = (await u.info())!;
    const home = args.home ?? info[5];
    if (!(await u.exists_(home)) && args.create_home) {
      if (!ctx.check) {
        await u.createHomedir(home);
        await u.chownHomedir(info[2], info[3], home);
      }
      result.changed = true;
    }
    if (args.generate_ssh_key) {
      const gen = await u.sshKeyGen();
      if (gen.rc !== null && gen.rc !== 0) throw failed(gen);
      if (gen.rc === 0) result.changed = true;
      const fp = await u.sshFingerprint();
      result.ssh_fingerprint = fp.rc === 0 ? fp.stdout.trim() : fp.stderr.trim();
      result.ssh_key_file = await u.sshKeyPath();
      result.ssh_public_key = await u.sshPublicKey();
    }
    const expire = await u.setPasswordExpire();
    if (expire.rc !== null) {
      if (expire.rc !== 0) throw failed(expire);
      result.changed = true;
    }
  }
  return result;
}

export const userModule: ModuleDefinition = defineModule<UserArgs>({
  name: 'ansible.builtin.user',
  spec: {
    short_description: 'Manage user accounts',
    options: {
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
      name: { type: 'str', required: true, aliases: ['user'] },
      uid: { type: 'int' },
      non_unique: { type: 'bool', default: false },
      group: { type: 'str' },
      groups: { type: 'list', elements: 'str' },
      comment: { type: 'str' },
      home: { type: 'path' },
      shell: { type: 'str' },
      password: { type: 'str', no_log: true },
      login_class: { type: 'str' },
      password_expire_max: { type: 'int', no_log: false },
      password_expire_min: { type: 'int', no_log: false },
      hidden: { type: 'bool' },
      seuser: { type: 'str' },
      force: { type: 'bool', default: false },
      remove: { type: 'bool', default: false },
      create_home: { type: 'bool', default: true, aliases: ['createhome'] },
      skeleton: { type: 'str' },
      system: { type: 'bool', default: false },
      move_home: { type: 'bool', default: false },
      append: { type: 'bool', default: false },
      generate_ssh_key: { type: 'bool' },
      ssh_key_bits: { type: 'int', default: 0 },
      ssh_key_type: { type: 'str', default: 'rsa' },
      ssh_key_file: { type: 'path' },
      // Ansible's default is 'ansible-generated on <target hostname>', filled in at run time
      ssh_key_comment: { type: 'str' },
      ssh_key_passphrase: { type: 'str', no_log: true },
      update_password: { type: 'str', default: 'always', choices: ['always', 'on_create'], no_log: false },
      expires: { type: 'float' },
      password_lock: { type: 'bool', no_log: false },
      local: { type: 'bool' },
      profile: { type: 'str' },
      authorization: { type: 'str' },
      role: { type: 'str' },
      umask: { type: 'str' },
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    let result: ModuleResult;
    let u: LinuxUser | undefined;
    try {
      u = new LinuxUser(ctx, args);
      result = await user(args, ctx, u);
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      result = { changed: false, ...err.result, failed: true };
    }
    if (u?.warnings.length) result.warnings = u.warnings;
    return result;
  },
});
