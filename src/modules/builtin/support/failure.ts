/**
 * A module stops early with Ansible's failure result (msg plus whatever keys Ansible adds).
 * Thrown inside a module's helpers and turned back into a plain result value at the module's
 * edge by `settle`, so no helper has to thread "failed" through every return.
 */
import type { ModuleResult } from '../../types.js';

export class ModuleFailure extends Error {
  constructor(readonly result: ModuleResult & { msg: string }) {
    super(result.msg);
    this.name = 'ModuleFailure';
  }
}

export function fail(msg: string, extra: Record<string, unknown> = {}): never {
  throw new ModuleFailure({ msg, ...extra });
}

/** Python's rendering of an OSError: "[Errno 2] No such file or directory: b'/x'" */
export function errnoText(err: unknown, path?: string): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, [number, string]> = {
    ENOENT: [2, 'No such file or directory'],
    EACCES: [13, 'Permission denied'],
    EPERM: [1, 'Operation not permitted'],
    EEXIST: [17, 'File exists'],
    ENOTDIR: [20, 'Not a directory'],
    EISDIR: [21, 'Is a directory'],
    ENOTEMPTY: [39, 'Directory not empty'],
    EXDEV: [18, 'Invalid cross-device link'],
    ELOOP: [40, 'Too many levels of symbolic links'],
    EROFS: [30, 'Read-only file system'],
    ENOSPC: [28, 'No space left on device'],
  };
  const entry = e?.code ? known[e.code] : undefined;
  const where = path ?? e?.path;
  if (entry) return `[Errno ${entry[0]}] ${entry[1]}${where !== undefined ? `: '${where}'` : ''}`;
  return e?.message ?? String(err);
}

/** The errno number Python would report, for results that carry rc = errno. */
export function errnoNumber(err: unknown): number | undefined {
  const code = (err as NodeJS.ErrnoException)?.code;
  const numbers: Record<string, number> = { ENOENT: 2, EACCES: 13, EPERM: 1, ENOTDIR: 20, EISDIR: 21, ENOEXEC: 8 };
  return code ? numbers[code] : undefined;
}
