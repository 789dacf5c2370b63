/**
 * Docker failures turned into messages a user can act on. Every Docker call in tsplay funnels its
 * errors through `explainDockerError`, so "no daemon" always says how to start one, whichever
 * module or connection hit it.
 */
import type { DockerTransport } from './transport.js';
import { describeTransport } from './transport.js';

export type DockerFaultKind =
  | 'no-daemon'
  | 'permission'
  | 'image-missing'
  | 'name-conflict'
  | 'killed'
  | 'timeout'
  | 'not-found'
  | 'api';

export class DockerError extends Error {
  constructor(
    readonly kind: DockerFaultKind,
    message: string,
    /** HTTP status from the Engine API, when there was one */
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'DockerError';
  }
}

/** The shape of errors docker-modem produces: Node socket errors or HTTP status errors. */
interface ModemErrorShape {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: unknown;
  message?: string;
}

function engineMessage(err: ModemErrorShape): string {
  const json = err.json;
  if (json && typeof json === 'object' && 'message' in json && typeof (json as { message: unknown }).message === 'string') {
    return (json as { message: string }).message;
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (Buffer.isBuffer(json) && json.length) return json.toString('utf8').trim();
  return (err.message ?? String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

export function startDaemonHint(transport: DockerTransport): string {
  if (transport.kind === 'unix') {
    return (
      'Start it with `systemctl start docker`, or where there is no service manager ' +
      '`dockerd --bridge=none --iptables=false --ip-masq=false &` (then containers need network_mode: host), ' +
      'or point docker_host / DOCKER_HOST at a running daemon.'
    );
  }
  return 'Check that dockerd listens there (dockerd -H tcp://...) and that docker_host / DOCKER_HOST is right.';
}

const NO_DAEMON_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** Classifies anything thrown by a dockerode call made against `transport`. */
export function explainDockerError(err: unknown, transport: DockerTransport, doing: string): DockerError {
  if (err instanceof DockerError) return err;
  const e = (err ?? {}) as ModemErrorShape;
  const where = describeTransport(transport);
  const code = e.code;
  if (code === 'EDOCKERTIMEOUT') {
    const seconds = (err as { seconds?: number }).seconds;
    return new DockerError(
      'timeout',
      `Error connecting: the Docker daemon at ${where} accepted the connection but sent no answer within ${seconds} s (timeout=${seconds}; ${doing}); ` +
        'check that dockerd is healthy (docker info), or raise the task\'s timeout',
    );
  }
  if (code !== undefined && NO_DAEMON_CODES.has(code)) {
    return new DockerError(
      'no-daemon',
      `Cannot connect to the Docker daemon at ${where} (${code}) while trying to ${doing}: is the docker daemon running? ${startDaemonHint(transport)}`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new DockerError(
      'permission',
      `Permission denied on the Docker socket ${where} while trying to ${doing}: run as root (become: true) or add the user to the "docker" group (usermod -aG docker USER, then log in again).`,
    );
  }
  const status = e.statusCode;
  if (typeof status === 'number') {
    const detail = engineMessage(e);
    if (status === 409 && /already in use/i.test(detail)) {
      return new DockerError('name-conflict', `Error ${doing}: ${detail}`, status);
    }
    if (status === 404 && /no such image/i.test(detail)) {
      return new DockerError('image-missing', `Error ${doing}: ${detail}`, status);
    }
    if (status === 404) return new DockerError('not-found', `Error ${doing}: ${detail}`, status);
    return new DockerError('api', `Error ${doing}: ${detail} (HTTP ${status})`, status);
  }
  const message = e.message ?? String(err);
  return new DockerError('api', `Error ${doing} via ${where}: ${message}`);
}
