/**
 * ansible.builtin.validate_argument_spec: the role validator callable as a task. The validator
 * (and Ajv) load on first use, so registering the module costs nothing at start-up.
 */
import type { ModuleDefinition } from '../modules/types.js';
import type { ValidateArgs } from './action.js';

export const validateArgumentSpecModule: ModuleDefinition<ValidateArgs> = {
  name: 'ansible.builtin.validate_argument_spec',
  spec: {
    short_description: 'Validate role argument specs.',
    options: {
      argument_spec: { type: 'raw' },
      provided_arguments: { type: 'raw' },
      validate_args_context: { type: 'raw' },
    },
  },
  supportsCheckMode: true,
  async run(args, ctx) {
    const { runValidateArgumentSpec, renderDeep } = await import('./action.js');
    const given = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined && v !== null)) as Record<string, unknown>;
    return runValidateArgumentSpec(given, ctx.vars, (v) => renderDeep(v, ctx));
  },
};

export const modules: ModuleDefinition[] = [validateArgumentSpecModule as ModuleDefinition];
