/**
 * The corpus of public roles (vendored under roles/, pinned: SOURCES.md records source, commit and
 * licence). Each runs unchanged; `vars` are what a user of the role would set in a container
 * without systemd, the same for both tools. `quick` roles run in `npm test`; the rest with
 * scripts/realworld-roles.sh. `known` names a difference between the tools that is understood
 * (SOURCES.md explains it): such a role is reported, not failed.
 */
export interface CorpusRole {
  /** directory under roles/ and the role name in the playbook */
  name: string;
  /** github owner/name */
  repo: string;
  vars?: Record<string, unknown>;
  quick?: boolean;
  known?: string;
}

export const CORPUS: CorpusRole[] = [
  { name: 'geerlingguy.ntp', repo: 'geerlingguy/ansible-role-ntp', vars: { ntp_timezone: 'Etc/UTC' } },
  {
    name: 'geerlingguy.git',
    repo: 'geerlingguy/ansible-role-git',
    known: "tsplay refuses the playbook up front: its source-install branch (not taken on Debian) uses unarchive, which needs Ansible's action plugin",
  },
  { name: 'geerlingguy.pip', repo: 'geerlingguy/ansible-role-pip' },
  { name: 'geerlingguy.memcached', repo: 'geerlingguy/ansible-role-memcached' },
  { name: 'geerlingguy.redis', repo: 'geerlingguy/ansible-role-redis' },
  { name: 'geerlingguy.nginx', repo: 'geerlingguy/ansible-role-nginx' },
  { name: 'geerlingguy.apache', repo: 'geerlingguy/ansible-role-apache' },
  { name: 'geerlingguy.security', repo: 'geerlingguy/ansible-role-security' },
  { name: 'geerlingguy.postfix', repo: 'geerlingguy/ansible-role-postfix' },
  { name: 'geerlingguy.haproxy', repo: 'geerlingguy/ansible-role-haproxy' },
  { name: 'geerlingguy.samba', repo: 'geerlingguy/ansible-role-samba' },
  {
    name: 'geerlingguy.munin-node',
    repo: 'geerlingguy/ansible-role-munin-node',
    known: "tsplay refuses the playbook up front: its RedHat branch (not taken on Debian) uses yum, which needs Ansible's action plugin",
  },
  { name: 'oefenweb.fail2ban', repo: 'Oefenweb/ansible-fail2ban' },
  { name: 'oefenweb.ntp', repo: 'Oefenweb/ansible-ntp' },
  { name: 'oefenweb.timezone', repo: 'Oefenweb/ansible-timezone' },
  { name: 'oefenweb.locales', repo: 'Oefenweb/ansible-locales' },
  { name: 'oefenweb.ssh-server', repo: 'Oefenweb/ansible-ssh-server' },
  { name: 'oefenweb.rsyslog', repo: 'Oefenweb/ansible-rsyslog' },
  { name: 'oefenweb.dnsmasq', repo: 'Oefenweb/ansible-dnsmasq' },
  { name: 'oefenweb.postfix', repo: 'Oefenweb/ansible-postfix' },
  { name: 'oefenweb.sudoers', repo: 'Oefenweb/ansible-sudoers', quick: true },
  { name: 'weareinteractive.sudo', repo: 'weareinteractive/ansible-sudo', quick: true },
];
