/**
 * How a host is reached over SSH, decided as ansible-playbook + OpenSSH decide it: Ansible picks
 * each setting from the host's variables, the play's remote_user, the command line, the
 * environment and ansible.cfg (in that order) and hands them to ssh as options; ssh takes the
 * first value it sees for an option — Ansible's ssh_args, then the settings above, then
 * ssh_common_args / ssh_extra_args, then ~/.ssh/config and /etc/ssh/ssh_config. The result is an
 * SshTarget (target.ts) with keys read, the jump chain resolved and a host key verifier built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { shlexSplit, ShlexError } from '../../util/shlex.js';
import { applySshConfigFiles, applySshOption, emptySshOptions, expandPath, type SshOptions } from './ssh-config.js';
import { knownHostsVerifier } from './known-hosts.js';
import type { PrivateKeySource, SshTarget } from './target.js';

/** run-wide settings from tsplay's command line */
export interface SshCliOptions {
  /** -u */
  user?: string;
  /** --private-key */
  privateKey?: string;
  /** -T, seconds */
  timeout?: number;
  /** -k / --connection-password-file */
  password?: string;
  /** --private-key-passphrase-file */
  keyPassphrase?: string;
}

export interface SshResolveOptions {
  cli?: SshCliOptions;
  /** the play's remote_user keyword, templated */
  remoteUser?: string;
  /** the play's port keyword, templated */
  remotePort?: string;
  /** default process.env */
  env?: Record<string, string | undefined>;
  /** ansible.cfg as `section.key` → value; default none */
  cfg?: ReadonlyMap<string, string>;
  /** default os.homedir() */
  home?: string;
  /** the controller's user name, ssh's default remote user; default os.userInfo() */
  localUser?: string;
  /** default ~/.ssh/config then /etc/ssh/ssh_config */
  sshConfigFiles?: string[];
  /** default /etc/ssh/ssh_known_hosts(2) */
  globalKnownHostsFiles?: string[];
  warn?: (message: string) => void;
}

/** a setting tsplay cannot use: the host is unreachable with this message (no connection attempted) */
export class SshResolveError extends Error {}

/** what Ansible passes as ssh_args when nothing sets them (harmless here: all ignored) */
const DEFAULT_SSH_ARGS = '-C -o ControlMaster=auto -o ControlPersist=60s';
const DEFAULT_TIMEOUT_S = 10;
/** ssh2 has no keepalive by default; OpenSSH relies on TCP. 15 s keeps idle connections through NAT and firewalls */
const DEFAULT_KEEPALIVE_S = 15;
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ed25519'];

/** ssh flags that take a value and that tsplay has no use for; skipped with their value */
const FLAGS_WITH_VALUE_IGNORED = new Set(['-b', '-c', '-D', '-E', '-e', '-I', '-L', '-m', '-O', '-Q', '-R', '-S', '-W', '-w', '-B', '-F']);
const FLAGS_IGNORED = new Set(['-4', '-6', '-A', '-a', '-C', '-f', '-G', '-g', '-K', '-k', '-M', '-N', '-n', '-q', '-s', '-T', '-t', '-tt', '-V', '-v', '-vv', '-vvv', '-X', '-x', '-Y', '-y']);

/** warned once per run, not once per host */
const warnedOptions = new Set<string>();

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v);
  return s === '' ? undefined : s;
}

function pick(...values: unknown[]): string | undefined {
  for (const v of values) {
    const s = str(v);
    if (s !== undefined) return s;
  }
  return undefined;
}

/** Ansible's boolean conversion (yes/no, true/false, on/off, 1/0) */
export function ansibleBool(value: string, what: string): boolean {
  const v = value.trim().toLowerCase();
  if (['yes', 'y', 'true', 't', 'on', '1'].includes(v)) return true;
  if (['no', 'n', 'false', 'f', 'off', '0'].includes(v)) return false;
  throw new SshResolveError(`${what}: '${value}' is not a valid boolean`);
}

/**
 * Reads ssh command-line words (ssh_args, ssh_common_args, ssh_extra_args) into opts.
 * `source` names the setting in messages.
 */
export function applySshArgs(opts: SshOptions, text: string, source: string, expand: (p: string) => string, warn?: (m: string) => void): void {
  let words: string[];
  try {
    words = shlexSplit(text);
  } catch (err) {
    if (err instanceof ShlexError) throw new SshResolveError(`${source}: ${err.message} in '${text}'`);
    throw err;
  }
  const once = (key: string, message: string) => {
    if (warnedOptions.has(key)) return;
    warnedOptions.add(key);
    warn?.(message);
  };
  const option = (kv: string) => {
    const m = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/s.exec(kv.trim());
    if (!m) throw new SshResolveError(`${source}: '-o ${kv}' is not an ssh option (expected -o Name=value)`);
    let value = m[2].trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const use = applySshOption(opts, m[1], value, expand);
    if (use === 'invalid') throw new SshResolveError(`${source}: bad value for ${m[1]}: '${value}'`);
    if (use === 'unknown') once(`o:${m[1].toLowerCase()}`, `${source}: the ssh option ${m[1]} is not supported by tsplay and is ignored`);
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const valueOf = (flag: string): string => {
      if (w.length > flag.length) return w.slice(flag.length);
      if (i + 1 >= words.length) throw new SshResolveError(`${source}: ${flag} needs a value`);
      return words[++i];
    };
    if (w.startsWith('-o')) option(valueOf('-o'));
    else if (w.startsWith('-J')) applySshOption(opts, 'ProxyJump', valueOf('-J'));
    else if (w.startsWith('-i')) applySshOption(opts, 'IdentityFile', valueOf('-i'), expand);
    else if (w.startsWith('-l')) applySshOption(opts, 'User', valueOf('-l'));
    else if (w.startsWith('-p')) {
      const v = valueOf('-p');
      if (applySshOption(opts, 'Port', v) === 'invalid') throw new SshResolveError(`${source}: bad port '${v}'`);
    } else if (FLAGS_IGNORED.has(w)) continue;
    else if (FLAGS_WITH_VALUE_IGNORED.has(w.slice(0, 2))) {
      if (w.length === 2) i++;
      once(`f:${w.slice(0, 2)}`, `${source}: the ssh flag ${w.slice(0, 2)} is not supported by tsplay and is ignored`);
    } else once(`w:${w}`, `${source}: '${w}' is not an ssh option tsplay understands; ignored`);
  }
}

interface Context {
  env: Record<string, string | undefined>;
  cfg: ReadonlyMap<string, string>;
  home: string;
  localUser: string;
  configFiles: string[];
  globalKnownHosts: string[];
  warn?: (m: string) => void;
  passphrase?: string;
  checkHostKeys: boolean;
  timeoutS: number;
}

function context(o: SshResolveOptions): Omit<Context, 'checkHostKeys' | 'timeoutS'> {
  const home = o.home ?? homedir();
  let localUser = o.localUser;
  if (localUser === undefined) {
    try {
      localUser = userInfo().username;
    } catch {
      localUser = o.env?.USER ?? process.env.USER ?? 'root';
    }
  }
  return {
    env: o.env ?? process.env,
    cfg: o.cfg ?? new Map(),
    home,
    localUser,
    configFiles: o.sshConfigFiles ?? [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'],
    globalKnownHosts: o.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    warn: o.warn,
    passphrase: o.cli?.keyPassphrase,
  };
}

/**
 * Where Ansible's plugin accepts several variables for one setting the LAST one it lists wins
 * (ansible_ssh_host over ansible_host, ansible_ssh_pass over ansible_password…): checked with
 * ansible-playbook -vvv, and written here most important first.
 */
export function resolveSshTarget(inventoryHost: string, vars: Record<string, unknown>, options: SshResolveOptions = {}): SshTarget {
  const base = context(options);
  const { env, cfg } = base;
  const cli = options.cli ?? {};
  const host = pick(vars.ansible_ssh_host, vars.ansible_host) ?? inventoryHost;
  const portText = pick(vars.ansible_ssh_port, vars.ansible_port, options.remotePort, env.ANSIBLE_REMOTE_PORT, cfg.get('defaults.remote_port'));
  const user = pick(vars.ansible_ssh_user, vars.ansible_user, options.remoteUser, cli.user, env.ANSIBLE_REMOTE_USER, cfg.get('defaults.remote_user'));
  const keyFile = pick(vars.ansible_ssh_private_key_file, vars.ansible_private_key_file, cli.privateKey, env.ANSIBLE_PRIVATE_KEY_FILE, cfg.get('defaults.private_key_file'));
  const timeoutText = pick(vars.ansible_ssh_timeout, cli.timeout, env.ANSIBLE_TIMEOUT, cfg.get('defaults.timeout'), cfg.get('ssh_connection.timeout')) ?? String(DEFAULT_TIMEOUT_S);
  const hkcText = pick(vars.ansible_ssh_host_key_checking, vars.ansible_host_key_checking, env.ANSIBLE_SSH_HOST_KEY_CHECKING, env.ANSIBLE_HOST_KEY_CHECKING, cfg.get('ssh_connection.host_key_checking'), cfg.get('defaults.host_key_checking'));
  const sshArgs = pick(vars.ansible_ssh_args, env.ANSIBLE_SSH_ARGS, cfg.get('ssh_connection.ssh_args')) ?? DEFAULT_SSH_ARGS;
  const commonArgs = pick(vars.ansible_ssh_common_args, env.ANSIBLE_SSH_COMMON_ARGS, cfg.get('ssh_connection.ssh_common_args')) ?? '';
  const extraArgs = pick(vars.ansible_ssh_extra_args, env.ANSIBLE_SSH_EXTRA_ARGS, cfg.get('ssh_connection.ssh_extra_args')) ?? '';
  const password = pick(vars.ansible_ssh_password, vars.ansible_ssh_pass, vars.ansible_password, cli.password);

  const timeoutS = Number(timeoutText);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new SshResolveError(`the connection timeout must be a positive number of seconds, got '${timeoutText}'`);
  const checkHostKeys = hkcText === undefined ? true : ansibleBool(hkcText, 'host_key_checking');
  const ctx: Context = { ...base, checkHostKeys, timeoutS };
  const expand = (p: string) => expandPath(p, { home: ctx.home, localUser: ctx.localUser, host });

  // the options in the order Ansible's ssh command line gives them (ssh keeps the first value)
  const opts = emptySshOptions();
  applySshArgs(opts, sshArgs, 'ssh_args', expand, ctx.warn);
  if (!checkHostKeys) applySshOption(opts, 'StrictHostKeyChecking', 'no');
  if (portText !== undefined && applySshOption(opts, 'Port', portText) === 'invalid') throw new SshResolveError(`ansible_port: '${portText}' is not a port number`);
  if (keyFile !== undefined) applySshOption(opts, 'IdentityFile', keyFile, expand);
  if (user !== undefined) applySshOption(opts, 'User', user);
  applySshOption(opts, 'ConnectTimeout', String(Math.ceil(timeoutS)));
  applySshArgs(opts, commonArgs, 'ssh_common_args', expand, ctx.warn);
  applySshArgs(opts, extraArgs, 'ssh_extra_args', expand, ctx.warn);
  applySshConfigFiles(opts, ctx.configFiles, { host, home: ctx.home, localUser: ctx.localUser });

  const target = finish(inventoryHost, host, opts, ctx, password);
  target.jumps = resolveJumps(opts.proxyJump, ctx, target.privateKeys, 0);
  if (opts.proxyCommand !== undefined && opts.proxyCommand.toLowerCase() !== 'none') {
    target.proxyCommand = proxyCommandTokens(opts.proxyCommand, target, host);
  }
  return target;
}

/** ProxyCommand's tokens as ssh(1) expands them: %h the address, %p the port, %r the user, %n the name given, %% */
function proxyCommandTokens(command: string, target: SshTarget, givenHost: string): string {
  const tokens: Record<string, string> = { h: target.host, p: String(target.port), r: target.user, n: givenHost, '%': '%' };
  return command.replace(/%(.)/g, (whole, token: string) => tokens[token] ?? whole);
}

/** the SshTarget for a host whose options are complete (no jumps yet) */
function finish(inventoryHost: string, host: string, opts: SshOptions, ctx: Context, password?: string): SshTarget {
  const privateKeys = loadKeys(opts.identityFiles, ctx, inventoryHost);
  const agent = ctx.env.SSH_AUTH_SOCK;
  if (privateKeys.length === 0 && !agent && password === undefined && opts.identityFiles.length === 0) {
    // nothing else to try: a default key that needs a passphrase is the likely cause, say so
    for (const name of DEFAULT_IDENTITIES) {
      const path = join(ctx.home, '.ssh', name);
      if (existsSync(path) && isEncrypted(path, ctx.passphrase)) throw encryptedKeyError(path);
    }
  }
  const timeoutS = opts.connectTimeout ?? ctx.timeoutS;
  const target: SshTarget = {
    inventoryHost,
    host: opts.hostName ?? host,
    port: opts.port ?? 22,
    user: opts.user ?? ctx.localUser,
    privateKeys,
    jumps: [],
    connectTimeoutMs: timeoutS * 1000,
    keepaliveIntervalMs: (opts.serverAliveInterval ?? DEFAULT_KEEPALIVE_S) * 1000,
  };
  if (agent) target.agent = agent;
  if (password !== undefined) target.password = password;
  const strict = opts.strictHostKeyChecking ?? 'ask';
  if (ctx.checkHostKeys && strict !== 'no' && strict !== 'off') {
    const userFiles = opts.userKnownHostsFiles ?? [join(ctx.home, '.ssh', 'known_hosts'), join(ctx.home, '.ssh', 'known_hosts2')];
    target.verifyHostKey = knownHostsVerifier({
      userFiles: userFiles.filter((f) => f !== '/dev/null'),
      globalFiles: (opts.globalKnownHostsFiles ?? ctx.globalKnownHosts).filter((f) => f !== '/dev/null'),
      mode: strict === 'accept-new' ? 'accept-new' : 'yes',
      warn: ctx.warn,
    });
  }
  return target;
}

/**
 * ProxyJump `[user@]host[:port],…` (or ssh://user@host:port): each hop resolved from its own
 * ssh_config entries, as the ssh that OpenSSH starts for a hop does; a hop's own ProxyJump comes
 * before it. tsplay also offers the target's key files to the hops (after their own), so one
 * --private-key can serve a bastion too.
 */
function resolveJumps(spec: string | undefined, ctx: Context, targetKeys: PrivateKeySource[], depth: number): SshTarget[] {
  if (spec === undefined || spec.toLowerCase() === 'none') return [];
  if (depth > 8) throw new SshResolveError(`ProxyJump chain too deep (a loop?) at '${spec}'`);
  const out: SshTarget[] = [];
  for (const hopText of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const hop = parseJumpSpec(hopText);
    const opts = emptySshOptions();
    if (hop.user !== undefined) applySshOption(opts, 'User', hop.user);
    if (hop.port !== undefined) applySshOption(opts, 'Port', String(hop.port));
    applySshConfigFiles(opts, ctx.configFiles, { host: hop.host, home: ctx.home, localUser: ctx.localUser });
    const t = finish(hopText, hop.host, opts, ctx);
    for (const k of targetKeys) if (!t.privateKeys.some((p) => p.path === k.path)) t.privateKeys.push(k);
    out.push(...resolveJumps(opts.proxyJump, ctx, targetKeys, depth + 1), t);
  }
  return out;
}

export function parseJumpSpec(text: string): { user?: string; host: string; port?: number } {
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:@/]+)(?::(\d+))?\/?$/.exec(text);
  if (!m) throw new SshResolveError(`ProxyJump: '${text}' is not [user@]host[:port]`);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new SshResolveError(`ProxyJump: bad port in '${text}'`);
  return { user: m[1], host: m[2].replace(/^\[(.*)\]$/, '$1'), port };
}

/** the key files that exist, read and checked; OpenSSH's default identities when none is configured */
function loadKeys(files: string[], ctx: Context, inventoryHost: string): PrivateKeySource[] {
  const out: PrivateKeySource[] = [];
  if (files.length === 0) {
    for (const name of DEFAULT_IDENTITIES) {
      const path = join(ctx.home, '.ssh', name);
      if (!existsSync(path)) continue;
      const key = readKey(path, ctx, inventoryHost);
      // a default key that needs a passphrase nobody gave is skipped, as ssh would prompt for it
      if (key && !isEncrypted(path, ctx.passphrase)) out.push(key);
    }
    return out;
  }
  for (const path of files) {
    if (!existsSync(path)) {
      ctx.warn?.(`${inventoryHost}: identity file ${path} not accessible: no such file; not used`);
      continue;
    }
    const key = readKey(path, ctx, inventoryHost);
    if (!key) continue;
    if (isEncrypted(path, ctx.passphrase)) throw encryptedKeyError(path, ctx.passphrase !== undefined);
    const bad = keyParseError(path, ctx.passphrase);
    if (bad) throw new SshResolveError(`the identity file ${path} is not a private key tsplay can use: ${bad.message}`);
    if (!out.some((k) => k.path === path)) out.push(key);
  }
  return out;
}

function readKey(path: string, ctx: Context, inventoryHost: string): PrivateKeySource | undefined {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (err) {
    ctx.warn?.(`${inventoryHost}: identity file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; not used`);
    return undefined;
  }
  const src: PrivateKeySource = { path, key };
  if (ctx.passphrase !== undefined) src.passphrase = ctx.passphrase;
  return src;
}

/** parse errors per key file and passphrase: decrypting runs a deliberately slow KDF, once per run is enough */
const parseErrors = new Map<string, Error | null>();

function keyParseError(path: string, passphrase?: string): Error | null {
  const id = `${path}\0${passphrase ?? ''}`;
  let err = parseErrors.get(id);
  if (err === undefined) {
    const parsed = ssh2.utils.parseKey(readFileSync(path), passphrase);
    err = parsed instanceof Error ? parsed : null;
    parseErrors.set(id, err);
  }
  return err;
}

/** true when the key cannot be used: encrypted and no (right) passphrase */
function isEncrypted(path: string, passphrase?: string): boolean {
  const err = keyParseError(path, passphrase);
  return err !== null && /passphrase|encrypted/i.test(err.message);
}

function encryptedKeyError(path: string, hadPassphrase = false): SshResolveError {
  return new SshResolveError(
    hadPassphrase
      ? `the private key ${path} could not be decrypted with the passphrase from --private-key-passphrase-file`
      : `the private key ${path} is encrypted: give its passphrase with --private-key-passphrase-file FILE, or load it into ssh-agent (SSH_AUTH_SOCK)`,
  );
}
