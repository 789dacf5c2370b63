/**
 * Everything the SSH transport needs to reach one host, fully resolved: the seam between
 * resolve.ts (inventory variables, CLI flags, ansible.cfg, ~/.ssh/config, known_hosts: what to
 * connect to and how) and connection.ts (ssh2: doing it). Nothing here is templated or looked up
 * any more; a test can build one by hand.
 */

/** a private key as read from disk, with where it came from for messages */
export interface PrivateKeySource {
  /** the file it was read from (shown in messages; never the key itself) */
  path: string;
  key: Buffer;
  /** for an encrypted key, from --private-key-passphrase-file */
  passphrase?: string;
}

/** what a host-key check says about the key a server offered */
export type HostKeyVerdict =
  | { ok: true }
  | {
      ok: false;
      /** the whole message for the user: which key was offered, where it was looked for, how to accept it */
      message: string;
    };

/** decides whether a server's host key is acceptable for host:port */
export type HostKeyVerifier = (key: Buffer, host: string, port: number) => HostKeyVerdict;

export interface SshTarget {
  /** the inventory hostname (messages, UnreachableError) */
  inventoryHost: string;
  /** address to connect to (ansible_host / HostName), and how */
  host: string;
  port: number;
  user: string;
  /** tried in this order, as OpenSSH does: agent, then keys, then password (also keyboard-interactive) */
  agent?: string;
  privateKeys: PrivateKeySource[];
  password?: string;
  /** undefined: no checking (host_key_checking = False / StrictHostKeyChecking=no) */
  verifyHostKey?: HostKeyVerifier;
  /** ProxyJump hops, outermost first; each is reached through the previous one */
  jumps: SshTarget[];
  /**
   * ProxyCommand, tokens expanded: run by /bin/sh on this machine, its stdin and stdout carry
   * the connection (e.g. `ssh -W %h:%p bastion`)
   */
  proxyCommand?: string;
  /** TCP connect + handshake + auth, ms (ansible_ssh_timeout / -T / timeout; Ansible's default 10 s) */
  connectTimeoutMs: number;
  /** keepalive interval, ms; 0 turns keepalives off */
  keepaliveIntervalMs: number;
}
