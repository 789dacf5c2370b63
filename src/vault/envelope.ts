/**
 * The ansible-vault text format: a header line `$ANSIBLE_VAULT;<version>;<cipher>[;<vault id>]`
 * (1.1 has no id, 1.2 names one), then the payload hexlified and wrapped at 80 columns. The
 * payload unhexlified is three lines: the salt, the HMAC and the ciphertext, each hex again.
 */
export const VAULT_HEADER = '$ANSIBLE_VAULT';

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** the id a 1.2 header names; undefined for 1.1 */
  vaultId?: string;
  salt: Buffer;
  /** the HMAC as written (hex text, compared as text like Ansible does) */
  hmacHex: string;
  ciphertext: Buffer;
}

/** whether text (or bytes) is vault-encrypted data: it starts with the header, as Ansible's is_encrypted decides */
export function isVaultText(data: string | Buffer): boolean {
  return typeof data === 'string' ? data.startsWith(VAULT_HEADER) : data.subarray(0, VAULT_HEADER.length).toString('latin1') === VAULT_HEADER;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function unhex(text: string, what: string): Buffer {
  if (!HEX.test(text)) throw new VaultFormatError(`Vault format unhexlify error: ${what} is not hexadecimal text of even length`);
  return Buffer.from(text, 'hex');
}

/** a malformed envelope; the message names no secret and no plaintext */
export class VaultFormatError extends Error {}

export function parseEnvelope(text: string): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim());
  const header = (lines[0] ?? '').split(';');
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new VaultFormatError('Vault envelope format error: the header line is not $ANSIBLE_VAULT;<version>;<cipher>');
  const [, version, cipher, vaultId] = header;
  const outer = unhex(lines.slice(1).join(''), 'the vault payload').toString('latin1');
  const parts = outer.split('\n');
  if (parts.length < 3) throw new VaultFormatError('Vault vaulttext format error: expected salt, HMAC and ciphertext');
  const [saltHex, hmacHex] = parts;
  const cipherHex = parts.slice(2).join('\n');
  return {
    version: version.trim(),
    cipher: cipher.trim(),
    vaultId: version.trim() === '1.2' && vaultId !== undefined && vaultId.trim() !== '' ? vaultId.trim() : undefined,
    salt: unhex(saltHex, 'the salt'),
    hmacHex,
    ciphertext: unhex(cipherHex, 'the ciphertext'),
  };
}
