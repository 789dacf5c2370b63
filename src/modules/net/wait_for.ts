/**
 * ansible.builtin.wait_for, checked FROM THE TARGET as Ansible's module does: a port is tried
 * with a TCP connection the target opens (bash's /dev/tcp, bounded by coreutils' timeout), a
 * file is stat'ed and read there, and `drained` counts the target's /proc/net/tcp{,6} entries.
 * The loop (delay, sleep, timeout) runs on the controller, one short command per try.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail } from '../builtin/support/failure.js';
import { pyRegex, PyRegexError } from '../builtin/support/pyregex.js';
import { addPathInfo } from '../builtin/support/fsattrs.js';

export interface WaitForArgs {
  host: string;
  timeout: number;
  connect_timeout: number;
  delay: number;
  port?: number | null;
  active_connection_states: string[];
  path?: string | null;
  search_regex?: string | null;
  state: 'absent' | 'drained' | 'present' | 'started' | 'stopped';
  exclude_hosts?: string[] | null;
  sleep: number;
  msg?: string | null;
}

/** the state column of /proc/net/tcp for each name Ansible accepts */
const STATE_IDS: Record<string, string> = { ESTABLISHED: '01', SYN_SENT: '02', SYN_RECV: '03', FIN_WAIT1: '04', FIN_WAIT2: '05', TIME_WAIT: '06' };

const sleepMs = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** Python's elapsed.seconds: whole seconds */
const elapsedSince = (start: number) => Math.floor((Date.now() - start) / 1000);

/**
 * One try from the target, through /bin/sh so a missing bash or timeout is told apart (exit 90).
 * Exit 0: connected (and closed again); anything else: refused, unreachable or timed out.
 */
const CONNECT = String.raw`command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1 || exit 90
exec timeout "$3" bash -c 'exec 3<>"/dev/tcp/$1/$2"' wait_for "$1" "$2"`;

/**
 * Connects, then prints as hex (so any byte survives) what the server sends: the first chunk as
 * soon as it arrives (waiting up to the time left), then more until the server closes the
 * connection or stays silent for 0.3 s. Exit 3: no connection.
 */
const READ_BANNER = String.raw`command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1 || exit 90
exec timeout "$3" bash -c '
exec 3<>"/dev/tcp/$1/$2" 2>/dev/null || exit 3
wait=$3
while :; do
  chunk=$(timeout "$wait" dd bs=4096 count=1 status=none <&3 | od -An -v -tx1 | tr -d " \n")
  [ -n "$chunk" ] || break
  printf "%s" "$chunk"
  wait=0.3
done
exit 0' wait_for "$1" "$2" "$3"`;

const NO_BASH = 'wait_for checks ports from the target with bash and timeout (coreutils), which it lacks';

async function canConnect(ctx: ModuleContext, host: string, port: number, seconds: number): Promise<boolean> {
  const res = await ctx.conn.exec(['/bin/sh', '-c', CONNECT, 'wait_for', host, String(port), String(Math.max(1, seconds))], {
    become: ctx.become,
    signal: ctx.signal,
  });
  if (res.rc === 90) fail(NO_BASH);
  return res.rc === 0;
}

/** what the server said before going quiet, or null when it could not be reached */
async function readBanner(ctx: ModuleContext, host: string, port: number, seconds: number): Promise<string | null> {
  const res = await ctx.conn.exec(['/bin/sh', '-c', READ_BANNER, 'wait_for', host, String(port), String(Math.max(1, seconds))], {
    become: ctx.become,
    signal: ctx.signal,
  });
  if (res.rc === 90) fail(NO_BASH);
  if (res.rc === 3) return null;
  // 124: the outer timeout cut the read short; what arrived so far still counts
  return Buffer.from(res.stdout.trim(), 'hex').toString('latin1');
}

/** the target's answer to getaddrinfo(host): (family, address) pairs, IPv4 also as ::ffff:a.b.c.d */
async function resolveOnTarget(ctx: ModuleContext, host: string): Promise<Array<[4 | 6, string]>> {
  let addrs: string[];
  if (/^[\d.]+$/.test(host) || host.includes(':')) addrs = [host];
  else {
    const res = await ctx.conn.exec(['getent', 'ahosts', host], { become: ctx.become, signal: ctx.signal });
    addrs = [...new Set(res.stdout.split('\n').filter((l) => /\sSTREAM\b/.test(l)).map((l) => l.split(/\s+/)[0]))];
    if (addrs.length === 0) fail(`[Errno -2] Name or service not known`);
  }
  const out: Array<[4 | 6, string]> = [];
  for (const a of addrs) {
    if (a.includes(':')) out.push([6, a]);
    else out.push([4, a], [6, `::ffff:${a}`]);
  }
  return out;
}

/** an address as /proc/net/tcp{,6} writes it: each 32-bit word in host (little-endian) order */
function procHex(family: 4 | 6, address: string): string {
  let bytes: number[];
  if (family === 4) bytes = address.split('.').map(Number);
  else {
    let text = address;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const [a, b, c, d] = v4[1].split('.').map(Number);
      text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    }
    const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
    bytes = groups.flatMap((g) => {
      const n = parseInt(g || '0', 16);
      return [n >> 8, n & 0xff];
    });
  }
  let hex = '';
  for (let i = 0; i < bytes.length; i += 4) {
    hex += bytes.slice(i, i + 4).reverse().map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  }
  return hex;
}

const MATCH_ALL: Record<4 | 6, string> = { 4: '00000000', 6: '00000000000000000000000000000000' };
const MAPPED_PREFIX = '0000000000000000FFFF0000';
const MAPPED_ALL = '0000000000000000FFFF000000000000';

async function activeConnections(ctx: ModuleContext, a: WaitForArgs, ips: Array<[4 | 6, string]>, excluded: Array<[4 | 6, string]>): Promise<number> {
  const port = (a.port ?? 0).toString(16).toUpperCase().padStart(4, '0');
  const states = a.active_connection_states.map((s) => STATE_IDS[s]);
  const has = (list: Array<[4 | 6, string]>, family: 4 | 6, ip: string) => list.some(([f, x]) => f === family && x === ip);
  let count = 0;
  for (const [family, file] of [[4, '/proc/net/tcp'], [6, '/proc/net/tcp6']] as const) {
    let text: string;
    try {
      text = (await ctx.conn.readFile(file, { become: ctx.become })).toString('latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[1] === 'local_address' || !states.includes(f[3])) continue;
      const [localIp, localPort] = f[1].split(':');
      if (localPort !== port) continue;
      if (has(excluded, family, f[2].split(':')[0])) continue;
      if (has(ips, family, localIp) || has(ips, family, MATCH_ALL[family]) || (localIp.startsWith(MAPPED_PREFIX) && has(ips, family, MAPPED_ALL))) count++;
    }
  }
  return count;
}

async function waitFor(a: WaitForArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const { host, timeout, port, path, state, msg } = a;
  let regex: RegExp | undefined;
  if (a.search_regex != null) {
    try {
      regex = pyRegex(Buffer.from(a.search_regex, 'utf8').toString('latin1'), 'm');
    } catch (err) {
      if (!(err instanceof PyRegexError)) throw err;
      fail(`Invalid regular expression: ${err.message}`);
    }
  }
  if (port && path) fail('port and path parameter can not both be passed to wait_for', { elapsed: 0 });
  if (path && state === 'stopped') fail('state=stopped should only be used for checking a port in the wait_for module', { elapsed: 0 });
  if (path && state === 'drained') fail('state=drained should only be used for checking a port in the wait_for module', { elapsed: 0 });
  if (a.exclude_hosts != null && state !== 'drained') fail('exclude_hosts should only be with state=drained', { elapsed: 0 });
  for (const s of a.active_connection_states) if (!(s in STATE_IDS)) fail(`unknown active_connection_state (${s}) defined`, { elapsed: 0 });

  const start = Date.now();
  const end = start + timeout * 1000;
  const pause = () => sleepMs(a.sleep * 1000, ctx.signal);
  let groups: Array<string | null> = [];
  let groupdict: Record<string, string | null> = {};
  if (a.delay) await sleepMs(a.delay * 1000, ctx.signal);

  const timedOut = (text: string) => fail(msg || text, { elapsed: elapsedSince(start) });
  if (!port && !path && state !== 'drained') {
    await sleepMs(timeout * 1000, ctx.signal);
  } else if (state === 'absent' || state === 'stopped') {
    for (;;) {
      if (Date.now() >= end) {
        if (port) timedOut(`Timeout when waiting for ${host}:${port} to stop.`);
        else timedOut(`Timeout when waiting for ${path} to be absent.`);
      }
      if (path) {
        // os.access(F_OK) follows links: a dangling link counts as absent
        if (!(await ctx.conn.stat(path, { follow: true, become: ctx.become }).catch(() => null))) break;
      } else if (port) {
        if (!(await canConnect(ctx, host, port, a.connect_timeout))) break;
      }
      await pause();
    }
  } else if (state === 'started' || state === 'present') {
    for (;;) {
      if (Date.now() >= end) {
        if (port) timedOut(regex ? `Timeout when waiting for search string ${a.search_regex} in ${host}:${port}` : `Timeout when waiting for ${host}:${port}`);
        else timedOut(regex ? `Timeout when waiting for search string ${a.search_regex} in ${path}` : `Timeout when waiting for file ${path}`);
      }
      if (path) {
        let exists = false;
        try {
          exists = (await ctx.conn.stat(path, { follow: true, become: ctx.become })) !== null;
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code !== 'ENOENT') fail(msg || `Failed to stat ${path}, ${strerror(e)}`, { elapsed: elapsedSince(start) });
        }
        if (exists) {
          if (!regex) break;
          const data = await ctx.conn.readFile(path, { become: ctx.become }).catch(() => null);
          const m = data ? regex.exec(data.toString('latin1')) : null;
          if (m) {
            ({ groups, groupdict } = matchParts(m));
            break;
          }
        }
      } else if (port) {
        const left = Math.ceil((end - Date.now()) / 1000);
        if (!regex) {
          if (await canConnect(ctx, host, port, Math.min(a.connect_timeout, left))) break;
        } else {
          const said = await readBanner(ctx, host, port, left);
          const m = said === null ? null : regex.exec(said);
          if (m) break;
        }
      }
      await pause();
    }
  } else if (state === 'drained') {
    const ips = await resolveOnTarget(ctx, host);
    const excluded: Array<[4 | 6, string]> = [];
    for (const h of a.exclude_hosts ?? []) excluded.push(...(await resolveOnTarget(ctx, h)));
    const hexIps = ips.map(([f, ip]) => [f, procHex(f, ip)] as [4 | 6, string]);
    const hexExcluded = excluded.map(([f, ip]) => [f, procHex(f, ip)] as [4 | 6, string]);
    for (;;) {
      if (Date.now() >= end) timedOut(`Timeout when waiting for ${host}:${port ?? null} to drain`);
      if ((await activeConnections(ctx, a, hexIps, hexExcluded)) === 0) break;
      await pause();
    }
  }
  const result: ModuleResult = {
    changed: false,
    state,
    port: port ?? null,
    search_regex: a.search_regex ?? null,
    match_groups: groups,
    match_groupdict: groupdict,
    path: path ?? null,
    elapsed: elapsedSince(start),
  };
  // Ansible's exit_json describes a result's existing `path` (owner, mode, size, and `state`, which replaces wait_for's own)
  if (path) await addPathInfo(ctx, result);
  return result;
}

/** Python's groups() and groupdict() of a match on bytes (decoded back to text) */
function matchParts(m: RegExpExecArray): { groups: Array<string | null>; groupdict: Record<string, string | null> } {
  const text = (s: string | undefined) => (s === undefined ? null : Buffer.from(s, 'latin1').toString('utf8'));
  const groupdict: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(m.groups ?? {})) groupdict[k] = text(v);
  return { groups: m.slice(1).map(text), groupdict };
}

function strerror(e: NodeJS.ErrnoException): string {
  const words: Record<string, string> = { EACCES: 'Permission denied', ENOTDIR: 'Not a directory', ELOOP: 'Too many levels of symbolic links', EPERM: 'Operation not permitted' };
  return (e.code && words[e.code]) || e.message;
}

export const waitForModule: ModuleDefinition = defineModule<WaitForArgs>({
  name: 'ansible.builtin.wait_for',
  spec: {
    short_description: 'Waits for a condition before continuing',
    options: {
      host: { type: 'str', default: '127.0.0.1' },
      timeout: { type: 'int', default: 300 },
      connect_timeout: { type: 'int', default: 5 },
      delay: { type: 'int', default: 0 },
      port: { type: 'int' },
      active_connection_states: {
        type: 'list',
        elements: 'str',
        default: ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'],
      },
      path: { type: 'path' },
      search_regex: { type: 'str' },
      state: { type: 'str', default: 'started', choices: ['absent', 'drained', 'present', 'started', 'stopped'] },
      exclude_hosts: { type: 'list', elements: 'str' },
      sleep: { type: 'int', default: 1 },
      msg: { type: 'str' },
    },
  },
  // Ansible's module does not declare check mode support: the task is skipped under --check
  supportsCheckMode: false,
  run: async (args, ctx) => {
    try {
      return await waitFor(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, failed: true, ...err.result };
      throw err;
    }
  },
});
