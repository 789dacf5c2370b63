/**
 * community.general.timezone on Linux: `timedatectl` when it answers, otherwise the files and
 * commands the collection's module uses without systemd (Debian: /etc/timezone, the
 * /etc/localtime link and `dpkg-reconfigure tzdata`, /etc/default/rcS and `hwclock` for the RTC;
 * Alpine/Gentoo: /etc/conf.d/hwclock and setup-timezone; others: /etc/sysconfig/clock). Same
 * phases (before, change, after), diff, messages and failures.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail } from '../builtin/support/failure.js';
import { shlexQuote, shlexSplit } from '../../util/shlex.js';
import { missingBinary, run } from './support.js';

export interface TimezoneArgs {
  name?: string | null;
  hwclock?: 'local' | 'UTC' | null;
}

type Key = 'hwclock' | 'name';

const TRUE_WORDS = ['y', 'yes', 'on', '1', 'true', 't'];

class Timezone {
  readonly msg: string[] = [];
  readonly planned: Partial<Record<Key, string>> = {};

  constructor(
    readonly ctx: ModuleContext,
    a: TimezoneArgs,
  ) {
    // Ansible walks the argument spec in its order: hwclock, then name
    if (a.hwclock != null) this.planned.hwclock = a.hwclock;
    if (a.name != null) this.planned.name = a.name;
  }

  get keys(): Key[] {
    return Object.keys(this.planned) as Key[];
  }

  abort(msg: string): never {
    const lines = ['Error message:', msg];
    if (this.msg.length) lines.push('Other message(s):', ...this.msg);
    return fail(lines.join('\n'));
  }

  /** a command line run as run_command(check_rc=True) runs a string: split, no shell */
  async execute(command: string, log = false): Promise<string> {
    const argv = shlexSplit(command);
    const res = await run(this.ctx, argv);
    if (res.rc !== 0) {
      fail(res.stderr.replace(/\s+$/, ''), { cmd: argv.map(shlexQuote).join(' '), rc: res.rc, stdout: res.stdout, stderr: res.stderr });
    }
    if (log) this.msg.push(`executed \`${command}\``);
    return res.stdout;
  }

  async readText(path: string): Promise<string | null> {
    try {
      return (await this.ctx.conn.readFile(path, { become: this.ctx.become })).toString('utf8').replace(/\r\n?/g, '\n');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async verifyTimezone(): Promise<string> {
    const tz = this.planned.name as string;
    const file = `/usr/share/zoneinfo/${tz}`;
    const info = await this.ctx.conn.stat(file, { follow: true, become: this.ctx.become });
    if (info?.type !== 'file') this.abort(`given timezone "${tz}" is not available`);
    return file;
  }
}

async function which(ctx: ModuleContext, name: string): Promise<string | null> {
  const res = await run(ctx, ['/bin/sh', '-c', `PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v ${name}`]);
  const found = res.stdout.trim().split('\n')[0];
  return res.rc === 0 && found ? found : null;
}

async function required(ctx: ModuleContext, name: string): Promise<string> {
  return (await which(ctx, name)) ?? fail(missingBinary(name));
}

interface Platform {
  get(key: Key, phase: 'before' | 'after'): Promise<string>;
  set(key: Key, value: string): Promise<void>;
}

async function systemd(tz: Timezone, timedatectl: string): Promise<Platform> {
  if (tz.planned.name !== undefined) await tz.verifyTimezone();
  const status: Record<string, string> = {};
  return {
    async get(key, phase) {
      status[phase] ??= await tz.execute(`${timedatectl} status`);
      const re = key === 'hwclock' ? /^\s*RTC in local TZ\s*:\s*(\S+)/m : /^\s*Time ?zone\s*:\s*(\S+)/m;
      const value = re.exec(status[phase])?.[1] ?? '';
      if (key === 'hwclock') return TRUE_WORDS.includes(value.toLowerCase()) ? 'local' : 'UTC';
      return value;
    },
    async set(key, value) {
      if (key === 'hwclock') await tz.execute(`${timedatectl} set-local-rtc ${value === 'local' ? 'yes' : 'no'}`, true);
      else await tz.execute(`${timedatectl} set-timezone ${value}`, true);
    },
  };
}

/** the distribution as Ansible's get_distribution names it (os-release ID, capitalised) */
async function distribution(tz: Timezone): Promise<string> {
  const text = (await tz.readText('/etc/os-release')) ?? (await tz.readText('/usr/lib/os-release')) ?? '';
  const id = /^ID=("?)([^"\n]*)\1$/m.exec(text)?.[2] ?? '';
  const named: Record<string, string> = { rhel: 'Redhat', amzn: 'Amazon', sles: 'Sles', opensuse: 'SuSE', 'opensuse-leap': 'SuSE' };
  return named[id] ?? (id ? id[0].toUpperCase() + id.slice(1).toLowerCase() : 'OtherLinux');
}

async function nosystemd(tz: Timezone): Promise<Platform> {
  const ctx = tz.ctx;
  const planned = tz.planned.name ?? '';
  let tzfile = '';
  let updateTimezone: string[] = [];
  if (tz.planned.name !== undefined) {
    tzfile = await tz.verifyTimezone();
    updateTimezone = [`${await required(ctx, 'cp')} --remove-destination ${tzfile} /etc/localtime`];
  }
  const hwclockCmd = await required(ctx, 'hwclock');
  const distro = await distribution(tz);
  const conf: Record<Key | 'adjtime', string | null> = { name: '/etc/timezone', hwclock: null, adjtime: '/etc/adjtime' };
  let nameRe = /^(\S+)/m;
  let tzline = (v: string) => `${v}\n`;
  if (await which(ctx, 'dpkg-reconfigure')) {
    if (tz.planned.name !== undefined) {
      updateTimezone = [`${await required(ctx, 'ln')} -sf ${tzfile} /etc/localtime`, `${await required(ctx, 'dpkg-reconfigure')} --frontend noninteractive tzdata`];
    }
    conf.hwclock = '/etc/default/rcS';
  } else if (distro === 'Alpine' || distro === 'Gentoo') {
    conf.hwclock = '/etc/conf.d/hwclock';
    if (distro === 'Alpine') updateTimezone = [`${await required(ctx, 'setup-timezone')} -z ${planned}`];
  } else {
    if ((await which(ctx, 'tzdata-update')) && (await ctx.conn.stat('/etc/localtime', { follow: false, become: ctx.become }))?.type !== 'link') {
      updateTimezone = [await required(ctx, 'tzdata-update')];
    }
    conf.name = '/etc/sysconfig/clock';
    conf.hwclock = '/etc/sysconfig/clock';
    const clock = await tz.readText('/etc/sysconfig/clock');
    const suse = clock === null ? distro === 'SuSE' : /^TIMEZONE\s*=/m.test(clock);
    nameRe = suse ? /^TIMEZONE\s*=\s*"?([^"\s]+)"?/m : /^ZONE\s*=\s*"?([^"\s]+)"?/m;
    tzline = suse ? (v) => `TIMEZONE="${v}"\n` : (v) => `ZONE="${v}"\n`;
  }
  const regexps: Record<Key | 'adjtime', RegExp> = { name: nameRe, hwclock: /^UTC\s*=\s*(\S+)/m, adjtime: /^(UTC|LOCAL)$/m };

  const fromConfig = async (key: Key | 'adjtime', phase: string): Promise<string> => {
    const file = conf[key] as string;
    const missing = key === 'adjtime' ? 'UTC' : 'n/a';
    const text = await tz.readText(file);
    if (text === null) return missing;
    const m = regexps[key].exec(text);
    if (!m) {
      if (key === 'name' && phase !== 'before') tz.abort(`tried to configure ${key} using a file "${file}", but could not find a valid value in it`);
      return missing;
    }
    if (key === 'hwclock') return TRUE_WORDS.includes(m[1].toLowerCase()) ? 'UTC' : 'local';
    if (key === 'adjtime') return m[1] !== 'UTC' ? m[1].toLowerCase() : m[1];
    return m[1];
  };

  /** the first matching line replaced by `value`, other matches dropped */
  const editFile = async (file: string, re: RegExp, value: string, key: Key) => {
    const text = (await tz.readText(file)) ?? '';
    const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    const single = new RegExp(re.source, re.flags.replace('m', ''));
    const matched = lines.map((l, i) => (single.test(l) ? i : -1)).filter((i) => i >= 0);
    const at = matched.length ? matched[0] : 0;
    for (const i of [...matched].reverse()) lines.splice(i, 1);
    lines.splice(at, 0, value);
    try {
      const info = await ctx.conn.stat(file, { follow: true, become: ctx.become });
      await ctx.conn.writeFile(file, lines.join(''), { mode: info?.mode ?? 0o644, become: ctx.become });
    } catch {
      tz.abort(`tried to configure ${key} using a file "${file}", but could not write to it`);
    }
    tz.msg.push(`Added 1 line and deleted ${matched.length} line(s) on ${file}`);
  };

  return {
    async get(key, phase) {
      const want = tz.planned[key];
      if (key === 'hwclock') {
        const value = await fromConfig('hwclock', phase);
        return value === want ? fromConfig('adjtime', phase) : value;
      }
      const value = await fromConfig('name', phase);
      if (value !== want) return value;
      const link = await ctx.conn.stat('/etc/localtime', { follow: false, become: ctx.become });
      if (link?.type === 'link') {
        if (!(await ctx.conn.stat('/etc/localtime', { follow: true, become: ctx.become }))) return 'n/a';
        const target = link.linkTarget ?? (await ctx.conn.readlink('/etc/localtime', { become: ctx.become }));
        const m = /(?:\/(?:usr\/share|etc)\/zoneinfo\/)(.*)/.exec(target);
        if (!m) return 'n/a';
        return m[1] !== want ? m[1] : value;
      }
      const same = await run(ctx, ['cmp', '-s', '/etc/localtime', `/usr/share/zoneinfo/${want}`]);
      return same.rc === 0 ? value : 'n/a';
    },
    async set(key, value) {
      if (key === 'name') {
        await editFile(conf.name as string, regexps.name, tzline(value), 'name');
        for (const cmd of updateTimezone) await tz.execute(cmd);
        return;
      }
      const utc = value === 'local' ? 'no' : 'yes';
      if (conf.hwclock !== null) await editFile(conf.hwclock, regexps.hwclock, `UTC=${utc}\n`, 'hwclock');
      await tz.execute(`${hwclockCmd} --systohc ${value === 'local' ? '--localtime' : '--utc'}`, true);
    },
  };
}

/** Python's str() of a dict of strings, as the "still not desired state" message shows it */
const pyDict = (d: Record<string, string>) => `{${Object.entries(d).map(([k, v]) => `'${k}': '${v}'`).join(', ')}}`;

async function timezone(a: TimezoneArgs, ctx: ModuleContext): Promise<ModuleResult> {
  if (a.name == null && a.hwclock == null) fail('one of the following is required: hwclock, name');
  const tz = new Timezone(ctx, a);
  const uname = (await run(ctx, ['uname', '-s'])).stdout.trim();
  if (uname !== 'Linux') fail(`tsplay's timezone module manages Linux hosts only; this one is ${uname}`);
  const timedatectl = await which(ctx, 'timedatectl');
  const platform = timedatectl && (await run(ctx, [timedatectl])).rc === 0 ? await systemd(tz, timedatectl) : await nosystemd(tz);

  const before: Record<string, string> = {};
  for (const k of tz.keys) before[k] = await platform.get(k, 'before');
  const planned = tz.planned as Record<string, string>;
  let diff: { before: Record<string, string>; after: Record<string, string> };
  if (ctx.check) diff = { before, after: { ...planned } };
  else {
    for (const k of tz.keys) if (before[k] !== planned[k]) await platform.set(k, planned[k]);
    const after: Record<string, string> = {};
    for (const k of tz.keys) after[k] = await platform.get(k, 'after');
    if (tz.keys.some((k) => after[k] !== planned[k])) {
      tz.abort(`still not desired state, though changes have made - planned: ${pyDict(planned)}, after: ${pyDict(after)}`);
    }
    diff = { before, after };
  }
  const changed = tz.keys.some((k) => diff.before[k] !== diff.after[k]);
  return tz.msg.length ? { changed, diff, msg: tz.msg.join('\n') } : { changed, diff };
}

export const timezoneModule: ModuleDefinition = defineModule<TimezoneArgs>({
  name: 'community.general.timezone',
  aliases: ['timezone', 'ansible.builtin.timezone'],
  spec: {
    short_description: 'Configure timezone setting',
    options: {
      hwclock: { type: 'str', choices: ['local', 'UTC'], aliases: ['rtc'] },
      name: { type: 'str' },
    },
    required_one_of: [['hwclock', 'name']],
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await timezone(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
