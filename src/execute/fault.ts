/**
 * The fault boundary: whatever a task throws while it runs on a host becomes that host's result,
 * so one host's broken write never takes the other hosts (or the recap) down with it.
 *
 * Two shapes, as Ansible has them:
 *  - a module's own code failed (EACCES, ENOTDIR, EROFS...): what Ansible reports when a module
 *    process dies with a traceback, `MODULE FAILURE` with the error in `module_stderr`;
 *  - anything else raised while the task ran: `Unexpected failure during module execution: ...`
 *    with the stack in `exception` (shown in full at -vvv, as Ansible's callbacks do).
 * Transport errors (UnreachableError) are not handled here: they make the host UNREACHABLE.
 */
import type { ModuleResult } from '../modules/types.js';
import { BecomeProgramMissing } from '../connection/types.js';

const MODULE_FAILURE = 'MODULE FAILURE\nSee stdout/stderr for the exact error';

/** Python's strerror for the errno codes a file operation commonly meets (libuv words some differently) */
const STRERROR: Record<string, [number, string]> = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  EIO: [5, 'Input/output error'],
  EACCES: [13, 'Permission denied'],
  EBUSY: [16, 'Device or resource busy'],
  EEXIST: [17, 'File exists'],
  EXDEV: [18, 'Invalid cross-device link'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EINVAL: [22, 'Invalid argument'],
  ENOSPC: [28, 'No space left on device'],
  EROFS: [30, 'Read-only file system'],
  ENAMETOOLONG: [36, 'File name too long'],
  ENOTEMPTY: [39, 'Directory not empty'],
  ELOOP: [40, 'Too many levels of symbolic links'],
};

interface SystemErrorShape {
  code?: unknown;
  errno?: unknown;
  path?: unknown;
  dest?: unknown;
  message?: unknown;
}

/** an error as one line, system errors worded as Python's OSError: `[Errno 20] Not a directory: '/x'` */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as SystemErrorShape;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const known = code ? STRERROR[code] : undefined;
  if (known || (code && typeof e.errno === 'number')) {
    const [num, words] = known ?? [Math.abs(e.errno as number), libuvWords(err.message, code!)];
    const paths = [e.path, e.dest].filter((p): p is string => typeof p === 'string').map((p) => `'${p}'`);
    return `[Errno ${num}] ${words}${paths.length ? `: ${paths.join(' -> ')}` : ''}`;
  }
  return err.message || err.name;
}

/** "EFOO: some words, open '/x'" → "Some words" */
function libuvWords(message: string, code: string): string {
  const m = new RegExp(`^${code}: ([^,]+)`).exec(message);
  const words = m ? m[1] : message;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** a module whose code threw: the host's failed result */
export function moduleFailure(err: unknown): ModuleResult {
  // sudo/su missing on the target: the shell's words are the module's output, as Ansible shows them
  if (err instanceof BecomeProgramMissing) return { changed: false, failed: true, module_stderr: '', module_stdout: err.said, msg: MODULE_FAILURE, rc: err.rc };
  return { changed: false, failed: true, module_stderr: errorText(err), module_stdout: '', msg: MODULE_FAILURE, rc: 1 };
}

/** anything else thrown while the task ran on the host */
export function unexpectedFailure(err: unknown): ModuleResult {
  const text = errorText(err);
  // the stack with the error last, as a Python traceback ends: the line callbacks quote at -v
  const frames = err instanceof Error && err.stack ? err.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n') : '';
  return {
    failed: true,
    msg: `Unexpected failure during module execution: ${text}`,
    exception: `${frames ? `${frames}\n` : ''}${err instanceof Error ? err.name : 'Error'}: ${text}\n`,
    stdout: '',
  };
}
