/**
 * The `network` subset from the fact script's network section: the default route's interface and
 * address (`ip -4/-6 route get`), every interface of /sys/class/net with its addresses
 * (`ip addr show primary|secondary`), and the address lists, following Ansible 2.14's Linux
 * collector (ethtool features are not gathered). No `ip` on the target: no network facts, as in
 * Ansible.
 */
export type Facts = Record<string, unknown>;

const INTERFACE_TYPE: Record<string, string> = { '1': 'ether', '32': 'infiniband', '512': 'ppp', '772': 'loopback', '65534': 'tunnel' };

type Iface = Record<string, unknown>;

function ipv4Numbers(address: string, prefix: string): { netmask: string; network: string } {
  const parts = address.split('.').map((n) => parseInt(n, 10));
  const addr = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  const len = parseInt(prefix, 10);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
  return { netmask: dotted(mask), network: dotted((addr & mask) >>> 0) };
}

function routeOf(line: string | undefined, queried: string): Record<string, string> {
  const out: Record<string, string> = {};
  const words = (line ?? '').trim().split(/\s+/);
  if (words[0] !== queried) return out;
  for (let i = 0; i < words.length - 1; i++) {
    if (words[i] === 'dev') out.interface = words[i + 1];
    else if (words[i] === 'src') out.address = words[i + 1];
    else if (words[i] === 'via' && words[i + 1] !== queried) out.gateway = words[i + 1];
  }
  return out;
}

export function networkFacts(section: string | undefined, mark: string): Facts {
  if (!section || !section.includes(`${mark}:route4`)) return {};
  const blocks = section.split(`${mark}:`).slice(1);
  const take = (name: string) => blocks.find((b) => b.startsWith(name))?.slice(name.length).replace(/^\n/, '');
  const v4 = routeOf(take('route4')?.split('\n')[0], '8.8.8.8');
  const v6 = routeOf(take('route6')?.split('\n')[0], '2404:6800:400a:800::1012');
  const interfaces = new Map<string, Iface>();
  const all4: string[] = [];
  const all6: string[] = [];
  // Ansible's parser reads the last interface's MAC address from an enclosing scope
  let macaddress = '';
  for (let b = 0; b < blocks.length; b++) {
    if (!blocks[b].startsWith('dev ')) continue;
    const head = blocks[b].slice(4);
    const device = head.slice(0, head.indexOf('\n') < 0 ? undefined : head.indexOf('\n')).trim();
    const attrs: Record<string, string> = {};
    for (const line of head.split('\n').slice(1)) {
      const eq = line.indexOf('=');
      if (eq > 0) attrs[line.slice(0, eq)] = line.slice(eq + 1);
    }
    const primary = blocks[b + 1]?.startsWith('primary') ? blocks[b + 1].slice('primary'.length) : '';
    const secondary = blocks[b + 2]?.startsWith('secondary') ? blocks[b + 2].slice('secondary'.length) : '';
    const iface: Iface = { device };
    interfaces.set(device, iface);
    if ('address' in attrs) {
      macaddress = attrs.address;
      if (macaddress && macaddress !== '00:00:00:00:00:00') iface.macaddress = macaddress;
    }
    if (attrs.mtu !== undefined) iface.mtu = parseInt(attrs.mtu, 10);
    if (attrs.operstate !== undefined) iface.active = attrs.operstate !== 'down';
    if (attrs.module !== undefined) iface.module = attrs.module;
    if (attrs.type !== undefined) iface.type = INTERFACE_TYPE[attrs.type] ?? 'unknown';
    if (attrs.bridge_id !== undefined) {
      iface.type = 'bridge';
      iface.interfaces = (attrs.brif ?? '').split(' ').filter((n) => n !== '');
      iface.id = attrs.bridge_id;
      iface.stp = attrs.stp_state === '1';
    }
    if (attrs.pciid !== undefined) iface.pciid = attrs.pciid;
    if (attrs.speed !== undefined && attrs.speed !== '') iface.speed = parseInt(attrs.speed, 10);
    if (attrs.flags !== undefined) iface.promisc = (parseInt(attrs.flags, 16) & 0x0100) > 0;

    const parse = (output: string, isSecondary: boolean) => {
      for (const line of output.split('\n')) {
        const words = line.trim().split(/\s+/);
        if (words[0] === 'inet') {
          let address: string;
          let prefix: string;
          let broadcast = '';
          if (words[1].includes('/')) {
            [address, prefix] = words[1].split('/');
            if (words.length > 3 && words[2] === 'brd') broadcast = words[3];
          } else {
            address = words[1];
            prefix = '32';
          }
          const { netmask, network } = ipv4Numbers(address, prefix);
          const entry = { address, broadcast, netmask, network, prefix };
          const label = words[words.length - 1];
          if (label !== device) interfaces.set(label, {});
          const target = interfaces.get(label)!;
          if (!isSecondary && !('ipv4' in target)) target.ipv4 = entry;
          else ((target.ipv4_secondaries ??= []) as unknown[]).push({ ...entry });
          if (isSecondary) {
            const own = interfaces.get(device)!;
            own.ipv4_secondaries ??= [];
            if (device !== label) (own.ipv4_secondaries as unknown[]).push({ ...entry });
          }
          if (v4.address !== undefined && v4.address === address) {
            Object.assign(v4, { broadcast, netmask, network, prefix, macaddress, mtu: interfaces.get(device)!.mtu, type: interfaces.get(device)!.type ?? 'unknown', alias: label });
          }
          if (!address.startsWith('127.')) all4.push(address);
        } else if (words[0] === 'inet6') {
          let address: string;
          let prefix: string;
          let scope: string;
          if (words[2] === 'peer') {
            address = words[1];
            prefix = words[3].split('/')[1];
            scope = words[5];
          } else {
            [address, prefix] = words[1].split('/');
            scope = words[3];
          }
          const own = interfaces.get(device)!;
          ((own.ipv6 ??= []) as unknown[]).push({ address, prefix, scope });
          if (v6.address !== undefined && v6.address === address) {
            Object.assign(v6, { prefix, scope, macaddress, mtu: own.mtu, type: own.type ?? 'unknown' });
          }
          if (address !== '::1') all6.push(address);
        }
      }
    };
    parse(primary, false);
    parse(secondary, true);
  }
  const facts: Facts = {};
  const names: string[] = [];
  for (const [name, iface] of interfaces) {
    const key = name.replace(/:/g, '_');
    names.push(key);
    facts[key] = iface;
  }
  facts.interfaces = names;
  facts.default_ipv4 = v4;
  facts.default_ipv6 = v6;
  facts.all_ipv4_addresses = all4;
  facts.all_ipv6_addresses = all6;
  return facts;
}
