/** ansible.builtin.shell: run a command line through /bin/sh (or `executable`) */
import type { ModuleDefinition } from '../types.js';
import { defineModule } from './support/define.js';
import { commandSpec, runCommand, type CommandArgs } from './command-core.js';

export const shellModule: ModuleDefinition = defineModule<CommandArgs>({
  name: 'ansible.builtin.shell',
  spec: (() => {
    const spec = commandSpec('Execute shell commands on targets');
    spec.options!.executable = { type: 'path' };
    return spec;
  })(),
  supportsCheckMode: true,
  freeForm: true,
  run: (args, ctx) => runCommand(args, ctx, true),
});
