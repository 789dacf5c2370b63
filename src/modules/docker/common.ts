/**
 * What every community.docker module shares: the connection options (docker_host, TLS, timeout)
 * and turning them, plus the task's connection, into a Docker client.
 */
import type { ArgumentSpec } from '../../argspec/types.js';
import type { ModuleContext, ModuleResult } from '../types.js';
import type { DockerClient } from '../../docker/client.js';
import { DockerError } from '../../docker/errors.js';
import { DockerHostError } from '../../docker/transport.js';
import { targetEnvironment } from '../target-env.js';

/** community.docker's docker.py doc fragment, the options tsplay honours */
export const dockerConnectionOptions: ArgumentSpec = {
  docker_host: { type: 'str', aliases: ['docker_url'] },
  tls_hostname: { type: 'str' },
  api_version: { type: 'str', default: 'auto', aliases: ['docker_api_version'] },
  timeout: { type: 'int', default: 60 },
  ca_cert: { type: 'path', aliases: ['tls_ca_cert', 'cacert_path'] },
  client_cert: { type: 'path', aliases: ['tls_client_cert', 'cert_path'] },
  client_key: { type: 'path', aliases: ['tls_client_key', 'key_path'] },
  ssl_version: { type: 'str' },
  tls: { type: 'bool', default: false },
  use_ssh_client: { type: 'bool', default: false },
  validate_certs: { type: 'bool', default: false, aliases: ['tls_verify'] },
  debug: { type: 'bool', default: false },
};

export async function clientForTask(args: Record<string, unknown>, ctx: ModuleContext): Promise<DockerClient> {
  const str = (k: string): string | undefined => (typeof args[k] === 'string' && args[k] !== '' ? (args[k] as string) : undefined);
  // the client (node:http, https) loads with the first Docker task, not at every start-up
  const { dockerClientFor } = await import('../../docker/client.js');
  // DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH: the target's environment and the task's
  // `environment:`, as Ansible's docker modules see them running there
  const { env } = await targetEnvironment(ctx.conn, ctx.become, ctx.env);
  // tls / validate_certs default to false in the spec; only an explicit true overrides DOCKER_TLS*
  return dockerClientFor(ctx.conn, {
    // community.docker's timeout (default 60): how long the daemon has to answer each request
    timeoutSeconds: typeof args.timeout === 'number' ? args.timeout : 60,
    dockerHost: str('docker_host'),
    tls: args.tls === true ? true : undefined,
    validateCerts: args.validate_certs === true ? true : undefined,
    caCert: str('ca_cert'),
    clientCert: str('client_cert'),
    clientKey: str('client_key'),
  }, env, { become: ctx.become });
}

/** A Docker failure (or a user error found while talking to Docker) as a failed module result. */
export function dockerFailure(err: unknown, extra: ModuleResult = {}): ModuleResult {
  if (err instanceof DockerError || err instanceof DockerHostError) return { ...extra, failed: true, msg: err.message };
  throw err;
}
