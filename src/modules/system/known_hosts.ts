/**
 * ansible.builtin.known_hosts: add, replace or remove a host's key in a known_hosts file. As
 * Ansible does, the target's own `ssh-keygen -F` finds the host (hashed entries included) and
 * `ssh-keygen -R` removes every key of a host; the file is otherwise rewritten line by line.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from '../builtin/support/define.js';
import { ModuleFailure, fail, errnoText } from '../builtin/support/failure.js';
import { addPathInfo, targetUmask } from '../builtin/support/fsattrs.js';
import { join } from '../builtin/support/paths.js';
import { splitLinesKeepEnds } from '../builtin/support/lines.js';
import { expandTargetUser } from '../builtin/support/targethome.js';
import { missingBinary, run } from './support.js';

export interface KnownHostsArgs {
  name: string;
  key?: string | null;
  path?: string | null;
  hash_host?: boolean | null;
  state?: 'present' | 'absent' | null;
}

interface HostKey {
  options?: string;
  host: string;
  type: string;
  key: string;
}

/** a known_hosts line or a user's key, reduced to what identifies it (marker, host field, type, blob) */
function normalize(line: string): HostKey {
  const k = line.trim().split(/\s+/);
  if (k[0].startsWith('@')) return { options: k[0], host: k[1], type: k[2], key: k[3] };
  return { host: k[0], type: k[1], key: k[2] };
}

const sameKey = (a: HostKey, b: HostKey) => a.options === b.options && a.host === b.host && a.type === b.type && a.key === b.key;

/** the host field replaced by OpenSSH's hashed form |1|salt|hmac, with a fresh salt */
function hashHost(host: string, key: string): string {
  const salt = randomBytes(20);
  const hashed = createHmac('sha1', salt).update(host).digest();
  const parts = key.trim().split(/\s+/);
  parts[parts[0].startsWith('@') ? 1 : 0] = `|1|${salt.toString('base64')}|${hashed.toString('base64')}`;
  return parts.join(' ');
}

/** Python reads text files with universal newlines */
const universal = (text: string) => text.replace(/\r\n?/g, '\n');

async function readText(ctx: ModuleContext, path: string): Promise<string | null> {
  try {
    return universal((await ctx.conn.readFile(path, { become: ctx.become })).toString('utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function findSshKeygen(ctx: ModuleContext): Promise<string> {
  const res = await run(ctx, ['/bin/sh', '-c', 'PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v ssh-keygen']);
  const found = res.stdout.trim().split('\n')[0];
  if (res.rc !== 0 || !found) fail(missingBinary('ssh-keygen'));
  return found;
}

/** the key must name the host: ssh-keygen -F finds it in a file holding only that key */
async function sanityCheck(ctx: ModuleContext, host: string, key: string, keygen: string): Promise<void> {
  if (/\S+(\s+)?,(\s+)?/.test(host)) {
    fail('Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.');
  }
  const tmp = join(await ctx.conn.tempDir(), `known_hosts-${process.pid}-${Date.now()}`);
  try {
    await ctx.conn.writeFile(tmp, key, { mode: 0o600, become: ctx.become });
    const res = await run(ctx, [keygen, '-F', host, '-f', tmp]);
    if (res.stdout === '') fail('Host parameter does not match hashed host field in supplied key');
  } finally {
    await ctx.conn.remove(tmp, { become: ctx.become }).catch(() => undefined);
  }
}

/** [found, replaceOrAdd, foundLine] as Ansible's search_for_host_key answers */
async function searchHostKey(ctx: ModuleContext, host: string, key: string | null, path: string, keygen: string): Promise<[boolean, boolean, number | null]> {
  if (!(await ctx.conn.stat(path, { follow: true, become: ctx.become }))) return [false, false, null];
  const res = await run(ctx, [keygen, '-F', host, '-f', path]);
  if (res.stdout === '' && res.stderr === '' && (res.rc === 0 || res.rc === 1)) return [false, false, null];
  if (res.rc !== 0) fail(`ssh-keygen failed (rc=${res.rc}, stdout='${res.stdout}',stderr='${res.stderr}')`);
  if (!key) return [true, false, null];
  const wanted = normalize(key);
  let foundLine: number | null = null;
  for (const l of res.stdout.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('#')) {
      const m = /found: line (\d+)/.exec(l);
      if (m) foundLine = Number(m[1]);
      continue;
    }
    const found = normalize(l);
    // an already hashed entry keeps its salt
    if (wanted.host.startsWith('|1|') && found.host.startsWith('|1|')) wanted.host = found.host;
    if (sameKey(wanted, found)) return [true, false, foundLine];
    if (wanted.type === found.type) return [true, true, foundLine];
  }
  return [true, true, null];
}

function computeDiff(path: string, before: string | null, foundLine: number | null, replaceOrAdd: boolean, state: string, key: string | null) {
  const lines = splitLinesKeepEnds(before ?? '');
  if ((replaceOrAdd || state === 'absent') && foundLine !== null && foundLine >= 1 && foundLine <= lines.length) lines.splice(foundLine - 1, 1);
  if (state === 'present' && (replaceOrAdd || foundLine === null) && key !== null) lines.push(key);
  return { before_header: before === null ? '/dev/null' : path, after_header: path, before: before ?? '', after: lines.join('') };
}

async function knownHosts(a: KnownHostsArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const host = a.name.toLowerCase();
  const state = a.state ?? 'present';
  const path = await expandTargetUser(ctx, a.path ?? '~/.ssh/known_hosts');
  const result: ModuleResult = { name: a.name, key: a.key ?? null, path, hash_host: a.hash_host ?? false, state };
  const keygen = await findSshKeygen(ctx);
  let key = a.key ?? null;
  if (!key && state !== 'absent') fail('No key specified when adding a host');
  if (key && a.hash_host) key = hashHost(host, key);
  if (key && !key.endsWith('\n')) key += '\n';
  if (key) await sanityCheck(ctx, host, key, keygen);

  const [found, replaceOrAdd, foundLine] = await searchHostKey(ctx, host, key, path, keygen);
  const before = await readText(ctx, path);
  const diff = computeDiff(path, before, foundLine, replaceOrAdd, state, key);
  result.diff = diff;
  // Ansible's executor fills in changed=false when the module leaves it out
  result.changed = false;
  // a key given for removal that is not there: nothing to do
  if (state === 'absent' && foundLine === null && key) return withPathInfo(ctx, result);
  if (ctx.check) return { changed: replaceOrAdd || (state === 'present') !== found, diff };

  if (found && !key && state === 'absent') {
    const res = await run(ctx, [keygen, '-R', host, '-f', path]);
    if (res.rc !== 0) fail(res.stderr.trim() || res.stdout.trim() || `ssh-keygen -R exited with ${res.rc}`, { cmd: `${keygen} -R ${host} -f ${path}`, rc: res.rc, stdout: res.stdout, stderr: res.stderr });
    result.changed = true;
  }
  if (replaceOrAdd || found !== (state === 'present')) {
    const current = await readText(ctx, path);
    const kept = (current?.match(/[^\n]*\n|[^\n]+$/g) ?? []).filter((_, i) => !(foundLine === i + 1 && (replaceOrAdd || state === 'absent')));
    const content = kept.join('') + (state === 'present' && key ? key : '');
    const info = await ctx.conn.stat(path, { follow: true, become: ctx.become });
    try {
      await ctx.conn.writeFile(path, content, { mode: info?.mode ?? 0o666 & ~(await targetUmask(ctx)), become: ctx.become });
      if (info) await ctx.conn.chown(path, info.uid, info.gid, { become: ctx.become }).catch(() => undefined);
    } catch (err) {
      fail(`Failed to write to file ${path}: ${errnoText(err)}`);
    }
    result.changed = true;
  }
  return withPathInfo(ctx, result);
}

/** Ansible's exit_json describes the file a result names in `path` (owner, mode, size...) */
async function withPathInfo(ctx: ModuleContext, result: ModuleResult): Promise<ModuleResult> {
  await addPathInfo(ctx, result);
  return result;
}

export const knownHostsModule: ModuleDefinition = defineModule<KnownHostsArgs>({
  name: 'ansible.builtin.known_hosts',
  spec: {
    short_description: 'Add or remove a host from the C(known_hosts) file',
    options: {
      name: { type: 'str', required: true, aliases: ['host'] },
      key: { type: 'str', required: false, no_log: false },
      path: { type: 'path', default: '~/.ssh/known_hosts' },
      hash_host: { type: 'bool', default: false },
      state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
    },
  },
  supportsCheckMode: true,
  run: async (args, ctx) => {
    try {
      return await knownHosts(args, ctx);
    } catch (err) {
      if (err instanceof ModuleFailure) return { changed: false, ...err.result, failed: true };
      throw err;
    }
  },
});
