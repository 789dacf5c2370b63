/**
 * Opening one authenticated ssh2 Client for a resolved SshTarget: through its ProxyJump hops,
 * with the host key checked, the auth methods tried in OpenSSH's order, one retry when the
 * network (not the credentials or the host key) failed. Every failure is an UnreachableError
 * worded like Ansible's ("Failed to connect to the host via ssh: ..."), naming host:port and the
 * cause, never a key or a password.
 */
import { spawn } from 'node:child_process';
import { Duplex, type Readable } from 'node:stream';
import type * as Ssh2 from 'ssh2';
import { UnreachableError } from '../types.js';
import type { HostKeyVerdict, SshTarget } from './target.js';

type Ssh2Module = typeof Ssh2;
let ssh2Module: Promise<Ssh2Module> | undefined;

/** ssh2 (a CommonJS package with an optional native add-on) is loaded when the first SSH host is */
export function loadSsh2(): Promise<Ssh2Module> {
  ssh2Module ??= import('ssh2').then((m) => ((m as unknown as { default?: Ssh2Module }).default ?? m) as Ssh2Module);
  return ssh2Module;
}

/** an open connection and the jump-host connections it runs through (closed with it) */
export interface OpenClient {
  client: Ssh2.Client;
  /** outermost first */
  jumps: Ssh2.Client[];
}

/** why one attempt failed, and whether another attempt could help */
class AttemptError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

function where(t: SshTarget): string {
  return `${t.user}@${t.host}:${t.port}`;
}

/** a key that cannot be used as given is the user's mistake to fix, named by its file */
function checkKeys(ssh2: Ssh2Module, t: SshTarget): void {
  for (const k of t.privateKeys) {
    const parsed = ssh2.utils.parseKey(k.key, k.passphrase);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      const why = encrypted
        ? k.passphrase === undefined
          ? 'it is encrypted and no passphrase was given (--private-key-passphrase-file, or load it into ssh-agent)'
          : 'the passphrase given does not decrypt it'
        : `it cannot be read as a private key (${parsed.message})`;
      throw new AttemptError(`cannot use the private key ${k.path}: ${why}`, false);
    }
  }
}

interface AuthPlan {
  handler: Ssh2.AuthHandlerMiddleware;
  /** what was tried, for the failure message */
  tried: string[];
}

/**
 * OpenSSH's order: agent, then each key, then password, then keyboard-interactive answered with
 * the password. A method the server does not offer (its methods-left list) is skipped.
 */
function authPlan(t: SshTarget): AuthPlan {
  const steps: Array<{ label: string; method: Ssh2.AnyAuthMethod }> = [];
  const username = t.user;
  if (t.agent) steps.push({ label: `agent (${t.agent})`, method: { type: 'agent', username, agent: t.agent } });
  for (const k of t.privateKeys) {
    steps.push({ label: `key ${k.path}`, method: { type: 'publickey', username, key: k.key, passphrase: k.passphrase } });
  }
  if (t.password !== undefined) {
    const password = t.password;
    steps.push({ label: 'password', method: { type: 'password', username, password } });
    steps.push({
      label: 'keyboard-interactive',
      method: {
        type: 'keyboard-interactive',
        username,
        prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
      },
    });
  }
  const tried: string[] = [];
  let next = 0;
  const handler: Ssh2.AuthHandlerMiddleware = (methodsLeft, _partial, done) => {
    while (next < steps.length) {
      const step = steps[next++];
      const kind = step.method.type === 'agent' ? 'publickey' : step.method.type;
      if (methodsLeft && !methodsLeft.includes(kind)) continue;
      tried.push(step.label);
      done(step.method);
      return;
    }
    done(false as unknown as Ssh2.AuthenticationType);
  };
  return { handler, tried };
}

/** one attempt at one hop, over `sock` when it is reached through a jump host */
function attempt(ssh2: Ssh2Module, t: SshTarget, sock: Readable | undefined): Promise<Ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const plan = authPlan(t);
    let refusedKey: HostKeyVerdict | undefined;
    let settled = false;
    const fail = (err: AttemptError): void => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      // a late error from a dead socket must not become an unhandled 'error' event
      client.on('error', () => undefined);
      client.end();
      reject(err);
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      // small requests and their answers make up the work: no waiting for Nagle's algorithm
      client.setNoDelay(true);
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (refusedKey && !refusedKey.ok) return fail(new AttemptError(refusedKey.message, false));
      if (err.level === 'client-authentication') {
        const tried = plan.tried.length > 0 ? plan.tried.join(', ') : 'none: no agent, key or password was given';
        return fail(new AttemptError(`Permission denied for ${t.user} (tried: ${tried})`, false));
      }
      if (err.level === 'client-timeout') {
        return fail(new AttemptError(`Connection timed out during banner exchange or authentication (after ${t.connectTimeoutMs} ms)`, true));
      }
      const msg = err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
      fail(new AttemptError(msg, true));
    });
    client.on('close', () => fail(new AttemptError('Connection closed by remote host', true)));
    const config: Ssh2.ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.user,
      readyTimeout: t.connectTimeoutMs,
      keepaliveInterval: t.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      authHandler: plan.handler,
      sock,
      debug: process.env.TSPLAY_SSH_DEBUG ? (m: string) => process.stderr.write(`${Date.now() % 100000} [ssh ${t.host}:${t.port}] ${m}\n`) : undefined,
    };
    if (t.verifyHostKey) {
      const verify = t.verifyHostKey;
      config.hostVerifier = (key: Buffer): boolean => {
        const verdict = verify(key, t.host, t.port);
        if (!verdict.ok) refusedKey = verdict;
        return verdict.ok;
      };
    }
    try {
      client.connect(config);
    } catch (err) {
      fail(new AttemptError((err as Error).message, false));
    }
  });
}

/** a direct-tcpip channel from `via` to t's address: the next hop's socket */
function tunnel(via: Ssh2.Client, t: SshTarget, viaName: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    try {
      via.forwardOut('127.0.0.1', 0, t.host, t.port, (err, stream) => {
        if (err) reject(new AttemptError(`the jump host ${viaName} could not reach ${t.host}:${t.port}: ${err.message}`, true));
        else resolve(stream);
      });
    } catch (err) {
      reject(new AttemptError(`the jump host ${viaName} is gone: ${(err as Error).message}`, true));
    }
  });
}

/** a ProxyCommand's stdin and stdout as the connection's socket; the command ends with the connection */
interface ProxySocket {
  sock: Duplex;
  stop(): void;
  /**
   * why it ended, when it has: its exit status and the end of what it printed on stderr. A proxy
   * that closed its output is waited for (briefly: its exit is reported just after), one still
   * running is not the cause.
   */
  account(): Promise<string | undefined>;
}

function proxySocket(command: string): ProxySocket {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let outputEnded = false;
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-1000);
  });
  child.stdout!.once('end', () => {
    outputEnded = true;
  });
  const sock = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
  const ended = new Promise<string>((resolve) => {
    child.on('error', (err) => {
      resolve(`ProxyCommand could not start: ${err.message}`);
      sock.destroy();
    });
    child.on('close', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      resolve(`ProxyCommand '${command}' ${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    });
  });
  // a proxy that exits early (wrong bastion, missing program) closes the socket under ssh2
  child.stdin!.on('error', () => undefined);
  sock.on('error', () => undefined);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    sock,
    stop: () => {
      if (!exited()) child.kill('SIGTERM');
    },
    account: async () => {
      if (!exited() && !outputEnded && child.pid !== undefined) return undefined;
      return Promise.race([ended, new Promise<undefined>((r) => setTimeout(r, 1000))]);
    },
  };
}

async function openOnce(ssh2: Ssh2Module, target: SshTarget): Promise<OpenClient> {
  const hops = [...target.jumps, target];
  const opened: Ssh2.Client[] = [];
  const proxy = target.proxyCommand !== undefined && target.jumps.length === 0 ? proxySocket(target.proxyCommand) : undefined;
  try {
    let sock: Readable | undefined = proxy?.sock;
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i];
      checkKeys(ssh2, hop);
      if (i > 0) sock = await tunnel(opened[i - 1], hop, where(hops[i - 1]));
      try {
        opened.push(await attempt(ssh2, hop, sock));
      } catch (err) {
        if (i < hops.length - 1 && err instanceof AttemptError) {
          throw new AttemptError(`jump host ${where(hop)}: ${err.message}`, err.retryable);
        }
        throw err;
      }
    }
    const client = opened.pop()!;
    if (proxy) client.once('close', () => proxy.stop());
    return { client, jumps: opened };
  } catch (err) {
    for (const c of opened) c.end();
    if (proxy) {
      // the proxy's own account of the failure says more than "connection closed"
      const why = await proxy.account();
      proxy.stop();
      if (why !== undefined && err instanceof AttemptError) throw new AttemptError(why, err.retryable);
    }
    throw err;
  }
}

/**
 * Connects, retrying once after a short pause when the network failed (sshd's MaxStartups drops
 * a handshake now and then); a refused key, host key or password is final.
 */
export async function openClient(target: SshTarget): Promise<OpenClient> {
  const ssh2 = await loadSsh2();
  const fail = (err: unknown): UnreachableError => {
    const cause = err instanceof Error ? err.message : String(err);
    return new UnreachableError(`Failed to connect to the host via ssh: ${where(target)}: ${cause}`, target.inventoryHost);
  };
  try {
    return await openOnce(ssh2, target);
  } catch (err) {
    if (!(err instanceof AttemptError) || !err.retryable) throw fail(err);
  }
  await new Promise((r) => setTimeout(r, 250));
  try {
    return await openOnce(ssh2, target);
  } catch (err) {
    throw fail(err);
  }
}
