/**
 * Every module tsplay knows, by FQCN and by its other names. Module areas export their lists from
 * their own index.ts; engine-level actions (debug, set_fact, include_*, …) live in src/execute.
 */
import type { ModuleDefinition } from './types.js';
import { modules as builtin } from './builtin/index.js';
import { modules as docker } from './docker/index.js';
import { modules as net } from './net/index.js';
import { modules as packaging } from './packaging/index.js';
import { modules as pip } from './pip/index.js';
import { modules as system } from './system/index.js';
import { modules as argspec } from '../argspec/validate-module.js';

const byName = new Map<string, ModuleDefinition>();

function register(def: ModuleDefinition): void {
  const names = new Set([def.name, ...(def.aliases ?? [])]);
  const m = /^ansible\.(builtin|legacy)\.(.+)$/.exec(def.name);
  if (m) {
    names.add(m[2]);
    names.add(`ansible.legacy.${m[2]}`);
  }
  for (const n of names) byName.set(n, def);
}

for (const def of [...builtin, ...docker, ...net, ...packaging, ...pip, ...system, ...argspec]) register(def);

export function findModule(name: string): ModuleDefinition | undefined {
  return byName.get(name);
}

export function moduleNames(): string[] {
  return [...byName.keys()];
}
