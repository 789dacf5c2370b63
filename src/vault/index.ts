/** ansible-vault: reading encrypted files and `!vault` values with the run's secrets */
export { decryptVault, isVaultText, setVaultSecrets, vaultSecrets, VaultError, type VaultSecret } from './keyring.js';
export { loadVaultSecrets, type VaultOptions, type AskPassword } from './sources.js';
export { encryptAes256 } from './cipher.js';
