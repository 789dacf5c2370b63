/**
 * Ajv custom keywords for the parts of Ansible's validation that plain JSON Schema cannot say:
 * alias copying, type coercion, Python-equality choices, the required_* family inside dict
 * options. Each keyword is one stage of ansible-core's pipeline; compile.ts orders the stages
 * with allOf so Ajv evaluates (and reports) them in Ansible's order. Every error carries the
 * final Ansible message in `message`; keyword `unsupported` errors are merged by the post stage.
 *
 * Keywords modify data in place (Ajv `modifying`), which is how coerced values and defaults
 * reach the next stage, exactly as Ansible mutates its parameters dict.
 */
import type { Ajv2020, ErrorObject, FuncKeywordDefinition } from 'ajv/dist/2020.js';
import type { CompileKeywordFunc, DataValidateFunction, DataValidationCxt } from 'ajv/dist/types/index.js';
import { CoercionError, coercerFor, type PathExpansion } from './coerce.js';
import { deepCopy, isPyDict, isPyFloat, isPyIntNotBool, isPyStr, pyClass, pyClassName, pyEq, pyIn, pyStr, strValue, type StringClass } from './python.js';
import { setOwn } from '../util/dict.js';

/** Per-call state, handed to keywords by Ajv's passContext as `this`. */
export interface RunContext {
  strClass: StringClass;
  /** warnings Ansible would show for a module ("Both option x and its alias y are set.") */
  warnings: string[];
  /** deprecations Ansible would show for a module (deprecated aliases in use) */
  deprecations: string[];
  /** objects whose alias stage failed: their legal names are the spec keys only (made on demand) */
  aliasFailed?: WeakSet<object>;
  /** values of no_log options, for masking output (made on demand) */
  noLogValues?: Set<string>;
  /** containers built by coercion (split, json.loads, key=value): their strings are plain `str` */
  derived?: WeakSet<object>;
  /** the target's environment and home for `type: path` (the controller's when absent) */
  paths?: PathExpansion;
}

/** Ansible raised something it does not catch: the whole task fails with this text. */
export class ValidationCrash extends Error {}

type Errors = Partial<ErrorObject>[];

/** a stage check: returns its errors (none → passed); may modify data through dataCxt */
type Check = (this: RunContext, data: unknown, dataCxt?: DataValidationCxt) => Errors | undefined;

/** Ajv "compile" keyword from a factory that precomputes what it can from the schema */
function stage<S>(make: (schema: S) => Check): CompileKeywordFunc {
  return (schema: S) => {
    const check = make(schema);
    const fn: DataValidateFunction = function (this: RunContext, data: unknown, dataCxt?: DataValidationCxt) {
      const errors = check.call(this, data, dataCxt);
      if (errors && errors.length) {
        fn.errors = errors;
        return false;
      }
      return true;
    };
    return fn;
  };
}

function err(message: string, params: Record<string, unknown> = {}): Partial<ErrorObject> {
  return { keyword: 'ansible', message, params };
}

function foundIn(context: string[]): string {
  return context.join(' -> ');
}

function withContext(message: string, context: string[]): string {
  return context.length ? `${message} found in ${foundIn(context)}` : message;
}

function setValue(dataCxt: DataValidationCxt | undefined, value: unknown): void {
  if (!dataCxt) return;
  (dataCxt.parentData as Record<string | number, unknown>)[dataCxt.parentDataProperty] = value;
}

/** key present in the dict (null counts), as Python's `k in parameters` */
function has(data: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(data, key) && data[key] !== undefined;
}

function isIterableNonString(v: unknown): boolean {
  return Array.isArray(v) || isPyDict(v);
}

// ---- stage: aliases ---------------------------------------------------------------------------

export interface AliasEntry {
  name: string;
  aliases: unknown;
  requiredWithDefault: boolean;
  deprecated: Array<{ name: string; version?: string; date?: string; collection_name?: string }>;
}
export interface AliasSchema {
  entries: AliasEntry[];
  /** dotted prefix for nested warnings, e.g. "opts." (runtime indexes are not known statically) */
  prefix: string;
  warn: boolean;
}

/** how `type()` names a string that sits in `container` */
function strClassIn(ctx: RunContext, container: unknown): StringClass {
  return container !== null && typeof container === 'object' && ctx.derived?.has(container) ? 'str' : ctx.strClass;
}

function deriver(ctx: RunContext): (container: object) => void {
  return (container) => (ctx.derived ??= new WeakSet()).add(container);
}

function markAliasFailed(ctx: RunContext, data: object): void {
  (ctx.aliasFailed ??= new WeakSet()).add(data);
}

const aliases = stage((schema: AliasSchema): Check => {
  return function (this: RunContext, raw) {
    const data = raw as Record<string, unknown>;
    for (const entry of schema.entries) {
      if (schema.warn) {
        for (const dep of entry.deprecated) {
          if (has(data, dep.name)) {
            this.deprecations.push(`Alias '${schema.prefix}${dep.name}' is deprecated. See the module docs for more information`);
          }
        }
      }
      if (entry.requiredWithDefault) {
        markAliasFailed(this, data);
        return [err(`internal error: required and default are mutually exclusive for ${entry.name}`)];
      }
      if (entry.aliases === undefined || entry.aliases === null) continue;
      if (!isIterableNonString(entry.aliases)) {
        markAliasFailed(this, data);
        return [err('internal error: aliases must be a list or tuple')];
      }
      const names = Array.isArray(entry.aliases) ? entry.aliases.map(String) : Object.keys(entry.aliases as object);
      for (const alias of names) {
        if (!has(data, alias)) continue;
        if (schema.warn && has(data, entry.name)) {
          this.warnings.push(`Both option ${schema.prefix}${entry.name} and its alias ${schema.prefix}${alias} are set.`);
        }
        data[entry.name] = data[alias];
      }
    }
    return undefined;
  };
});

// ---- stage: no_log pre-pass ---------------------------------------------------------------------

export interface NoLogField {
  name: string;
  noLog: boolean;
  /** set when the option has sub-options of a dict (or list of dicts) type */
  sub?: { wanted: string; fields: NoLogField[] };
}

/** Ansible's _list_no_log_values: collects secrets, and is the first to look inside sub-options. */
function listNoLog(ctx: RunContext, fields: NoLogField[], data: Record<string, unknown>): void {
  for (const field of fields) {
    const value = data[field.name];
    if (field.noLog && value !== undefined && value !== null) collectNoLog(ctx, value);
    if (!field.sub || value === undefined || value === null) continue;
    const items = Array.isArray(value) ? value : [value];
    for (let item of items) {
      if (isPyStr(item)) item = coercerFor('dict')(item, ctx.strClass, deriver(ctx));
      if (!isPyDict(item)) {
        throw new CoercionError(
          `Value '${pyStr(item)}' in the sub parameter field '${field.name}' must by a ${field.sub.wanted}, not '${pyClassName(item, ctx.strClass)}'`,
        );
      }
      listNoLog(ctx, field.sub.fields, item);
    }
  }
}

function collectNoLog(ctx: RunContext, value: unknown): void {
  const values = (ctx.noLogValues ??= new Set());
  if (isPyStr(value)) {
    if (strValue(value)) values.add(strValue(value));
  } else if (Array.isArray(value)) value.forEach((v) => collectNoLog(ctx, v));
  else if (isPyDict(value)) Object.values(value).forEach((v) => collectNoLog(ctx, v));
  else if (isPyIntNotBool(value) || isPyFloat(value)) values.add(pyStr(value));
}

const noLog = stage((fields: NoLogField[]): Check => {
  return function (this: RunContext, data) {
    try {
      listNoLog(this, fields, data as Record<string, unknown>);
    } catch (e) {
      if (e instanceof CoercionError && !/^dictionary update sequence/u.test(e.message)) return [err(e.message)];
      // a malformed key=value string raises ValueError there, which Ansible does not catch
      throw new ValidationCrash((e as Error).message);
    }
    return undefined;
  };
});

// ---- stage: unsupported parameters (reported once, at the end, by the post stage) ---------------

export interface UnsupportedSchema {
  specKeys: string[];
  aliasNames: string[];
  context: string[];
  /** the alias stage's error text, repeated by Ansible when it recomputes aliases here */
  aliasError?: string;
}

const unsupported = stage((schema: UnsupportedSchema): Check => {
  const legalAll = new Set([...schema.aliasNames, ...schema.specKeys]);
  const legalSpec = new Set(schema.specKeys);
  const params = { supported: schema.specKeys, aliases: schema.aliasNames };
  return function (this: RunContext, raw) {
    const data = raw as Record<string, unknown>;
    const failedAliases = this.aliasFailed?.has(data) ?? false;
    const legal = failedAliases ? legalSpec : legalAll;
    let errors: Errors | undefined;
    for (const key in data) {
      if (data[key] === undefined || legal.has(key)) continue;
      if (failedAliases && schema.aliasError) {
        // Ansible re-runs alias handling to list the supported names and hits the same error again
        if (schema.context.length) throw new ValidationCrash(schema.aliasError);
        return [err(schema.aliasError)];
      }
      (errors ??= []).push({ keyword: 'unsupported', message: [...schema.context, key].join('.'), params });
    }
    return errors;
  };
});

// ---- stage: mutually_exclusive / required_* ----------------------------------------------------

interface GroupsSchema {
  groups: unknown;
  context: string[];
}

function termsOf(group: unknown): string[] {
  if (isPyStr(group)) return [strValue(group)];
  if (Array.isArray(group)) return group.map(String);
  return [];
}

function countTerms(terms: unknown, data: Record<string, unknown>): number {
  return new Set(termsOf(terms).filter((t) => has(data, t))).size;
}

const mutuallyExclusive = stage((schema: GroupsSchema): Check => (raw) => {
  const data = raw as Record<string, unknown>;
  if (!Array.isArray(schema.groups)) return undefined;
  const violated = schema.groups.filter((group) => countTerms(group, data) > 1);
  if (!violated.length) return undefined;
  const text = violated.map((g) => termsOf(g).join('|')).join(', ');
  return [err(withContext(`parameters are mutually exclusive: ${text}`, schema.context))];
});

const requiredTogether = stage((schema: GroupsSchema): Check => (raw) => {
  const data = raw as Record<string, unknown>;
  if (!Array.isArray(schema.groups)) return undefined;
  for (const group of schema.groups) {
    const counts = termsOf(group).map((field) => (has(data, field) ? 1 : 0));
    if (counts.some((c) => c > 0) && counts.includes(0)) {
      return [err(withContext(`parameters are required together: ${termsOf(group).join(', ')}`, schema.context))];
    }
  }
  return undefined;
});

const requiredOneOf = stage((schema: GroupsSchema): Check => (raw) => {
  const data = raw as Record<string, unknown>;
  if (!Array.isArray(schema.groups)) return undefined;
  for (const group of schema.groups) {
    if (countTerms(group, data) === 0) {
      return [err(withContext(`one of the following is required: ${termsOf(group).join(', ')}`, schema.context))];
    }
  }
  return undefined;
});

const requiredIf = stage((schema: GroupsSchema): Check => (raw) => {
  const data = raw as Record<string, unknown>;
  if (!Array.isArray(schema.groups)) return undefined;
  for (const req of schema.groups) {
    if (!Array.isArray(req)) continue;
    const [key, value, requirements, isOneOf] = req as [string, unknown, unknown, unknown];
    const wanted = termsOf(requirements);
    const anyMode = req.length === 4 && Boolean(isOneOf);
    const missing = has(data, String(key)) && pyEq(data[String(key)], value) ? wanted.filter((t) => !has(data, t)) : [];
    const maxMissing = anyMode ? wanted.length : 0;
    if (missing.length && missing.length >= maxMissing) {
      const text = `${String(key)} is ${pyStr(value)} but ${anyMode ? 'any' : 'all'} of the following are missing: ${missing.join(', ')}`;
      return [err(withContext(text, schema.context))];
    }
  }
  return undefined;
});

const requiredBy = stage((schema: GroupsSchema): Check => (raw) => {
  const data = raw as Record<string, unknown>;
  if (!isPyDict(schema.groups)) return undefined;
  const present = (k: string): boolean => has(data, k) && data[k] !== null;
  for (const [key, value] of Object.entries(schema.groups)) {
    if (!present(key)) continue;
    const missing = termsOf(value).filter((r) => !present(r));
    if (missing.length) return [err(withContext(`missing parameter(s) required by '${key}': ${missing.join(', ')}`, schema.context))];
  }
  return undefined;
});

// ---- stage: defaults --------------------------------------------------------------------------

/** non-None defaults, applied before the required/type checks so defaults get checked too */
const defaults = stage((schema: Record<string, unknown>): Check => {
  const entries = Object.entries(schema);
  return (raw) => {
    const data = raw as Record<string, unknown>;
    for (const [name, value] of entries) if (!has(data, name)) setOwn(data, name, deepCopy(value));
    return undefined;
  };
});

/** after the checks, every absent option becomes None; apply_defaults turns a None dict into {} */
const fillNone = stage((schema: { names: string[]; applyDefaults: string[] }): Check => (raw) => {
  const data = raw as Record<string, unknown>;
  for (const name of schema.names) if (data[name] === undefined) data[name] = null;
  for (const name of schema.applyDefaults) if (data[name] === null) data[name] = {};
  return undefined;
});

// ---- stage: types ---------------------------------------------------------------------------

export interface TypeSchema {
  param: string;
  /** the spec's `type` as written (undefined → str) */
  type?: unknown;
  elements?: unknown;
  context: string[];
}

function typeName(t: unknown): string {
  return t === undefined || t === null ? 'str' : String(t);
}

const typeCheck = stage((schema: TypeSchema): Check => {
  const wanted = typeName(schema.type);
  const coerce = coercerFor(wanted);
  const hasElements = !(schema.elements === undefined || schema.elements === null || schema.elements === '' || schema.elements === false);
  const elementType = typeName(schema.elements);
  const coerceElement = coercerFor(elementType);
  const where = schema.context.length ? ` found in '${foundIn(schema.context)}'.` : '';
  const elementWhere = schema.context.length ? ` found in '${foundIn(schema.context)}'` : '';
  return function (this: RunContext, data, dataCxt) {
    // Ansible 2.14 skips type checks for None values entirely
    if (data === null || data === undefined) return undefined;
    const cls = strClassIn(this, dataCxt?.parentData);
    const derive = deriver(this);
    const typeError = (inner: string): Partial<ErrorObject> =>
      err(`argument '${schema.param}' is of type ${pyClass(data, cls)}${where} and we were unable to convert to ${wanted}: ${inner}`);
    let converted: unknown;
    try {
      converted = coerce(data, cls, derive, this.paths);
    } catch (e) {
      if (!(e instanceof CoercionError)) throw e;
      return [typeError(e.message)];
    }
    setValue(dataCxt, converted);
    if (!hasElements) return undefined;
    const errors: Errors = [];
    if (schema.type !== 'list' || !Array.isArray(converted)) {
      errors.push(err(`Invalid type ${wanted} for option '${pyStr(converted)}'${where}, elements value check is supported only with 'list' type`));
    }
    let items: unknown[];
    if (Array.isArray(converted)) items = converted;
    else if (isPyStr(converted)) items = [...strValue(converted)];
    else if (isPyDict(converted)) items = Object.keys(converted);
    else {
      errors.push(typeError(`'${pyClassName(converted, cls)}' object is not iterable`));
      return errors;
    }
    // characters of a string are plain str; list items and dict keys keep their origin
    const itemCls = isPyStr(converted) ? 'str' : strClassIn(this, converted);
    const kept: unknown[] = [];
    for (const item of items) {
      try {
        kept.push(coerceElement(item, itemCls, derive, this.paths));
      } catch (e) {
        if (!(e instanceof CoercionError)) throw e;
        errors.push(
          err(
            `Elements value for option '${schema.param}'${elementWhere} is of type ${pyClass(item, itemCls)} and we were unable to convert to ${elementType}: ${e.message}`,
          ),
        );
      }
    }
    if (this.derived?.has(converted as object)) this.derived.add(kept);
    setValue(dataCxt, kept);
    return errors;
  };
});

// ---- stage: choices --------------------------------------------------------------------------

const BOOLEAN_TRUE_CHOICES: unknown[] = ['y', 'yes', 'on', '1', 'true', 't', 1, 1.0, true];
const BOOLEAN_FALSE_CHOICES: unknown[] = ['n', 'no', 'off', '0', 'false', 'f', 0, 0.0, false];

/** BOOLEANS_X ∩ choices, as distinct (hash-equal) choice items */
function booleanOverlap(booleans: unknown[], choices: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const c of choices) {
    const hashable = !Array.isArray(c) && !isPyDict(c);
    if (hashable && pyIn(c, booleans) && !pyIn(c, out)) out.push(c);
  }
  return out;
}

export interface ChoicesSchema {
  param: string;
  choices: unknown[];
  context: string[];
}

const choices = stage((schema: ChoicesSchema): Check => {
  const choiceText = schema.choices.map(pyStr).join(', ');
  const falseOverlap = booleanOverlap(BOOLEAN_FALSE_CHOICES, schema.choices);
  const trueOverlap = booleanOverlap(BOOLEAN_TRUE_CHOICES, schema.choices);
  return (data, dataCxt) => {
    if (Array.isArray(data)) {
      const unmatched = data.filter((item) => !pyIn(item, schema.choices));
      if (!unmatched.length) return undefined;
      const notText = unmatched.find((item) => !isPyStr(item));
      if (notText !== undefined) {
        // str.join() refuses non-strings: Ansible fails the whole task with Python's TypeError
        const index = unmatched.indexOf(notText);
        throw new ValidationCrash(`sequence item ${index}: expected str instance, ${pyClassName(notText, 'str')} found`);
      }
      const text = `value of ${schema.param} must be one or more of: ${choiceText}. Got no match for: ${unmatched.map(pyStr).join(', ')}`;
      return [err(withContext(text, schema.context))];
    }
    if (pyIn(data, schema.choices)) return undefined;
    let value = data;
    if (pyEq(value, 'False') && falseOverlap.length === 1) value = falseOverlap[0];
    if (pyEq(value, 'True') && trueOverlap.length === 1) value = trueOverlap[0];
    if (value !== data) setValue(dataCxt, value);
    if (pyIn(value, schema.choices)) return undefined;
    const text = `value of ${schema.param} must be one of: ${choiceText}, got: ${pyStr(value)}`;
    return [err(withContext(text, schema.context))];
  };
});

/** a fixed error (internal spec errors) */
const fixedError = stage((message: string): Check => () => [err(message)]);

/** a non-dict item of a dict/list-of-dicts option: Ansible first probes it with `in`, which fails for scalars */
const notDict = stage((schema: { message: string; probes: boolean }): Check => {
  return function (this: RunContext, data) {
    if (schema.probes && !isPyStr(data) && !Array.isArray(data) && !isPyDict(data)) {
      throw new ValidationCrash(`argument of type '${pyClassName(data, this.strClass)}' is not iterable`);
    }
    return [err(schema.message)];
  };
});

/** true for a Python dict only: boxed strings and PyFloat are objects to JSON Schema's `type` */
const isDict = stage((_schema: true): Check => (data) => (isPyDict(data) ? undefined : [err('not a dict')]));

/** one stage keyword: its compile function, and whether it applies to dict data only */
export interface StageKeyword {
  compile: CompileKeywordFunc;
  objectOnly: boolean;
  /** the keyword may replace its value in the parent (Ajv must re-read the data after it) */
  modifying: boolean;
}

/** the stage keywords compile.ts emits, for Ajv (addAnsibleKeywords) and for interpret.ts */
export const STAGE_KEYWORDS: ReadonlyMap<string, StageKeyword> = new Map<string, StageKeyword>([
  ['x-ansible-aliases', { compile: aliases, modifying: true, objectOnly: true }],
  ['x-ansible-nolog', { compile: noLog, modifying: false, objectOnly: true }],
  ['x-ansible-unsupported', { compile: unsupported, modifying: false, objectOnly: true }],
  ['x-ansible-mutually-exclusive', { compile: mutuallyExclusive, modifying: false, objectOnly: true }],
  ['x-ansible-defaults', { compile: defaults, modifying: true, objectOnly: true }],
  ['x-ansible-type', { compile: typeCheck, modifying: true, objectOnly: false }],
  ['x-ansible-choices', { compile: choices, modifying: true, objectOnly: false }],
  ['x-ansible-required-together', { compile: requiredTogether, modifying: false, objectOnly: true }],
  ['x-ansible-required-one-of', { compile: requiredOneOf, modifying: false, objectOnly: true }],
  ['x-ansible-required-if', { compile: requiredIf, modifying: false, objectOnly: true }],
  ['x-ansible-required-by', { compile: requiredBy, modifying: false, objectOnly: true }],
  ['x-ansible-fill-none', { compile: fillNone, modifying: true, objectOnly: true }],
  ['x-ansible-fail', { compile: fixedError, modifying: false, objectOnly: false }],
  ['x-ansible-not-dict', { compile: notDict, modifying: false, objectOnly: false }],
  ['x-ansible-is-dict', { compile: isDict, modifying: false, objectOnly: false }],
]);

/** annotation only: names the option path of a `required` list for the post stage */
export const CONTEXT_KEYWORD = 'x-ansible-context';

export function addAnsibleKeywords(ajv: Ajv2020): void {
  for (const [keyword, k] of STAGE_KEYWORDS) {
    const definition: FuncKeywordDefinition = { keyword, compile: k.compile, modifying: k.modifying, errors: true };
    if (k.objectOnly) definition.type = 'object';
    ajv.addKeyword(definition);
  }
  ajv.addKeyword({ keyword: CONTEXT_KEYWORD, schemaType: 'array' });
}
