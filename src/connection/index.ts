/**
 * Chooses and opens the connection for a host from its variables (ansible_connection,
 * ansible_host…) or -c. Transports other than local are imported on first use so start-up
 * stays fast.
 */
import { UnreachableError, type Connection } from './types.js';
import { LocalConnection } from './local.js';
import type { SshResolveOptions } from './ssh/resolve.js';

export interface ConnectionRequest {
  host: string;
  /** the host's variables, connection variables already templated */
  vars: Record<string, unknown>;
  /** -c/--connection */
  override?: string;
  /** CLI flags, ansible.cfg, remote_user…: what the ssh transport needs besides the variables */
  ssh?: SshResolveOptions;
}

export const SSH_NAMES = new Set(['ssh', 'smart', 'ansible.builtin.ssh', 'ansible.legacy.ssh', 'paramiko', 'ansible.builtin.paramiko_ssh', 'paramiko_ssh']);

export const LOCAL_NAMES = new Set(['local', 'ansible.builtin.local', 'ansible.legacy.local']);
export const DOCKER_NAMES = new Set(['docker', 'community.docker.docker', 'community.docker.docker_api']);

export function transportFor(req: ConnectionRequest): string {
  const fromVars = req.vars.ansible_connection;
  return String(req.override ?? (typeof fromVars === 'string' && fromVars !== '' ? fromVars : 'ssh'));
}

/** the connection for a host, not connected yet */
export async function makeConnection(req: ConnectionRequest): Promise<Connection> {
  const transport = transportFor(req);
  if (LOCAL_NAMES.has(transport)) return new LocalConnection(req.host);
  if (DOCKER_NAMES.has(transport)) {
    const { DockerApiConnection, dockerApiOptionsFromVars } = await import('./docker.js');
    return new DockerApiConnection(dockerApiOptionsFromVars(req.host, req.vars));
  }
  if (SSH_NAMES.has(transport)) {
    const { resolveSshTarget, SshResolveError } = await import('./ssh/resolve.js');
    let target;
    try {
      target = resolveSshTarget(req.host, req.vars, req.ssh);
    } catch (err) {
      if (err instanceof SshResolveError) throw new UnreachableError(`Failed to connect to the host via ssh: ${err.message}`, req.host);
      throw err;
    }
    const { SshConnection } = await import('./ssh/connection.js');
    return new SshConnection(target);
  }
  throw new UnreachableError(`the connection plugin '${transport}' was not found`, req.host);
}

export async function openConnection(req: ConnectionRequest): Promise<Connection> {
  const conn = await makeConnection(req);
  await conn.connect();
  return conn;
}
