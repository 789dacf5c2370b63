/**
 * ansible.builtin.service on Linux: systemd when it runs the host (/run/systemd/system), else the
 * SysV way Debian keeps (an /etc/init.d script driven through `service`, boot links through
 * update-rc.d). Decisions and results follow Ansible 2.14's generic service module: the status
 * is read first, only a needed action runs, check mode stops before acting, and a host with no
 * way to manage the service fails with "Could not find the requested service NAME: host".
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { asOptionalBool, fail, marker, run, shellQuote, sleep } from './common.js';

type ServiceArgs = Record<string, unknown>;

const TOOLS = ['service', 'chkconfig', 'update-rc.d', 'rc-service', 'rc-update', 'initctl', 'systemctl', 'insserv'];

interface ServiceTools {
  bins: Map<string, string>;
  initScript?: string;
  systemd: boolean;
  upstartConf: boolean;
  startLinks: boolean;
  killLinks: boolean;
}

async function findTools(ctx: ModuleContext, name: string): Promise<ServiceTools> {
  const script = `
PATH="$PATH:/sbin:/usr/sbin:/bin:/usr/bin"
for b in ${TOOLS.join(' ')}; do p=$(command -v "$b" 2>/dev/null) && echo "bin $b $p"; done
[ -f "/etc/init.d/$1" ] && echo "initscript /etc/init.d/$1"
for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e "$c" ] && echo canary; done
grep -q systemd /proc/1/comm 2>/dev/null && echo canary
[ -e "/etc/init/$1.conf" ] && echo upstartconf
for l in /etc/rc?.d/S??"$1"; do [ -e "$l" ] || [ -L "$l" ] && { echo slink; break; }; done
for l in /etc/rc?.d/K??"$1"; do [ -e "$l" ] || [ -L "$l" ] && { echo klink; break; }; done
true`;
  const out = await run(ctx, ['/bin/sh', '-c', script, 'sh', name]);
  const tools: ServiceTools = { bins: new Map(), systemd: false, upstartConf: false, startLinks: false, killLinks: false };
  let canary = false;
  for (const line of out.stdout.split('\n')) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'bin' && a && b) tools.bins.set(a, b);
    else if (kind === 'initscript' && a) tools.initScript = a;
    else if (kind === 'canary') canary = true;
    else if (kind === 'upstartconf') tools.upstartConf = true;
    else if (kind === 'slink') tools.startLinks = true;
    else if (kind === 'klink') tools.killLinks = true;
  }
  tools.systemd = canary && tools.bins.has('systemctl');
  return tools;
}

/**
 * Runs a service command with its output going to files, not to our pipe: a daemon it starts
 * inherits those files, so the command returns when the script does (Ansible daemonizes for this).
 */
async function control(ctx: ModuleContext, command: string): Promise<{ rc: number; stdout: string; stderr: string }> {
  const mark = marker();
  const script = `o=$(mktemp); e=$(mktemp); ${command} >"$o" 2>"$e" </dev/null; rc=$?; cat "$o"; printf '%s' '${mark}'; cat "$e"; rm -f "$o" "$e"; exit $rc`;
  const out = await run(ctx, script);
  const at = out.stdout.indexOf(mark);
  if (at < 0) return out;
  return { rc: out.rc, stdout: out.stdout.slice(0, at), stderr: out.stdout.slice(at + mark.length) + out.stderr };
}

/** Ansible's reading of a SysV status command: exit codes first, then the words printed. */
function sysvRunning(name: string, rc: number, stdout: string): boolean | undefined {
  if ([1, 2, 3, 4, 69].includes(rc)) return false;
  if ((stdout.match(/\n/g) ?? []).length <= 1) {
    const clean = stdout.toLowerCase().split(name.toLowerCase()).join('');
    if (clean.includes('stop')) return false;
    if (clean.includes('run')) return !clean.includes('not ');
    if (clean.includes('start') && !clean.includes('not ')) return true;
    if (['could not access pid file', 'is dead and pid file exists', 'dead but subsys locked', 'dead but pid file exists'].some((s) => clean.includes(s))) return false;
  }
  if (rc === 0) return true;
  return undefined;
}

async function systemdShow(ctx: ModuleContext, unit: string): Promise<Record<string, string> | ModuleResult> {
  const out = await run(ctx, ['systemctl', 'show', unit]);
  if (out.rc !== 0) return fail(`failure ${out.rc} running systemctl show for '${unit}': ${out.stderr}`);
  if (out.stdout.includes('LoadState=not-found')) return fail(`Could not find the requested service ${unit}: host`);
  const status: Record<string, string> = {};
  for (const line of out.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) status[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return status;
}

async function runSystemd(ctx: ModuleContext, name: string, state: string | undefined, enabled: boolean | undefined): Promise<ModuleResult> {
  const shown = await systemdShow(ctx, name);
  if (!('ActiveState' in shown) && (shown as ModuleResult).failed) return shown as ModuleResult;
  let status = shown as Record<string, string>;
  const result: ModuleResult = { name, changed: false, status };
  if (enabled !== undefined) {
    const isEnabled = await run(ctx, ['systemctl', 'is-enabled', name]);
    const currently = isEnabled.rc === 0;
    if (currently !== enabled) {
      result.changed = true;
      if (!ctx.check) {
        const out = await run(ctx, ['systemctl', enabled ? 'enable' : 'disable', name]);
        if (out.rc !== 0) return fail(`Unable to ${enabled ? 'enable' : 'disable'} service ${name}: ${out.stderr}`);
      }
    }
    result.enabled = enabled;
  }
  if (state !== undefined) {
    const active = status.ActiveState;
    const running = active === 'active' || active === 'activating' || active === 'reloading';
    let action: string | undefined;
    if (state === 'started' && !running) action = 'start';
    else if (state === 'stopped' && running) action = 'stop';
    else if (state === 'restarted') action = running ? 'restart' : 'start';
    else if (state === 'reloaded') action = running ? 'reload' : 'start';
    result.state = state;
    if (action) {
      result.changed = true;
      if (!ctx.check) {
        const out = await run(ctx, ['systemctl', action, name]);
        if (out.rc !== 0) return fail(`Unable to ${action} service ${name}: ${out.stderr}`);
        const after = await systemdShow(ctx, name);
        if ('ActiveState' in after) status = after as Record<string, string>;
        result.status = status;
      }
    }
  }
  return result;
}

export async function runService(args: ServiceArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const name = String(args.name ?? '');
  const state = typeof args.state === 'string' ? args.state : undefined;
  const enabled = asOptionalBool(args.enabled);
  const pattern = typeof args.pattern === 'string' && args.pattern !== '' ? args.pattern : undefined;
  const extra = typeof args.arguments === 'string' ? args.arguments : typeof args.args === 'string' ? args.args : '';
  const pause = typeof args.sleep === 'number' ? args.sleep : undefined;
  if (!name) return fail('missing required arguments: name');
  if (state === undefined && enabled === undefined) return fail('one of the following is required: state, enabled');

  const tools = await findTools(ctx, name);
  if (tools.systemd) return runSystemd(ctx, name, state, enabled);
  if (tools.upstartConf && tools.bins.has('initctl')) {
    return fail(`service ${name} is an upstart job: tsplay's service module supports systemd and SysV init scripts only`);
  }
  if (tools.bins.has('rc-service')) return fail(`service ${name} is managed by OpenRC: tsplay's service module supports systemd and SysV init scripts only`);

  let enableCmd: string | undefined;
  if (tools.initScript) enableCmd = tools.bins.get('update-rc.d') ?? tools.bins.get('insserv') ?? tools.bins.get('chkconfig');
  if (enableCmd === undefined) return fail(`Could not find the requested service ${name}: host`);
  const serviceBin = tools.bins.get('service');
  if (!serviceBin && !tools.initScript) {
    return fail("cannot find 'service' binary or init script for service,  possible typo in service name?, aborting");
  }
  // `service NAME ACTION` when the service binary exists, else the init script itself
  const svcCmd = serviceBin ? `${serviceBin} ${shellQuote(name)}` : shellQuote(tools.initScript!);
  const result: ModuleResult = { name };
  let changed = false;

  if (enabled !== undefined) {
    if (!enableCmd.endsWith('update-rc.d')) {
      return fail(`enabling ${name} with ${enableCmd}: tsplay's service module enables SysV services with update-rc.d only`);
    }
    if (enabled !== tools.startLinks) {
      changed = true;
      if (!ctx.check) {
        if (enabled && !tools.killLinks) {
          const out = await run(ctx, `${enableCmd} ${shellQuote(name)} defaults`);
          if (out.rc !== 0) return fail(out.stderr || out.stdout);
        }
        const out = await run(ctx, `${enableCmd} ${shellQuote(name)} ${enabled ? 'enable' : 'disable'}`);
        if (out.rc !== 0) return fail(out.stderr || out.stdout);
      }
    }
    result.enabled = enabled;
  }
  if (state === undefined) return { ...result, changed };

  let running: boolean | undefined;
  if (pattern) {
    const ps = await run(ctx, 'ps auxww');
    running = ps.stdout.split('\n').some((line) => line.includes(pattern) && !line.includes(`pattern=${pattern}`));
  } else {
    const status = await control(ctx, `${svcCmd} status ${extra}`);
    running = sysvRunning(name, status.rc, status.stdout);
  }
  if (running === undefined) return fail('failed determining service state, possible typo of service name?');

  const needed =
    (!running && (state === 'started' || state === 'reloaded')) ||
    (running && (state === 'reloaded' || state === 'stopped')) ||
    state === 'restarted';
  if (needed) {
    if (ctx.check) return { changed: true, msg: 'service state changed' };
    const action = state === 'started' || (!running && state === 'reloaded') ? 'start' : state === 'stopped' ? 'stop' : state === 'reloaded' ? 'reload' : 'restart';
    let outcome: { rc: number; stdout: string; stderr: string };
    if (action === 'restart') {
      const stopped = await control(ctx, `${svcCmd} stop ${extra}`);
      if (pause) await sleep(pause * 1000, ctx.signal);
      const started = await control(ctx, `${svcCmd} start ${extra}`);
      outcome = stopped.rc !== 0 && started.rc === 0
        ? started
        : { rc: stopped.rc + started.rc, stdout: stopped.stdout + started.stdout, stderr: stopped.stderr + started.stderr };
    } else {
      outcome = await control(ctx, `${svcCmd} ${action} ${extra}`);
    }
    if (outcome.rc !== 0 && !outcome.stderr.includes('Job is already running')) return fail(outcome.stderr || outcome.stdout);
  }
  return { ...result, changed: changed || needed, state: state === 'stopped' ? 'stopped' : 'started' };
}

export const service: ModuleDefinition<ServiceArgs> = {
  name: 'ansible.builtin.service',
  supportsCheckMode: true,
  spec: {
    short_description: 'Manage services',
    options: {
      name: { type: 'str', required: true },
      state: { type: 'str', choices: ['started', 'stopped', 'reloaded', 'restarted'] },
      sleep: { type: 'int' },
      pattern: { type: 'str' },
      enabled: { type: 'bool' },
      runlevel: { type: 'str', default: 'default' },
      arguments: { type: 'str', default: '', aliases: ['args'] },
      use: { type: 'str', default: 'auto' },
    },
    required_one_of: [['state', 'enabled']],
  },
  run: runService,
};

