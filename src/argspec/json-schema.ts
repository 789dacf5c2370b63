/**
 * A plain JSON Schema (draft 2020-12) of a role's parameters, for editors (VS Code YAML) to
 * complete and check `roles:` entries and include_role vars. It describes what Ansible accepts,
 * coercions included (an int option also takes "5", a list also takes "a,b"). It is stricter in
 * one place on purpose: a list or dict given to a str option (Ansible would stringify it, which is
 * almost always a mistake). The validator stays the authority.
 */
import { entryPointSpec } from './role.js';
import { isPyDict, pyJsonDumps } from './python.js';
import type { RoleArgSpecs } from './load.js';
import { UserError } from '../util/errors.js';
import type { ArgumentSpec, OptionSpec } from './types.js';

type Schema = Record<string, unknown>;

/** keywords a `roles:` entry may carry besides parameters */
const ROLE_KEYWORDS = [
  'role', 'name', 'vars', 'when', 'tags', 'become', 'become_user', 'become_method', 'become_flags', 'become_exe',
  'any_errors_fatal', 'check_mode', 'collections', 'connection', 'debugger', 'delegate_facts', 'delegate_to',
  'diff', 'environment', 'ignore_errors', 'ignore_unreachable', 'module_defaults', 'no_log', 'port',
  'remote_user', 'run_once', 'throttle', 'timeout',
];

const BOOL_WORDS = ['yes', 'no', 'on', 'off', 'true', 'false', 'y', 'n', 't', 'f', '1', '0'];
const TEMPLATE = { type: 'string', pattern: '\\{\\{|\\{%' };

function valueSchema(typeName: string | undefined, elements: string | undefined, opt: OptionSpec | undefined): Schema {
  switch (typeName ?? 'str') {
    case 'str':
    case 'path':
      return { type: ['string', 'number', 'boolean'] };
    case 'int':
      return { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*[+-]?\\d+(_\\d+)*\\s*$' }, TEMPLATE] };
    case 'float':
      return { anyOf: [{ type: 'number' }, { type: 'string' }] };
    case 'bool':
      return { anyOf: [{ type: 'boolean' }, { enum: [0, 1] }, { type: 'string', enum: BOOL_WORDS }, TEMPLATE] };
    case 'list': {
      const items = elements === 'dict' && opt?.options ? objectSchema(opt.options, false) : elements ? valueSchema(elements, undefined, undefined) : {};
      return { anyOf: [{ type: 'array', items }, { type: 'string' }, { type: 'number' }] };
    }
    case 'dict':
      return opt?.options ? { anyOf: [objectSchema(opt.options, false), { type: 'string' }] } : { anyOf: [{ type: 'object' }, { type: 'string' }] };
    case 'bytes':
    case 'bits':
      return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
    case 'jsonarg':
    case 'json':
      return { type: ['string', 'array', 'object'] };
    default:
      return {};
  }
}

function optionSchema(opt: OptionSpec): Schema {
  const schema: Schema = valueSchema(opt.type, opt.elements, opt);
  const description = Array.isArray(opt.description) ? opt.description.join('\n') : opt.description;
  if (description) schema.description = description;
  if (opt.default !== undefined && opt.default !== null) schema.default = JSON.parse(pyJsonDumps(opt.default)) as unknown;
  if (Array.isArray(opt.choices) && opt.choices.length) {
    const choices = JSON.parse(pyJsonDumps(opt.choices)) as unknown[];
    if (opt.type !== 'list') return { ...schema, enum: choices };
    const { anyOf: _ignored, ...rest } = schema;
    return { ...rest, type: 'array', items: { enum: choices } };
  }
  return schema;
}

function objectSchema(spec: ArgumentSpec, topLevel: boolean): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [name, opt] of Object.entries(isPyDict(spec) ? spec : {})) {
    const o = (isPyDict(opt) ? opt : {}) as OptionSpec;
    properties[name] = optionSchema(o);
    // an alias is the same option under another name
    for (const alias of Array.isArray(o.aliases) ? o.aliases : []) properties[alias] = { ...optionSchema(o), description: `alias of ${name}` };
    if (o.required) required.push(name);
  }
  if (topLevel) for (const k of ROLE_KEYWORDS) properties[k] ??= {};
  const out: Schema = { type: 'object', properties, additionalProperties: false };
  // top-level required options may also come from variables, so only nested ones are enforced
  if (required.length && !topLevel) out.required = required;
  return out;
}

/** The JSON Schema of a role entry point's parameters (for `tsplay schema ROLE`); UserError when there is none. */
export function roleArgumentsJsonSchema(specs: RoleArgSpecs, entryPoint?: string | null): Record<string, unknown> {
  const name = entryPoint || 'main';
  if (specs.error) throw specs.error.asUserError();
  const spec = entryPointSpec(specs, name);
  if (!spec) {
    const known = Object.keys(specs.entryPoints).join(', ') || 'none';
    throw new UserError(`${specs.file}: no argument spec for entry point '${name}' (entry points: ${known})`);
  }
  const body = objectSchema(spec.options ?? {}, true);
  const description = spec.short_description ?? (Array.isArray(spec.description) ? spec.description.join('\n') : spec.description);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Parameters of the role entry point '${name}' (${specs.file})`,
    ...(description ? { description } : {}),
    ...body,
  };
}
