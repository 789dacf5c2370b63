/** The run's vault secrets from the flags, the environment and ansible.cfg, set before anything loads. */
import { ansibleConfig } from '../config/ansible-cfg.js';
import { loadVaultSecrets, setVaultSecrets } from '../vault/index.js';
import { askPassword } from '../vault/prompt.js';

export interface VaultFlags {
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
}

export async function setupVault(flags: VaultFlags, cwd: string): Promise<void> {
  const cfg = ansibleConfig();
  const envIds = process.env.ANSIBLE_VAULT_IDENTITY_LIST;
  const envFile = process.env.ANSIBLE_VAULT_PASSWORD_FILE;
  const secrets = await loadVaultSecrets(
    {
      vaultIds: flags.vaultId ?? [],
      passwordFiles: flags.vaultPasswordFile ?? [],
      askVaultPass: flags.askVaultPass ?? false,
      configVaultIds: envIds !== undefined ? envIds.split(',').map((s) => s.trim()).filter((s) => s !== '') : cfg.vaultIdentityList,
      configPasswordFile: envFile !== undefined && envFile !== '' ? envFile : cfg.vaultPasswordFile,
    },
    cwd,
    askPassword,
    (message) => process.stderr.write(`[WARNING]: ${message}\n`),
  );
  setVaultSecrets(secrets);
}
