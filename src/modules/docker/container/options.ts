/**
 * The docker_container options tsplay supports, each mapped to the Engine API in three ways:
 * how the task's value is normalised, where it is written in the create request, and where it is
 * read back from `docker inspect` to decide whether an existing container still matches.
 * Mappings and default comparison methods follow community.docker 3.4 (module_container/*.py).
 */
import { homedir } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import type { Json } from '../../../docker/api.js';
import type { CompareType, Comparison } from './compare.js';
import { shlexSplit } from '../../../util/shlex.js';

export type Params = Record<string, unknown>;

/** A user error in the task's options; becomes `failed: true, msg`. */
export class ParamError extends Error {}

export interface CreateBody extends Record<string, unknown> {
  HostConfig: Record<string, unknown>;
}

export interface OptionModel {
  /** the module option name, as used in `comparisons:` */
  name: string;
  type: CompareType;
  comparison: Comparison;
  /** applied to a running container with POST /update instead of recreating it */
  updatable?: boolean;
  /** the value as it should look in inspect data, given the image the container runs */
  expected(value: unknown, image: Json | null, params: Params): unknown;
  current(container: Json): unknown;
  set(body: CreateBody, value: unknown, params: Params): void;
  update?(body: Record<string, unknown>, value: unknown, params: Params): void;
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

function defaultComparison(type: CompareType): Comparison {
  return type === 'value' || type === 'list' ? 'strict' : 'allow_more_present';
}

function config(c: Json): Json {
  return (c.Config as Json | undefined) ?? {};
}
function hostConfig(c: Json): Json {
  return (c.HostConfig as Json | undefined) ?? {};
}

function configValue(name: string, key: string, type: CompareType, extra: Partial<OptionModel> = {}): OptionModel {
  return {
    name,
    type,
    comparison: defaultComparison(type),
    expected: (v) => v,
    current: (c) => config(c)[key],
    set: (body, v) => {
      body[key] = v;
    },
    ...extra,
  };
}

function hostConfigValue(name: string, key: string, type: CompareType, extra: Partial<OptionModel> = {}): OptionModel {
  return {
    name,
    type,
    comparison: defaultComparison(type),
    expected: (v) => v,
    current: (c) => hostConfig(c)[key],
    set: (body, v) => {
      body.HostConfig[key] = v;
    },
    ...extra,
  };
}

/** '512m', '1G', '0' → bytes, as community.docker's human_to_bytes reads memory sizes */
export function humanToBytes(value: unknown, option: string): number {
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtpezy]?)(i?b)?$/i.exec(text);
  if (!m) throw new ParamError(`Failed to convert ${option} to bytes: ${text} is not a size like 512M or 1G`);
  const powers = 'bkmgtpezy';
  const unit = (m[2] || 'b').toLowerCase();
  return Math.round(Number(m[1]) * 1024 ** powers.indexOf(unit));
}

function strList(value: unknown): string[] {
  return (value as unknown[]).map((x) => String(x));
}

function imageConfig(image: Json | null): Json {
  return (image?.Config as Json | undefined) ?? {};
}

export function prepareCommand(value: unknown, params: Params): string[] | undefined {
  if (params.command_handling === 'compatibility') {
    if (!value || (Array.isArray(value) && value.length === 0)) return undefined;
    const joined = Array.isArray(value) ? strList(value).join(' ') : String(value);
    return shlexSplit(joined);
  }
  return Array.isArray(value) ? strList(value) : shlexSplit(String(value));
}

export function prepareEnv(value: unknown): string[] {
  const env = value as Record<string, unknown>;
  return Object.entries(env).map(([k, v]) => {
    if (typeof v !== 'string') {
      throw new ParamError(
        `Non-string value found for env option. Ambiguous env options must be wrapped in quotes to avoid them being interpreted. Key: ${k}`,
      );
    }
    return `${k}=${v}`;
  });
}

function envToMap(list: unknown): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of (list as string[] | null) ?? []) {
    const eq = item.indexOf('=');
    if (eq < 0) map.set(item, '');
    else map.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return map;
}

const VOLUME_MODES = new Set(['rw', 'ro', 'z', 'Z', 'consistent', 'delegated', 'cached', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave', 'nocopy']);
const isVolumeMode = (mode: string): boolean => mode.split(',').every((p) => VOLUME_MODES.has(p));

function expandHostPath(p: string): string {
  if (!/^[.~]/.test(p)) return p;
  const home = p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
  return resolvePath(home);
}

/** mount and volume normalisation, with community.docker's collision and sanity checks */
export function prepareMountsVolumes(params: Params): { mounts?: Json[]; volumes?: string[]; binds?: string[] } {
  const seen = new Map<string, string>();
  const collide = (target: string, option: string): void => {
    const prev = seen.get(target);
    if (prev === option) throw new ParamError(`The mount point "${target}" appears twice in the ${option} option`);
    if (prev) throw new ParamError(`The mount point "${target}" appears both in the ${option} and ${prev} option`);
    seen.set(target, option);
  };
  const out: { mounts?: Json[]; volumes?: string[]; binds?: string[] } = {};
  if (isSet(params.mounts)) {
    const onlyFor: Record<string, string> = {
      volume_driver: 'volume', volume_options: 'volume', propagation: 'bind', no_copy: 'volume', labels: 'volume', tmpfs_size: 'tmpfs', tmpfs_mode: 'tmpfs',
    };
    out.mounts = (params.mounts as Json[]).map((m) => {
      const target = String(m.target);
      const type = (m.type as string | null) ?? 'volume';
      collide(target, 'mounts');
      if (!isSet(m.source) && type !== 'tmpfs' && type !== 'volume') {
        throw new ParamError(`source must be specified for mount "${target}" of type "${type}"`);
      }
      for (const [opt, need] of Object.entries(onlyFor)) {
        if (isSet(m[opt]) && type !== need) {
          throw new ParamError(`${opt} cannot be specified for mount "${target}" of type "${type}" (needs type "${need}")`);
        }
      }
      const norm: Json = { target, type };
      for (const key of ['source', 'read_only', 'consistency', 'propagation', 'no_copy', 'labels', 'volume_driver']) {
        if (isSet(m[key])) norm[key] = m[key];
      }
      if (isSet(m.volume_driver) && isSet(m.volume_options)) norm.volume_options = m.volume_options;
      if (isSet(m.tmpfs_size)) norm.tmpfs_size = humanToBytes(m.tmpfs_size, `tmpfs_size of mount "${target}"`);
      if (isSet(m.tmpfs_mode)) {
        const mode = parseInt(String(m.tmpfs_mode), 8);
        if (Number.isNaN(mode) || !/^[0-7]+$/.test(String(m.tmpfs_mode))) throw new ParamError(`tmp_fs mode of mount "${target}" is not an octal string!`);
        norm.tmpfs_mode = mode;
      }
      return norm;
    });
  }
  if (isSet(params.volumes)) {
    const vols: string[] = [];
    for (const vol of strList(params.volumes)) {
      const parts = vol.split(':');
      if (parts.length === 3) {
        if (!isVolumeMode(parts[2])) throw new ParamError(`Found invalid volumes mode: ${parts[2]}`);
        collide(parts[1], 'volumes');
        vols.push(`${expandHostPath(parts[0])}:${parts[1]}:${parts[2]}`);
        continue;
      }
      if (parts.length === 2 && !isVolumeMode(parts[1]) && /^[.~]/.test(parts[0])) {
        collide(parts[1], 'volumes');
        vols.push(`${expandHostPath(parts[0])}:${parts[1]}:rw`);
        continue;
      }
      collide(parts[Math.min(1, parts.length - 1)], 'volumes');
      vols.push(vol);
    }
    out.volumes = vols;
    out.binds = [];
    for (const vol of vols) {
      const parts = vol.split(':');
      if (parts.length === 3) out.binds.push(vol);
      else if (parts.length === 2 && !isVolumeMode(parts[1])) out.binds.push(`${parts[0]}:${parts[1]}:rw`);
    }
  }
  return out;
}

/** anonymous volumes of a volumes list: `/path` or `/path:ro` */
function anonymousVolumes(vols: string[]): string[] {
  return vols.filter((v) => {
    const parts = v.split(':');
    if (parts.length === 3) return false;
    if (parts.length === 2 && !isVolumeMode(parts[1])) return false;
    return true;
  });
}

function currentMounts(c: Json): Json[] | undefined {
  const mounts = hostConfig(c).Mounts as Json[] | null | undefined;
  if (!mounts) return undefined;
  return mounts.map((m) => {
    const bind = (m.BindOptions as Json | undefined) ?? {};
    const vol = (m.VolumeOptions as Json | undefined) ?? {};
    const driver = (vol.DriverConfig as Json | undefined) ?? {};
    const tmpfs = (m.TmpfsOptions as Json | undefined) ?? {};
    return {
      type: m.Type ?? null,
      source: m.Source ?? null,
      target: m.Target ?? null,
      read_only: m.ReadOnly ?? false,
      consistency: m.Consistency ?? null,
      propagation: bind.Propagation ?? null,
      no_copy: vol.NoCopy ?? false,
      labels: vol.Labels ?? {},
      volume_driver: driver.Name ?? null,
      volume_options: driver.Options ?? {},
      tmpfs_size: tmpfs.SizeBytes ?? null,
      tmpfs_mode: tmpfs.Mode ?? null,
    };
  });
}

function mountToApi(m: Json): Json {
  const api: Json = { Target: m.target, Source: m.source ?? null, Type: m.type, ReadOnly: m.read_only ?? null };
  if ('consistency' in m) api.Consistency = m.consistency;
  if (m.type === 'bind' && 'propagation' in m) api.BindOptions = { Propagation: m.propagation };
  if (m.type === 'volume') {
    const opts: Json = {};
    if (m.no_copy) opts.NoCopy = true;
    if (m.labels) opts.Labels = m.labels;
    if (m.volume_driver) opts.DriverConfig = m.volume_options ? { Name: m.volume_driver, Options: m.volume_options } : { Name: m.volume_driver };
    if (Object.keys(opts).length) api.VolumeOptions = opts;
  }
  if (m.type === 'tmpfs') {
    const opts: Json = {};
    if (m.tmpfs_mode) opts.Mode = m.tmpfs_mode;
    if (m.tmpfs_size) opts.SizeBytes = m.tmpfs_size;
    if (Object.keys(opts).length) api.TmpfsOptions = opts;
  }
  return api;
}

const normalizePort = (p: string): string => (p.includes('/') ? p : `${p}/tcp`);

interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** published_ports → PortBindings keyed `port/proto` (no ranges: they are rare and easy to misread) */
export function preparePublishedPorts(value: unknown, defaultHostIp: string): Record<string, PortBinding[]> {
  const bindings: Record<string, PortBinding[]> = {};
  for (const spec of strList(value)) {
    if (spec === 'all') {
      throw new ParamError(
        'Specifying "all" in published_ports is no longer allowed. Set publish_all_ports to "true" instead to randomly assign port mappings for those not specified by published_ports.',
      );
    }
    const ipv6 = /^\[([0-9a-fA-F:]+)\]:(.*)$/.exec(spec);
    const parts = ipv6 ? [ipv6[1], ...ipv6[2].split(':')] : spec.split(':');
    let containerPort = parts[parts.length - 1];
    let proto = 'tcp';
    if (containerPort.includes('/')) [containerPort, proto] = containerPort.split('/');
    if (!/^\d+$/.test(containerPort)) throw new ParamError(`Invalid port description "${spec}": port ranges and names are not supported`);
    let binding: PortBinding;
    if (parts.length === 1) binding = { HostIp: defaultHostIp, HostPort: '' };
    else if (parts.length === 2) binding = { HostIp: defaultHostIp, HostPort: parts[0] };
    else if (parts.length === 3) {
      if (!ipv6 && !/^\d+\.\d+\.\d+\.\d+$/.test(parts[0])) {
        throw new ParamError(
          `Bind addresses for published ports must be IPv4 or IPv6 addresses, not hostnames. Use the dig lookup to resolve hostnames. (Found hostname: ${parts[0]})`,
        );
      }
      binding = { HostIp: parts[0], HostPort: parts[1] };
    } else {
      throw new ParamError(
        `Invalid port description "${spec}" - expected 1 to 3 colon-separated parts, but got ${parts.length}. Maybe you forgot to use square brackets ([...]) around an IPv6 address?`,
      );
    }
    const key = `${Number(containerPort)}/${proto}`;
    (bindings[key] ??= []).push(binding);
  }
  return bindings;
}

function exposedFromParams(params: Params): string[] {
  const exposed = new Set<string>();
  for (const p of isSet(params.exposed_ports) ? strList(params.exposed_ports) : []) {
    exposed.add(normalizePort(p.trim()));
  }
  if (isSet(params.published_ports)) {
    for (const key of Object.keys(preparePublishedPorts(params.published_ports, '0.0.0.0'))) exposed.add(key);
  }
  return [...exposed];
}

function tmpfsToDict(value: unknown): Record<string, string> {
  const dict: Record<string, string> = {};
  for (const item of strList(value)) {
    const colon = item.indexOf(':');
    if (colon < 0) dict[item] = '';
    else dict[item.slice(0, colon)] = item.slice(colon + 1);
  }
  return dict;
}

/** Every option tsplay compares and sets, in community.docker's terms. */
export function containerOptions(): OptionModel[] {
  const opts: OptionModel[] = [
    configValue('command', 'Cmd', 'list', { expected: (v, _i, p) => prepareCommand(v, p) ?? null, set: (b, v, p) => { const cmd = prepareCommand(v, p); if (cmd) b.Cmd = cmd; } }),
    configValue('entrypoint', 'Entrypoint', 'list', { expected: (v, _i, p) => (p.command_handling === 'compatibility' ? shlexSplit(strList(v).join(' ')) : strList(v)), set: (b, v, p) => { b.Entrypoint = p.command_handling === 'compatibility' ? shlexSplit(strList(v).join(' ')) : strList(v); } }),
    configValue('env', 'Env', 'set', {
      expected: (v, image) => {
        const merged = envToMap(imageConfig(image).Env);
        for (const [k, val] of envToMap(prepareEnv(v))) merged.set(k, val);
        return [...merged].map(([k, val]) => `${k}=${val}`);
      },
      set: (b, v) => { b.Env = prepareEnv(v); },
    }),
    configValue('labels', 'Labels', 'dict', {
      expected: (v, image, p) => ({ ...(p.image_label_mismatch === 'fail' ? {} : ((imageConfig(image).Labels as Json | null) ?? {})), ...stringDict(v) }),
      set: (b, v) => { b.Labels = stringDict(v); },
    }),
    configValue('user', 'User', 'value'),
    configValue('working_dir', 'WorkingDir', 'value'),
    configValue('hostname', 'Hostname', 'value'),
    configValue('domainname', 'Domainname', 'value'),
    configValue('tty', 'Tty', 'value'),
    configValue('stop_signal', 'StopSignal', 'value'),
    configValue('stop_timeout', 'StopTimeout', 'value', { comparison: 'ignore' }),
    {
      name: 'detach',
      type: 'value',
      comparison: 'strict',
      expected: (v) => v,
      current: (c) => !(config(c).AttachStderr && config(c).AttachStdout),
      set: () => undefined, // written with `interactive` in attachFields()
    },
    {
      name: 'interactive',
      type: 'value',
      comparison: 'strict',
      expected: (v) => v,
      current: (c) => Boolean(config(c).OpenStdin),
      set: () => undefined,
    },
    hostConfigValue('auto_remove', 'AutoRemove', 'value'),
    hostConfigValue('privileged', 'Privileged', 'value'),
    hostConfigValue('read_only', 'ReadonlyRootfs', 'value'),
    hostConfigValue('init', 'Init', 'value'),
    hostConfigValue('memory', 'Memory', 'value', {
      updatable: true,
      expected: (v) => humanToBytes(v, 'memory'),
      set: (b, v) => { b.HostConfig.Memory = humanToBytes(v, 'memory'); },
      update: (b, v) => { b.Memory = humanToBytes(v, 'memory'); },
    }),
    hostConfigValue('shm_size', 'ShmSize', 'value', {
      expected: (v) => humanToBytes(v, 'shm_size'),
      set: (b, v) => { b.HostConfig.ShmSize = humanToBytes(v, 'shm_size'); },
    }),
    hostConfigValue('cpus', 'NanoCpus', 'value', {
      expected: (v) => Math.round(Number(v) * 1e9),
      set: (b, v) => { b.HostConfig.NanoCpus = Math.round(Number(v) * 1e9); },
    }),
    hostConfigValue('cpu_shares', 'CpuShares', 'value', { updatable: true, update: (b, v) => { b.CpuShares = v; } }),
    hostConfigValue('capabilities', 'CapAdd', 'set'),
    hostConfigValue('cap_drop', 'CapDrop', 'set'),
    hostConfigValue('dns_servers', 'Dns', 'list'),
    hostConfigValue('dns_search_domains', 'DnsSearch', 'list'),
    hostConfigValue('dns_opts', 'DnsOptions', 'set'),
    hostConfigValue('etc_hosts', 'ExtraHosts', 'set', {
      expected: (v) => Object.entries(v as Json).map(([k, ip]) => `${k}:${String(ip)}`),
      set: (b, v) => { b.HostConfig.ExtraHosts = Object.entries(v as Json).map(([k, ip]) => `${k}:${String(ip)}`); },
    }),
    hostConfigValue('groups', 'GroupAdd', 'set'),
    hostConfigValue('ipc_mode', 'IpcMode', 'value'),
    hostConfigValue('pid_mode', 'PidMode', 'value'),
    hostConfigValue('security_opts', 'SecurityOpt', 'set'),
    hostConfigValue('sysctls', 'Sysctls', 'dict', { expected: (v) => stringDict(v), set: (b, v) => { b.HostConfig.Sysctls = stringDict(v); } }),
    hostConfigValue('tmpfs', 'Tmpfs', 'dict', { expected: (v) => tmpfsToDict(v), set: (b, v) => { b.HostConfig.Tmpfs = tmpfsToDict(v); } }),
    hostConfigValue('volumes_from', 'VolumesFrom', 'set'),
    hostConfigValue('network_mode', 'NetworkMode', 'value'),
    {
      name: 'log_driver',
      type: 'value',
      comparison: 'strict',
      expected: (v) => v,
      current: (c) => ((hostConfig(c).LogConfig as Json | undefined) ?? {}).Type,
      set: (b, v, p) => { b.HostConfig.LogConfig = { Type: v, Config: isSet(p.log_options) ? stringDict(p.log_options) : {} }; },
    },
    {
      name: 'log_options',
      type: 'dict',
      comparison: 'allow_more_present',
      expected: (v) => stringDict(v),
      current: (c) => ((hostConfig(c).LogConfig as Json | undefined) ?? {}).Config,
      set: () => undefined, // only meaningful with log_driver, written there
    },
    {
      name: 'restart_policy',
      type: 'value',
      comparison: 'strict',
      updatable: true,
      expected: (v) => v,
      current: (c) => ((hostConfig(c).RestartPolicy as Json | undefined) ?? {}).Name,
      set: (b, v, p) => { b.HostConfig.RestartPolicy = { Name: v, MaximumRetryCount: p.restart_retries ?? null }; },
      update: (b, v, p) => { b.RestartPolicy = { Name: v, MaximumRetryCount: p.restart_retries ?? null }; },
    },
    {
      name: 'restart_retries',
      type: 'value',
      comparison: 'strict',
      updatable: true,
      expected: (v) => v,
      current: (c) => ((hostConfig(c).RestartPolicy as Json | undefined) ?? {}).MaximumRetryCount,
      set: () => undefined,
    },
    {
      name: 'mounts',
      type: 'set(dict)',
      comparison: 'allow_more_present',
      expected: (_v, _i, p) => prepareMountsVolumes(p).mounts,
      current: (c) => currentMounts(c),
      set: (b, _v, p) => { b.HostConfig.Mounts = (prepareMountsVolumes(p).mounts ?? []).map(mountToApi); },
    },
    {
      name: 'volumes',
      type: 'set',
      comparison: 'allow_more_present',
      expected: (_v, image, p) => {
        const anon = new Set(Object.keys((imageConfig(image).Volumes as Json | null) ?? {}));
        for (const v of anonymousVolumes(prepareMountsVolumes(p).volumes ?? [])) anon.add(v);
        return [...anon];
      },
      current: (c) => config(c).Volumes,
      set: (b, _v, p) => {
        const prepared = prepareMountsVolumes(p);
        const anon: Json = {};
        for (const v of anonymousVolumes(prepared.volumes ?? [])) anon[v] = {};
        b.Volumes = anon;
        b.HostConfig.Binds = prepared.binds ?? [];
      },
    },
    {
      // the bind half of `volumes`, compared against HostConfig.Binds with volumes' method
      name: 'volume_binds',
      type: 'set',
      comparison: 'allow_more_present',
      expected: (_v, _i, p) => prepareMountsVolumes(p).binds ?? [],
      current: (c) => hostConfig(c).Binds,
      set: () => undefined,
    },
    {
      name: 'published_ports',
      type: 'dict',
      comparison: 'allow_more_present',
      expected: (v, _i, p) => preparePublishedPorts(v, defaultHostIp(p)),
      current: (c) => hostConfig(c).PortBindings,
      set: (b, v, p) => { b.HostConfig.PortBindings = preparePublishedPorts(v, defaultHostIp(p)); },
    },
    {
      name: 'exposed_ports',
      type: 'set',
      comparison: 'allow_more_present',
      expected: (_v, image, p) => {
        const ports = new Set(Object.keys((imageConfig(image).ExposedPorts as Json | null) ?? {}).map(normalizePort));
        for (const port of exposedFromParams(p)) ports.add(port);
        return [...ports];
      },
      current: (c) => Object.keys((config(c).ExposedPorts as Json | null) ?? {}).map(normalizePort),
      set: (b, _v, p) => {
        const exposed: Json = {};
        for (const port of exposedFromParams(p)) exposed[port] = {};
        b.ExposedPorts = exposed;
      },
    },
  ];
  return opts;
}

function defaultHostIp(params: Params): string {
  return typeof params.default_host_ip === 'string' && params.default_host_ip !== '' ? params.default_host_ip : '0.0.0.0';
}

function stringDict(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries((v as Json | null) ?? {})) out[k] = typeof val === 'string' ? val : String(val);
  return out;
}

/**
 * Which options the task gave, as community.docker decides: an option counts when its value is
 * set, and option groups pull in their companions (volumes brings volume_binds; published or
 * exposed ports bring exposed_ports).
 */
export function givenOptionNames(params: Params): Set<string> {
  const given = new Set<string>();
  for (const [k, v] of Object.entries(params)) if (isSet(v)) given.add(k);
  if (given.has('volumes')) given.add('volume_binds');
  if (given.has('published_ports')) given.add('exposed_ports');
  return given;
}

/** Attach/OpenStdin as community.docker writes them whatever the task says. */
export function attachFields(params: Params): Json {
  const detach = params.detach === true;
  const interactive = params.interactive === true;
  return {
    AttachStdout: !detach,
    AttachStderr: !detach,
    AttachStdin: !detach && interactive,
    StdinOnce: !detach && interactive,
    OpenStdin: isSet(params.interactive) ? interactive : null,
  };
}
