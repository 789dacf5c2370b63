/**
 * The one shell script that gathers facts: it prints, in named sections, everything the facts of
 * the wanted subsets are derived from (uname, os-release, ids, /proc, /sys/class/net, `ip`...).
 * It runs as one command on the target, through the connection and with the play's become, so a
 * host costs one round trip whatever the transport. POSIX sh and coreutils only; what a minimal
 * host lacks (ip, lsb_release, python3) leaves its section empty, as Ansible then has no fact.
 */
import { OTHER_PATHS, PKG_MGRS, SYSTEMD_CANARIES } from './distribution.js';

/** the families of sections; `min` is always there */
export type ScriptPart = 'min' | 'hardware' | 'network' | 'virtual';

const PYTHON_PROBE = `import sys, json, platform
try:
    import ssl; has_ssl = hasattr(ssl, "SSLContext")
except Exception:
    has_ssl = False
try:
    import distro; distro_version = getattr(distro, "__version__", None)
except Exception:
    distro_version = None
v = sys.version_info
print(json.dumps({"distro_version": distro_version, "executable": sys.executable, "has_sslcontext": has_ssl, "type": platform.python_implementation().lower(), "version": {"major": v[0], "minor": v[1], "micro": v[2], "releaselevel": v[3], "serial": v[4]}, "version_info": list(v), "python_version": platform.python_version(), "bits": platform.architecture()[0]}))`;

function minPart(): string {
  const paths = [...PKG_MGRS.map(([p]) => p), ...SYSTEMD_CANARIES, ...OTHER_PATHS];
  return `
s uname; uname -s; uname -r; uname -v; uname -m; uname -n
s os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s debian_version; cat /etc/debian_version 2>/dev/null
s lsb_release; if command -v lsb_release >/dev/null 2>&1; then lsb_release -a 2>/dev/null; fi
s lsb-release; cat /etc/lsb-release 2>/dev/null
s python
for py in /usr/bin/python3 python3 /usr/bin/python; do
  if command -v "$py" >/dev/null 2>&1; then
    "$py" -c '${PYTHON_PROBE}' 2>/dev/null && break
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
s fips; cat /proc/sys/crypto/fips_enabled 2>/dev/null
s selinux
for d in /lib /usr/lib /lib64 /usr/lib64 /lib/*-linux-gnu /usr/lib/*-linux-gnu; do [ -e "$d/libselinux.so.1" ] && { echo lib; break; }; done
if [ -e /sys/fs/selinux/enforce ]; then echo "enforce=$(cat /sys/fs/selinux/enforce 2>/dev/null)"; echo "policyvers=$(cat /sys/fs/selinux/policyvers 2>/dev/null)"; fi
grep -E '^SELINUX(TYPE)?=' /etc/selinux/config 2>/dev/null
`;
}

function hardwarePart(): string {
  return `
s cpuinfo; cat /proc/cpuinfo 2>/dev/null
s xen; [ -e /proc/xen ] && echo proc; head -n 1 /sys/hypervisor/type 2>/dev/null
s nproc; nproc 2>/dev/null
s meminfo; grep -E '^(MemTotal|MemFree|SwapTotal|SwapFree):' /proc/meminfo 2>/dev/null
`;
}

function virtualPart(): string {
  return `
s cgroup1; cat /proc/1/cgroup 2>/dev/null
s environ1; tr '\\0' '\\n' < /proc/1/environ 2>/dev/null
s virt-paths; for p in /proc/vz /proc/lve /proc/bc /.dockerenv /.dockerinit; do [ -e "$p" ] && echo "$p"; done
s systemd-container; cat /run/systemd/container 2>/dev/null
s dmi; for f in product_name sys_vendor bios_vendor product_family; do printf '%s=%s\\n' "$f" "$(cat /sys/devices/virtual/dmi/id/$f 2>/dev/null)"; done
s cpuinfo-virt; grep -E '^(model name|vendor_id|machine)' /proc/cpuinfo 2>/dev/null
`;
}

/**
 * Per interface in /sys/class/net's own order (what Python's glob yields, unsorted): its /sys
 * attributes as key=value, then \`ip addr show primary|secondary dev\`; nothing without \`ip\`.
 */
function networkPart(mark: string): string {
  return `
s network
if command -v ip >/dev/null 2>&1; then
  echo "${mark}:route4"; ip -4 route get 8.8.8.8 2>/dev/null | head -n 1
  echo "${mark}:route6"; ip -6 route get 2404:6800:400a:800::1012 2>/dev/null | head -n 1
  for d in $(ls -U /sys/class/net 2>/dev/null); do
    p=/sys/class/net/$d
    [ -d "$p" ] || continue
    echo "${mark}:dev $d"
    for a in address mtu operstate type flags speed; do [ -e "$p/$a" ] && printf '%s=%s\\n' "$a" "$(cat "$p/$a" 2>/dev/null)"; done
    [ -e "$p/device" ] && printf 'pciid=%s\\n' "$(basename "$(readlink "$p/device")")"
    [ -e "$p/device/driver/module" ] && printf 'module=%s\\n' "$(basename "$(readlink -f "$p/device/driver/module")")"
    if [ -e "$p/bridge" ]; then
      printf 'bridge_id=%s\\n' "$(cat "$p/bridge/bridge_id" 2>/dev/null)"
      printf 'stp_state=%s\\n' "$(cat "$p/bridge/stp_state" 2>/dev/null)"
      printf 'brif=%s\\n' "$(ls -U "$p/brif" 2>/dev/null | tr '\\n' ' ')"
    fi
    echo "${mark}:primary"; ip addr show primary dev "$d" 2>/dev/null || ip addr show dev "$d" 2>/dev/null
    echo "${mark}:secondary"; ip addr show secondary dev "$d" 2>/dev/null
  done
fi
`;
}

/** the script for these parts; each section starts with "\\n<mark> <name>\\n" */
export function factScript(mark: string, parts: Set<ScriptPart>): string {
  let script = `M='${mark}'\ns() { printf '\\n%s %s\\n' "$M" "$1"; }\n` + minPart();
  if (parts.has('hardware')) script += hardwarePart();
  if (parts.has('virtual')) script += virtualPart();
  if (parts.has('network')) script += networkPart(mark);
  return script + 's end\n';
}
