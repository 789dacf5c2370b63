/**
 * Fact gathering (setup / gather_facts) in one round trip: one shell script on the target prints
 * what the wanted subsets are made from, run with the play's become so user facts describe the
 * become user, and the facts are derived here on the controller with Ansible 2.14's rules.
 *
 * Keys are returned without the `ansible_` prefix, as they appear under `ansible_facts`; the
 * engine exposes them as `ansible_<key>` variables too.
 */
import type { BecomeOptions, Connection } from '../connection/types.js';
import { marker } from '../modules/packaging/common.js';
import { distributionFacts, lsbFacts, pkgMgrFact, pointReleaseWanted, serviceMgrFact } from './distribution.js';
import { cpuFacts, memoryFacts, virtualFacts } from './hardware.js';
import { networkFacts } from './network.js';
import { factScript, type ScriptPart } from './script.js';
import { lines, sections } from './sections.js';
import { dateTimeFacts, envFacts, parsePython, platformFacts, pythonFacts, selinuxFacts, userFacts } from './system.js';

export type Facts = Record<string, unknown>;
export { detectPkgMgr } from './distribution.js';

/** setup's minimal_gather_subset: always collected, even with `!all` */
const MIN_SUBSETS = ['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips', 'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user'];
/** every subset name 2.14 accepts (collector names and their fact ids) */
const VALID_SUBSETS = new Set([...MIN_SUBSETS, 'chroot', 'facter', 'fibre_channel_wwn', 'hardware', 'devices', 'dmi', 'iscsi', 'loadavg', 'network', 'interfaces', 'nvme', 'ohai', 'virtual']);
const ALIASES: Record<string, string[]> = { hardware: ['devices', 'dmi'], network: ['interfaces'] };

export class GatherSubsetError extends Error {
  override name = 'GatherSubsetError';
}

/** Ansible's get_collector_names: which subsets `gather_subset` asks for */
export function resolveSubsets(gatherSubset: string[]): Set<string> {
  const add = new Set<string>();
  const exclude = new Set<string>();
  const explicit = new Set<string>();
  for (const raw of ['min', ...gatherSubset]) {
    const name = raw.trim();
    if (name === 'min') MIN_SUBSETS.forEach((n) => add.add(n));
    else if (name === 'all') VALID_SUBSETS.forEach((n) => add.add(n));
    else if (name.startsWith('!')) {
      const what = name.slice(1);
      if (what === 'min') MIN_SUBSETS.forEach((n) => exclude.add(n));
      else if (what === 'all') [...VALID_SUBSETS].filter((n) => !MIN_SUBSETS.includes(n)).forEach((n) => exclude.add(n));
      else {
        (ALIASES[what] ?? []).forEach((n) => exclude.add(n));
        exclude.add(what);
      }
    } else {
      if (!VALID_SUBSETS.has(name)) {
        throw new GatherSubsetError(`Bad subset '${name}' given to Ansible. gather_subset options allowed: all, ${[...VALID_SUBSETS].sort().join(', ')}`);
      }
      explicit.add(name);
      add.add(name);
    }
  }
  if (add.size === 0) VALID_SUBSETS.forEach((n) => add.add(n));
  for (const n of exclude) if (!explicit.has(n)) add.delete(n);
  return add;
}

/** setup's `filter`: fnmatch patterns on the `ansible_` names (the prefix may be left off) */
export function filterFacts(facts: Facts, patterns: string[]): Facts {
  if (patterns.length === 0 || (patterns.length === 1 && (patterns[0] === '' || patterns[0] === '*'))) return facts;
  const out: Facts = {};
  const res = patterns.map((p) => ({ p, re: fnmatch(p), prefixed: /^(ansible_|facter|ohai)/.test(p) ? undefined : fnmatch(`ansible_${p}`) }));
  for (const [key, value] of Object.entries(facts)) {
    const name = `ansible_${key}`;
    if (res.some(({ p, re, prefixed }) => !p || re.test(name) || prefixed?.test(name))) out[key] = value;
  }
  return out;
}

/** Python's fnmatch for *, ?, [seq] (case-sensitive on POSIX) */
function fnmatch(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export interface GatherOptions {
  /** the play's (or task's) become: user facts then describe the become user */
  become?: BecomeOptions;
  /** setup's gather_subset (default ['all']) */
  gatherSubset?: string[];
  /** setup's filter: fnmatch patterns */
  filter?: string[];
}

/**
 * Gathers the host's facts with one command on `conn`. Keys are those of `ansible_facts`
 * (no `ansible_` prefix), including `gather_subset` and `module_setup` as Ansible's setup adds them.
 */
export async function gatherFacts(conn: Connection, opts: GatherOptions = {}): Promise<Facts> {
  const gatherSubset = opts.gatherSubset ?? ['all'];
  const subsets = resolveSubsets(gatherSubset);
  const parts = new Set<ScriptPart>(['min']);
  if (subsets.has('hardware')) parts.add('hardware');
  if (subsets.has('network')) parts.add('network');
  if (subsets.has('virtual')) parts.add('virtual');
  const mark = marker();
  const result = await conn.exec(['/bin/sh', '-c', factScript(mark, parts)], opts.become ? { become: opts.become } : {});
  const s = sections(result.stdout, mark);
  const python = parsePython(s.get('python'));
  const platform = platformFacts(s.get('uname') ?? '', s.get('fqdn') ?? '', lines(s.get('long-bit'))[0] ?? '', python);
  const system = String(platform.system);
  const facts: Facts = {};
  const want = (name: string) => subsets.has(name);

  if (want('platform')) Object.assign(facts, platform);
  const distribution = distributionFacts(s.get('os-release') ?? '', s.get('debian_version') ?? '', system, String(platform.kernel), String(platform.kernel_version), pointReleaseWanted(python));
  if (want('distribution')) Object.assign(facts, distribution);
  const machineId = lines(s.get('machine-id'))[0];
  if (want('platform') && machineId) facts.machine_id = machineId;
  if (want('python')) Object.assign(facts, pythonFacts(python));
  if (want('lsb')) facts.lsb = lsbFacts(s.get('lsb_release') ?? '', s.get('lsb-release') ?? '');
  const existing = new Set(lines(s.get('paths')));
  if (want('pkg_mgr')) facts.pkg_mgr = pkgMgrFact(existing, String(distribution.os_family));
  if (want('service_mgr')) facts.service_mgr = serviceMgrFact(s.get('proc1') ?? '', s.get('sbin-init') ?? '', existing, new Set(lines(s.get('bins'))), system);
  if (want('user')) Object.assign(facts, userFacts(s.get('id'), s.get('passwd')));
  if (want('env')) facts.env = envFacts((s.get('env') ?? '').replace(/\n$/, ''));
  if (want('date_time')) facts.date_time = dateTimeFacts(s.get('date') ?? '');
  if (want('fips')) facts.fips = lines(s.get('fips'))[0] === '1';
  if (want('apparmor')) facts.apparmor = { status: existing.has('/sys/kernel/security/apparmor') ? 'enabled' : 'disabled' };
  if (want('selinux')) Object.assign(facts, selinuxFacts(s.get('selinux')));
  if (want('local')) facts.local = {};
  if (parts.has('hardware')) {
    Object.assign(facts, cpuFacts(s.get('cpuinfo') ?? '', s.get('xen'), s.get('nproc'), String(platform.architecture)));
    Object.assign(facts, memoryFacts(s.get('meminfo')));
  }
  if (parts.has('virtual')) Object.assign(facts, virtualFacts(s));
  if (parts.has('network')) Object.assign(facts, networkFacts(s.get('network'), mark));
  const filtered = filterFacts(facts, opts.filter ?? []);
  filtered.gather_subset = gatherSubset;
  filtered.module_setup = true;
  return filtered;
}
