/**
 * Which Python on the controller has ansible-core: the one ansible-playbook itself runs with (its
 * shebang), so the fallback uses exactly the ansible-core and collections `ansible-playbook` would.
 * TSPLAY_ANSIBLE_PYTHON overrides it; plain python3 on PATH is the last resort.
 */
import { accessSync, constants, openSync, readSync, closeSync } from 'node:fs';
import { delimiter, join } from 'node:path';

let cached: string | null | undefined;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function shebangOf(file: string): string | undefined {
  try {
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const first = buf.subarray(0, n).toString('utf8').split('\n')[0];
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (!m) return undefined;
    // `#!/usr/bin/env python3` names the interpreter in its argument
    if (m[1].endsWith('/env') && m[2]) return onPath(m[2]);
    return m[1];
  } catch {
    return undefined;
  }
}

/** the controller's Python with ansible-core, or null when ansible-playbook is not installed */
export function controllerPython(): string | null {
  if (cached !== undefined) return cached;
  const forced = process.env.TSPLAY_ANSIBLE_PYTHON;
  if (forced) return (cached = forced);
  const playbook = onPath('ansible-playbook');
  cached = (playbook && shebangOf(playbook)) ?? onPath('python3') ?? null;
  return cached;
}
