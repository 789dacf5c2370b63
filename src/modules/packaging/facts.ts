/**
 * Fact gathering in one round trip: a single POSIX shell script prints everything the facts are
 * made from (uname, os-release, ids, date, paths that exist...), and the facts are derived here on
 * the controller with the rules Ansible 2.14's setup module follows for these keys.
 *
 * Keys are returned without the `ansible_` prefix, as they appear under `ansible_facts`
 * (`ansible_facts.distribution_release`); the engine also exposes them as `ansible_<key>` vars.
 */
import type { Connection, BecomeOptions } from '../../connection/types.js';
import { marker } from './common.js';

export type Facts = Record<string, unknown>;

/** Where each package manager lives, in the order Ansible probes them. */
const PKG_MGRS: Array<[path: string, name: string]> = [
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

const SYSTEMD_CANARIES = ['/run/systemd/system/', '/dev/.run/systemd/', '/dev/.systemd/'];
const OTHER_PATHS = ['/etc/init/', '/sbin/openrc', '/etc/init.d/', '/run/ostree-booted', '/sys/kernel/security/apparmor'];

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

function probeScript(mark: string): string {
  const paths = [...PKG_MGRS.map(([p]) => p), ...SYSTEMD_CANARIES, ...OTHER_PATHS];
  return `
M='${mark}'
s() { printf '\\n%s %s\\n' "$M" "$1"; }
s uname; uname -s; uname -r; uname -v; uname -m; uname -n
s os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s debian_version; cat /etc/debian_version 2>/dev/null
s lsb_release; if command -v lsb_release >/dev/null 2>&1; then lsb_release -a 2>/dev/null; fi
s lsb-release; cat /etc/lsb-release 2>/dev/null
s python
for py in /usr/bin/python3 python3 /usr/bin/python; do
  if command -v "$py" >/dev/null 2>&1; then
    "$py" -c 'import sys, json, platform
try:
    import ssl; has_ssl = hasattr(ssl, "SSLContext")
except Exception:
    has_ssl = False
try:
    import distro; distro_version = getattr(distro, "__version__", None)
except Exception:
    distro_version = None
v = sys.version_info
print(json.dumps({"distro_version": distro_version, "executable": sys.executable, "has_sslcontext": has_ssl, "type": platform.python_implementation().lower(), "version": {"major": v[0], "minor": v[1], "micro": v[2], "releaselevel": v[3], "serial": v[4]}, "version_info": list(v), "python_version": platform.python_version(), "bits": platform.architecture()[0]}))' 2>/dev/null && break
  fi
done
s id; id -un; id -u; id -g; id -ru; id -rg; id -gn
s passwd; getent passwd "$(id -un)" 2>/dev/null || grep "^$(id -un):" /etc/passwd
s env; env -0 2>/dev/null || env
s date; L=$(date '+%s|%Y|%m|%d|%H|%M|%S|%Z|%z|%A|%w|%W|%N'); echo "$L"; date -u -d "@\${L%%|*}" '+%Y-%m-%dT%H:%M:%S'
Y=$(date +%Y); date -d "$Y-01-01 12:00" '+%Z %z'; date -d "$Y-07-01 12:00" '+%Z %z'
s machine-id; cat /var/lib/dbus/machine-id 2>/dev/null || cat /etc/machine-id 2>/dev/null
s proc1; cat /proc/1/comm 2>/dev/null
s sbin-init; readlink /sbin/init 2>/dev/null
s paths
for p in ${paths.map((p) => `'${p}'`).join(' ')}; do [ -e "$p" ] && echo "$p"; done
s bins
for b in systemctl initctl; do command -v "$b" >/dev/null 2>&1 && echo "$b"; done
s long-bit; getconf LONG_BIT 2>/dev/null
s fqdn
n=$(uname -n); ip=$(getent hosts "$n" 2>/dev/null | awk '{print $1; exit}')
if [ -n "$ip" ]; then getent hosts "$ip" 2>/dev/null | head -n 1; fi
s nproc; nproc 2>/dev/null
s meminfo; grep -E '^(MemTotal|MemFree|SwapTotal|SwapFree):' /proc/meminfo 2>/dev/null
s fips; cat /proc/sys/crypto/fips_enabled 2>/dev/null
s end
`;
}

function sections(stdout: string, mark: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const chunk of stdout.split(`\n${mark} `).slice(1)) {
    const newline = chunk.indexOf('\n');
    const name = newline < 0 ? chunk : chunk.slice(0, newline);
    out.set(name, newline < 0 ? '' : chunk.slice(newline + 1));
  }
  return out;
}

/** KEY=value lines with shell-style quotes removed (os-release, lsb-release) */
function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2].trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[match[1]] = value.replace(/\\(["$`\\])/g, '$1');
  }
  return out;
}

function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/**
 * Whether Ansible would report Debian's point release ("12.11") or only the major ("12"): it asks
 * the `distro` library, which reads /etc/debian_version from version 1.7 on; Ansible's bundled
 * copy (used when the target has no python3-distro) is 1.6 and does not.
 */
function pointReleaseWanted(python: Record<string, unknown> | undefined): boolean {
  if (!python) return true;
  const version = typeof python.distro_version === 'string' ? python.distro_version : undefined;
  if (!version) return false;
  const [major = 0, minor = 0] = version.split('.').map((n) => parseInt(n, 10));
  return major > 1 || (major === 1 && minor >= 7);
}

function distributionFacts(osReleaseText: string, debianVersion: string, system: string, kernel: string, kernelVersion: string, pointRelease: boolean): Facts {
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

function lsbFacts(lsbRelease: string, lsbFile: string): Record<string, string> {
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

function pkgMgrFact(existing: Set<string>, osFamily: string): string {
  let name = 'unknown';
  for (const [path, mgr] of PKG_MGRS) {
    if (existing.has(path)) name = mgr;
  }
  // a Debian-family host with apt-get is apt even if another manager's binary is around
  if (osFamily === 'Debian' && name !== 'apt' && existing.has('/usr/bin/apt-get')) name = 'apt';
  return name;
}

function serviceMgrFact(proc1: string, sbinInit: string, existing: Set<string>, bins: Set<string>, system: string): string {
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

function dateTimeFacts(dateText: string): Record<string, string> {
  const [local = '', utc = '', jan = '', jul = ''] = dateText.split('\n');
  const [epoch, year, month, day, hour, minute, second, tz, tzOffset, weekday, weekdayNumber, weeknumber, nanos = '000000000'] = local.split('|');
  const micro = nanos.slice(0, 6).padEnd(6, '0');
  // Python's time.tzname[1]: the summer-time name when the zone has one, else the standard name
  const [janName = tz, janOffset = ''] = jan.split(' ');
  const [julName = tz, julOffset = ''] = jul.split(' ');
  const dstName = janOffset === julOffset ? janName : julOffset > janOffset ? julName : janName;
  return {
    date: `${year}-${month}-${day}`,
    day,
    epoch,
    epoch_int: epoch,
    hour,
    iso8601: `${utc}Z`,
    iso8601_basic: `${year}${month}${day}T${hour}${minute}${second}${micro}`,
    iso8601_basic_short: `${year}${month}${day}T${hour}${minute}${second}`,
    iso8601_micro: `${utc}.${micro}Z`,
    minute,
    month,
    second,
    time: `${hour}:${minute}:${second}`,
    tz,
    tz_dst: dstName,
    tz_offset: tzOffset,
    weekday,
    weekday_number: weekdayNumber,
    weeknumber,
    year,
  };
}

function envFacts(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const entries = text.includes('\0') ? text.split('\0') : text.split('\n');
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

function fqdnFact(hostsLine: string, nodename: string): string {
  const names = hostsLine.trim().split(/\s+/).slice(1);
  if (names.length === 0) return nodename;
  return names.find((n) => n.includes('.')) ?? names[0];
}

/**
 * Gathers the host's facts with one command on `conn`. Keys are those of `ansible_facts`
 * (no `ansible_` prefix). Pass the play's become settings so user facts describe the become user.
 */
export async function gatherFacts(conn: Connection, opts: { become?: BecomeOptions } = {}): Promise<Facts> {
  const mark = marker();
  const result = await conn.exec(['/bin/sh', '-c', probeScript(mark)], opts.become ? { become: opts.become } : {});
  const s = sections(result.stdout, mark);
  const [system = '', kernel = '', kernelVersion = '', machine = '', nodename = ''] = (s.get('uname') ?? '').split('\n');
  const facts: Facts = {};

  facts.system = system;
  facts.kernel = kernel;
  facts.kernel_version = kernelVersion;
  facts.machine = machine;
  facts.nodename = nodename;
  facts.hostname = nodename.split('.')[0];
  const fqdn = fqdnFact(s.get('fqdn') ?? '', nodename);
  facts.fqdn = fqdn;
  facts.domain = fqdn.split('.').slice(1).join('.');

  const existing = new Set(lines(s.get('paths')));
  const bins = new Set(lines(s.get('bins')));

  let python: Record<string, unknown> | undefined;
  const pythonLine = lines(s.get('python'))[0];
  if (pythonLine) {
    try {
      python = JSON.parse(pythonLine) as Record<string, unknown>;
    } catch {
      python = undefined;
    }
  }
  const longBit = lines(s.get('long-bit'))[0] ?? '';
  const bits = typeof python?.bits === 'string' ? python.bits.replace('bit', '') : longBit;
  facts.userspace_bits = bits;
  if (machine === 'x86_64') {
    facts.architecture = machine;
    if (bits === '64') facts.userspace_architecture = 'x86_64';
    else if (bits === '32') facts.userspace_architecture = 'i386';
  } else if (/i([3456]86|86pc)/.test(machine)) {
    facts.architecture = 'i386';
    if (bits === '64') facts.userspace_architecture = 'x86_64';
    else if (bits === '32') facts.userspace_architecture = 'i386';
  } else {
    facts.architecture = machine;
  }
  const machineId = lines(s.get('machine-id'))[0];
  if (machineId) facts.machine_id = machineId;

  if (python) {
    facts.python_version = python.python_version;
    facts.python = {
      executable: python.executable,
      has_sslcontext: python.has_sslcontext,
      type: python.type,
      version: python.version,
      version_info: python.version_info,
    };
  }

  Object.assign(facts, distributionFacts(s.get('os-release') ?? '', s.get('debian_version') ?? '', system, kernel, kernelVersion, pointReleaseWanted(python)));
  facts.lsb = lsbFacts(s.get('lsb_release') ?? '', s.get('lsb-release') ?? '');
  facts.pkg_mgr = pkgMgrFact(existing, String(facts.os_family));
  facts.service_mgr = serviceMgrFact(s.get('proc1') ?? '', s.get('sbin-init') ?? '', existing, bins, system);

  const [userName = '', uid = '', gid = '', ruid = '', rgid = ''] = lines(s.get('id'));
  const passwd = (lines(s.get('passwd'))[0] ?? '').split(':');
  facts.user_id = userName;
  facts.user_uid = parseInt(passwd[2] ?? uid, 10);
  facts.user_gid = parseInt(passwd[3] ?? gid, 10);
  facts.user_gecos = passwd[4] ?? '';
  facts.user_dir = passwd[5] ?? '';
  facts.user_shell = passwd[6] ?? '';
  facts.effective_user_id = parseInt(uid, 10);
  facts.effective_group_id = parseInt(gid, 10);
  facts.real_user_id = parseInt(ruid, 10);
  facts.real_group_id = parseInt(rgid, 10);

  facts.env = envFacts((s.get('env') ?? '').replace(/\n$/, ''));
  facts.date_time = dateTimeFacts(s.get('date') ?? '');
  facts.default_ipv4 = {};
  facts.default_ipv6 = {};

  const vcpus = parseInt(lines(s.get('nproc'))[0] ?? '', 10);
  if (Number.isFinite(vcpus)) facts.processor_vcpus = vcpus;
  const mem: Record<string, number> = {};
  for (const line of lines(s.get('meminfo'))) {
    const match = /^(\w+):\s+(\d+)/.exec(line);
    if (match) mem[match[1]] = Math.floor(parseInt(match[2], 10) / 1024);
  }
  if (mem.MemTotal !== undefined) facts.memtotal_mb = mem.MemTotal;
  if (mem.MemFree !== undefined) facts.memfree_mb = mem.MemFree;
  if (mem.SwapTotal !== undefined) facts.swaptotal_mb = mem.SwapTotal;
  if (mem.SwapFree !== undefined) facts.swapfree_mb = mem.SwapFree;
  facts.fips = lines(s.get('fips'))[0] === '1';
  facts.apparmor = { status: existing.has('/sys/kernel/security/apparmor') ? 'enabled' : 'disabled' };
  facts.local = {};
  return facts;
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
