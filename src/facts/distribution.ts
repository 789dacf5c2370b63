/**
 * The distribution family of facts (distribution*, os_family, lsb, pkg_mgr, service_mgr), derived
 * from what the fact script printed, with the rules Ansible 2.14's setup module follows.
 */
import type { Connection, BecomeOptions } from '../connection/types.js';
import { lines, parseKeyValues } from './sections.js';

export type Facts = Record<string, unknown>;

/** Where each package manager lives, in the order Ansible probes them. */
export const PKG_MGRS: Array<[path: string, name: string]> = [
  ['/usr/bin/rpm-ostree', 'atomic_container'],
  ['/usr/bin/yum', 'yum'],
  ['/usr/bin/dnf', 'dnf'],
  ['/usr/bin/apt-get', 'apt'],
  ['/usr/bin/zypper', 'zypper'],
  ['/usr/sbin/urpmi', 'urpmi'],
  ['/usr/bin/pacman', 'pacman'],
  ['/bin/opkg', 'opkg'],
  ['/usr/pkg/bin/pkgin', 'pkgin'],
  ['/opt/local/bin/pkgin', 'pkgin'],
  ['/opt/tools/bin/pkgin', 'pkgin'],
  ['/opt/local/bin/port', 'macports'],
  ['/usr/local/bin/brew', 'homebrew'],
  ['/opt/homebrew/bin/brew', 'homebrew'],
  ['/sbin/apk', 'apk'],
  ['/usr/sbin/pkg', 'pkgng'],
  ['/usr/sbin/swlist', 'swdepot'],
  ['/usr/bin/emerge', 'portage'],
  ['/usr/sbin/pkgadd', 'svr4pkg'],
  ['/usr/bin/pkg', 'pkg5'],
  ['/usr/bin/xbps-install', 'xbps'],
  ['/usr/local/sbin/pkg', 'pkgng'],
  ['/usr/bin/swupd', 'swupd'],
  ['/usr/sbin/sorcery', 'sorcery'],
  ['/usr/bin/installp', 'installp'],
];

export const SYSTEMD_CANARIES = ['/run/systemd/system/', '/dev/.run/systemd/', '/dev/.systemd/'];
export const OTHER_PATHS = ['/etc/init/', '/sbin/openrc', '/etc/init.d/', '/run/ostree-booted', '/sys/kernel/security/apparmor'];

/** Distribution names by os-release ID, where Ansible's name differs from a capitalised ID. */
const DISTRIBUTION_BY_ID: Record<string, string> = {
  debian: 'Debian',
  raspbian: 'Debian',
  ubuntu: 'Ubuntu',
  linuxmint: 'Linux Mint',
  kali: 'Kali',
  parrot: 'Parrot',
  devuan: 'Devuan',
  pop: 'Pop!_OS',
  rhel: 'RedHat',
  centos: 'CentOS',
  fedora: 'Fedora',
  rocky: 'Rocky',
  almalinux: 'AlmaLinux',
  ol: 'OracleLinux',
  amzn: 'Amazon',
  alpine: 'Alpine',
  arch: 'Archlinux',
  gentoo: 'Gentoo',
  'opensuse-leap': 'openSUSE Leap',
  'opensuse-tumbleweed': 'openSUSE Tumbleweed',
  sles: 'SLES',
};

const OS_FAMILY: Record<string, string> = {};
for (const name of ['Debian', 'Ubuntu', 'Raspbian', 'Neon', 'KDE neon', 'Linux Mint', 'SteamOS', 'Devuan', 'Kali', 'Cumulus Linux', 'Pop!_OS', 'Parrot', 'Pardus GNU/Linux', 'Uos', 'Deepin', 'OSMC']) OS_FAMILY[name] = 'Debian';
for (const name of ['RedHat', 'Fedora', 'CentOS', 'Scientific', 'SLC', 'Ascendos', 'CloudLinux', 'PSBM', 'OracleLinux', 'OVS', 'OEL', 'Amazon', 'Virtuozzo', 'XenServer', 'Alibaba', 'EulerOS', 'openEuler', 'AlmaLinux', 'Rocky', 'TencentOS', 'EuroLinux', 'Kylin Linux Advanced Server']) OS_FAMILY[name] = 'RedHat';
for (const name of ['SLES', 'SLED', 'OpenSuSE', 'OpenSuse', 'SLES_SAP', 'SuSE', 'SUSE', 'openSUSE Leap', 'openSUSE Tumbleweed', 'openSUSE MicroOS']) OS_FAMILY[name] = 'Suse';
OS_FAMILY.Archlinux = 'Archlinux';
OS_FAMILY.Manjaro = 'Archlinux';
OS_FAMILY.Gentoo = 'Gentoo';
OS_FAMILY.Alpine = 'Alpine';

/**
 * Whether Ansible would report Debian's point release ("12.11") or only the major ("12"): it asks
 * the `distro` library, which reads /etc/debian_version from version 1.7 on; Ansible's bundled
 * copy (used when the target has no python3-distro) is 1.6 and does not.
 */
export function pointReleaseWanted(python: Record<string, unknown> | undefined): boolean {
  if (!python) return true;
  const version = typeof python.distro_version === 'string' ? python.distro_version : undefined;
  if (!version) return false;
  const [major = 0, minor = 0] = version.split('.').map((n) => parseInt(n, 10));
  return major > 1 || (major === 1 && minor >= 7);
}

export function distributionFacts(osReleaseText: string, debianVersion: string, system: string, kernel: string, kernelVersion: string, pointRelease: boolean): Facts {
  const facts: Facts = {
    distribution: system,
    distribution_release: kernel,
    distribution_version: kernelVersion,
  };
  if (system !== 'Linux') {
    facts.os_family = OS_FAMILY[system] ?? system;
    return facts;
  }
  const osr = parseKeyValues(osReleaseText);
  const id = (osr.ID ?? '').toLowerCase();
  let name = DISTRIBUTION_BY_ID[id] ?? (osr.NAME || (id ? id.charAt(0).toUpperCase() + id.slice(1) : 'OtherLinux'));
  let version = osr.VERSION_ID ?? '';
  let release = osr.VERSION_CODENAME ?? osr.UBUNTU_CODENAME ?? '';
  let minor: string | undefined;
  if (name === 'Debian') {
    // Debian's point release lives in /etc/debian_version ("12.11"), os-release has only "12"
    const debMatch = /(\d+)\.(\d+)/.exec(debianVersion.trim());
    if (debMatch) {
      if (pointRelease || !version) version = debianVersion.trim();
      minor = debMatch[2];
    }
    const pretty = /[^(]+ \(?([^)]+?)\)/.exec(osr.PRETTY_NAME ?? '');
    if (pretty) release = pretty[1];
    facts.distribution_file_path = '/etc/os-release';
    facts.distribution_file_variety = 'Debian';
    facts.distribution_file_parsed = true;
  } else if (name === 'Ubuntu') {
    facts.distribution_file_path = '/etc/os-release';
    facts.distribution_file_variety = 'Debian';
    facts.distribution_file_parsed = true;
  }
  if (!osReleaseText) name = 'OtherLinux';
  facts.distribution = name;
  facts.distribution_version = version || 'NA';
  facts.distribution_release = release || 'NA';
  facts.distribution_major_version = version ? version.split('.')[0] : 'NA';
  const parts = version.split('.');
  facts.distribution_minor_version = minor ?? (parts.length > 1 ? parts[1] : 'NA');
  facts.os_family = OS_FAMILY[name] ?? name;
  return facts;
}

export function lsbFacts(lsbRelease: string, lsbFile: string): Record<string, string> {
  const lsb: Record<string, string> = {};
  for (const line of lsbRelease.split('\n')) {
    if (!line.includes(':')) continue;
    const value = line.slice(line.indexOf(':') + 1).trim();
    if (line.includes('LSB Version:')) lsb.release = value;
    else if (line.includes('Distributor ID:')) lsb.id = value;
    else if (line.includes('Description:')) lsb.description = value;
    else if (line.includes('Release:')) lsb.release = value;
    else if (line.includes('Codename:')) lsb.codename = value;
  }
  if (Object.keys(lsb).length === 0) {
    const kv = parseKeyValues(lsbFile);
    if (kv.DISTRIB_ID) lsb.id = kv.DISTRIB_ID;
    if (kv.DISTRIB_RELEASE) lsb.release = kv.DISTRIB_RELEASE;
    if (kv.DISTRIB_DESCRIPTION) lsb.description = kv.DISTRIB_DESCRIPTION;
    if (kv.DISTRIB_CODENAME) lsb.codename = kv.DISTRIB_CODENAME;
  }
  if (lsb.release !== undefined) lsb.major_release = lsb.release.split('.')[0];
  for (const key of Object.keys(lsb)) lsb[key] = lsb[key].replace(/^['"\\]+|['"\\]+$/g, '');
  return lsb;
}

export function pkgMgrFact(existing: Set<string>, osFamily: string): string {
  let name = 'unknown';
  for (const [path, mgr] of PKG_MGRS) {
    if (existing.has(path)) name = mgr;
  }
  // a Debian-family host with apt-get is apt even if another manager's binary is around
  if (osFamily === 'Debian' && name !== 'apt' && existing.has('/usr/bin/apt-get')) name = 'apt';
  return name;
}

export function serviceMgrFact(proc1: string, sbinInit: string, existing: Set<string>, bins: Set<string>, system: string): string {
  const aliases: Record<string, string> = { procd: 'openwrt_init', 'runit-init': 'runit', svscan: 'svc', 'openrc-init': 'openrc' };
  let comm: string | undefined = proc1.trim() || undefined;
  if (comm === undefined && sbinInit.trim()) comm = sbinInit.trim();
  if (comm !== undefined) comm = comm.split('/').pop()!.trim();
  if (comm !== undefined && (comm === 'init' || comm.endsWith('sh'))) comm = undefined;
  if (comm) return aliases[comm] ?? comm;
  if (system === 'Linux') {
    if (bins.has('systemctl') && SYSTEMD_CANARIES.some((p) => existing.has(p))) return 'systemd';
    if (bins.has('initctl') && existing.has('/etc/init/')) return 'upstart';
    if (existing.has('/sbin/openrc')) return 'openrc';
    if (bins.has('systemctl') && sbinInit.trim().split('/').pop() === 'systemd') return 'systemd';
    if (existing.has('/etc/init.d/')) return 'sysvinit';
  }
  return 'service';
}

/** Only the package manager, for `package` when facts were not gathered. */
export async function detectPkgMgr(conn: Connection, become?: BecomeOptions): Promise<string> {
  const script =
    `for p in ${PKG_MGRS.map(([p]) => `'${p}'`).join(' ')}; do [ -e "$p" ] && echo "$p"; done\n` +
    `grep -E '^ID(_LIKE)?=' /etc/os-release 2>/dev/null\n`;
  const result = await conn.exec(['/bin/sh', '-c', script], become ? { become } : {});
  const out = lines(result.stdout);
  const existing = new Set(out.filter((l) => l.startsWith('/')));
  const osr = parseKeyValues(out.filter((l) => !l.startsWith('/')).join('\n'));
  const debianFamily = [osr.ID ?? '', ...(osr.ID_LIKE ?? '').split(/\s+/)].some((id) => ['debian', 'ubuntu'].includes(id));
  return pkgMgrFact(existing, debianFamily ? 'Debian' : '');
}
