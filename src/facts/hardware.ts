/**
 * The `hardware` and `virtual` subsets this engine fills: processor counts from /proc/cpuinfo (with
 * the quirks of Ansible 2.14's Linux collector, kept so the numbers agree), memory in MB, and the
 * container / hypervisor detection of its virtual collector.
 */
import { lines } from './sections.js';

export type Facts = Record<string, unknown>;

export function cpuFacts(cpuinfo: string, xenSection: string | undefined, nproc: string | undefined, architecture: string): Facts {
  if (!cpuinfo) return {};
  const facts: Facts = {};
  const xenLines = lines(xenSection);
  const xen = xenLines.includes('proc') || xenLines.includes('xen');
  let xenParavirt = false;
  let i = 0;
  let vendorIds = 0;
  let modelNames = 0;
  let processors = 0;
  let physid = '0';
  let coreid = '0';
  const sockets = new Map<string, number>();
  const cores = new Map<string, number>();
  const processor: string[] = [];
  for (const line of cpuinfo.split('\n')) {
    const colon = line.indexOf(':');
    const key = (colon < 0 ? line : line.slice(0, colon)).trim();
    const val = colon < 0 ? '' : line.slice(colon + 1).trim();
    if (xen && key === 'flags' && !val.includes('vme')) xenParavirt = true;
    if (['model name', 'Processor', 'vendor_id', 'cpu', 'Vendor', 'processor'].includes(key)) {
      processor.push(val);
      if (key === 'vendor_id') vendorIds++;
      if (key === 'model name') modelNames++;
      if (key === 'processor') processors++;
      i++;
    } else if (key === 'physical id') {
      physid = val;
      if (!sockets.has(physid)) sockets.set(physid, 1);
    } else if (key === 'core id') {
      coreid = val;
      // Ansible tests the socket table here, not the core table; the counts depend on it
      if (!sockets.has(coreid)) cores.set(coreid, 1);
    } else if (key === 'cpu cores') {
      sockets.set(physid, parseInt(val, 10));
    } else if (key === 'siblings') {
      cores.set(coreid, parseInt(val, 10));
    } else if (key === '# processors') {
      facts.processor_cores = parseInt(val, 10);
    } else if (key === 'ncpus active') {
      i = parseInt(val, 10);
    }
  }
  facts.processor = processor;
  if (vendorIds > 0 && vendorIds === modelNames) i = vendorIds;
  if (/^(armv|aarch|ppc)/.test(architecture)) i = processors;
  if (architecture === 's390x') return facts;
  if (xenParavirt) {
    Object.assign(facts, { processor_count: i, processor_cores: i, processor_threads_per_core: 1, processor_vcpus: i });
    return facts;
  }
  facts.processor_count = sockets.size > 0 ? sockets.size : i;
  const firstSocket = [...sockets.values()][0];
  const coresPer = firstSocket ? firstSocket : 1;
  facts.processor_cores = coresPer;
  const firstCore = [...cores.values()][0];
  facts.processor_threads_per_core = firstCore !== undefined ? Math.floor(firstCore / coresPer) : Math.floor(1 / coresPer);
  facts.processor_vcpus = (facts.processor_threads_per_core as number) * (facts.processor_count as number) * coresPer;
  const n = parseInt(lines(nproc)[0] ?? '', 10);
  facts.processor_nproc = Number.isFinite(n) ? n : processors;
  return facts;
}

export function memoryFacts(meminfo: string | undefined): Facts {
  const facts: Facts = {};
  const mem: Record<string, number> = {};
  for (const line of lines(meminfo)) {
    const match = /^(\w+):\s+(\d+)/.exec(line);
    if (match) mem[match[1]] = Math.floor(parseInt(match[2], 10) / 1024);
  }
  if (mem.MemTotal !== undefined) facts.memtotal_mb = mem.MemTotal;
  if (mem.MemFree !== undefined) facts.memfree_mb = mem.MemFree;
  if (mem.SwapTotal !== undefined) facts.swaptotal_mb = mem.SwapTotal;
  if (mem.SwapFree !== undefined) facts.swapfree_mb = mem.SwapFree;
  return facts;
}

const KVM_SYS_VENDORS = ['QEMU', 'Amazon EC2', 'DigitalOcean', 'Google', 'Scaleway', 'Nutanix'];

/** virtualization_type / _role: the first technology found, in Ansible's order of checks */
export function virtualFacts(s: Map<string, string>): Facts {
  const guest = (type: string): Facts => ({ virtualization_type: type, virtualization_role: 'guest' });
  for (const line of lines(s.get('cgroup1'))) {
    if (/\/docker(\/|-[0-9a-f]+\.scope)/.test(line)) return guest('docker');
    if (/\/lxc\//.test(line) || /\/machine.slice\/machine-lxc/.test(line)) return guest('lxc');
    if (/\/system.slice\/containerd.service/.test(line)) return guest('containerd');
  }
  for (const line of lines(s.get('environ1'))) {
    if (/container=lxc/.test(line)) return guest('lxc');
    if (/container=podman/.test(line)) return guest('podman');
    if (/^container=./.test(line)) return guest('container');
  }
  const paths = new Set(lines(s.get('virt-paths')));
  if (paths.has('/proc/vz') && !paths.has('/proc/lve')) return { virtualization_type: 'openvz', virtualization_role: paths.has('/proc/bc') ? 'host' : 'guest' };
  const systemdContainer = lines(s.get('systemd-container'))[0];
  if (systemdContainer) return guest(systemdContainer);
  if (paths.has('/.dockerenv') || paths.has('/.dockerinit')) return guest('docker');
  const dmi: Record<string, string> = {};
  for (const line of (s.get('dmi') ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) dmi[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  const product = dmi.product_name ?? '';
  const vendor = dmi.sys_vendor ?? '';
  const bios = dmi.bios_vendor ?? '';
  if (['KVM', 'KVM Server', 'Bochs', 'AHV'].includes(product)) return guest('kvm');
  if (vendor === 'oVirt') return guest('oVirt');
  if (vendor === 'Red Hat' && dmi.product_family === 'RHV') return guest('RHV');
  if (vendor === 'Red Hat' && product === 'RHEV Hypervisor') return guest('RHEV');
  if (['VMware Virtual Platform', 'VMware7,1'].includes(product)) return guest('VMware');
  if (['OpenStack Compute', 'OpenStack Nova'].includes(product)) return guest('openstack');
  if (bios === 'Xen') return guest('xen');
  if (bios === 'innotek GmbH') return guest('virtualbox');
  if (['Amazon EC2', 'DigitalOcean', 'Hetzner'].includes(bios)) return guest('kvm');
  if (KVM_SYS_VENDORS.includes(vendor)) return guest('kvm');
  if (vendor === 'KubeVirt') return guest('KubeVirt');
  if (vendor === 'Microsoft Corporation') return guest('VirtualPC');
  if (vendor === 'Parallels Software International Inc.') return guest('parallels');
  if (vendor === 'OpenStack Foundation') return guest('openstack');
  for (const line of lines(s.get('cpuinfo-virt'))) {
    if (/^model name.*QEMU Virtual CPU/.test(line)) return guest('kvm');
    if (/^vendor_id.*User Mode Linux/.test(line) || /^model name.*UML/.test(line)) return guest('uml');
  }
  // not told apart here: bare metal, and hosts of kvm/xen/vserver (Ansible looks further)
  return { virtualization_type: 'NA', virtualization_role: 'NA' };
}
