/**
 * The `min` facts that are not about the distribution: platform (system, kernel, architecture,
 * hostname, fqdn), user, env, date_time, python, machine_id, selinux, apparmor, fips.
 */
import { lines } from './sections.js';

export type Facts = Record<string, unknown>;

export function platformFacts(uname: string, fqdnSection: string, longBit: string, python: Record<string, unknown> | undefined): Facts {
  const [system = '', kernel = '', kernelVersion = '', machine = '', nodename = ''] = uname.split('\n');
  const facts: Facts = { system, kernel, kernel_version: kernelVersion, machine, nodename, hostname: nodename.split('.')[0] };
  const fqdn = fqdnFact(fqdnSection, nodename);
  facts.fqdn = fqdn;
  facts.domain = fqdn.split('.').slice(1).join('.');
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
  return facts;
}

/** socket.getfqdn(): the first name with a dot among the host's entry for its own address */
function fqdnFact(hostsLine: string, nodename: string): string {
  const names = hostsLine.trim().split(/\s+/).slice(1);
  if (names.length === 0) return nodename;
  return names.find((n) => n.includes('.')) ?? names[0];
}

export function parsePython(section: string | undefined): Record<string, unknown> | undefined {
  const line = lines(section)[0];
  if (!line) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function pythonFacts(python: Record<string, unknown> | undefined): Facts {
  if (!python) return {};
  return {
    python_version: python.python_version,
    python: {
      executable: python.executable,
      has_sslcontext: python.has_sslcontext,
      type: python.type,
      version: python.version,
      version_info: python.version_info,
    },
  };
}

export function userFacts(idSection: string | undefined, passwdSection: string | undefined): Facts {
  const [userName = '', uid = '', gid = '', ruid = '', rgid = ''] = lines(idSection);
  const passwd = (lines(passwdSection)[0] ?? '').split(':');
  return {
    user_id: userName,
    user_uid: parseInt(passwd[2] ?? uid, 10),
    user_gid: parseInt(passwd[3] ?? gid, 10),
    user_gecos: passwd[4] ?? '',
    user_dir: passwd[5] ?? '',
    user_shell: passwd[6] ?? '',
    effective_user_id: parseInt(uid, 10),
    effective_group_id: parseInt(gid, 10),
    real_user_id: parseInt(ruid, 10),
    real_group_id: parseInt(rgid, 10),
  };
}

export function envFacts(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const entries = text.includes('\0') ? text.split('\0') : text.split('\n');
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

export function dateTimeFacts(dateText: string): Record<string, string> {
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

const SELINUX_MODES: Record<string, string> = { '1': 'enforcing', '0': 'permissive', '-1': 'disabled' };

/**
 * Ansible reads SELinux through libselinux (ctypes): without the library it says so; with it,
 * `enabled` when selinuxfs is mounted, plus the modes.
 */
export function selinuxFacts(section: string | undefined): Facts {
  const ls = lines(section);
  if (!ls.includes('lib')) return { selinux: { status: 'Missing selinux Python library' }, selinux_python_present: false };
  const kv: Record<string, string> = {};
  for (const l of ls) {
    const eq = l.indexOf('=');
    if (eq > 0) kv[l.slice(0, eq)] = l.slice(eq + 1);
  }
  if (kv.enforce === undefined) return { selinux: { status: 'disabled' }, selinux_python_present: true };
  const configMode = kv.SELINUX === 'enforcing' ? '1' : kv.SELINUX === 'permissive' ? '0' : kv.SELINUX === 'disabled' ? '-1' : undefined;
  return {
    selinux: {
      status: 'enabled',
      policyvers: kv.policyvers ? Number(kv.policyvers) : 'unknown',
      config_mode: configMode === undefined ? 'unknown' : SELINUX_MODES[configMode],
      mode: SELINUX_MODES[kv.enforce] ?? 'unknown',
      type: kv.SELINUXTYPE ?? 'unknown',
    },
    selinux_python_present: true,
  };
}
