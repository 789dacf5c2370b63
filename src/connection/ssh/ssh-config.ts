/**
 * The OpenSSH client options tsplay honours, and ~/.ssh/config + /etc/ssh/ssh_config read as
 * ssh(1) reads them: options from the command line first, then each file top to bottom, the
 * first value obtained for an option wins (IdentityFile accumulates), `Host` lines decide which
 * lines apply to the host named on the command line (before HostName replaces it).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { shlexSplit } from '../../util/shlex.js';

/** the options collected so far; undefined = not set yet (the next source may set it) */
export interface SshOptions {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  proxyJump?: string;
  /** as written: tokens (%h %p %r %n %%) are expanded when the target is complete */
  proxyCommand?: string;
  strictHostKeyChecking?: string;
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  /** seconds */
  connectTimeout?: number;
  /** seconds; 0 = off */
  serverAliveInterval?: number;
}

export function emptySshOptions(): SshOptions {
  return { identityFiles: [] };
}

/** options accepted and ignored: they tune OpenSSH's own process (multiplexing, logging, prompts) which ssh2 does not have */
const HARMLESS = new Set(
  [
    'ControlMaster', 'ControlPersist', 'ControlPath', 'LogLevel', 'BatchMode', 'Compression', 'PreferredAuthentications',
    'KbdInteractiveAuthentication', 'PasswordAuthentication', 'PubkeyAuthentication', 'ServerAliveCountMax', 'TCPKeepAlive',
    'AddKeysToAgent', 'HashKnownHosts', 'CheckHostIP', 'GSSAPIAuthentication', 'GSSAPIDelegateCredentials', 'UpdateHostKeys',
    'VisualHostKey', 'ConnectionAttempts', 'ForwardX11', 'ForwardX11Trusted', 'RequestTTY', 'SendEnv', 'SetEnv',
    'ChallengeResponseAuthentication', 'NumberOfPasswordPrompts', 'AddressFamily', 'UseRoaming', 'IPQoS', 'EscapeChar',
  ].map((k) => k.toLowerCase()),
);

export type OptionUse = 'used' | 'ignored' | 'unknown' | 'invalid';

/**
 * Records `keyword value` unless the option already has a value (first wins, as ssh(1)).
 * `expand` turns a path-like value into a full path (tokens, ~).
 */
export function applySshOption(opts: SshOptions, keyword: string, rawValue: string, expand: (path: string) => string = (p) => p): OptionUse {
  const key = keyword.toLowerCase();
  const value = rawValue.trim();
  const num = (): number | undefined => (/^\d+$/.test(value) ? Number(value) : undefined);
  switch (key) {
    case 'hostname':
      opts.hostName ??= value;
      return 'used';
    case 'user':
      opts.user ??= value;
      return 'used';
    case 'port': {
      const n = num();
      if (n === undefined || n < 1 || n > 65535) return 'invalid';
      opts.port ??= n;
      return 'used';
    }
    case 'identityfile':
      if (value.toLowerCase() !== 'none') opts.identityFiles.push(expand(value));
      return 'used';
    case 'identitiesonly':
      opts.identitiesOnly ??= /^yes$/i.test(value);
      return 'used';
    // ProxyJump and ProxyCommand compete: whichever comes first rules out the other (ssh_config(5))
    case 'proxyjump':
      if (opts.proxyCommand === undefined) opts.proxyJump ??= value;
      return 'used';
    case 'proxycommand':
      if (opts.proxyJump === undefined) opts.proxyCommand ??= value;
      return 'used';
    case 'stricthostkeychecking':
      opts.strictHostKeyChecking ??= value.toLowerCase();
      return 'used';
    case 'userknownhostsfile':
      opts.userKnownHostsFiles ??= splitWords(value).map(expand);
      return 'used';
    case 'globalknownhostsfile':
      opts.globalKnownHostsFiles ??= splitWords(value).map(expand);
      return 'used';
    case 'connecttimeout': {
      const n = num();
      if (n === undefined) return 'invalid';
      opts.connectTimeout ??= n;
      return 'used';
    }
    case 'serveraliveinterval': {
      const n = num();
      if (n === undefined) return 'invalid';
      opts.serverAliveInterval ??= n;
      return 'used';
    }
    default:
      return HARMLESS.has(key) ? 'ignored' : 'unknown';
  }
}

function splitWords(value: string): string[] {
  try {
    return shlexSplit(value);
  } catch {
    return value.split(/\s+/).filter((w) => w !== '');
  }
}

/** `*` and `?` wildcards, as ssh's match_pattern (case-insensitive for host names) */
export function wildcardMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    'is',
  );
  return re.test(text);
}

/** a comma- or space-separated pattern list: any positive match and no negated match */
export function matchPatternList(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) matched = true;
  }
  return matched;
}

export interface ConfigContext {
  /** the host as given (ansible_host): what `Host` lines match and %h stands for */
  host: string;
  home: string;
  localUser: string;
  /** `Include` with a relative path is relative to this (~/.ssh for the user's file, /etc/ssh for the system's) */
  includeBase: string;
}

/** expands ~ and the tokens ssh allows in file names (%d home, %u local user, %h host, %%) */
export function expandPath(path: string, ctx: Pick<ConfigContext, 'home' | 'localUser' | 'host'>): string {
  let p = path.replace(/%([%dhu])/g, (_m, t: string) => (t === '%' ? '%' : t === 'd' ? ctx.home : t === 'u' ? ctx.localUser : ctx.host));
  if (p === '~') p = ctx.home;
  else if (p.startsWith('~/')) p = join(ctx.home, p.slice(2));
  return p;
}

/**
 * Applies one ssh_config file to `opts` for ctx.host. A missing file is no error (as ssh).
 * Returns the files read, Includes among them (for messages and tests).
 */
export function applySshConfigFile(opts: SshOptions, file: string, ctx: ConfigContext, depth = 0, active = true): string[] {
  if (depth > 16 || !existsSync(file)) return [];
  let text: string;
  try {
    if (!statSync(file).isFile()) return [];
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const read = [file];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1].toLowerCase();
    const rest = m[2].trim();
    if (keyword === 'host') {
      active = matchPatternList(splitWords(rest), ctx.host);
      continue;
    }
    if (keyword === 'match') {
      // only `Match all` and `Match host …` are understood; other criteria (exec, user…) never match here
      const words = splitWords(rest);
      if (words.length === 1 && words[0].toLowerCase() === 'all') active = true;
      else if (words.length === 2 && words[0].toLowerCase() === 'host') active = matchPatternList(words[1].split(','), ctx.host);
      else active = false;
      continue;
    }
    if (!active) continue;
    if (keyword === 'include') {
      for (const pattern of splitWords(rest)) {
        const full = expandPath(pattern, ctx);
        for (const inc of globFiles(isAbsolute(full) ? full : join(ctx.includeBase, full))) read.push(...applySshConfigFile(opts, inc, ctx, depth + 1, true));
      }
      continue;
    }
    let value = rest;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (keyword === 'hostname') value = value.replace(/%h/g, ctx.host);
    applySshOption(opts, keyword, value, (p) => expandPath(p, ctx));
  }
  return read;
}

/** files matching a path whose components may hold * and ? (what Include takes), sorted as glob(3) */
export function globFiles(pattern: string): string[] {
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(part)) {
        next.push(join(base, part));
        continue;
      }
      let names: string[] = [];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      for (const n of names.sort()) if (!n.startsWith('.') && wildcardMatch(part, n)) next.push(join(base, n));
    }
    bases = next;
  }
  return bases.filter((p) => existsSync(p));
}

/** the user's and the system's ssh_config for `host`, applied after whatever `opts` already holds */
export function applySshConfigFiles(opts: SshOptions, files: string[], ctx: Omit<ConfigContext, 'includeBase'>): string[] {
  const read: string[] = [];
  for (const f of files) read.push(...applySshConfigFile(opts, f, { ...ctx, includeBase: dirname(f) }));
  return read;
}
