/**
 * Host key checking as OpenSSH does it with known_hosts files: plain and hashed (|1|salt|hash)
 * host patterns, [host]:port for ports other than 22, several keys per host, @revoked keys.
 * A key is accepted only when a file lists it for the host; an unknown host or a changed key is
 * refused with a message saying what was offered, where it was looked for and how to accept it.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchPatternList } from './ssh-config.js';
import type { HostKeyVerdict, HostKeyVerifier } from './target.js';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** comma-separated patterns, or one hashed name */
  hosts: string;
  keyType: string;
  /** the decoded key blob */
  key: Buffer;
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!.slice(1);
      if (m !== 'revoked' && m !== 'cert-authority') return;
      marker = m;
    }
    if (fields.length < 3) return;
    const [hosts, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  });
  return out;
}

/** the name OpenSSH looks up: host, or [host]:port when the port is not 22 */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  return matchPatternList(entry.hosts.split(','), name);
}

/** the key type named inside an SSH public key blob (string length + name) */
export function keyBlobType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** as `ssh-keygen -lf` prints it: SHA256:<base64 without padding> */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** ED25519 / ECDSA / RSA, as OpenSSH names key types in its messages */
export function keyTypeLabel(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type.startsWith('ecdsa-')) return 'ECDSA';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  return type;
}

export type KnownHostsMode = 'yes' | 'accept-new';

export interface VerifierOptions {
  /** UserKnownHostsFile list: searched, and the first is where accept-new appends */
  userFiles: string[];
  /** GlobalKnownHostsFile list */
  globalFiles: string[];
  mode: KnownHostsMode;
  /** told once per file about @cert-authority lines it cannot use */
  warn?: (message: string) => void;
}

export type KnownHostsResult =
  | { status: 'ok' }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'changed'; entries: KnownHostEntry[] }
  | { status: 'unknown'; otherTypes: string[] };

/** what the files say about `key` for name (no side effects) */
export function lookupHostKey(entries: KnownHostEntry[], name: string, key: Buffer): KnownHostsResult {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return { status: 'ok' };
  const type = keyBlobType(key);
  const sameType = plain.filter((e) => keyBlobType(e.key) === type);
  if (sameType.length) return { status: 'changed', entries: sameType };
  return { status: 'unknown', otherTypes: [...new Set(plain.map((e) => keyBlobType(e.key)))] };
}

function readEntries(files: string[], warn?: (m: string) => void, warned?: Set<string>): { entries: KnownHostEntry[]; searched: string[] } {
  const entries: KnownHostEntry[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    let parsed: KnownHostEntry[];
    try {
      parsed = parseKnownHosts(readFileSync(f, 'utf8'), f);
    } catch {
      continue;
    }
    if (warn && warned && !warned.has(f) && parsed.some((e) => e.marker === 'cert-authority')) {
      warned.add(f);
      warn(`${f}: @cert-authority lines are not supported by tsplay and are ignored (host certificates are not checked)`);
    }
    entries.push(...parsed);
  }
  return { entries, searched: files };
}

/**
 * A HostKeyVerifier over the given files. The files are read at each check (a key accepted by
 * accept-new, or added by the user between plays, is seen at once).
 */
export function knownHostsVerifier(opts: VerifierOptions): HostKeyVerifier {
  const warned = new Set<string>();
  return (key: Buffer, host: string, port: number): HostKeyVerdict => {
    const files = [...opts.userFiles, ...opts.globalFiles];
    const { entries } = readEntries(files, opts.warn, warned);
    const name = knownHostsName(host, port);
    const result = lookupHostKey(entries, name, key);
    if (result.status === 'ok') return { ok: true };
    const type = keyBlobType(key);
    const offered = `${keyTypeLabel(type)} key ${fingerprint(key)}`;
    if (result.status === 'revoked') {
      return { ok: false, message: `Host key verification failed for ${name}: the ${offered} it offered is marked as revoked in ${result.entry.file}:${result.entry.line}` };
    }
    if (result.status === 'changed') {
      const where = result.entries.map((e) => `${e.file}:${e.line}`).join(', ');
      return {
        ok: false,
        message:
          `Host key verification failed: REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}: it offered the ${offered}, ` +
          `but ${where} hold${result.entries.length === 1 ? 's' : ''} a different ${type} key. Someone could be eavesdropping, or the host was reinstalled. ` +
          `If the new key is right, remove the old one with: ssh-keygen -R '${name}'${opts.userFiles[0] ? ` -f ${opts.userFiles[0]}` : ''}, then add the new one (${keyscanHint(host, port, opts.userFiles[0])})`,
      };
    }
    if (opts.mode === 'accept-new' && opts.userFiles[0]) {
      const file = opts.userFiles[0];
      try {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        appendFileSync(file, `${name} ${type} ${key.toString('base64')}\n`, { mode: 0o600 });
        return { ok: true };
      } catch (err) {
        return { ok: false, message: `Host key verification failed for ${name}: StrictHostKeyChecking=accept-new could not add the ${offered} to ${file}: ${(err as Error).message}` };
      }
    }
    const others = result.otherTypes.length ? ` (known there only with other key types: ${result.otherTypes.join(', ')})` : '';
    return {
      ok: false,
      message:
        `Host key verification failed: the authenticity of host '${name}' can't be established: it offered the ${offered}, ` +
        `which is not in ${files.join(', ')}${others}. To trust it, check the fingerprint and add it: ${keyscanHint(host, port, opts.userFiles[0])}; ` +
        `or turn checking off with host_key_checking = False (ansible.cfg [defaults]) or ANSIBLE_HOST_KEY_CHECKING=False`,
    };
  };
}

function keyscanHint(host: string, port: number, file = '~/.ssh/known_hosts'): string {
  return `ssh-keyscan ${port === 22 ? '' : `-p ${port} `}${host} >> ${file}`;
}
