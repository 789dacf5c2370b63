/**
 * `mkdir -p` that always ends. Node's own recursive mkdir loops forever where a file system
 * answers ENOENT for a directory whose parent exists (/proc/x: procfs refuses new entries with
 * ENOENT, which Node takes for "parent missing", creates nothing and retries), so each missing
 * level is created once here and the first refusal is the error.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function mkdirParents(p: string): void {
  const missing: string[] = [];
  for (let dir = resolve(p); ; dir = dirname(dir)) {
    try {
      statSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(dir);
      if (dirname(dir) === dir) break;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // created meanwhile by someone else: fine when it is a directory
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw err;
    }
  }
  // an existing non-directory at `p` is an error, as mkdir -p makes it
  if (!statSync(p).isDirectory()) {
    throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${p}'`), { code: 'EEXIST', errno: -17, syscall: 'mkdir', path: p });
  }
}
