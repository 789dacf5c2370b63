/**
 * Role argument validation as ansible-core 2.14 wires it (playbook/role/__init__.py and the
 * validate_argument_spec action):
 * - the entry point is basename(tasks_from), or `main`; no truthy spec for it → no validation;
 * - only the entry point's `options` are validated (entry-level mutually_exclusive & co. are ignored);
 * - the values checked are the variables visible to the role whose names are option names
 *   (aliases are not looked up in vars), templated, then overridden by the inline role params;
 * - every error is reported, under "Validation of arguments failed:";
 * - coerced values and spec defaults are never written back to the role's variables.
 */
import { posix } from 'node:path';
import { compileArgSpec, ROLE_FAILURE_HEADER, type ValidateOptions } from './validator.js';
import { isPyDict, markTemplated, pyClass } from './python.js';
import type { RoleArgSpecs } from './load.js';
import type { ArgumentSpec, EntryPointSpec, ValidationOutcome } from './types.js';

/**
 * The entry point Ansible 2.14 validates for a role call: `main` without tasks_from; for
 * include_role the tasks_from value as written ("sub/alt" stays "sub/alt"); for import_role its
 * basename ("sub/alt" → "alt"), because only dynamic includes re-read the raw value.
 */
export function roleEntryPoint(tasksFrom?: string | null, call: 'include_role' | 'import_role' = 'include_role'): string {
  if (tasksFrom === undefined || tasksFrom === null || tasksFrom === '') return 'main';
  return call === 'import_role' ? posix.basename(tasksFrom) : tasksFrom;
}

/** an entry point name as given, `main` when none */
function entryName(entryPoint: string | null | undefined): string {
  return entryPoint === undefined || entryPoint === null || entryPoint === '' ? 'main' : entryPoint;
}

/** the entry point's spec when Ansible would insert a validation task for it */
export function entryPointSpec(specs: RoleArgSpecs | undefined, entryPoint?: string | null): EntryPointSpec | undefined {
  if (!specs || specs.error) return undefined;
  const name = entryName(entryPoint);
  const spec: unknown = Object.hasOwn(specs.entryPoints, name) ? specs.entryPoints[name] : undefined;
  return pyTruthy(spec) ? (spec as EntryPointSpec) : undefined;
}

/** does this role call get validated (or, for a malformed spec file, fail)? */
export function hasEntryPoint(specs: RoleArgSpecs | undefined, entryPoint?: string | null): boolean {
  return Boolean(specs?.error) || entryPointSpec(specs, entryPoint) !== undefined;
}

function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPyDict(v)) return Object.keys(v).length > 0;
  return true;
}

/**
 * What Ansible validates for a role call: option-named variables visible to the role (templated),
 * overridden key by key by the inline role params (also templated, as task args are).
 * `template` renders a value with the role's variables; omit it for already-rendered values.
 */
export function providedArguments(
  specs: RoleArgSpecs | undefined,
  entryPoint: string | null | undefined,
  roleParams: Record<string, unknown> | undefined,
  visibleVars: Record<string, unknown>,
  template: (value: unknown) => unknown = (v) => v,
): Record<string, unknown> {
  const spec = entryPointSpec(specs, entryPoint);
  const options = spec && isPyDict(spec.options) ? spec.options : {};
  const fromVars: Record<string, unknown> = {};
  for (const name of Object.keys(options)) {
    if (name in visibleVars && visibleVars[name] !== undefined) fromVars[name] = visibleVars[name];
  }
  const provided = markTemplated(fromVars, template(fromVars)) as Record<string, unknown>;
  const params = roleParams && Object.keys(roleParams).length ? (template(roleParams) as Record<string, unknown>) : {};
  return { ...provided, ...params };
}

/**
 * Validates what Ansible would check for a role call (see providedArguments). Returns an
 * outcome without errors when the entry point has no spec (Ansible inserts no task then).
 */
export interface RoleValidateOptions extends ValidateOptions {
  /**
   * Renders a value with the role's variables. Ansible templates the spec itself (it is a task
   * argument), so `default: "{{ x }}"` or templated choices are rendered before validating.
   * Without it, a spec containing templates is used as written.
   */
  template?: (value: unknown) => unknown;
}

export function validateRoleArguments(
  specs: RoleArgSpecs,
  entryPoint: string | null | undefined,
  provided: Record<string, unknown>,
  options: RoleValidateOptions = {},
): ValidationOutcome {
  if (specs.error) {
    const line = specs.error.toString();
    return { errors: [line], params: {}, warnings: [], message: `invalid argument spec: ${line}` };
  }
  const spec = entryPointSpec(specs, entryPoint);
  if (!spec) return { errors: [], params: provided, warnings: [] };
  let argumentSpec: unknown = Object.hasOwn(spec, 'options') ? spec.options : {};
  if (options.template && hasTemplate(argumentSpec)) argumentSpec = options.template(argumentSpec);
  if (!isPyDict(argumentSpec)) {
    // the action refuses a non-dict spec before validating anything
    const text = `Incorrect type for argument_spec, expected dict and got ${pyClass(argumentSpec, 'str')}`;
    return { errors: [], params: provided, warnings: [], crash: text, message: text };
  }
  return compileArgSpec(roleValidatorSpec(argumentSpec as ArgumentSpec), 'role').validate(provided, options);
}

const TEMPLATE_MARK = /\{\{|\{%/u;
const templated = new WeakMap<object, boolean>();

/** does any string in the spec hold a template (cached per spec object) */
function hasTemplate(value: unknown): boolean {
  if (value !== null && typeof value === 'object') {
    const known = templated.get(value);
    if (known !== undefined) return known;
    const found = (Array.isArray(value) ? value : Object.values(value)).some(hasTemplate);
    templated.set(value, found);
    return found;
  }
  return typeof value === 'string' && TEMPLATE_MARK.test(value);
}

/**
 * The spec object the role validator is compiled from: only the options. Cached per options
 * object, and per rendered text for specs that templates re-create on every call.
 */
const optionsOnly = new WeakMap<object, EntryPointSpec>();
const renderedSpecs = new Map<string, EntryPointSpec>();
function roleValidatorSpec(options: ArgumentSpec): EntryPointSpec {
  let s = optionsOnly.get(options);
  if (s) return s;
  const key = JSON.stringify(options);
  s = renderedSpecs.get(key);
  if (!s) {
    s = { options };
    if (renderedSpecs.size > 1000) renderedSpecs.clear();
    renderedSpecs.set(key, s);
  }
  optionsOnly.set(options, s);
  return s;
}

/** Ansible's failure text: the header line, then every error line */
export function formatRoleValidationError(errors: string[]): string {
  return `${ROLE_FAILURE_HEADER}\n${errors.join('\n')}`;
}

export interface RoleCallSite {
  role: string;
  entryPoint: string;
  file: string;
  line: number;
  col?: number;
  host?: string;
}

/**
 * tsplay's report for a failed role call: which role, entry point and call site, then Ansible's
 * own text unchanged so it stays recognisable.
 */
export function formatRoleValidationFailure(outcome: ValidationOutcome, call: RoleCallSite): string {
  const where = `${call.file}:${call.line}${call.col !== undefined ? `:${call.col}` : ''}`;
  const host = call.host ? `, host ${call.host}` : '';
  const body = outcome.crash ?? outcome.message ?? formatRoleValidationError(outcome.errors);
  return `${where}: role '${call.role}' (entry point '${call.entryPoint}'${host}): ${body}`;
}

/** the name Ansible gives the validation task: TASK [role : <this>] */
export function validationTaskName(specs: RoleArgSpecs, entryPoint?: string | null): string {
  const name = entryName(entryPoint);
  const spec = entryPointSpec(specs, name);
  const base = `Validating arguments against arg spec '${name}'`;
  return spec && typeof spec.short_description === 'string' ? `${base} - ${spec.short_description}` : base;
}
