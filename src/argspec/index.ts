/**
 * Ansible argument specs for tsplay: role `meta/argument_specs` and module specs, validated with
 * ansible-core 2.14's verdicts and messages through Ajv (see compile.ts for the stage order).
 */
export type { ArgType, ArgumentSpec, EntryPointSpec, OptionSpec, ValidationOutcome } from './types.js';
export { compileArgSpec, ROLE_FAILURE_HEADER, type ArgValidator, type ValidateOptions } from './validator.js';
export { argSpecToJsonSchema, type ValidationMode } from './compile.js';
export { loadRoleArgumentSpecs, parseArgumentSpecs, ArgSpecFileError, type RoleArgSpecs } from './load.js';
export {
  roleEntryPoint,
  entryPointSpec,
  hasEntryPoint,
  providedArguments,
  validateRoleArguments,
  formatRoleValidationError,
  formatRoleValidationFailure,
  validationTaskName,
  type RoleCallSite,
  type RoleValidateOptions,
} from './role.js';
export { roleArgumentsJsonSchema } from './json-schema.js';
export { runValidateArgumentSpec } from './action.js';
export { benchmarkRoleValidation } from './bench.js';
