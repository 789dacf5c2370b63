/**
 * ansible.builtin.hostname on Linux: the strategy Ansible 2.14 picks (hostnamectl when systemd
 * runs the host, else by distribution: /etc/hostname for the Debian family, the HOSTNAME line of
 * /etc/sysconfig/network for the Red Hat family, /etc/conf.d/hostname for OpenRC, /etc/HOSTNAME for
 * SLES, /etc/hostname plus `hostname -F` for Alpine), the same diff and the same facts.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail } from '../builtin/support/failure.js';
import { missingBinary, run } from './support.js';

export interface HostnameArgs {
  name: string;
  use?: string | null;
}

const USES = ['alpine', 'debian', 'freebsd', 'generic', 'macos', 'macosx', 'darwin', 'openbsd', 'openrc', 'redhat', 'sles', 'solaris', 'systemd'];

interface Strategy {
  getCurrent(): Promise<string>;
  setCurrent(name: string): Promise<void>;
  getPermanent(): Promise<string>;
  setPermanent(name: string): Promise<void>;
  /** hostnamectl sets the permanent name first (NetworkManager complains otherwise) */
  permanentFirst?: boolean;
}

async function which(ctx: ModuleContext, name: string): Promise<string | null> {
  const res = await run(ctx, ['/bin/sh', '-c', `PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v ${name}`]);
  const found = res.stdout.trim().split('\n')[0];
  return res.rc === 0 && found ? found : null;
}

async function mustRun(ctx: ModuleContext, argv: string[]): Promise<string> {
  const res = await run(ctx, argv);
  if (res.rc !== 0) fail(`Command failed rc=${res.rc}, out=${res.stdout}, err=${res.stderr}`);
  return res.stdout;
}

async function readIfFile(ctx: ModuleContext, path: string): Promise<string | null> {
  const info = await ctx.conn.stat(path, { follow: true, become: ctx.become });
  if (info?.type !== 'file') return null;
  return (await ctx.conn.readFile(path, { become: ctx.become })).toString('utf8');
}

/**
 * Written in place (truncate and write, as Python's open('w') does): in a container
 * /etc/hostname is a bind mount that a rename could not replace.
 */
async function writeInPlace(ctx: ModuleContext, path: string, content: string): Promise<void> {
  const res = await run(ctx, ['/bin/sh', '-c', 'cat > "$1"', 'sh', path], { stdin: content });
  if (res.rc !== 0) fail(`failed to update hostname: ${res.stderr.trim()}`);
}

function fileStrategy(ctx: ModuleContext, file: string): Strategy {
  const getPermanent = async () => (await readIfFile(ctx, file))?.trim() ?? '';
  return {
    getCurrent: getPermanent,
    setCurrent: async () => undefined,
    getPermanent,
    setPermanent: (name) => writeInPlace(ctx, file, `${name}\n`),
  };
}

function alpineStrategy(ctx: ModuleContext): Strategy {
  const base = fileStrategy(ctx, '/etc/hostname');
  return {
    ...base,
    setCurrent: async () => {
      const hostname = await which(ctx, 'hostname');
      if (!hostname) fail(missingBinary('hostname'));
      await mustRun(ctx, [hostname, '-F', '/etc/hostname']);
    },
  };
}

function redhatStrategy(ctx: ModuleContext): Strategy {
  const NETWORK = '/etc/sysconfig/network';
  const getPermanent = async () => {
    // a missing file reads as no lines, as Ansible's get_file_lines answers
    const text = (await readIfFile(ctx, NETWORK)) ?? '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('HOSTNAME')) return (line.split('=')[1] ?? '').trim();
    }
    return fail(`Unable to locate HOSTNAME entry in ${NETWORK}`);
  };
  return {
    getCurrent: getPermanent,
    setCurrent: async () => undefined,
    getPermanent,
    setPermanent: async (name) => {
      const text = (await readIfFile(ctx, NETWORK)) ?? '';
      let found = false;
      const lines = (text.match(/[^\n]*\n|[^\n]+$/g) ?? []).map((l) => {
        if (!l.trim().startsWith('HOSTNAME')) return l;
        found = true;
        return `HOSTNAME=${name}\n`;
      });
      if (!found) lines.push(`HOSTNAME=${name}\n`);
      await writeInPlace(ctx, NETWORK, lines.join(''));
    },
  };
}

function openrcStrategy(ctx: ModuleContext): Strategy {
  const FILE = '/etc/conf.d/hostname';
  const getPermanent = async () => {
    const text = await readIfFile(ctx, FILE);
    if (text === null) return '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('hostname=')) return line.slice(10).replace(/^"+|"+$/g, '');
    }
    // Python's function falls off its end: None, which never equals a name
    return '\u0000none';
  };
  return {
    getCurrent: getPermanent,
    setCurrent: async () => undefined,
    getPermanent,
    setPermanent: async (name) => {
      const lines = ((await readIfFile(ctx, FILE)) ?? '').split('\n').map((l) => l.trim());
      if (lines[lines.length - 1] === '') lines.pop();
      const i = lines.findIndex((l) => l.startsWith('hostname='));
      if (i >= 0) lines[i] = `hostname="${name}"`;
      await writeInPlace(ctx, FILE, `${lines.join('\n')}\n`);
    },
  };
}

async function systemdStrategy(ctx: ModuleContext): Promise<Strategy> {
  const ctl = await which(ctx, 'hostnamectl');
  if (!ctl) fail(missingBinary('hostnamectl'));
  const tooLong = (name: string) => {
    if (name.length > 64) fail('name cannot be longer than 64 characters on systemd servers, try a shorter name');
  };
  return {
    permanentFirst: true,
    getCurrent: async () => (await mustRun(ctx, [ctl, '--transient', 'status'])).trim(),
    setCurrent: async (name) => {
      tooLong(name);
      await mustRun(ctx, [ctl, '--transient', 'set-hostname', name]);
    },
    getPermanent: async () => (await mustRun(ctx, [ctl, '--static', 'status'])).trim(),
    setPermanent: async (name) => {
      tooLong(name);
      await mustRun(ctx, [ctl, '--pretty', '--static', 'set-hostname', name]);
    },
  };
}

/** the distribution as Ansible's get_distribution names it (os-release ID, capitalised) */
async function distribution(ctx: ModuleContext): Promise<string> {
  const text = (await readIfFile(ctx, '/etc/os-release')) ?? (await readIfFile(ctx, '/usr/lib/os-release')) ?? '';
  const id = /^ID=("?)([^"\n]*)\1$/m.exec(text)?.[2] ?? '';
  const named: Record<string, string> = { rhel: 'Redhat', amzn: 'Amazon', sles: 'Sles', 'sles_sap': 'Sles', ol: 'Oracle', 'cloudlinux': 'Cloudlinux' };
  return named[id] ?? (id ? id[0].toUpperCase() + id.slice(1).toLowerCase() : 'OtherLinux');
}

const FILE_DISTROS = ['Debian', 'Kylin', 'Cumulus-linux', 'Kali', 'Parrot', 'Ubuntu', 'Linuxmint', 'Linaro', 'Devuan', 'Raspbian', 'Uos', 'Deepin', 'Neon', 'Void', 'Pop'];
const REDHAT_DISTROS = ['Redhat', 'Centos', 'Anolis', 'Cloudlinuxserver', 'Cloudlinux', 'Alinux', 'Scientific', 'Oracle', 'Virtuozzo', 'Amazon', 'Altlinux', 'Eurolinux'];

async function systemdManaged(ctx: ModuleContext): Promise<boolean> {
  if (!(await which(ctx, 'systemctl'))) return false;
  for (const canary of ['/run/systemd/system/', '/dev/.run/systemd/', '/dev/.systemd/']) {
    if (await ctx.conn.stat(canary, { follow: true, become: ctx.become })) return true;
  }
  return false;
}

async function pickStrategy(ctx: ModuleContext, use: string | null): Promise<Strategy> {
  const uname = (await run(ctx, ['uname', '-s'])).stdout.trim();
  if (use === 'systemd' || use === 'debian') return systemdStrategy(ctx);
  if (use === 'alpine') return alpineStrategy(ctx);
  if (use === 'redhat') return redhatStrategy(ctx);
  if (use === 'openrc') return openrcStrategy(ctx);
  if (use === 'sles') return fileStrategy(ctx, '/etc/HOSTNAME');
  if (use === 'openbsd') return fileStrategy(ctx, '/etc/myname');
  if (use !== null) fail(`tsplay's hostname module does not implement use=${use} (Linux strategies only)`);
  if (uname !== 'Linux') fail(`tsplay's hostname module manages Linux hosts only; this one is ${uname}`);
  if (await systemdManaged(ctx)) return systemdStrategy(ctx);
  const distro = await distribution(ctx);
  if (FILE_DISTROS.includes(distro)) return fileStrategy(ctx, '/etc/hostname');
  if (REDHAT_DISTROS.includes(distro)) return redhatStrategy(ctx);
  if (distro === 'Gentoo') return openrcStrategy(ctx);
  if (distro === 'Alpine') return alpineStrategy(ctx);
  if (distro === 'Sles') return fileStrategy(ctx, '/etc/HOSTNAME');
  return fail(`hostname module cannot be used on platform Linux (${distro})`);
}

/** Python's socket.getfqdn() on the target: the host name looked up forward, then back */
async function getfqdn(ctx: ModuleContext): Promise<string> {
  const script = [
    'n=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)',
    'echo "$n"',
    'ip=$(getent ahosts "$n" 2>/dev/null | head -n1 | cut -d" " -f1)',
    '[ -n "$ip" ] && getent hosts "$ip" 2>/dev/null | head -n1',
    'true',
  ].join('\n');
  const out = (await run(ctx, ['/bin/sh', '-c', script])).stdout.split('\n');
  const name = out[0].trim();
  const fields = (out[1] ?? '').trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length < 2) return name;
  const [, canonical, ...aliases] = fields;
  return [canonical, ...aliases].find((n) => n.includes('.')) ?? canonical;
}

async function hostname(a: HostnameArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const name = a.name;
  const strategy = await pickStrategy(ctx, a.use ?? null);
  const current = await strategy.getCurrent();
  const permanent = await strategy.getPermanent();

  let changed = false;
  const updateCurrent = async () => {
    if ((await strategy.getCurrent()) !== name) {
      if (!ctx.check) await strategy.setCurrent(name);
      changed = true;
    }
  };
  const updatePermanent = async () => {
    if ((await strategy.getPermanent()) !== name) {
      if (!ctx.check) await strategy.setPermanent(name);
      changed = true;
    }
  };
  if (strategy.permanentFirst) {
    await updatePermanent();
    await updateCurrent();
  } else {
    await updateCurrent();
    await updatePermanent();
  }

  const before = name !== current ? current : permanent;
  const fqdn = await getfqdn(ctx);
  const result: ModuleResult = {
    changed,
    name,
    ansible_facts: { ansible_hostname: name.split('.')[0], ansible_nodename: name, ansible_fqdn: fqdn, ansible_domain: fqdn.split('.').slice(1).join('.') },
  };
  if (changed) result.diff = { after: `hostname = ${name}\n`, before: `hostname = ${before}\n` };
  return result;
}

export const hostnameModule: ModuleDefinition = defineModule<HostnameArgs>({
  name: 'ansible.builtin.hostname',
  spec: {
    short_description: 'Manage hostname',
    options: {
      name: { type: 'str', required: true },
      use: { type: 'str', choices: USES },
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await hostname(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
