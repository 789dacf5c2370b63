/**
 * Connection and become passwords from the command line, as ansible-playbook gets them: asked on
 * the terminal without echo (-k "SSH password: ", -K "BECOME password: "), or read from a file
 * (--connection-password-file, --become-password-file; `-` is stdin, an executable file is run
 * and its output used), trailing newlines stripped, an empty password refused.
 * Passwords go nowhere else: not into argv, messages or reports.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { EXIT, UserError } from '../util/errors.js';

export function readPasswordFile(path: string, what: string): string {
  let secret: string;
  if (path === '-') {
    secret = readFileSync(0, 'utf8');
  } else if (!existsSync(path)) {
    throw new UserError(`The password file ${path} was not found (${what})`, undefined, EXIT.usage);
  } else if (isExecutable(path)) {
    const r = spawnSync(path, [], { encoding: 'utf8' });
    if (r.error) throw new UserError(`Problem occurred when trying to run the password script ${path} (${r.error.message}). If this is not a script, remove the executable bit from the file.`, undefined, EXIT.usage);
    if (r.status !== 0) throw new UserError(`The password script ${path} returned an error (rc=${r.status}): ${r.stderr}`, undefined, EXIT.usage);
    secret = r.stdout;
  } else {
    try {
      secret = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new UserError(`Could not read password file ${path}: ${(err as Error).message}`, undefined, EXIT.usage);
    }
  }
  secret = secret.replace(/^[\r\n]+|[\r\n]+$/g, '');
  if (secret === '') throw new UserError(`Empty password was provided from file (${path})`, undefined, EXIT.usage);
  return secret;
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** asks on the terminal without echo; no terminal is a usage error naming the file flag to use instead */
export async function promptSecret(prompt: string, alternative: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new UserError(`${prompt.replace(/: $/, '')} was asked for, but stdin is not a terminal: use ${alternative} instead`, undefined, EXIT.usage);
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: string) => {
        for (const c of chunk) {
          if (c === '\r' || c === '\n') {
            input.off('data', onData);
            resolve(typed);
            return;
          }
          if (c === '\u0003') {
            input.off('data', onData);
            reject(new UserError('interrupted while asking for a password', undefined, EXIT.usage));
            return;
          }
          if (c === '\u0004' && typed === '') {
            input.off('data', onData);
            resolve('');
            return;
          }
          if (c === '\u007f' || c === '\b') typed = typed.slice(0, -1);
          else typed += c;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    process.stderr.write('\n');
  }
}

export interface PasswordFlags {
  askPass?: boolean;
  connectionPasswordFile?: string;
  askBecomePass?: boolean;
  becomePasswordFile?: string;
  privateKeyPassphraseFile?: string;
}

/** the run's passwords, asked or read in ansible-playbook's order (SSH first; an empty BECOME answer reuses it) */
export async function collectPasswords(flags: PasswordFlags): Promise<{ connectionPassword?: string; becomePassword?: string; keyPassphrase?: string }> {
  let connectionPassword: string | undefined;
  let becomePassword: string | undefined;
  let becomePrompt = 'BECOME password: ';
  if (flags.askPass) {
    connectionPassword = await promptSecret('SSH password: ', '--connection-password-file');
    becomePrompt = 'BECOME password[defaults to SSH password]: ';
  } else if (flags.connectionPasswordFile) connectionPassword = readPasswordFile(flags.connectionPasswordFile, '--connection-password-file');
  if (flags.askBecomePass) {
    becomePassword = await promptSecret(becomePrompt, '--become-password-file');
    if (flags.askPass && becomePassword === '') becomePassword = connectionPassword;
  } else if (flags.becomePasswordFile) becomePassword = readPasswordFile(flags.becomePasswordFile, '--become-password-file');
  const keyPassphrase = flags.privateKeyPassphraseFile ? readPasswordFile(flags.privateKeyPassphraseFile, '--private-key-passphrase-file') : undefined;
  return { connectionPassword: connectionPassword || undefined, becomePassword: becomePassword || undefined, keyPassphrase };
}
