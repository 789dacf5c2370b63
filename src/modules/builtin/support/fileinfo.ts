/**
 * File information as modules use it: the contract's FileInfo, whose detail fields (nlink, inode,
 * raw mode…) are optional, so every module still works on a connection that fills only the basics.
 */
import type { FileInfo } from '../../../connection/types.js';

export type FileInfoDetail = FileInfo;

/** Ansible's file "state" of a path: absent, link, directory, hard (nlink > 1) or file */
export type PathState = 'absent' | 'link' | 'directory' | 'hard' | 'file';

/** Python's '0%03o' rendering of permission bits */
export function octalMode(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

export const S_IFMT = 0o170000;
export const TYPE_BITS = { dir: 0o040000, chr: 0o020000, blk: 0o060000, reg: 0o100000, fifo: 0o010000, lnk: 0o120000, sock: 0o140000 };

/** st_mode with the file type bits, from the transport's raw mode or rebuilt from type + permissions */
export function rawMode(info: FileInfoDetail): number {
  if (info.rawMode !== undefined) return info.rawMode;
  const type = info.type === 'directory' ? TYPE_BITS.dir : info.type === 'link' ? TYPE_BITS.lnk : info.type === 'file' ? TYPE_BITS.reg : 0;
  return type | info.mode;
}

/** the stat fields stat and find report alike, in Ansible's key order (mode … ctime) */
export function statCore(info: FileInfoDetail): Record<string, unknown> {
  const mode = rawMode(info);
  const fmt = mode & S_IFMT;
  return {
    mode: (mode & 0o7777).toString(8).padStart(4, '0'),
    isdir: fmt === TYPE_BITS.dir,
    ischr: fmt === TYPE_BITS.chr,
    isblk: fmt === TYPE_BITS.blk,
    isreg: fmt === TYPE_BITS.reg,
    isfifo: fmt === TYPE_BITS.fifo,
    islnk: fmt === TYPE_BITS.lnk,
    issock: fmt === TYPE_BITS.sock,
    uid: info.uid,
    gid: info.gid,
    size: info.size,
    inode: info.ino,
    dev: info.dev,
    nlink: info.nlink,
    atime: info.atimeMs / 1000,
    mtime: info.mtimeMs / 1000,
    ctime: info.ctimeMs !== undefined ? info.ctimeMs / 1000 : undefined,
  };
}

/** the permission booleans stat and find report alike (wusr … isgid) */
export function permissionFlags(mode: number): Record<string, boolean> {
  return {
    wusr: !!(mode & 0o200),
    rusr: !!(mode & 0o400),
    xusr: !!(mode & 0o100),
    wgrp: !!(mode & 0o020),
    rgrp: !!(mode & 0o040),
    xgrp: !!(mode & 0o010),
    woth: !!(mode & 0o002),
    roth: !!(mode & 0o004),
    xoth: !!(mode & 0o001),
    isuid: !!(mode & 0o4000),
    isgid: !!(mode & 0o2000),
  };
}
