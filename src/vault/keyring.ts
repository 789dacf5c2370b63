/**
 * The run's vault secrets and decryption with them, as ansible-core 2.14's VaultLib.decrypt does
 * it: a secret whose id matches the 1.2 header's id is tried first, then every other secret in
 * the order given. Errors carry Ansible's wording and name the file, never the plaintext.
 */
import { UserError, EXIT } from '../util/errors.js';
import { decryptAes256 } from './cipher.js';
import { isVaultText, parseEnvelope, VaultFormatError } from './envelope.js';

export interface VaultSecret {
  /** the vault id (`default` when none was given) */
  id: string;
  bytes: Buffer;
}

let secrets: VaultSecret[] = [];

/** set once per run, by the CLI, before anything is loaded */
export function setVaultSecrets(list: VaultSecret[]): void {
  secrets = list;
}

export function vaultSecrets(): readonly VaultSecret[] {
  return secrets;
}

/** a vault problem: Ansible's message, exit code 1 as ansible-playbook gives */
export class VaultError extends UserError {
  constructor(message: string) {
    super(message, undefined, EXIT.error);
    this.name = 'VaultError';
  }
}

/**
 * The plaintext of vault text, or a VaultError. `source` (a file name) is only used in messages;
 * inline values get Ansible's messages without it.
 */
export function decryptVault(text: string | Buffer, source?: string, keyring: readonly VaultSecret[] = secrets): Buffer {
  const data = typeof text === 'string' ? text : text.toString('latin1');
  const on = source ? ` on ${source}` : '';
  if (!isVaultText(data.trimStart())) throw new VaultError(`input is not vault encrypted data. ${source ? `${source} is not a vault encrypted file` : ''}`.trim());
  let envelope;
  try {
    envelope = parseEnvelope(data);
  } catch (err) {
    if (err instanceof VaultFormatError) throw new VaultError(`${source ? `Vault format error in ${source}: ` : ''}${err.message}`);
    throw err;
  }
  if (envelope.cipher !== 'AES256') throw new VaultError(`${envelope.cipher} cipher could not be found`);
  if (keyring.length === 0) throw new VaultError('Attempting to decrypt but no vault secrets found');
  const ordered = envelope.vaultId
    ? [...keyring.filter((s) => s.id === envelope.vaultId), ...keyring.filter((s) => s.id !== envelope.vaultId)]
    : keyring;
  for (const secret of ordered) {
    const plain = decryptAes256(envelope, secret.bytes);
    if (plain) return plain;
  }
  throw new VaultError(`Decryption failed (no vault secrets were found that could decrypt)${on}`);
}

export { isVaultText };
