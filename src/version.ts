/** tsplay's version, shown by --version and exposed to playbooks as `tsplay_version` */
export const VERSION = '0.1.0';
