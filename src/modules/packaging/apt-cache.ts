/**
 * Refreshing APT's package lists on the target the way Ansible's apt and apt_repository do:
 * retried with exponential back-off (2^n s plus up to 1 s of jitter, capped), and a fetch
 * failure counts as a failure even where apt-get itself only warns, as python-apt does.
 */
import type { ModuleContext } from '../types.js';
import { run, sleep } from './common.js';

/** The environment Ansible's apt module runs apt-get under. */
export const APT_ENV: Record<string, string> = {
  DEBIAN_FRONTEND: 'noninteractive',
  DEBIAN_PRIORITY: 'critical',
  LANG: 'C.utf8',
  LC_ALL: 'C.utf8',
  LC_MESSAGES: 'C.utf8',
  LC_CTYPE: 'C.utf8',
};

export type CacheUpdate = { ok: true } | { ok: false; error: string };

/** apt-get update, retried; `error` is the last attempt's complaint. */
export async function updateAptCache(ctx: ModuleContext, retries: number, maxDelaySeconds: number): Promise<CacheUpdate> {
  let error = '';
  const jitter = Math.floor(Math.random() * 1001) / 1000;
  for (let attempt = 0; attempt < Math.max(retries, 1); attempt++) {
    const result = await run(ctx, ['apt-get', 'update', '-q'], APT_ENV);
    const complaints = result.stderr
      .split('\n')
      .filter((line) => /^(E:|W: (Failed to fetch|Some index files failed|GPG error|The repository))/.test(line));
    if (result.rc === 0 && complaints.length === 0) return { ok: true };
    error = (complaints.length > 0 ? complaints.join(', ') : result.stderr.trim()) || `apt-get update exited with ${result.rc}`;
    if (attempt + 1 >= retries) break;
    let delay = 2 ** attempt + jitter;
    if (delay > maxDelaySeconds) delay = maxDelaySeconds + jitter;
    await sleep(delay * 1000, ctx.signal);
    if (ctx.signal?.aborted) break;
  }
  return { ok: false, error };
}

export type PythonAptInstall = { ok: true } | { ok: false; result: Record<string, unknown> };

/**
 * Ansible's apt and apt_repository need python3-apt on the target and install it on the fly
 * (after an apt-get update) when it is missing. tsplay does not need it, but does the same so a
 * host ends up exactly as Ansible leaves it, and a playbook relying on that implicit package-list
 * refresh on a fresh host still works.
 */
export async function installPythonApt(ctx: ModuleContext, opts: { update: boolean; noRecommends: boolean }): Promise<PythonAptInstall> {
  const commands: string[][] = [];
  if (opts.update) commands.push(['apt-get', 'update']);
  commands.push(opts.noRecommends
    ? ['apt-get', 'install', '--no-install-recommends', 'python3-apt', '-y', '-q']
    : ['apt-get', 'install', 'python3-apt', '-y', '-q']);
  for (const cmd of commands) {
    const result = await run(ctx, cmd, APT_ENV);
    if (result.rc !== 0) {
      return { ok: false, result: { failed: true, changed: false, cmd: cmd.join(' '), rc: result.rc, stdout: result.stdout, stderr: result.stderr, msg: result.stderr.trimEnd() } };
    }
  }
  return { ok: true };
}
