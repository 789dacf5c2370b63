/**
 * The target's Python, found once per connection: the ansible_python_interpreter variable when
 * set, else the first of Ansible's 'auto' fallback list that exists on the target (what Ansible
 * finds on the Debian-family hosts tsplay targets: /usr/bin/python3 first).
 */
import type { Connection } from '../../connection/types.js';

// the order of ansible-core 2.14's INTERPRETER_PYTHON_FALLBACK
const CANDIDATES = [
  'python3.11', 'python3.10', 'python3.9', 'python3.8', 'python3.7', 'python3.6', 'python3.5',
  '/usr/bin/python3', '/usr/libexec/platform-python', 'python2.7', '/usr/bin/python', 'python',
];

const found = new WeakMap<Connection, Promise<string | null>>();

async function discover(conn: Connection): Promise<string | null> {
  // /usr/bin/python3 is what the auto mode's distribution map names for Debian and Ubuntu
  const list = ['/usr/bin/python3', ...CANDIDATES.filter((c) => c !== '/usr/bin/python3')];
  const script = `for p in ${list.join(' ')}; do command -v "$p" 2>/dev/null && exit 0; done; exit 1`;
  const r = await conn.exec(['/bin/sh', '-c', script]);
  const line = r.stdout.trim().split('\n')[0];
  return r.rc === 0 && line ? line : null;
}

export interface Interpreter {
  path: string | null;
  /** true when it was discovered now (Ansible reports it as the discovered_interpreter_python fact) */
  discovered: boolean;
}

export async function targetPython(conn: Connection, configured: unknown): Promise<Interpreter> {
  if (typeof configured === 'string' && configured !== '' && configured !== 'auto' && configured !== 'auto_silent' && configured !== 'auto_legacy' && configured !== 'auto_legacy_silent') {
    return { path: configured, discovered: false };
  }
  let p = found.get(conn);
  const fresh = p === undefined;
  if (!p) {
    p = discover(conn).catch((err: unknown) => {
      found.delete(conn);
      throw err;
    });
    found.set(conn, p);
  }
  return { path: await p, discovered: fresh };
}
