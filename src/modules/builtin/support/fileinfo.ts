/**
 * The fields some connections (LocalConnection) add beyond the Connection contract's FileInfo.
 * Optional, so every module still works on a connection that only fills the contract.
 */
import type { FileInfo } from '../../../connection/types.js';

export interface FileInfoDetail extends FileInfo {
  ctimeMs?: number;
  nlink?: number;
  ino?: number;
  dev?: number;
  rdev?: number;
  blocks?: number;
  blksize?: number;
  rawMode?: number;
}

/** Ansible's file "state" of a path: absent, link, directory, hard (nlink > 1) or file */
export type PathState = 'absent' | 'link' | 'directory' | 'hard' | 'file';

/** Python's '0%03o' rendering of permission bits */
export function octalMode(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}
