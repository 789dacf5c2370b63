/**
 * Runs the JSON Schemas that compile.ts makes, without Ajv's code generation.
 *
 * Those schemas use a small, fixed part of JSON Schema (`type`, `allOf`, `required`,
 * `properties`, `items`, `if`/`then`/`else`, local `$ref`) around the stage keywords of
 * keywords.ts, which do the real work. Ajv compiles each schema to JavaScript source and
 * evaluates it: ~5 ms a module spec, ~20 ms for the first, paid again by every run of the
 * engine, where a playbook's whole run can take 300 ms. This walker turns a schema into a tree
 * of closures once, calling the same keyword compile functions, and reports errors as Ajv
 * would (same keywords, paths, params and order, with `allErrors` and `verbose`), so errors.ts
 * reads either. test/argspec/interpret.test.ts holds the two to identical outcomes.
 *
 * A keyword outside that subset is an internal error, raised when the schema is compiled.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { DataValidateFunction, DataValidationCxt } from 'ajv/dist/types/index.js';
import { CONTEXT_KEYWORD, STAGE_KEYWORDS, type RunContext } from './keywords.js';

type JsonSchema = Record<string, unknown>;

/** where a value sits: what a keyword needs to replace it (the part of Ajv's DataValidationCxt keywords.ts reads) */
type Place = Pick<DataValidationCxt, 'parentData' | 'parentDataProperty'> | undefined;

/** checks `data`; appends errors; returns whether it passed */
type Node = (ctx: RunContext, data: unknown, place: Place, path: string, errors: ErrorObject[]) => boolean;

export type InterpretedValidator = (ctx: RunContext, data: unknown) => ErrorObject[] | null;

/** keywords that say nothing to validation, or that another keyword reads */
const INERT = new Set(['$schema', '$defs', 'then', 'else', CONTEXT_KEYWORD]);

function isObject(data: unknown): data is Record<string, unknown> {
  return typeof data === 'object' && data !== null && !Array.isArray(data);
}

function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function typeMatches(type: string, data: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(data);
    case 'array':
      return Array.isArray(data);
    case 'null':
      return data === null;
    default:
      throw new Error(`argspec interpreter: type '${type}' is not supported`);
  }
}

/** every part in turn, all reporting; passes when all pass */
function inSequence(parts: Node[]): Node {
  return (ctx, data, place, path, errors) => {
    let valid = true;
    for (const part of parts) {
      // a keyword may have replaced the value: the next one reads it from its place again
      const current = place?.parentData !== undefined ? (place.parentData as Record<string | number, unknown>)[place.parentDataProperty] : data;
      if (!part(ctx, current, place, path, errors)) valid = false;
    }
    return valid;
  };
}

class SchemaInterpreter {
  private readonly refs = new Map<string, Node>();

  constructor(private readonly root: JsonSchema) {}

  compile(schema: JsonSchema, schemaPath: string): Node {
    const parts: Node[] = [];
    for (const key of Object.keys(schema)) {
      if (!INERT.has(key) && !['type', 'allOf', 'required', 'properties', 'items', 'if', '$ref'].includes(key) && !STAGE_KEYWORDS.has(key)) {
        throw new Error(`argspec interpreter: keyword '${key}' at ${schemaPath} is not supported`);
      }
    }
    // Ajv's order: the type check, then keywords for any type, then array, then object keywords
    if (typeof schema.type === 'string') parts.push(this.typeNode(schema.type, schemaPath));
    if (typeof schema.$ref === 'string') parts.push(this.refNode(schema.$ref));
    if (Array.isArray(schema.allOf)) parts.push(this.allOfNode(schema.allOf as JsonSchema[], schemaPath));
    if (schema.if !== undefined) parts.push(this.ifNode(schema, schemaPath));
    for (const key of Object.keys(schema)) {
      const stage = STAGE_KEYWORDS.get(key);
      if (stage && !stage.objectOnly) parts.push(this.stageNode(key, schema, schemaPath));
    }
    if (schema.items !== undefined) parts.push(this.itemsNode(schema.items as JsonSchema, `${schemaPath}/items`));
    if (Array.isArray(schema.required)) parts.push(this.requiredNode(schema.required as string[], schema, schemaPath));
    if (isObject(schema.properties)) parts.push(this.propertiesNode(schema.properties as Record<string, JsonSchema>, `${schemaPath}/properties`));
    for (const key of Object.keys(schema)) {
      const stage = STAGE_KEYWORDS.get(key);
      if (stage?.objectOnly) parts.push(this.stageNode(key, schema, schemaPath));
    }
    return parts.length === 1 ? parts[0] : inSequence(parts);
  }

  private typeNode(type: string, schemaPath: string): Node {
    return (_ctx, data, _place, path, errors) => {
      if (typeMatches(type, data)) return true;
      errors.push({ instancePath: path, schemaPath: `${schemaPath}/type`, keyword: 'type', params: { type }, message: `must be ${type}`, schema: type, data });
      return false;
    };
  }

  private refNode(ref: string): Node {
    if (!ref.startsWith('#/$defs/')) throw new Error(`argspec interpreter: $ref '${ref}' is not supported`);
    const id = ref.slice('#/$defs/'.length);
    return (ctx, data, place, path, errors) => {
      let target = this.refs.get(id);
      if (!target) {
        const defs = this.root.$defs as Record<string, JsonSchema> | undefined;
        const schema = defs?.[id];
        if (!schema) throw new Error(`argspec interpreter: $ref '${ref}' names nothing`);
        target = this.compile(schema, ref);
        this.refs.set(id, target);
      }
      return target(ctx, data, place, path, errors);
    };
  }

  private allOfNode(subschemas: JsonSchema[], schemaPath: string): Node {
    return inSequence(subschemas.map((s, i) => this.compile(s, `${schemaPath}/allOf/${i}`)));
  }

  private ifNode(schema: JsonSchema, schemaPath: string): Node {
    const test = this.compile(schema.if as JsonSchema, `${schemaPath}/if`);
    const then = schema.then === undefined ? undefined : this.compile(schema.then as JsonSchema, `${schemaPath}/then`);
    const otherwise = schema.else === undefined ? undefined : this.compile(schema.else as JsonSchema, `${schemaPath}/else`);
    return (ctx, data, place, path, errors) => {
      // the condition's own errors are never reported
      const branch = test(ctx, data, place, path, []) ? then : otherwise;
      if (!branch) return true;
      const failingKeyword = branch === then ? 'then' : 'else';
      if (branch(ctx, data, place, path, errors)) return true;
      errors.push({ instancePath: path, schemaPath: `${schemaPath}/if`, keyword: 'if', params: { failingKeyword }, message: `must match "${failingKeyword}" schema`, schema: schema.if, parentSchema: schema, data });
      return false;
    };
  }

  private itemsNode(items: JsonSchema, schemaPath: string): Node {
    const each = this.compile(items, schemaPath);
    return (ctx, data, _place, path, errors) => {
      if (!Array.isArray(data)) return true;
      let valid = true;
      for (let i = 0; i < data.length; i++) {
        const place: Place = { parentData: data, parentDataProperty: i };
        if (!each(ctx, data[i], place, `${path}/${i}`, errors)) valid = false;
      }
      return valid;
    };
  }

  private requiredNode(required: string[], schema: JsonSchema, schemaPath: string): Node {
    return (_ctx, data, _place, path, errors) => {
      if (!isObject(data)) return true;
      let valid = true;
      for (const name of required) {
        if (data[name] !== undefined) continue;
        valid = false;
        errors.push({
          instancePath: path,
          schemaPath: `${schemaPath}/required`,
          keyword: 'required',
          params: { missingProperty: name },
          message: `must have required property '${name}'`,
          schema: required,
          parentSchema: schema,
          data,
        });
      }
      return valid;
    };
  }

  private propertiesNode(properties: Record<string, JsonSchema>, schemaPath: string): Node {
    const parts = Object.entries(properties).map(([name, s]) => [name, this.compile(s, `${schemaPath}/${pointerToken(name)}`)] as const);
    return (ctx, data, _place, path, errors) => {
      if (!isObject(data)) return true;
      let valid = true;
      for (const [name, part] of parts) {
        const value = data[name];
        if (value === undefined) continue;
        const childPath = `${path}/${pointerToken(name)}`;
        const place: Place = { parentData: data, parentDataProperty: name };
        if (!part(ctx, value, place, childPath, errors)) valid = false;
      }
      return valid;
    };
  }

  private stageNode(keyword: string, schema: JsonSchema, schemaPath: string): Node {
    const stage = STAGE_KEYWORDS.get(keyword)!;
    const value = schema[keyword];
    const fn = stage.compile(value, schema, undefined as never) as DataValidateFunction;
    return (ctx, data, place, path, errors) => {
      if (stage.objectOnly && !isObject(data)) return true;
      if (fn.call(ctx, data, place as DataValidationCxt | undefined)) return true;
      for (const e of (fn.errors ?? []) as ErrorObject[]) {
        e.instancePath ??= path;
        e.schemaPath = `${schemaPath}/${keyword}`;
        e.schema = value;
        e.data = data;
        errors.push(e);
      }
      return false;
    };
  }
}

/** one validator for a schema made by argSpecToJsonSchema; null when the data passed */
export function interpretSchema(schema: JsonSchema): InterpretedValidator {
  const top = new SchemaInterpreter(schema).compile(schema, '#');
  return (ctx, data) => {
    const errors: ErrorObject[] = [];
    top(ctx, data, undefined, '', errors);
    return errors.length ? errors : null;
  };
}
