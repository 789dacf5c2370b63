/** The pip mirror module catalog, registered by src/modules/registry.ts. */
import type { ModuleDefinition } from '../types.js';
import { simpleIndexModule } from './simple_index.js';

export const modules: ModuleDefinition[] = [simpleIndexModule as unknown as ModuleDefinition];
