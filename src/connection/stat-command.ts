/**
 * stat(1) as the transports run it where node:fs or SFTP cannot serve (a become user, or a
 * target reached only through commands): one command prints every FileInfo field, and a link's
 * target, or exits 44 when nothing is there. One format and one parser for local, SSH and Docker.
 */
import type { FileInfo, FileType } from './types.js';

/** mode (in hex), size, uid, gid, mtime, atime, ctime (ns precision), links, inode, device, blocks and their unit */
const FORMAT = '%f %s %u %g %.9Y %.9X %.9Z %h %i %d %b %B';

const MISSING = 44;

export function fileTypeOfMode(mode: number): FileType {
  switch (mode & 0o170000) {
    case 0o120000:
      return 'link';
    case 0o040000:
      return 'directory';
    case 0o100000:
      return 'file';
    default:
      return 'other';
  }
}

/** the shell command for `quotedPath` (already shell-quoted): lstat unless `follow` */
export function statScript(quotedPath: string, follow: boolean): string {
  return (
    `[ -e ${quotedPath} ] || [ -L ${quotedPath} ] || exit ${MISSING}; ` +
    `stat ${follow ? '-L ' : ''}-c '${FORMAT}' -- ${quotedPath} || exit 1; ` +
    (follow ? '' : `if [ -L ${quotedPath} ]; then readlink -- ${quotedPath}; fi`)
  );
}

/** statScript's answer as FileInfo; null when the path is not there; an Error naming `where` otherwise */
export function parseStatAnswer(rc: number, stdout: string, stderr: string, path: string, where: string): FileInfo | null {
  if (rc === MISSING) return null;
  if (rc !== 0) {
    if (/No such file or directory|Not a directory/.test(stderr)) return null;
    const err = new Error(stderr.trim() || `stat ${path} failed ${where}`) as NodeJS.ErrnoException;
    if (/Permission denied/.test(stderr)) err.code = 'EACCES';
    throw err;
  }
  const [first, ...rest] = stdout.split('\n');
  const [rawMode, size, uid, gid, mtime, atime, ctime, nlink, ino, dev, blocks, blockUnit] = first.trim().split(' ');
  const mode = parseInt(rawMode, 16);
  const info: FileInfo = {
    type: fileTypeOfMode(mode),
    mode: mode & 0o7777,
    size: Number(size),
    uid: Number(uid),
    gid: Number(gid),
    mtimeMs: Number(mtime) * 1000,
    atimeMs: Number(atime) * 1000,
    ctimeMs: Number(ctime) * 1000,
    nlink: Number(nlink),
    ino: Number(ino),
    dev: Number(dev),
    // stat(1) counts blocks in %B-byte units; st_blocks is always in 512-byte units
    blocks: (Number(blocks) * Number(blockUnit)) / 512,
    rawMode: mode,
  };
  if (info.type === 'link') info.linkTarget = rest.join('\n').replace(/\n$/, '');
  return info;
}
