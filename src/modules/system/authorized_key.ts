/**
 * ansible.posix.authorized_key: add or remove SSH public keys in a user's authorized_keys file,
 * parsed and re-serialised as the collection's module does (one entry per key blob, options and
 * comment normalised, comments and unparsable lines kept in place), so files come out byte-equal.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail, errnoText } from '../builtin/support/failure.js';
import { addPathInfo, targetUmask } from '../builtin/support/fsattrs.js';
import { dirname, join } from '../builtin/support/paths.js';
import { splitLines, splitLinesKeepEnds } from '../builtin/support/lines.js';
import { fetchOnTarget, NoHttpClientError } from '../packaging/target-fetch.js';
import { getpwnam, type PasswdEntry } from './accounts.js';
import { pyStrRepr, realpath, run } from './support.js';

export interface AuthorizedKeyArgs {
  user: string;
  key: string;
  path?: string | null;
  manage_dir?: boolean | null;
  state?: 'present' | 'absent' | null;
  key_options?: string | null;
  exclusive?: boolean | null;
  comment?: string | null;
  validate_certs?: boolean | null;
  follow?: boolean | null;
}

/** the key types the collection recognises in a line (anything else makes the line opaque) */
const KEY_TYPES = new Set([
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-dss',
  'ssh-rsa',
  'ssh-xmss@openssh.com',
  'ssh-xmss-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-512',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
]);

/** key options in the order written; a name may repeat (several `permitopen=`), a flag has no value */
type Options = Array<[string, string | null]>;

/**
 * One entry of the file: a key (`type` is its key type) or a line kept as it is (`type` 'skipped':
 * comments, blank and unparsable lines, whose `key` is the whole line). `rank` orders the output.
 */
interface Entry {
  key: string;
  type: string;
  options: Options | null;
  comment: string | null;
  rank: number;
}

/** the module's failure for a line it cannot parse (the collection crashes there with IndexError) */
class ParseCrash extends Error {}

function parseOptions(text: string | null): Options {
  const out: Options = [];
  if (!text) return out;
  // commas inside quotes do not separate options
  const parts = text.split(/((?:[^,"']|"[^"]*"|'[^']*')+)/).slice(1, -1);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq >= 0) out.push([part.slice(0, eq), part.slice(eq + 1)]);
    else if (part !== ',') out.push([part, null]);
  }
  return out;
}

/** options compare as the collection's dict of name → values: order between names does not matter */
function sameOptions(a: Options | null, b: Options | null): boolean {
  if (a === null || b === null) return a === b;
  const group = (o: Options) => {
    const m = new Map<string, Array<string | null>>();
    for (const [k, v] of o) m.set(k, [...(m.get(k) ?? []), v]);
    return m;
  };
  const x = group(a);
  const y = group(b);
  if (x.size !== y.size) return false;
  for (const [k, vs] of x) {
    const ws = y.get(k);
    if (!ws || ws.length !== vs.length || vs.some((v, i) => v !== ws[i])) return false;
  }
  return true;
}

const sameEntry = (a: Entry, b: Entry) => a.key === b.key && a.type === b.type && sameOptions(a.options, b.options) && a.comment === b.comment;

/** a line → its entry, or null when it holds no known key type */
function parseKey(raw: string, rank: number): Entry | null {
  const line = raw.replace(/\\#/g, '#');
  // split on whitespace only: quotes in options do not group words (they are re-joined below)
  const parts = line.split(/[ \t\r\n]+/).filter((w) => w !== '');
  if (parts[0] === '#') return { key: line, type: 'skipped', options: null, comment: null, rank };
  const at = parts.findIndex((p) => KEY_TYPES.has(p));
  if (at < 0) return null;
  if (at + 1 >= parts.length) throw new ParseCrash(line);
  return {
    key: parts[at + 1],
    type: parts[at],
    options: parseOptions(at > 0 ? parts.slice(0, at).join(' ') : null),
    comment: parts.slice(at + 2).join(' '),
    rank,
  };
}

function parseKeys(content: string): Map<string, Entry> {
  const keys = new Map<string, Entry>();
  splitLinesKeepEnds(content).forEach((line, rank) => {
    const entry = parseKey(line, rank) ?? { key: line, type: 'skipped', options: null, comment: null, rank };
    // a key seen twice keeps its first place in the map but takes the later line's rank
    keys.set(entry.key, entry);
  });
  return keys;
}

function serialize(keys: Map<string, Entry>): string {
  // a stable sort: entries of equal rank stay in map order
  return [...keys.values()]
    .sort((a, b) => a.rank - b.rank)
    .map((e) => {
      if (e.type === 'skipped') return e.key;
      const opts = e.options && e.options.length ? `${e.options.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(',')} ` : '';
      return `${opts}${e.type} ${e.key} ${e.comment}\n`;
    })
    .join('');
}

async function lookupUser(ctx: ModuleContext, user: string, checkNoPath: boolean): Promise<PasswdEntry> {
  const entry = await getpwnam(ctx, user);
  if (entry) return entry;
  if (checkNoPath) fail('Either user must exist or you must provide full path to key file in check mode');
  return fail(`Failed to lookup user ${user}: ${pyStrRepr(`getpwnam(): name not found: ${pyStrRepr(user)}`)}`);
}

/** where the keys live (the collection's keyfile()); with `write` also creates the dir and file */
async function keyFile(ctx: ModuleContext, a: AuthorizedKeyArgs, write: boolean, follow: boolean): Promise<string> {
  const path = a.path ?? null;
  if (ctx.check && path !== null) return follow ? realpath(ctx, path) : path;
  const pw = await lookupUser(ctx, a.user, ctx.check && path === null);
  const sshDir = path === null ? join(pw[5], '.ssh') : dirname(path);
  let file = path === null ? join(sshDir, 'authorized_keys') : path;
  if (follow) file = await realpath(ctx, file);
  if (!write || ctx.check) return file;

  const [, , uid, gid] = pw;
  const opts = { become: ctx.become };
  if (a.manage_dir ?? true) {
    if (!(await ctx.conn.stat(sshDir, { follow: true, ...opts }))) {
      try {
        await ctx.conn.mkdir(sshDir, { mode: 0o700, ...opts });
      } catch (err) {
        fail(`Failed to create directory ${sshDir} : ${errnoText(err, sshDir)}`);
      }
    }
    await ctx.conn.chown(sshDir, uid, gid, { follow: true, ...opts });
    await ctx.conn.chmod(sshDir, 0o700, opts);
  }
  if (!(await ctx.conn.stat(file, { follow: true, ...opts }))) {
    const base = dirname(file);
    const umask = await targetUmask(ctx);
    if (!(await ctx.conn.stat(base, { follow: true, ...opts }))) await ctx.conn.mkdir(base, { parents: true, mode: 0o777 & ~umask, ...opts });
    await ctx.conn.writeFile(file, '', { mode: 0o666 & ~umask, ...opts });
  }
  // as the collection does: ownership and mode are best effort
  await ctx.conn.chown(file, uid, gid, { follow: true, ...opts }).catch(() => undefined);
  await ctx.conn.chmod(file, 0o600, opts).catch(() => undefined);
  return file;
}

async function readIfFile(ctx: ModuleContext, path: string): Promise<string> {
  const info = await ctx.conn.stat(path, { follow: true, become: ctx.become });
  if (info?.type !== 'file') return '';
  return (await ctx.conn.readFile(path, { become: ctx.become })).toString('utf8');
}

/** a key given as a URL is fetched by the target, as the module fetches it there */
async function keyFromUrl(ctx: ModuleContext, url: string, validateCerts: boolean): Promise<string> {
  const body = join(await ctx.conn.tempDir(), `authorized_key-${process.pid}-${Date.now()}`);
  try {
    const info = await fetchOnTarget(ctx, url, { method: 'GET', headers: {}, timeoutMs: 10_000, validateCerts, decompress: true, signal: ctx.signal }, body, true);
    if (info.status !== 200) fail(`Error getting key from: ${url}`);
    return (await ctx.conn.readFile(body, { become: ctx.become })).toString('utf8');
  } catch (err) {
    if (err instanceof ModuleFailure || err instanceof NoHttpClientError) throw err;
    return fail(`Error getting key from: ${url}`);
  } finally {
    await ctx.conn.remove(body, { become: ctx.become }).catch(() => undefined);
  }
}

async function authorizedKey(a: AuthorizedKeyArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const state = a.state ?? 'present';
  const follow = a.follow ?? false;
  let keyText = a.key;
  if (keyText.startsWith('http')) keyText = await keyFromUrl(ctx, keyText, a.validate_certs ?? true);
  const newKeys = splitLines(keyText).filter((s) => s !== '' && !s.startsWith('#'));

  const result: ModuleResult = {
    user: a.user,
    key: a.key,
    path: a.path ?? null,
    manage_dir: a.manage_dir ?? true,
    state,
    key_options: a.key_options ?? null,
    exclusive: a.exclusive ?? false,
    comment: a.comment ?? null,
    validate_certs: a.validate_certs ?? true,
    follow,
    // Ansible's executor fills in changed=false when the module leaves it out
    changed: false,
  };
  const listed = await keyFile(ctx, a, false, false);
  result.keyfile = listed;
  const existingContent = await readIfFile(ctx, listed);
  const existing = parseKeys(existingContent);

  let write = false;
  const wanted: string[] = [];
  // keys not there yet go after every existing entry, in the order given
  const maxRank = existing.size;
  newKeys.forEach((line, rank) => {
    let parsed = parseKey(line, rank);
    if (!parsed) fail(`invalid key specified: ${line}`);
    if (a.key_options != null) parsed = { ...parsed, options: parseOptions(a.key_options) };
    if (a.comment != null) parsed = { ...parsed, comment: a.comment };
    const old = existing.get(parsed.key);
    const matched = old !== undefined && (state !== 'present' || sameEntry(parsed, old));
    if (state === 'present') {
      wanted.push(parsed.key);
      if (old !== undefined && !matched) {
        existing.delete(parsed.key);
        write = true;
      }
      if (!matched) {
        existing.set(parsed.key, { ...parsed, rank: maxRank + parsed.rank });
        write = true;
      }
    } else if (matched) {
      existing.delete(parsed.key);
      write = true;
    }
  });
  if (state === 'present' && (a.exclusive ?? false)) {
    for (const k of [...existing.keys()]) {
      if (!wanted.includes(k)) {
        existing.delete(k);
        write = true;
      }
    }
  }

  if (write) {
    const file = await keyFile(ctx, a, true, follow);
    const content = serialize(existing);
    if (ctx.diff) result.diff = { before_header: listed, after_header: file, before: existingContent, after: content };
    if (!ctx.check) await replaceKeeping(ctx, file, content);
    result.changed = true;
  }
  // exit_json describes the file named by `path` when one was given
  await addPathInfo(ctx, result);
  return result;
}

/** written whole through a rename, keeping the mode and owner the old file had (Ansible's atomic_move) */
async function replaceKeeping(ctx: ModuleContext, file: string, content: string): Promise<void> {
  const opts = { become: ctx.become };
  const before = await ctx.conn.stat(file, { follow: true, ...opts });
  try {
    await ctx.conn.writeFile(file, content, { mode: before?.mode ?? 0o600, ...opts });
    if (before) await ctx.conn.chown(file, before.uid, before.gid, { follow: false, ...opts }).catch(() => undefined);
  } catch (err) {
    fail(`Failed to write to file ${file}: ${errnoText(err, file)}`);
  }
}

export const authorizedKeyModule: ModuleDefinition = defineModule<AuthorizedKeyArgs>({
  name: 'ansible.posix.authorized_key',
  aliases: ['authorized_key', 'ansible.builtin.authorized_key'],
  spec: {
    short_description: 'Adds or removes an SSH authorized key',
    options: {
      user: { type: 'str', required: true },
      key: { type: 'str', required: true, no_log: false },
      path: { type: 'path' },
      manage_dir: { type: 'bool', default: true },
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
      key_options: { type: 'str', no_log: false },
      exclusive: { type: 'bool', default: false },
      comment: { type: 'str' },
      validate_certs: { type: 'bool', default: true },
      follow: { type: 'bool', default: false },
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await authorizedKey(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      if (err instanceof NoHttpClientError) return { changed: false, failed: true, msg: err.message };
      // the collection's parser crashes on a key type with nothing after it; Ansible reports a module failure
      if (err instanceof ParseCrash) return { changed: false, failed: true, msg: `MODULE FAILURE: cannot parse the key line ${JSON.stringify(err.message)}` };
      throw err;
    }
  },
});
