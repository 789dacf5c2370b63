/**
 * Modules that talk to the network or wait on the target (wait_for, uri): registered by
 * src/modules/registry.ts under their FQCN and short name. They act from the target, as
 * Ansible's modules do, through ctx.conn only.
 */
import type { ModuleDefinition } from '../types.js';
import { uriModule } from './uri.js';
import { waitForModule } from './wait_for.js';

export const modules: ModuleDefinition[] = [waitForModule, uriModule];
