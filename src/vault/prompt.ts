/**
 * Asking for a vault password as getpass does: the prompt and the answer go through the
 * terminal (/dev/tty) with echo off; without a terminal, a line is read from stdin.
 */
import { openSync, readSync, closeSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

function readLine(fd: number): string {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    const n = readSync(fd, one, 0, 1, null);
    if (n === 0 || one[0] === 0x0a) break;
    if (one[0] !== 0x0d) bytes.push(one[0]);
  }
  return Buffer.from(bytes).toString('utf8');
}

function stty(args: string[], tty: number): void {
  spawnSync('stty', args, { stdio: [tty, 'ignore', 'ignore'] });
}

export async function askPassword(prompt: string): Promise<string> {
  let tty: number | undefined;
  try {
    tty = openSync('/dev/tty', 'r+');
  } catch {
    tty = undefined;
  }
  if (tty === undefined) {
    process.stderr.write(prompt);
    return readLine(0);
  }
  try {
    writeSync(tty, prompt);
    stty(['-echo'], tty);
    try {
      return readLine(tty);
    } finally {
      stty(['echo'], tty);
      writeSync(tty, '\n');
    }
  } finally {
    closeSync(tty);
  }
}
