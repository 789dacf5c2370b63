/**
 * What the target's dpkg and APT know about packages, read in one round trip with dpkg-query
 * and apt-cache policy, and turned into the four answers Ansible's apt module decides with:
 * is it installed, does the installed version satisfy the request, which version would be
 * installed, and does it still have files (config files left after removal).
 */
import type { ModuleContext } from '../types.js';
import { APT_ENV } from './apt-cache.js';
import { marker, run } from './common.js';
import { compareDebianVersions } from './debversion.js';

export interface PackageRecord {
  name: string;
  /** dpkg status ('installed', 'config-files', 'not-installed', ...) or undefined when dpkg never saw it */
  dpkgStatus?: string;
  installedVersion?: string;
  /** APT's candidate, undefined for "(none)" */
  candidate?: string;
  /** every version APT knows, highest first */
  versions: string[];
  /** apt-cache printed a record for the name (it has versions or is a virtual package) */
  known: boolean;
}

export interface TargetAptState {
  aptGet: string | undefined;
  /** whole seconds; 0 when there is no cache yet */
  cacheMtime: number;
  now: number;
  packages: Map<string, PackageRecord>;
  /** the target has /usr/bin/python3 but not python-apt for it (Ansible then installs python3-apt) */
  lacksPythonApt: boolean;
  /** the probed names that APT marks as automatically installed */
  autoInstalled: Set<string>;
}

const PROBE = `
printf 'aptget=%s\\n' "$(command -v apt-get || PATH=$PATH:/usr/sbin:/sbin command -v apt-get)"
if [ -e /var/lib/apt/periodic/update-success-stamp ]; then
  printf 'mtime=%s\\n' "$(stat -c %Y /var/lib/apt/periodic/update-success-stamp)"
elif [ -e /var/lib/apt/lists ]; then
  printf 'mtime=%s\\n' "$(stat -c %Y /var/lib/apt/lists)"
else
  echo mtime=0
fi
printf 'now=%s\\n' "$(date +%s)"
[ -x /usr/bin/python3 ] && echo python3=/usr/bin/python3
printf 'python3apt=%s\\n' "$(dpkg-query -W -f='\${db:Status-Status}' python3-apt 2>/dev/null)"
M=$1; REL=$2; shift 2
for p in "$@"; do
  printf '%s pkg %s\\n' "$M" "$p"
  dpkg-query -W -f='\${db:Status-Status} \${Version}\\n' -- "$p" 2>/dev/null
  printf '%s policy\\n' "$M"
  if [ -n "$REL" ]; then apt-cache -o "APT::Default-Release=$REL" policy -- "$p" 2>/dev/null
  else apt-cache policy -- "$p" 2>/dev/null; fi
done
printf '%s auto\\n' "$M"
[ $# -gt 0 ] && apt-mark showauto -- "$@" 2>/dev/null
true
`;

function parsePolicy(name: string, text: string): Pick<PackageRecord, 'candidate' | 'versions' | 'known'> {
  const versions: string[] = [];
  let candidate: string | undefined;
  let known = false;
  for (const line of text.split('\n')) {
    if (/^\S.*:$/.test(line)) known = true;
    const cand = /^\s+Candidate: (.+)$/.exec(line);
    if (cand) candidate = cand[1] === '(none)' ? undefined : cand[1].trim();
    const ver = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (ver) versions.push(ver[1]);
  }
  void name;
  return { candidate, versions, known };
}

export async function probeAptState(ctx: ModuleContext, names: string[], defaultRelease?: string): Promise<TargetAptState> {
  const mark = marker();
  const result = await run(ctx, ['sh', '-c', PROBE, 'sh', mark, defaultRelease ?? '', ...names], APT_ENV);
  const state: TargetAptState = { aptGet: undefined, cacheMtime: 0, now: Math.floor(Date.now() / 1000), packages: new Map(), lacksPythonApt: false, autoInstalled: new Set() };
  let python3 = false;
  let pythonApt = '';
  const [body, autoPart = ''] = result.stdout.split(`${mark} auto\n`);
  for (const name of autoPart.split('\n')) if (name.trim()) state.autoInstalled.add(name.trim());
  const sections = body.split(`${mark} pkg `);
  for (const line of sections[0].split('\n')) {
    const [key, ...rest] = line.split('=');
    const value = rest.join('=');
    if (key === 'aptget') state.aptGet = value || undefined;
    if (key === 'mtime') state.cacheMtime = parseInt(value, 10) || 0;
    if (key === 'now' && value) state.now = parseInt(value, 10);
    if (key === 'python3') python3 = true;
    if (key === 'python3apt') pythonApt = value.trim();
  }
  state.lacksPythonApt = python3 && pythonApt !== 'installed';
  for (const section of sections.slice(1)) {
    const newline = section.indexOf('\n');
    const name = section.slice(0, newline);
    const [dpkgPart, policyPart = ''] = section.slice(newline + 1).split(`${mark} policy\n`);
    const record: PackageRecord = { name, ...parsePolicy(name, policyPart) };
    // several lines for a multi-arch name: the installed one wins
    const dpkgLines = dpkgPart.split('\n').filter((l) => l.trim() !== '');
    const chosen = dpkgLines.find((l) => l.startsWith('installed ')) ?? dpkgLines.find((l) => !l.startsWith('not-installed')) ?? dpkgLines[0];
    if (chosen) {
      const space = chosen.indexOf(' ');
      record.dpkgStatus = chosen.slice(0, space < 0 ? undefined : space);
      const version = space < 0 ? '' : chosen.slice(space + 1).trim();
      if (version && record.dpkgStatus !== 'not-installed') record.installedVersion = version;
    }
    state.packages.set(name, record);
  }
  return state;
}

/** Packages that provide a virtual name, from `apt-cache showpkg` ("Reverse Provides"). */
export async function providersOf(ctx: ModuleContext, name: string): Promise<string[]> {
  const result = await run(ctx, ['apt-cache', 'showpkg', '--', name], APT_ENV);
  const section = result.stdout.split(/^Reverse Provides: *$/m)[1] ?? '';
  const names = section
    .split('\n')
    .map((line) => line.trim().split(' ')[0])
    .filter((n) => n !== '');
  return [...new Set(names)];
}

/** Python's fnmatch (case-sensitive on POSIX) as a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

export function fnmatch(text: string, pattern: string): boolean {
  return globToRegExp(pattern).test(text);
}

export interface PackageStatus {
  installed: boolean;
  /** the installed version satisfies the request */
  versionInstalled: boolean;
  /** the version to install: a version string, true (let APT pick, virtual packages), or undefined */
  installable: string | true | undefined;
  hasFiles: boolean;
}

/** The version APT would install for the request (`=` pins a glob to the highest matching version). */
function bestMatch(record: PackageRecord, cmp: string | undefined, version: string | undefined): string | undefined {
  if (cmp === '=' && version !== undefined) {
    return record.versions.find((v) => fnmatch(v, version));
  }
  return record.candidate;
}

/** Ansible's package_status for a record with versions. */
export function statusOf(record: PackageRecord, cmp: string | undefined, version: string | undefined): PackageStatus {
  const installed = record.dpkgStatus === 'installed';
  const hasFiles = record.dpkgStatus !== undefined && record.dpkgStatus !== 'not-installed';
  const best = bestMatch(record, cmp, version);
  let versionInstalled = false;
  let installable: string | undefined;
  if (installed && record.installedVersion !== undefined) {
    const current = record.installedVersion;
    if (cmp === '=' && version !== undefined) {
      versionInstalled = fnmatch(current, version);
      if (best && current !== best && fnmatch(best, version)) installable = best;
    } else if (cmp === '>=' && version !== undefined) {
      versionInstalled = compareDebianVersions(current, version) >= 0;
      if (best && current !== best && compareDebianVersions(best, version) >= 0) installable = best;
    } else {
      versionInstalled = true;
      if (best && current !== best) installable = best;
    }
  } else {
    installable = best;
  }
  return { installed, versionInstalled, installable, hasFiles };
}

/** `name`, `name=1.0`, `name>=1.0` → its parts (split at the first `=` or `>=`). */
export function splitPackageSpec(spec: string): { name: string; cmp?: string; version?: string } {
  const match = /^(.*?)(>?=)(.*)$/s.exec(spec);
  if (!match) return { name: spec };
  return { name: match[1], cmp: match[2], version: match[3] };
}
