/**
 * The validator other code calls: compile a spec once, validate many parameter sets.
 */
import { compileSpec, type ValidationMode } from './compile.js';
import { ansibleErrorLines } from './errors.js';
import { ValidationCrash, type RunContext } from './keywords.js';
import { deepCopy, type StringClass } from './python.js';
import type { PathExpansion } from './coerce.js';
import type { EntryPointSpec, ValidationOutcome } from './types.js';

export interface ValidateOptions {
  /**
   * How `type()` spells plain strings in messages. Role values written in YAML are
   * AnsibleUnicode in Ansible (the default for roles); module arguments are plain `str`.
   */
  stringClass?: StringClass;
  /** the module name for "Unsupported parameters for (NAME) module: " (module mode) */
  moduleName?: string;
  /** `~` and `$VAR` in `type: path` options expand with this (the module's target); else the controller's */
  paths?: PathExpansion;
}

export interface ArgValidator {
  readonly mode: ValidationMode;
  /** the compiled JSON Schema (with the x-ansible-* stage keywords) */
  readonly schema: Record<string, unknown>;
  validate(params: Record<string, unknown>, options?: ValidateOptions): ValidationOutcome;
}

export const ROLE_FAILURE_HEADER = 'Validation of arguments failed:';

const validators = new WeakMap<object, Partial<Record<ValidationMode, ArgValidator>>>();

/** Compiles (once per spec object and mode) a validator with ansible-core 2.14's semantics. */
export function compileArgSpec(spec: EntryPointSpec, mode: ValidationMode): ArgValidator {
  const cached = validators.get(spec)?.[mode];
  if (cached) return cached;
  const { schema, validate } = compileSpec(spec, mode);
  const validator: ArgValidator = {
    mode,
    schema,
    validate(params, options = {}) {
      const data = deepCopy(params ?? {});
      const ctx: RunContext = {
        strClass: options.stringClass ?? (mode === 'role' ? 'AnsibleUnicode' : 'str'),
        warnings: [],
        deprecations: [],
        paths: options.paths,
      };
      let ajvErrors;
      try {
        ajvErrors = validate(ctx, data);
      } catch (e) {
        if (!(e instanceof ValidationCrash)) throw e;
        // the action plugin reports Python's exception; a module process just dies
        const text = mode === 'role' ? `Unexpected failure during module execution: ${e.message}` : 'MODULE FAILURE\nSee stdout/stderr for the exact error';
        return { errors: [], params: data, warnings: ctx.warnings, deprecations: ctx.deprecations, crash: text, message: text, noLogValues: [...(ctx.noLogValues ?? [])] };
      }
      const { lines: errors, endsWithUnsupported } = ansibleErrorLines(ajvErrors);
      const outcome: ValidationOutcome = { errors, params: data, warnings: ctx.warnings, deprecations: ctx.deprecations, noLogValues: [...(ctx.noLogValues ?? [])] };
      if (errors.length) {
        const message = failureMessage(mode, errors, endsWithUnsupported, options.moduleName);
        // a module's fail_json masks no_log values; role validation (2.14) shows them as they are
        outcome.message = mode === 'module' && ctx.noLogValues ? maskNoLog(message, ctx.noLogValues) : message;
      }
      return outcome;
    },
  };
  const perMode = validators.get(spec) ?? {};
  perMode[mode] = validator;
  validators.set(spec, perMode);
  return validator;
}

/** Ansible's remove_values() on a string: the whole value hidden, or each occurrence starred out */
export function maskNoLog(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (out === secret) return 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER';
    out = out.split(secret).join('********');
  }
  return out;
}

function failureMessage(mode: ValidationMode, errors: string[], endsWithUnsupported: boolean, moduleName: string | undefined): string {
  if (mode === 'role') return `${ROLE_FAILURE_HEADER}\n${errors.join('\n')}`;
  const first = errors[0];
  // unsupported names are always reported last, so they lead only when they are the sole error
  if (errors.length === 1 && endsWithUnsupported) {
    return `Unsupported parameters for (${moduleName ?? 'unknown'}) module: ${first}`;
  }
  return first;
}
