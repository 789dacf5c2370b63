/** ansible.builtin.command: run a program without a shell */
import type { ModuleDefinition } from '../types.js';
import { defineModule } from './support/define.js';
import { commandSpec, runCommand, type CommandArgs } from './command-core.js';

export const commandModule: ModuleDefinition = defineModule<CommandArgs>({
  name: 'ansible.builtin.command',
  spec: commandSpec('Execute commands on targets'),
  supportsCheckMode: true,
  freeForm: true,
  run: (args, ctx) => runCommand(args, ctx, false),
});
