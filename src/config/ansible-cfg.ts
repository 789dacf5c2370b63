/**
 * The few ansible.cfg settings tsplay honours, found where Ansible looks: $ANSIBLE_CONFIG,
 * ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg (the first that exists).
 * Environment variables win over the file, as in Ansible.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';

export interface AnsibleConfig {
  file?: string;
  /** [defaults] roles_path, resolved against the file's directory */
  rolesPath?: string[];
  /** every `key = value` of the file, as `section.key` (connection settings read by src/connection/ssh/settings.ts) */
  values: Map<string, string>;
  /** [defaults] vault_password_file, resolved against the file's directory */
  vaultPasswordFile?: string;
  /** [defaults] vault_identity_list */
  vaultIdentityList?: string[];
}

let cached: AnsibleConfig | undefined;

export function ansibleConfig(): AnsibleConfig {
  if (cached) return cached;
  const candidates = [process.env.ANSIBLE_CONFIG, resolve('ansible.cfg'), resolve(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg'];
  const file = candidates.find((c): c is string => typeof c === 'string' && c !== '' && existsSync(c));
  cached = { file, values: new Map() };
  if (!file) return cached;
  let section = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    cached.values.set(`${section}.${key}`, value);
    if (section !== 'defaults') continue;
    if (key === 'vault_password_file' && value !== '') cached.vaultPasswordFile = resolve(dirname(file), value.replace(/^~(?=\/)/, homedir()));
    if (key === 'vault_identity_list') cached.vaultIdentityList = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (key === 'roles_path') {
      cached.rolesPath = value.split(':').filter((p) => p !== '').map((p) => (isAbsolute(p) ? p : resolve(dirname(file), p.replace(/^~(?=\/)/, homedir()))));
    }
  }
  return cached;
}
