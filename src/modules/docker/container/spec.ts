/**
 * docker_container's arguments in Ansible's spec format (the subset of community.docker 3.4's
 * options tsplay implements, plus the shared Docker connection options) and the pull policy.
 */
import type { ArgumentSpec } from '../../../argspec/types.js';
import { dockerConnectionOptions } from '../common.js';
import { ParamError } from './options.js';

const mountSpec: ArgumentSpec = {
  target: { type: 'str', required: true },
  source: { type: 'str' },
  type: { type: 'str', choices: ['bind', 'volume', 'tmpfs', 'npipe'], default: 'volume' },
  read_only: { type: 'bool' },
  consistency: { type: 'str', choices: ['default', 'consistent', 'cached', 'delegated'] },
  propagation: { type: 'str', choices: ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] },
  no_copy: { type: 'bool' },
  labels: { type: 'dict' },
  volume_driver: { type: 'str' },
  volume_options: { type: 'dict' },
  tmpfs_size: { type: 'str' },
  tmpfs_mode: { type: 'str' },
};

export const dockerContainerSpec: ArgumentSpec = {
  ...dockerConnectionOptions,
  name: { type: 'str', required: true },
  image: { type: 'str' },
  state: { type: 'str', default: 'started', choices: ['absent', 'present', 'started', 'stopped'] },
  // community.docker 3.4 takes a bool; later releases also missing/always/never: both are accepted
  pull: { type: 'raw', default: false },
  command: { type: 'raw' },
  command_handling: { type: 'str', default: 'correct', choices: ['compatibility', 'correct'] },
  entrypoint: { type: 'list', elements: 'str' },
  env: { type: 'dict' },
  env_file: { type: 'path' },
  labels: { type: 'dict' },
  mounts: { type: 'list', elements: 'dict', options: mountSpec },
  volumes: { type: 'list', elements: 'str' },
  volumes_from: { type: 'list', elements: 'str' },
  network_mode: { type: 'str' },
  user: { type: 'str' },
  working_dir: { type: 'str' },
  hostname: { type: 'str' },
  domainname: { type: 'str' },
  detach: { type: 'bool' },
  interactive: { type: 'bool' },
  tty: { type: 'bool' },
  cleanup: { type: 'bool', default: false },
  auto_remove: { type: 'bool' },
  restart_policy: { type: 'str', choices: ['no', 'on-failure', 'always', 'unless-stopped'] },
  restart_retries: { type: 'int' },
  restart: { type: 'bool', default: false },
  recreate: { type: 'bool', default: false },
  container_default_behavior: { type: 'str', default: 'no_defaults', choices: ['compatibility', 'no_defaults'] },
  published_ports: { type: 'list', elements: 'str', aliases: ['ports'] },
  exposed_ports: { type: 'list', elements: 'str', aliases: ['exposed', 'expose'] },
  default_host_ip: { type: 'str' },
  output_logs: { type: 'bool', default: false },
  privileged: { type: 'bool' },
  read_only: { type: 'bool' },
  init: { type: 'bool' },
  paused: { type: 'bool' },
  memory: { type: 'str' },
  shm_size: { type: 'str' },
  cpus: { type: 'float' },
  cpu_shares: { type: 'int' },
  capabilities: { type: 'list', elements: 'str' },
  cap_drop: { type: 'list', elements: 'str' },
  dns_servers: { type: 'list', elements: 'str' },
  dns_search_domains: { type: 'list', elements: 'str' },
  dns_opts: { type: 'list', elements: 'str' },
  etc_hosts: { type: 'dict' },
  groups: { type: 'list', elements: 'str' },
  ipc_mode: { type: 'str' },
  pid_mode: { type: 'str' },
  security_opts: { type: 'list', elements: 'str' },
  sysctls: { type: 'dict' },
  tmpfs: { type: 'list', elements: 'str' },
  log_driver: { type: 'str' },
  log_options: { type: 'dict', aliases: ['log_opt'] },
  stop_signal: { type: 'str' },
  stop_timeout: { type: 'int' },
  kill_signal: { type: 'str' },
  force_kill: { type: 'bool', default: false, aliases: ['forcekill'] },
  keep_volumes: { type: 'bool', default: true },
  removal_wait_timeout: { type: 'float' },
  comparisons: { type: 'dict' },
  image_comparison: { type: 'str', default: 'desired-image', choices: ['desired-image', 'current-image'] },
  image_label_mismatch: { type: 'str', default: 'ignore', choices: ['ignore', 'fail'] },
  image_name_mismatch: { type: 'str', default: 'ignore', choices: ['ignore', 'recreate'] },
  platform: { type: 'str' },
};

type PullPolicy = 'missing' | 'always' | 'never';

export function pullPolicy(value: unknown): PullPolicy {
  if (value === true) return 'always';
  if (value === false || value === null || value === undefined) return 'missing';
  const text = String(value).toLowerCase();
  if (['always', 'yes', 'true', 'on', '1', 'y'].includes(text)) return 'always';
  if (['missing', 'no', 'false', 'off', '0', 'n'].includes(text)) return 'missing';
  if (text === 'never') return 'never';
  throw new ParamError(`pull must be a boolean or one of missing, always, never; got ${JSON.stringify(value)}`);
}
