/**
 * Where a Docker Engine lives and how bytes get to it, kept apart from the API client so the
 * same client works over a local socket, TCP(+TLS), or a stream that some other connection
 * (an SSH session forwarding the remote /var/run/docker.sock) hands us.
 */
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** DOCKER_TLS_VERIFY / validate_certs: check the daemon's certificate */
  verify: boolean;
}

/**
 * Where the TLS certificates are: paths on the host the module runs on (the target, as Ansible
 * runs docker modules there), read by whoever can reach that host's files (`loadTlsMaterial`).
 */
export interface TlsFiles {
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

export type DockerTransport =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls?: TlsMaterial; tlsFiles?: TlsFiles }
  /**
   * A caller-supplied byte stream per HTTP connection: e.g. Connection.openUnixSocket on an SSH
   * host. `label` names it in error messages ("ssh://web1/var/run/docker.sock").
   */
  | { kind: 'stream'; open: () => Promise<Duplex>; label: string };

export class DockerHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerHostError';
  }
}

/** What a user can say about the daemon: the docker_host option and the DOCKER_* environment. */
export interface DockerHostSettings {
  /** module option / ansible_docker_timeout: seconds the daemon has to start answering a request */
  timeoutSeconds?: number;
  /** module option docker_host; wins over DOCKER_HOST */
  dockerHost?: string;
  /** module options tls / validate_certs; fall back to DOCKER_TLS / DOCKER_TLS_VERIFY */
  tls?: boolean;
  validateCerts?: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

type Env = Record<string, string | undefined>;

function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

const TLS_FILE_NAMES: Record<'ca' | 'cert' | 'key', string> = { ca: 'CA certificate', cert: 'client certificate', key: 'client key' };

/**
 * Reads a TCP transport's certificates with `read` (node:fs for this machine, the connection for
 * a target), once, before the client is made. `where` names the host in messages.
 */
export async function loadTlsMaterial(
  transport: DockerTransport,
  read: (path: string) => Promise<Buffer>,
  where?: string,
): Promise<DockerTransport> {
  if (transport.kind !== 'tcp' || !transport.tlsFiles) return transport;
  const files = transport.tlsFiles;
  const tls: TlsMaterial = { verify: files.verify };
  for (const part of ['ca', 'cert', 'key'] as const) {
    const path = files[part];
    if (path === undefined) continue;
    try {
      tls[part] = await read(path);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new DockerHostError(`cannot read the Docker TLS ${TLS_FILE_NAMES[part]} ${path}${where ? ` on ${where}` : ''}: ${reason}`);
    }
  }
  const { tlsFiles: _read, ...rest } = transport;
  return { ...rest, tls };
}

/**
 * Turns docker_host / DOCKER_HOST (unix://, tcp://, bare host:port) and the TLS environment into
 * a transport. Like the Docker CLI and community.docker: TLS when DOCKER_TLS_VERIFY or DOCKER_TLS
 * is set (or the tls options are), certificates from DOCKER_CERT_PATH/{ca,cert,key}.pem (named
 * here, read by loadTlsMaterial on the host they belong to).
 */
export function resolveDockerTransport(settings: DockerHostSettings = {}, env: Env = process.env): DockerTransport {
  const raw = settings.dockerHost || env.DOCKER_HOST || `unix://${DEFAULT_DOCKER_SOCKET}`;
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    // community.docker's default is written unix://var/run/docker.sock (two slashes): still absolute
    return { kind: 'unix', socketPath: socketPath === '' ? DEFAULT_DOCKER_SOCKET : socketPath.startsWith('/') ? socketPath : `/${socketPath}` };
  }
  if (raw.startsWith('/')) return { kind: 'unix', socketPath: raw };
  if (raw.startsWith('ssh://')) {
    throw new DockerHostError(
      `docker_host ${raw}: ssh:// is not opened by tsplay itself; run the task on that host instead (its SSH connection carries the Docker socket)`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `tcp://${raw}`);
  } catch {
    throw new DockerHostError(`docker_host ${JSON.stringify(raw)} is not a Docker address: expected unix:///path/to/docker.sock or tcp://host:port`);
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DockerHostError(`docker_host ${raw}: unsupported scheme ${url.protocol} (expected unix:// or tcp://)`);
  }
  const verify = settings.validateCerts ?? envFlag(env.DOCKER_TLS_VERIFY);
  const useTls = verify || (settings.tls ?? envFlag(env.DOCKER_TLS)) || url.protocol === 'https:';
  const port = url.port ? Number(url.port) : useTls ? 2376 : 2375;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!useTls) return { kind: 'tcp', host, port };
  const certDir = env.DOCKER_CERT_PATH;
  const pick = (explicit: string | undefined, file: string): string | undefined =>
    explicit ?? (certDir ? join(certDir, file) : undefined);
  const caPath = pick(settings.caCert, 'ca.pem');
  const certPath = pick(settings.clientCert, 'cert.pem');
  const keyPath = pick(settings.clientKey, 'key.pem');
  const tlsFiles: TlsFiles = { verify };
  if (caPath) tlsFiles.ca = caPath;
  if (certPath) tlsFiles.cert = certPath;
  if (keyPath) tlsFiles.key = keyPath;
  return { kind: 'tcp', host, port, tlsFiles };
}

/** How the transport is named in messages: the same spelling users write in docker_host. */
export function describeTransport(transport: DockerTransport): string {
  switch (transport.kind) {
    case 'unix':
      return `unix://${transport.socketPath}`;
    case 'tcp':
      return `${transport.tls || transport.tlsFiles ? 'https' : 'tcp'}://${transport.host}:${transport.port}`;
    case 'stream':
      return transport.label;
  }
}
