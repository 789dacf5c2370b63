/**
 * Reads a role's argument specs the way ansible-core 2.14 finds them, and checks the spec file
 * itself against schemas/argument_specs.schema.json (with the validator Ajv generated from it at
 * build time: meta-validator.js) so a malformed spec is a load error with file:line:column instead
 * of a surprise at run time.
 *
 * Lookup (Role._get_role_argspecs): if meta/argument_specs.{yml,yaml,json} exists, that file
 * alone is used (its `argument_specs` key; an empty file means no validation); otherwise the
 * `argument_specs` key of meta/main.{yml,yaml,json}. The two are never merged.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { validate as checkArgumentSpecs } from './meta-validator.js';
import { parseYaml, posOf, posOfItem, posOfKey } from '../load/yaml.js';
import { decryptVault, isVaultText } from '../vault/index.js';
import type { EntryPointSpec } from './types.js';
import { UserError } from '../util/errors.js';

export interface RoleArgSpecs {
  /** the file the specs came from */
  file: string;
  /** where `argument_specs` sat: its own file, or the key of meta/main */
  source: 'argument_specs' | 'meta/main';
  /** entry point name → spec (a null entry means "no validation" for that entry point) */
  entryPoints: Record<string, EntryPointSpec | null>;
  /** positions of the entry points in the file, for messages */
  positions: Record<string, { line: number; col: number }>;
  /** set when the spec file is malformed: every role call then fails with this error */
  error?: ArgSpecFileError;
}

/** A malformed spec file: an error value, not an exception. */
export class ArgSpecFileError {
  readonly kind = 'argspec-file-error';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly message: string,
  ) {}
  toString(): string {
    return `${this.file}:${this.line}:${this.col}: ${this.message}`;
  }
  /** the project's user-facing error, with the position for the source excerpt */
  asUserError(): UserError {
    return new UserError(`invalid argument spec: ${this.message}`, { file: this.file, line: this.line, col: this.col });
  }
}

const SPEC_EXTENSIONS = ['.yml', '.yaml', '.json'];

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** `_load_role_yaml(subdir, main=name)`: the bare name first, then the YAML extensions */
async function firstExisting(base: string): Promise<string | undefined> {
  for (const ext of ['', ...SPEC_EXTENSIONS]) if (await exists(base + ext)) return base + ext;
  return undefined;
}

/**
 * The role's argument specs; undefined when the role has none (no file, an empty file, or an
 * empty `argument_specs`). A malformed file yields specs whose `error` says where and why.
 */
export async function loadRoleArgumentSpecs(roleDir: string): Promise<RoleArgSpecs | undefined> {
  const meta = join(roleDir, 'meta');
  let file: string | undefined;
  let source: RoleArgSpecs['source'] = 'argument_specs';
  for (const ext of SPEC_EXTENSIONS) {
    if (await exists(join(meta, `argument_specs${ext}`))) {
      file = await firstExisting(join(meta, 'argument_specs'));
      break;
    }
  }
  if (!file) {
    file = await firstExisting(join(meta, 'main'));
    source = 'meta/main';
  }
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return failed(new ArgSpecFileError(file, 1, 1, `could not read the argument spec file: ${(e as Error).message}`), source);
  }
  const parsed = parseArgumentSpecs(text, file, source);
  return parsed instanceof ArgSpecFileError ? failed(parsed, source) : parsed;
}

function failed(error: ArgSpecFileError, source: RoleArgSpecs['source']): RoleArgSpecs {
  return { file: error.file, source, entryPoints: {}, positions: {}, error };
}

/**
 * Parses and checks spec text (exported for tests and for specs that come from elsewhere). The
 * text is read as playbooks are (src/load/yaml.ts: PyYAML's resolvers, so `y`/`n` stay strings
 * as Ansible reads them; anchors, merge keys, vault).
 */
export function parseArgumentSpecs(text: string, file: string, source: RoleArgSpecs['source']): RoleArgSpecs | ArgSpecFileError | undefined {
  let data: unknown;
  try {
    data = parseYaml(isVaultText(text) ? decryptVault(text, file).toString('utf8') : text, file);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const p = err.pos ?? { line: 1, col: 1 };
    return new ArgSpecFileError(file, p.line, p.col, `YAML syntax error: ${err.message.replace(/^Syntax Error while loading YAML\.\n\s*/, '')}`);
  }
  if (data === null || data === undefined) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) {
    if (source === 'meta/main') return new ArgSpecFileError(file, 1, 1, 'meta/main must be a mapping');
    return undefined; // Ansible treats a non-mapping argument_specs file as "no specs"
  }
  const root = data as Record<string, unknown>;
  if (!root.argument_specs) return undefined;
  if (!checkArgumentSpecs({ argument_specs: root.argument_specs })) {
    return schemaError(file, text, root, (checkArgumentSpecs.errors ?? [])[0]);
  }
  const entryPoints = root.argument_specs as Record<string, EntryPointSpec | null>;
  if (!Object.keys(entryPoints).length) return undefined;
  const positions: RoleArgSpecs['positions'] = {};
  for (const name of Object.keys(entryPoints)) {
    const p = posOfKey(entryPoints, name) ?? posOfKey(root, 'argument_specs');
    positions[name] = p ? { line: p.line, col: p.col } : { line: 1, col: 1 };
  }
  return { file, source, entryPoints, positions };
}

function schemaError(file: string, text: string, root: Record<string, unknown>, error: ErrorObject | undefined): ArgSpecFileError {
  if (!error) return new ArgSpecFileError(file, 1, 1, 'invalid argument spec');
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // the deepest value on the path that was written somewhere (the failing value may be absent)
  let p: { line: number; col: number } | undefined;
  let parent: unknown = root;
  for (const step of path) {
    if (parent === null || typeof parent !== 'object') break;
    const at = Array.isArray(parent) ? posOfItem(parent, Number(step)) : posOfKey(parent, step);
    const value: unknown = (parent as Record<string, unknown>)[step];
    p = (value !== null && typeof value === 'object' ? posOf(value) : valueAfterKey(text, at, step)) ?? at ?? p;
    parent = value;
  }
  const where = p ?? { line: 1, col: 1 };
  return new ArgSpecFileError(file, where.line, where.col, describeSchemaError(path, error));
}

/** where a scalar written on its key's line (`key: value`) starts; the readers keep key positions only */
function valueAfterKey(text: string, key: { line: number; col: number } | undefined, name: string): { line: number; col: number } | undefined {
  if (!key) return undefined;
  const line = text.split('\n')[key.line - 1] ?? '';
  const m = /^(["']?)[^:]*\1[ \t]*:[ \t]*(?=[^ \t#])/.exec(line.slice(key.col - 1));
  if (!m || !line.slice(key.col - 1).includes(name)) return undefined;
  return { line: key.line, col: key.col + m[0].length };
}

function describeSchemaError(path: string[], error: ErrorObject): string {
  const where = path.length ? path.join('.') : 'argument_specs';
  const optionPath = optionPathOf(path);
  const subject = optionPath ? `option '${optionPath}'` : `'${where}'`;
  const params = error.params as Record<string, unknown>;
  const last = path[path.length - 1];
  if (error.keyword === 'enum' && (last === 'type' || last === 'elements')) {
    return `${subject}: unknown ${last} '${String(getAt(error.data))}'; expected one of ${(params.allowedValues as string[]).join(', ')}`;
  }
  if (error.keyword === 'required' && params.missingProperty === 'type') {
    return `${subject}: 'elements' needs 'type: list'`;
  }
  if (error.keyword === 'const' && last === 'type') {
    return `${subject}: 'elements' is only supported with 'type: list' (type is '${String(getAt(error.data))}')`;
  }
  if (last === 'choices') return `${subject}: 'choices' must be a list`;
  return `${subject}: ${where} ${error.message ?? 'is invalid'}`;
}

function getAt(v: unknown): unknown {
  return v;
}

/** argument_specs.main.options.a.options.b.type → "a.b" */
function optionPathOf(path: string[]): string | undefined {
  const names: string[] = [];
  for (let i = 0; i < path.length - 1; i++) if (path[i] === 'options') names.push(path[++i]);
  return names.length ? names.join('.') : undefined;
}
