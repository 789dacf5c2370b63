/**
 * Ansible argument spec → JSON Schema (draft 2020-12) whose keywords replay ansible-core's
 * ArgumentSpecValidator stages in order, built once per spec and walked by interpret.ts.
 *
 * One spec level (the top options, or the `options` of a dict / list-of-dicts option) becomes
 * one object schema whose `allOf` lists the stages in Ansible's order:
 *   aliases → no_log pre-pass → unsupported (collected) → mutually_exclusive → non-None defaults →
 *   `required` → types (per option, spec order) → choices → required_together/one_of/if/by →
 *   absent options become None → sub-options (recursion through $defs).
 * Post stage (errors.ts): the unsupported names of all levels become one final message.
 *
 * The engine runs these schemas with interpret.ts; Ajv runs the same schemas in the tests
 * (ajv-reference.ts), which hold the two to the same outcomes. Ajv is not loaded by the engine.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { interpretSchema, type InterpretedValidator } from './interpret.js';
import type { AliasEntry, NoLogField, RunContext } from './keywords.js';
import { isPyDict, pyStr } from './python.js';
import type { ArgumentSpec, EntryPointSpec, OptionSpec } from './types.js';

export type ValidationMode = 'module' | 'role';

type JsonSchema = Record<string, unknown>;

export interface CompiledSpec {
  schema: JsonSchema;
  /** the errors in Ajv's shape (allErrors, verbose), or null when the data passed */
  validate: InterpretedValidator;
  /** sorted top-level option names, for module-mode messages */
  optionNames: string[];
}

function isSubOptionsHolder(opt: OptionSpec): boolean {
  return opt.type === 'dict' || (opt.type === 'list' && opt.elements === 'dict');
}

function specEntries(spec: unknown): Array<[string, OptionSpec]> {
  if (!isPyDict(spec)) return [];
  return Object.entries(spec).map(([name, opt]) => [name, (isPyDict(opt) ? opt : {}) as OptionSpec]);
}

function aliasNames(opt: OptionSpec): string[] {
  const a: unknown = opt.aliases;
  if (Array.isArray(a)) return a.map(String);
  if (isPyDict(a)) return Object.keys(a);
  return [];
}

function noLogFields(spec: unknown): NoLogField[] {
  return specEntries(spec).map(([name, opt]) => {
    const field: NoLogField = { name, noLog: Boolean(opt.no_log) };
    if (opt.options !== undefined && opt.options !== null && isSubOptionsHolder(opt)) {
      field.sub = { wanted: String(opt.type), fields: noLogFields(opt.options) };
    }
    return field;
  });
}

interface LevelConstraints {
  mutually_exclusive?: unknown;
  required_together?: unknown;
  required_one_of?: unknown;
  required_if?: unknown;
  required_by?: unknown;
}

class SchemaBuilder {
  readonly defs: Record<string, JsonSchema> = {};
  private counter = 0;

  constructor(private readonly mode: ValidationMode) {}

  /** the schema of one level (an object already known to be a dict) */
  level(spec: unknown, context: string[], constraints: LevelConstraints): JsonSchema {
    const entries = specEntries(spec);
    const warn = this.mode === 'module';
    const stages: JsonSchema[] = [];

    const aliasEntries: AliasEntry[] = entries.map(([name, opt]) => ({
      name,
      aliases: opt.aliases,
      requiredWithDefault: opt.default !== undefined && opt.default !== null && Boolean(opt.required),
      deprecated: Array.isArray(opt.deprecated_aliases) ? opt.deprecated_aliases : [],
    }));
    const aliasErrorAt = aliasEntries.find((e) => e.requiredWithDefault || (e.aliases != null && !Array.isArray(e.aliases) && !isPyDict(e.aliases)));
    if (aliasEntries.some((e) => e.requiredWithDefault || e.aliases != null || e.deprecated.length)) {
      stages.push({ 'x-ansible-aliases': { entries: aliasEntries, prefix: context.length ? `${context.join('.')}.` : '', warn } });
    }
    const noLog = noLogFields(spec);
    if (noLog.some((f) => f.noLog || f.sub)) stages.push({ 'x-ansible-nolog': noLog });
    stages.push({
      'x-ansible-unsupported': {
        specKeys: entries.map(([n]) => n),
        aliasNames: entries.flatMap(([, o]) => aliasNames(o)),
        context,
        aliasError: aliasErrorAt
          ? aliasErrorAt.requiredWithDefault
            ? `internal error: required and default are mutually exclusive for ${aliasErrorAt.name}`
            : 'internal error: aliases must be a list or tuple'
          : undefined,
      },
    });
    if (constraints.mutually_exclusive != null) {
      stages.push({ 'x-ansible-mutually-exclusive': { groups: constraints.mutually_exclusive, context } });
    }
    const defaults = Object.fromEntries(entries.filter(([, o]) => o.default !== undefined && o.default !== null).map(([n, o]) => [n, o.default]));
    if (Object.keys(defaults).length) stages.push({ 'x-ansible-defaults': defaults });
    const required = entries.filter(([, o]) => Boolean(o.required)).map(([n]) => n).sort();
    if (required.length) stages.push({ required, 'x-ansible-context': context });
    if (entries.length) {
      stages.push({
        properties: Object.fromEntries(
          entries.map(([name, opt]) => [name, { 'x-ansible-type': { param: name, type: opt.type, elements: opt.elements, context } }]),
        ),
      });
    }
    for (const [name, opt] of entries) {
      const c: unknown = opt.choices;
      if (c === undefined || c === null) continue;
      if (Array.isArray(c)) stages.push({ properties: { [name]: { 'x-ansible-choices': { param: name, choices: c, context } } } });
      else {
        const text = `internal error: choices for argument ${name} are not iterable: ${pyStr(c)}`;
        stages.push({ 'x-ansible-fail': context.length ? `${text} found in ${context.join(' -> ')}` : text });
      }
    }
    const checks: Array<[keyof LevelConstraints, string]> = [
      ['required_together', 'x-ansible-required-together'],
      ['required_one_of', 'x-ansible-required-one-of'],
      ['required_if', 'x-ansible-required-if'],
      ['required_by', 'x-ansible-required-by'],
    ];
    for (const [key, keyword] of checks) {
      if (constraints[key] != null) stages.push({ [keyword]: { groups: constraints[key], context } });
    }
    const applyDefaults = entries
      .filter(([, o]) => isSubOptionsHolder(o) && Boolean(o.apply_defaults) && o.options != null)
      .map(([n]) => n);
    stages.push({ 'x-ansible-fill-none': { names: entries.map(([n]) => n), applyDefaults } });
    const subs = entries.filter(([, o]) => isSubOptionsHolder(o) && o.options != null);
    if (subs.length) {
      stages.push({ properties: Object.fromEntries(subs.map(([name, opt]) => [name, this.subOptions(name, opt, context)])) });
    }
    return { type: 'object', allOf: stages };
  }

  /** a dict option's value, or each item of a list-of-dicts, validated against its options */
  private subOptions(name: string, opt: OptionSpec, context: string[]): JsonSchema {
    const id = `L${this.counter++}_${name.replace(/[^A-Za-z0-9_]/gu, '_')}`;
    const subContext = [...context, name];
    const subSpec = opt.options as ArgumentSpec;
    this.defs[id] = {
      if: { 'x-ansible-is-dict': true },
      then: this.level(subSpec, subContext, opt),
      else: {
        'x-ansible-not-dict': {
          message: `value of '${name}' must be of type dict or list of dicts`,
          probes: specEntries(subSpec).length > 0,
        },
      },
    };
    const ref = { $ref: `#/$defs/${id}` };
    // Ansible treats anything but a list as a single item, and skips a None value
    return { if: { type: 'null' }, else: { if: { type: 'array' }, then: { items: ref }, else: ref } };
  }
}

/** The JSON Schema for validating parameters against `spec` the way ansible-core does. */
export function argSpecToJsonSchema(spec: EntryPointSpec, mode: ValidationMode): JsonSchema {
  const builder = new SchemaBuilder(mode);
  // roles pass only `options` to the validator; modules also get the entry-level constraints
  const constraints: LevelConstraints = mode === 'module' ? spec : {};
  const top = builder.level(spec.options ?? {}, [], constraints);
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...top, $defs: builder.defs };
}

const compiled = new WeakMap<object, Partial<Record<ValidationMode, CompiledSpec>>>();

/** compile once per spec object and mode */
export function compileSpec(spec: EntryPointSpec, mode: ValidationMode): CompiledSpec {
  let perMode = compiled.get(spec);
  if (!perMode) {
    perMode = {};
    compiled.set(spec, perMode);
  }
  const existing = perMode[mode];
  if (existing) return existing;
  const schema = argSpecToJsonSchema(spec, mode);
  const validate = interpretSchema(schema);
  const optionNames = Object.keys(isPyDict(spec.options) ? spec.options : {}).sort();
  const result: CompiledSpec = { schema, validate, optionNames };
  perMode[mode] = result;
  return result;
}

export type { ErrorObject, RunContext };
