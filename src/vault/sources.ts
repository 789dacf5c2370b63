/**
 * Where the run's vault secrets come from, in ansible-playbook's order: the configured vault ids
 * (vault_identity_list), then each `--vault-id [label@]source`, then each password file
 * (`--vault-password-file`, then ANSIBLE_VAULT_PASSWORD_FILE / vault_password_file), then the
 * prompt of `--ask-vault-pass`. A source is a file holding the password, an executable printing
 * it (a `*-client` script is asked `--vault-id <label>`), or `prompt`.
 * A source that fails is a warning while another one works, and the error when none does.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, extname, resolve } from 'node:path';
import { decryptVault, isVaultText, VaultError, type VaultSecret } from './keyring.js';

export interface VaultOptions {
  /** --vault-id values, as given */
  vaultIds: string[];
  /** --vault-password-file values */
  passwordFiles: string[];
  askVaultPass: boolean;
  /** vault_identity_list from the environment or ansible.cfg */
  configVaultIds?: string[];
  /** ANSIBLE_VAULT_PASSWORD_FILE or ansible.cfg's vault_password_file */
  configPasswordFile?: string;
}

/** asks for a password without echoing it (the CLI gives one that reads the terminal) */
export type AskPassword = (prompt: string) => Promise<string>;

const DEFAULT_ID = 'default';

function splitVaultId(slug: string): { label?: string; source: string } {
  const at = slug.indexOf('@');
  return at < 0 ? { source: slug } : { label: slug.slice(0, at), source: slug.slice(at + 1) };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** trailing newlines stripped, as Ansible strips them */
function stripNewlines(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  let start = 0;
  while (start < end && (b[start] === 0x0a || b[start] === 0x0d)) start++;
  return b.subarray(start, end);
}

function readPasswordFile(path: string, label: string | undefined, known: VaultSecret[]): Buffer {
  if (!existsSync(path)) throw new VaultError(`The vault password file ${path} was not found`);
  if (isExecutable(path)) {
    const client = basename(path, extname(path)).endsWith('-client');
    const args = client && label ? ['--vault-id', label] : [];
    const run = spawnSync(path, args, { stdio: ['inherit', 'pipe', client ? 'pipe' : 'inherit'], maxBuffer: 1 << 20 });
    const kind = client ? 'client script' : 'script';
    if (run.error) throw new VaultError(`Problem running vault password ${kind} ${path} (${run.error.message}). If this is not a script, remove the executable bit from the file.`);
    const stderr = run.stderr ? run.stderr.toString() : '';
    if (client && run.status === 2) throw new VaultError(`Vault password client script ${path} did not find a secret for vault-id=${label}: ${stderr}`);
    if (run.status !== 0) {
      throw new VaultError(
        client
          ? `Vault password client script ${path} returned non-zero (${run.status}) when getting secret for vault-id=${label}: ${stderr}`
          : `Vault password script ${path} returned non-zero (${run.status}): ${stderr}`,
      );
    }
    const pass = stripNewlines(run.stdout);
    if (pass.length === 0) throw new VaultError(`Invalid vault password was provided from script (${path})`);
    return pass;
  }
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new VaultError(`Could not read vault password file ${path}: ${(err as Error).message}`);
  }
  let pass: Buffer = Buffer.from(raw.toString('latin1').trim(), 'latin1');
  // a password file may itself be vaulted with a secret given before it
  if (isVaultText(pass)) pass = decryptVault(pass, path, known);
  pass = stripNewlines(pass);
  if (pass.length === 0) throw new VaultError(`Invalid vault password was provided from file (${path})`);
  return pass;
}

/** the secrets, or a VaultError when sources were given and none of them worked */
export async function loadVaultSecrets(opts: VaultOptions, cwd: string, ask: AskPassword, warn: (message: string) => void): Promise<VaultSecret[]> {
  const slugs = [...(opts.configVaultIds ?? []), ...opts.vaultIds];
  const files = [...opts.passwordFiles];
  if (opts.configPasswordFile) files.push(opts.configPasswordFile);
  for (const f of files) slugs.push(`${DEFAULT_ID}@${f}`);
  if (opts.askVaultPass) slugs.push(`${DEFAULT_ID}@prompt_ask_vault_pass`);
  const secrets: VaultSecret[] = [];
  let lastError: VaultError | undefined;
  for (const slug of slugs) {
    const { label, source } = splitVaultId(slug);
    const id = label || DEFAULT_ID;
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') {
      const answer = await ask(source === 'prompt' ? `Vault password (${id}): ` : 'Vault password: ');
      if (answer === '') {
        lastError = new VaultError('Invalid vault password was provided');
        warn(`Error in vault password prompt (${label ?? 'None'}): ${lastError.message}`);
        continue;
      }
      secrets.push({ id, bytes: Buffer.from(answer, 'utf8') });
      continue;
    }
    try {
      secrets.push({ id, bytes: readPasswordFile(resolve(cwd, source), label, secrets) });
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      lastError = err;
      warn(`Error getting vault password file (${label ?? 'None'}): ${err.message}`);
    }
  }
  if (lastError && secrets.length === 0) throw lastError;
  return secrets;
}
