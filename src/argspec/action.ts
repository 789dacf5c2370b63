/**
 * The validate_argument_spec action's logic: validates `provided_arguments` plus any visible
 * variable named like an option against `argument_spec`, and builds Ansible's result
 * (argument_errors / argument_spec_data / validate_args_context / msg).
 */
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import { compileArgSpec } from './validator.js';
import { isPyDict, isPyStr, markTemplated, pyClass, strValue } from './python.js';
import type { ArgumentSpec } from './types.js';

export interface ValidateArgs {
  argument_spec?: unknown;
  provided_arguments?: unknown;
  validate_args_context?: unknown;
}

/** specs given inline are compiled once per distinct JSON text */
const specCache = new Map<string, { options: ArgumentSpec }>();

function cachedSpec(argumentSpec: ArgumentSpec): { options: ArgumentSpec } {
  const key = JSON.stringify(argumentSpec);
  let spec = specCache.get(key);
  if (!spec) {
    spec = { options: argumentSpec };
    if (specCache.size > 500) specCache.clear();
    specCache.set(key, spec);
  }
  return spec;
}

export function renderDeep(value: unknown, ctx: ModuleContext): unknown {
  if (isPyStr(value)) {
    const text = strValue(value);
    return /\{\{|\{%/u.test(text) ? ctx.renderTemplate(text) : value;
  }
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, ctx));
  if (isPyDict(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, ctx)]));
  return value;
}

/** The action's logic, usable without a ModuleContext (vars already rendered). */
export function runValidateArgumentSpec(args: Record<string, unknown>, visibleVars: Record<string, unknown>, render: (v: unknown) => unknown = (v) => v): ModuleResult {
  const result: ModuleResult = {
    changed: false,
    validate_args_context: isPyDict(args.validate_args_context) ? args.validate_args_context : (args.validate_args_context ?? {}),
  };
  if (!Object.hasOwn(args, 'argument_spec') || args.argument_spec === undefined) {
    return { ...result, failed: true, msg: `"argument_spec" arg is required in args: ${JSON.stringify(args)}` };
  }
  const argumentSpec = args.argument_spec;
  const provided = args.provided_arguments ?? {};
  if (!isPyDict(argumentSpec)) {
    return { ...result, failed: true, msg: `Incorrect type for argument_spec, expected dict and got ${pyClass(argumentSpec, 'str')}` };
  }
  if (!isPyDict(provided)) {
    return { ...result, failed: true, msg: `Incorrect type for provided_arguments, expected dict and got ${pyClass(provided, 'str')}` };
  }
  const fromVars: Record<string, unknown> = {};
  for (const name of Object.keys(argumentSpec)) {
    if (name in visibleVars && visibleVars[name] !== undefined) fromVars[name] = visibleVars[name];
  }
  const merged = { ...(markTemplated(fromVars, render(fromVars)) as Record<string, unknown>), ...provided };
  const outcome = compileArgSpec(cachedSpec(argumentSpec as ArgumentSpec), 'role').validate(merged);
  if (outcome.crash) return { ...result, failed: true, msg: outcome.crash };
  if (outcome.errors.length) {
    return {
      ...result,
      failed: true,
      msg: outcome.message,
      argument_spec_data: argumentSpec,
      argument_errors: outcome.errors,
    };
  }
  return { ...result, msg: 'The arg spec validation passed' };
}

