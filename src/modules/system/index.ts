/**
 * System modules (accounts, services, kernel and host settings): registered by
 * src/modules/registry.ts under their FQCN and, for ansible.builtin, their short name.
 */
import type { ModuleDefinition } from '../types.js';
import { groupModule } from './group.js';
import { userModule } from './user.js';
import { sysctlModule } from './sysctl.js';
import { authorizedKeyModule } from './authorized_key.js';
import { cronModule } from './cron.js';
import { knownHostsModule } from './known_hosts.js';
import { hostnameModule } from './hostname.js';
import { localeGenModule } from './locale_gen.js';
import { timezoneModule } from './timezone.js';

export const modules: ModuleDefinition[] = [groupModule, userModule, sysctlModule, authorizedKeyModule, cronModule, knownHostsModule, hostnameModule, localeGenModule, timezoneModule];
