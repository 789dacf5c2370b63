/** The packaging modules, for the engine's registry (src/modules/registry.ts). */
import type { ModuleDefinition } from '../types.js';
import { apt } from './apt.js';
import { aptRepository } from './apt_repository.js';
import { packageModule } from './package.js';
import { getUrl } from './get_url.js';
import { service } from './service.js';
import { debconfModule } from './debconf.js';

export { gatherFacts, detectPkgMgr } from '../../facts/index.js';

export const modules: ModuleDefinition[] = [
  aptRepository as ModuleDefinition,
  apt as ModuleDefinition,
  packageModule as ModuleDefinition,
  getUrl as ModuleDefinition,
  service as ModuleDefinition,
  debconfModule,
];
