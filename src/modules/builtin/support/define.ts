/**
 * Modules are written against their own typed arguments; the catalog holds them as plain
 * ModuleDefinitions (arguments validated against `spec` by the engine before run()).
 */
import type { ModuleDefinition } from '../../types.js';

export function defineModule<Args>(def: ModuleDefinition<Args>): ModuleDefinition {
  return def as unknown as ModuleDefinition;
}
