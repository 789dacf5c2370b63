/**
 * The Docker Engine client factory. dockerode is imported lazily (it pulls in grpc and protobuf),
 * and its transport is chosen here: a local socket, TCP(+TLS), or any byte stream a Connection
 * opens to the daemon's socket on its host. The stream case is the seam for SSH: an SSH
 * connection implements `openUnixSocket('/var/run/docker.sock')` and every docker module then
 * reaches that host's daemon through the one SSH session it already has; a TCP daemon is reached
 * from the target too (`openTcp`), with TLS certificates read on the target.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net, { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type Dockerode from 'dockerode';
import type { BecomeOptions, Connection } from '../connection/types.js';
import { DockerError, explainDockerError } from './errors.js';
import type { DockerHostSettings, DockerTransport, TlsMaterial } from './transport.js';
import { DEFAULT_DOCKER_SOCKET, DockerHostError, describeTransport, loadTlsMaterial, resolveDockerTransport } from './transport.js';
import { defaultTrustedCas } from '../util/extra-ca.js';

export type { DockerTransport, DockerHostSettings } from './transport.js';
export { resolveDockerTransport, loadTlsMaterial, describeTransport, DockerHostError, DEFAULT_DOCKER_SOCKET } from './transport.js';
export { DockerError, explainDockerError } from './errors.js';

/**
 * An http.Agent whose "sockets" come from an async opener. Node's agent accepts a connection
 * delivered through the createConnection callback, and docker-modem passes `agent` straight to
 * http.request, so every API call (including hijacked attach/exec streams) rides the opener's
 * Duplex. No keep-alive: one stream per request, closed with it, as a unix socket would be.
 * The stream must allow half-close and treat an empty write as a no-op (ssh2 channels do): Node's
 * http client ends every request with a zero-length write, which may come after the daemon has
 * answered and closed its side.
 */
export class StreamAgent extends http.Agent {
  constructor(
    private readonly open: () => Promise<Duplex>,
    private readonly seconds = 0,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(
    _options: unknown,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex {
    this.open().then(
      (stream) => {
        armAnswerTimeout(stream, this.seconds);
        callback?.(null, stream);
      },
      (err: unknown) => callback?.(err instanceof Error ? err : new Error(String(err)), undefined as unknown as Duplex),
    );
    // Node's Agent waits for the callback when createConnection returns nothing.
    return undefined as unknown as Duplex;
  }
}

/**
 * The daemon accepted the connection but sent nothing back within the timeout (community.docker's
 * `timeout`, default 60 s): without this a daemon that hangs would hold the task forever.
 */
export class DockerTimeoutError extends Error {
  readonly code = 'EDOCKERTIMEOUT';
  constructor(readonly seconds: number) {
    super(`no answer within ${seconds} s`);
    this.name = 'DockerTimeoutError';
  }
}

/**
 * Fails `stream` (one HTTP request's connection) when the daemon sends no byte within `seconds`
 * of the request. Only the wait for the answer's start is bounded: once bytes flow, a long pull,
 * a command's output or a container's wait may take as long as they take (as docker-py bounds
 * reads, but the module's own waits opt out).
 */
export function armAnswerTimeout(stream: Duplex, seconds: number): void {
  if (!(seconds > 0)) return;
  const fail = () => stream.destroy(new DockerTimeoutError(seconds));
  if (stream instanceof net.Socket) {
    stream.setTimeout(seconds * 1000);
    stream.once('timeout', fail);
    // the request written, then silence: the first byte of the answer disarms it
    stream.once('data', () => {
      stream.setTimeout(0);
      stream.removeListener('timeout', fail);
    });
    return;
  }
  const timer = setTimeout(fail, seconds * 1000);
  timer.unref();
  stream.once('data', () => clearTimeout(timer));
  stream.once('close', () => clearTimeout(timer));
}

/** node:http's agent for a unix socket or plain TCP, each connection armed with the answer timeout */
class TimedAgent extends http.Agent {
  constructor(private readonly seconds: number) {
    super({ keepAlive: false });
  }

  override createConnection(options: net.NetConnectOpts, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const socket = (http.Agent.prototype as unknown as { createConnection(o: net.NetConnectOpts, cb?: unknown): Duplex }).createConnection.call(this, options, callback);
    armAnswerTimeout(socket, this.seconds);
    return socket;
  }
}

class TimedHttpsAgent extends https.Agent {
  constructor(private readonly seconds: number, opts: https.AgentOptions) {
    super({ ...opts, keepAlive: false });
  }

  override createConnection(options: net.NetConnectOpts, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const socket = (https.Agent.prototype as unknown as { createConnection(o: net.NetConnectOpts, cb?: unknown): Duplex }).createConnection.call(this, options, callback);
    armAnswerTimeout(socket, this.seconds);
    return socket;
  }
}

/** dockerode's constructor options plus the `agent` docker-modem accepts but the typings omit. */
type ModemOptions = Dockerode.DockerOptions & { agent?: http.Agent };

export interface DockerClient {
  readonly api: Dockerode;
  readonly transport: DockerTransport;
  /** unix:///var/run/docker.sock, tcp://h:p, or the stream's label */
  readonly where: string;
  /** runs one API call and turns its failure into a DockerError that says what to do */
  call<T>(doing: string, fn: (api: Dockerode) => Promise<T>): Promise<T>;
  /** seconds the daemon has to start answering a request (0: no bound) */
  readonly timeoutSeconds: number;
  /** the same daemon without the answer timeout, for calls that wait on purpose (a container's exit) */
  untimed(): Promise<DockerClient>;
}

let dockerodeModule: Promise<typeof Dockerode> | undefined;
async function loadDockerode(): Promise<typeof Dockerode> {
  dockerodeModule ??= import('dockerode').then((m) => (m as unknown as { default: typeof Dockerode }).default ?? (m as unknown as typeof Dockerode));
  return dockerodeModule;
}

function modemOptions(transport: DockerTransport, seconds: number): ModemOptions {
  switch (transport.kind) {
    case 'unix':
      // host undefined explicitly: docker-modem merges DOCKER_HOST from the environment underneath
      return { socketPath: transport.socketPath, host: undefined, ...(seconds > 0 ? { agent: new TimedAgent(seconds) } : {}) };
    case 'tcp': {
      const tls = transport.tls;
      const opts: ModemOptions = {
        host: transport.host,
        port: transport.port,
        protocol: tls ? 'https' : 'http',
        socketPath: undefined,
      };
      if (tls) {
        // without a CA of its own, the daemon's certificate is checked against the default trust
        const ca = tls.ca ?? (tls.verify ? defaultTrustedCas() : undefined);
        if (ca) opts.ca = ca;
        if (tls.cert) opts.cert = tls.cert;
        if (tls.key) opts.key = tls.key;
        if (!tls.verify) opts.agent = new TimedHttpsAgent(seconds, { rejectUnauthorized: false, ca: tls.ca, cert: tls.cert, key: tls.key });
        else if (seconds > 0) opts.agent = new TimedHttpsAgent(seconds, { ca, cert: tls.cert, key: tls.key });
      } else if (seconds > 0) opts.agent = new TimedAgent(seconds);
      return opts;
    }
    case 'stream':
      // The socket path only makes docker-modem build a plain http request; the agent supplies the bytes.
      return { socketPath: DEFAULT_DOCKER_SOCKET, host: undefined, agent: new StreamAgent(transport.open, seconds) };
  }
}

/** `timeoutSeconds`: how long the daemon has to start answering each request (0: forever) */
export async function createDockerClient(transport: DockerTransport, timeoutSeconds = 0): Promise<DockerClient> {
  const Docker = await loadDockerode();
  const api = new Docker(modemOptions(transport, timeoutSeconds) as Dockerode.DockerOptions);
  const where = describeTransport(transport);
  let twin: Promise<DockerClient> | undefined;
  const client: DockerClient = {
    api,
    transport,
    where,
    timeoutSeconds,
    untimed: () => (timeoutSeconds > 0 ? (twin ??= createDockerClient(transport, 0)) : Promise.resolve(client)),
    async call<T>(doing: string, fn: (api: Dockerode) => Promise<T>): Promise<T> {
      try {
        return await fn(api);
      } catch (err) {
        throw explainDockerError(err, transport, doing);
      }
    },
  };
  return client;
}

const clientsByConnection = new WeakMap<Connection, Map<string, Promise<DockerClient>>>();
const localClients = new Map<string, Promise<DockerClient>>();

/**
 * The client a module running "on" `conn`'s host should use, as Ansible runs docker modules on
 * the target: locally the socket or TCP address from docker_host / DOCKER_HOST; on any other
 * transport the daemon's unix socket on that host, reached through conn.openUnixSocket.
 * Clients are cached per connection and address. `env` holds the DOCKER_* variables that apply:
 * a module's come from its target's environment and the task's `environment:` (Ansible's docker
 * modules read them on the target); the docker_api connection's own from the controller.
 */
export function dockerClientFor(
  conn: Connection | undefined,
  settings: DockerHostSettings = {},
  env: Record<string, string | undefined> = process.env,
  opts: { become?: BecomeOptions } = {},
): Promise<DockerClient> {
  let transport: DockerTransport;
  try {
    transport = resolveDockerTransport(settings, env);
  } catch (err) {
    return Promise.reject(err);
  }
  // TLS material can come from the environment, so it is part of what makes two clients the same
  const key = JSON.stringify([
    describeTransport(transport),
    settings,
    env.DOCKER_HOST ?? '',
    env.DOCKER_TLS_VERIFY ?? '',
    env.DOCKER_TLS ?? '',
    env.DOCKER_CERT_PATH ?? '',
  ]);
  if (!conn || conn.targetIsController) {
    let client = localClients.get(key);
    if (!client) {
      client = loadTlsMaterial(transport, (path) => readFile(path)).then((loaded) => createDockerClient(loaded, settings.timeoutSeconds ?? 0));
      localClients.set(key, client);
      // a failure (an unreadable certificate) is not remembered: the next task tries again
      client.catch(() => localClients.delete(key));
    }
    return client;
  }
  let perConn = clientsByConnection.get(conn);
  if (!perConn) {
    perConn = new Map();
    clientsByConnection.set(conn, perConn);
  }
  let client = perConn.get(key);
  if (!client) {
    client = remoteTransport(conn, transport, opts.become).then((remote) => createDockerClient(remote, settings.timeoutSeconds ?? 0));
    perConn.set(key, client);
    const cache = perConn;
    client.catch(() => cache.delete(key));
  }
  return client;
}

/** a TLS session over a stream the target opened (ssh2 direct-tcpip), checked as a direct one would be */
function tlsOver(raw: Duplex, host: string, tls: TlsMaterial): Duplex {
  return tlsConnect({
    socket: raw,
    host,
    servername: isIP(host) ? undefined : host,
    ca: tls.ca ?? (tls.verify ? defaultTrustedCas() : undefined),
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: tls.verify,
  });
}

/**
 * The daemon as the module would reach it running on the target: its unix socket through the
 * connection, a TCP address connected from the target (certificates read there, the TLS session
 * kept on this side). A connection that cannot open TCP from the target (docker exec) connects
 * from here, with the target's certificates.
 */
async function remoteTransport(conn: Connection, transport: DockerTransport, become?: BecomeOptions): Promise<DockerTransport> {
  if (transport.kind === 'tcp') {
    const loaded = await loadTlsMaterial(transport, (path) => conn.readFile(path, become ? { become } : {}), conn.host);
    const openTcp = conn.openTcp?.bind(conn);
    if (loaded.kind !== 'tcp' || !openTcp) return loaded;
    const { host, port, tls } = loaded;
    return {
      kind: 'stream',
      open: async () => {
        const raw = await openTcp(host, port);
        return tls ? tlsOver(raw, host, tls) : raw;
      },
      label: `${tls ? 'https' : 'tcp'}://${host}:${port} from ${conn.host}`,
    };
  }
  if (transport.kind !== 'unix') return transport;
  const open = conn.openUnixSocket?.bind(conn);
  if (!open) {
    throw new DockerHostError(
      `host ${conn.host}: its ${conn.transport} connection cannot open the Docker socket ${transport.socketPath} on that host; ` +
        'set docker_host to a tcp:// address or run the task over a connection that can (local or ssh)',
    );
  }
  const socketPath = transport.socketPath;
  return { kind: 'stream', open: () => open(socketPath), label: `unix://${socketPath} on ${conn.host}` };
}

/** Answers whether the daemon is there, with the same explanation a module would give. */
export async function pingDocker(client: DockerClient): Promise<void> {
  await client.call('connect', (api) => api.ping());
}

export function isDockerError(err: unknown): err is DockerError {
  return err instanceof DockerError;
}
