/**
 * Chooses and opens the connection for a host from its variables (ansible_connection,
 * ansible_host…) or -c. Transports other than local are imported on first use so start-up
 * stays fast.
 */
import { UnreachableError, type Connection } from './types.js';
import { LocalConnection } from './local.js';

export interface ConnectionRequest {
  host: string;
  vars: Record<string, unknown>;
  /** -c/--connection */
  override?: string;
}

export const LOCAL_NAMES = new Set(['local', 'ansible.builtin.local', 'ansible.legacy.local']);
export const DOCKER_NAMES = new Set(['docker', 'community.docker.docker', 'community.docker.docker_api']);

export function transportFor(req: ConnectionRequest): string {
  const fromVars = req.vars.ansible_connection;
  return String(req.override ?? (typeof fromVars === 'string' && fromVars !== '' ? fromVars : 'ssh'));
}

export async function openConnection(req: ConnectionRequest): Promise<Connection> {
  const transport = transportFor(req);
  let conn: Connection;
  if (LOCAL_NAMES.has(transport)) {
    conn = new LocalConnection(req.host);
  } else if (DOCKER_NAMES.has(transport)) {
    const { DockerApiConnection, dockerApiOptionsFromVars } = await import('./docker.js');
    conn = new DockerApiConnection(dockerApiOptionsFromVars(req.host, req.vars));
  } else if (transport === 'ssh' || transport === 'ansible.builtin.ssh' || transport === 'paramiko') {
    throw new UnreachableError(
      `Failed to connect to the host via ssh: tsplay does not support the ssh connection yet (use -c local, ansible_connection=local or community.docker.docker_api)`,
      req.host,
    );
  } else {
    throw new UnreachableError(`the connection plugin '${transport}' was not found`, req.host);
  }
  await conn.connect();
  return conn;
}
