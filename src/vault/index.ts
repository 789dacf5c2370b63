/** ansible-vault: reading encrypted files and `!vault` values with the run's secrets */
export { decryptVault, isVaultText, setVaultSecrets, vaultSecrets, VaultError, type VaultSecret } from './keyring.js';
export { loadVaultSecrets, type VaultOptions, type AskPassword } from './sources.js';
export { encryptAes256 } from './cipher.js';

import { decryptVault, isVaultText } from './keyring.js';

/** a controller file's bytes as modules use them: the plaintext when ansible-vault encrypted it */
export function decryptIfVaulted(data: Buffer, path: string): Buffer {
  return isVaultText(data) ? decryptVault(data, path) : data;
}
