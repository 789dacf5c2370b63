/**
 * The one round trip that tells a remote transport its target's facts of life (TargetInfo), and
 * the shell command that hashes a file there. Shared by every transport that runs commands
 * through a shell on the target (Docker API, SSH), so they read the target the same way.
 */
import type { TargetInfo } from './types.js';

/** prints uid, gid, user, home, umask and working directory on one line each, then the environment NUL-separated */
export const TARGET_PROBE_SCRIPT = 'id -u; id -g; id -un 2>/dev/null || echo "?"; printf "%s\\n" "$HOME"; umask; pwd; env -0';

/** parses TARGET_PROBE_SCRIPT's output; throws when it is not what the script prints */
export function parseTargetProbe(stdout: string, where: string): TargetInfo {
  const lines: string[] = [];
  let rest = stdout;
  for (let i = 0; i < 6; i++) {
    const nl = rest.indexOf('\n');
    if (nl < 0) throw new Error(`cannot read the target's user and environment on ${where}: unexpected answer ${JSON.stringify(stdout.slice(0, 200))}`);
    lines.push(rest.slice(0, nl));
    rest = rest.slice(nl + 1);
  }
  const [uid, gid, user, home, umask, cwd] = lines;
  const env: Record<string, string> = {};
  for (const entry of rest.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const info: TargetInfo = { uid: Number(uid), gid: Number(gid), user, home: home || env.HOME || '/', umask: parseInt(umask, 8), env, cwd: cwd || '/' };
  if (!Number.isInteger(info.uid) || !Number.isInteger(info.gid) || Number.isNaN(info.umask)) {
    throw new Error(`cannot read the target's user and environment on ${where}: unexpected answer ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  return info;
}

/**
 * Prints the sha1 of a regular file (links followed), or exits 44 when there is none; sha1sum is
 * in coreutils and in BusyBox.
 */
export function checksumScript(quotedPath: string): string {
  return `[ -f ${quotedPath} ] || exit 44; sha1sum -- ${quotedPath} | cut -d' ' -f1`;
}

/** reads checksumScript's answer */
export function parseChecksum(rc: number, stdout: string, stderr: string, path: string): string | null {
  if (rc === 44) return null;
  const sum = stdout.trim();
  if (rc !== 0 || !/^[0-9a-f]{40}$/.test(sum)) {
    const err = new Error(stderr.trim() || `cannot compute the checksum of ${path}`) as NodeJS.ErrnoException;
    if (/Permission denied/.test(stderr)) err.code = 'EACCES';
    throw err;
  }
  return sum;
}
