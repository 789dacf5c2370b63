/**
 * YAML → plain JS, remembering where every node came from. Ansible reads YAML 1.1 (PyYAML):
 * `yes`/`on` are booleans and `0755` is an octal int, so the 1.1 schema is used.
 * Positions live in WeakMaps beside the data, so the model stays plain JSON-like values.
 */
import { readFileSync } from 'node:fs';
import { Document as YamlDocument, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, parseAllDocuments, type Node, type Document } from 'yaml';
import type { DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';
import { FALLBACK, readQuickly, type PositionSink } from './yaml-fast.js';
import { UserError, type SourcePos } from '../util/errors.js';
import { markUnsafe, PyFloat, UndecryptableVault } from '../template/index.js';
import { decryptVault, isVaultText, VaultError } from '../vault/index.js';
import { warningText } from '../report/plain.js';
import { decodeUtf8, yamlText } from './yaml-text.js';
import { setOwn } from '../util/dict.js';

const nodePos = new WeakMap<object, SourcePos>();
const keyPos = new WeakMap<object, Map<string, SourcePos>>();
const itemPos = new WeakMap<object, SourcePos[]>();

/** where item `index` of a sequence was written (falls back to the sequence itself) */
export function posOfItem(seq: unknown, index: number): SourcePos | undefined {
  if (seq === null || typeof seq !== 'object') return undefined;
  return itemPos.get(seq)?.[index] ?? nodePos.get(seq);
}

/** where a mapping or sequence started */
export function posOf(value: unknown): SourcePos | undefined {
  return value !== null && typeof value === 'object' ? nodePos.get(value) : undefined;
}

/** where key `key` of a mapping was written (falls back to the mapping itself) */
export function posOfKey(map: unknown, key: string): SourcePos | undefined {
  if (map === null || typeof map !== 'object') return undefined;
  return keyPos.get(map)?.get(key) ?? nodePos.get(map);
}

export function setPos(value: object, pos: SourcePos | undefined): void {
  if (pos) nodePos.set(value, pos);
}

const cache = new Map<string, unknown>();

/**
 * Where the reader's warnings go (a duplicate key). Ansible's loader warns on stderr while it
 * reads, before or between the play's output; the CLI may redirect them (tests collect them).
 */
let warn: (message: string) => void = (message) => process.stderr.write(`${warningText(message)}\n`);

export function setYamlWarningSink(sink: (message: string) => void): (message: string) => void {
  const previous = warn;
  warn = sink;
  return previous;
}

/** Reads and parses a YAML file (cached per path for the run). */
export function loadYamlFile(path: string): unknown {
  if (cache.has(path)) return cache.get(path);
  let text: string;
  try {
    text = decodeUtf8(readFileSync(path), path);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `the file ${path} could not be found` : `could not read ${path}: ${(err as Error).message}`,
    );
  }
  // a file ansible-vault encrypted is read as its plaintext, as Ansible's DataLoader does
  if (isVaultText(text)) text = decodeUtf8(decryptVault(text, path), path);
  const value = parseYaml(text, path);
  cache.set(path, value);
  return value;
}

/**
 * PyYAML's resolvers, which differ from the YAML 1.1 spec that `yaml` follows: `y`/`n` are
 * strings, a float needs a dot (`1e3` is a string), and timestamps stay strings here.
 */
type Tags = Array<{ tag: string; test?: RegExp; resolve?: (s: string) => unknown; default?: boolean | 'key' }>;
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_FLOAT = /^[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?$/;
/** an integral float (1.0) keeps its float-ness so it prints as Python would */
function pyFloat(s: string): unknown {
  const n = Number(s.replace(/_/g, ''));
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

function pyyamlTags(tags: Tags): Tags {
  return tags
    .filter((t) => !t.tag.endsWith(':timestamp'))
    .filter((t) => !(t.tag.endsWith(':float') && t.test && /\[eE\]/.test(t.test.source) && !t.test.source.includes('inf')))
    .map((t) => {
      if (t.tag.endsWith(':bool') && t.test) return { ...t, test: t.test.source.includes('Y') ? PY_TRUE : PY_FALSE };
      if (t.tag.endsWith(':float') && t.test && t.test.source.includes('\\.[0-9_]*$')) return { ...t, test: PY_FLOAT, resolve: pyFloat };
      return t;
    });
}

const READ_OPTIONS: DocumentOptions & SchemaOptions & ParseOptions = {
  version: '1.1',
  uniqueKeys: false,
  prettyErrors: false,
  customTags: (tags) => pyyamlTags(tags as unknown as Tags) as unknown as typeof tags,
};

interface ScalarTag {
  default?: boolean | 'key';
  test?: RegExp;
  resolve: (text: string, onError: (message: string) => void, options: unknown) => unknown;
}
let plainTags: { tags: ScalarTag[]; options: unknown } | undefined;

function scalarTags(): { tags: ScalarTag[]; options: unknown } {
  if (!plainTags) {
    const doc = new YamlDocument(null, READ_OPTIONS);
    plainTags = { tags: (doc.schema.tags as unknown as ScalarTag[]).filter((t) => !('collection' in t && t.collection)), options: doc.options };
  }
  return plainTags;
}

/**
 * Every tag test of the schema (null, bool, int, float, merge) needs the text empty or starting
 * with one of these; other plain scalars, most of a playbook's, are strings without trying ~12
 * regular expressions. test/engine/yaml-readers.test.ts checks this against the schema's tags.
 */
export const MAY_BE_TAGGED = /^[-+.~0-9<NnYyTtOoFf]/;

/** the schema's plain-scalar tests, for the test that holds MAY_BE_TAGGED to them */
export function plainScalarTests(): RegExp[] {
  return scalarTags().tags.flatMap((t) => (t.test ? [t.test] : []));
}

/** a plain scalar resolved exactly as the `yaml` reader resolves it (same tags, same order) */
function resolvePlain(text: string, atKey: boolean): unknown {
  if (text !== '' && !MAY_BE_TAGGED.test(text)) return text;
  const plainTags = scalarTags();
  const tag = plainTags.tags.find((t) => (t.default === true || (atKey && t.default === 'key')) && t.test?.test(text));
  if (!tag) return text;
  let failed = false;
  const value = tag.resolve(text, () => (failed = true), plainTags.options);
  if (failed) return FALLBACK;
  return isScalar(value) ? value.value : value;
}

const positionSink: PositionSink = {
  node: (value, pos) => nodePos.set(value, pos),
  keys: (map, keys) => keyPos.set(map, keys),
  items: (seq, items) => itemPos.set(seq, items),
  duplicate: (pos, key) => warnDuplicate(pos, key),
};

/**
 * PyYAML keeps the last value of a repeated key and Ansible's loader warns, naming where the
 * mapping starts; both readers keep the last value too (in the first one's place, as a dict does).
 */
function warnDuplicate(p: SourcePos | undefined, key: string): void {
  const where = p ? `${p.file}, line ${p.line}, column ${p.col}` : 'YAML';
  warn(`While constructing a mapping from ${where}, found a duplicate dict key (${key}). Using last defined value only.`);
}

export function parseYaml(source: string, file: string): unknown {
  const text = yamlText(source, file);
  const quick = parseYamlQuickly(text, file);
  if (quick !== FALLBACK) return quick;
  return parseYamlThoroughly(text, file);
}

/** js-yaml's quick reading (yaml-fast.ts), or FALLBACK where only the `yaml` package's will do */
export function parseYamlQuickly(text: string, file: string): unknown {
  return readQuickly(text, file, resolvePlain, markUnsafe, positionSink);
}

export { FALLBACK };

/** the `yaml` package's reading: everything YAML allows, and the errors users see */
export function parseYamlThoroughly(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...READ_OPTIONS, lineCounter });
  const list: Document[] = Array.isArray(docs) ? docs : [docs as unknown as Document];
  if (list.length === 0) return null;
  const doc = list[0]!;
  const toPos = (offset: number): SourcePos => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  for (const d of list) {
    // PyYAML reports a wrongly indented mapping at the second line's colon; so does this
    const err = d.errors.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY') ?? d.errors[0];
    if (err) {
      const where = toPos(err.code === 'MULTILINE_IMPLICIT_KEY' ? err.pos[1] : err.pos[0]);
      throw new UserError(
        `Syntax Error while loading YAML.\n  ${firstLine(err.message)}`,
        where,
        undefined,
        sourceExcerpt(text, where),
      );
    }
  }
  if (list.length > 1 && list.slice(1).some((d) => d.contents !== null)) {
    throw new UserError('Syntax Error while loading YAML.\n  expected a single document in the stream', toPos(list[1]?.range?.[0] ?? 0));
  }
  return new Converter(doc, toPos).value(doc.contents as Node | null);
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** the offending line with a caret, as Ansible shows it */
export function sourceExcerpt(text: string, pos: SourcePos): string {
  const line = text.split('\n')[pos.line - 1];
  if (line === undefined) return '';
  return `The offending line appears to be:\n\n${line}\n${' '.repeat(Math.max(0, pos.col - 1))}^ here`;
}

/** the local tags Ansible's loader constructs (the `!!` ones are YAML's own) */
const KNOWN_LOCAL_TAGS = new Set(['!unsafe', '!vault', '!vault-encrypted']);

/**
 * The most nodes aliases may add to a document once expanded. PyYAML shares an aliased value,
 * so reading a "billion laughs" document is cheap, but everything that walks the values later
 * (templating, argument checks, JSON) would walk the whole expansion: refused here instead.
 */
export const MAX_ALIAS_EXPANSION = 1_000_000;

/** a converted node and how many nodes it stands for once every alias in it is expanded */
interface Converted {
  value: unknown;
  size: number;
}

/**
 * The `yaml` package's nodes → plain values with PyYAML's meaning: an alias is the very value of
 * its anchor (shared, positions those of the anchor), and `<<` merges mappings as PyYAML's
 * flatten_mapping does (merged pairs first, a list's earlier mappings winning, the mapping's own
 * keys winning over all of them).
 */
class Converter {
  private readonly anchored = new Map<Node, Converted>();
  /** anchored collections still being converted: an alias to one would be a cycle */
  private readonly open = new Set<Node>();
  private expansion = 0;

  constructor(
    private readonly doc: Document,
    private readonly toPos: (o: number) => SourcePos,
  ) {}

  value(node: Node | null): unknown {
    return this.node(node).value;
  }

  private at(node: Node | null | undefined): SourcePos | undefined {
    return node?.range ? this.toPos(node.range[0]) : undefined;
  }

  private node(node: Node | null): Converted {
    if (node === null || node === undefined) return { value: null, size: 1 };
    if (isAlias(node)) return this.alias(node);
    if (!node.anchor) return this.plain(node);
    this.open.add(node);
    const done = this.plain(node);
    this.open.delete(node);
    this.anchored.set(node, done);
    return done;
  }

  private alias(node: Node & { source: string }): Converted {
    const target = (node as unknown as { resolve(doc: Document): Node | undefined }).resolve(this.doc);
    if (!target) throw new UserError(`Syntax Error while loading YAML.\n  found undefined alias '${node.source}'`, this.at(node));
    if (this.open.has(target)) {
      throw new UserError(`YAML alias '*${node.source}' refers to a value that contains it; tsplay does not accept recursive data`, this.at(node));
    }
    const done = this.anchored.get(target);
    if (!done) throw new UserError(`Syntax Error while loading YAML.\n  found undefined alias '${node.source}'`, this.at(node));
    this.expansion += done.size;
    if (this.expansion > MAX_ALIAS_EXPANSION) {
      throw new UserError(
        `YAML aliases expand this document to more than ${MAX_ALIAS_EXPANSION} values (an alias bomb?); refusing to read it`,
        this.at(node),
      );
    }
    return done;
  }

  private plain(node: Node): Converted {
    const tag = (node as { tag?: string }).tag;
    // PyYAML has no constructor for a local tag it does not know; the `yaml` package only warns
    if (tag !== undefined && tag.startsWith('!') && !KNOWN_LOCAL_TAGS.has(tag)) {
      throw new UserError(`Syntax Error while loading YAML.\n  could not determine a constructor for the tag '${tag}'`, this.at(node));
    }
    if (isScalar(node)) return { value: this.scalar(node), size: 1 };
    if (isMap(node)) return this.mapping(node);
    if (isSeq(node)) return this.sequence(node);
    return { value: null, size: 1 };
  }

  private scalar(node: Node & { value: unknown; tag?: string }): unknown {
    const tag = node.tag;
    if (tag === '!unsafe') return markUnsafe(String(node.value ?? ''));
    if (tag === '!vault' || tag === '!vault-encrypted') return inlineVault(String(node.value ?? ''), this.at(node));
    return node.value;
  }

  private mapping(node: Node & { items: Array<{ key: unknown; value: unknown }> }): Converted {
    const out: Record<string, unknown> = {};
    const keys = new Map<string, SourcePos>();
    let size = 1;
    const own: Array<[string, unknown, SourcePos | undefined]> = [];
    const merged: Array<Record<string, unknown>> = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        const from = this.node(pair.value as Node | null);
        size += from.size;
        merged.push(...this.mergeSources(from.value, pair.value as Node | null, node));
        continue;
      }
      if (isMap(keyNode) || isSeq(keyNode)) {
        // most often `msg: {{ var }}`: an unquoted template read as a mapping inside a mapping
        throw new UserError(
          `Syntax Error while loading YAML.\n  found unacceptable key (unhashable type: '${isMap(keyNode) ? 'AnsibleMapping' : 'AnsibleSequence'}')`,
          this.at(keyNode),
          undefined,
          'This looks like a template expression without quotes: a value that starts with {{ must be quoted, e.g. msg: "{{ var }}"',
        );
      }
      const rawKey = keyNode === null ? null : isScalar(keyNode) ? keyNode.value : this.value(keyNode);
      const key = rawKey === null ? 'null' : String(rawKey);
      const value = this.node(pair.value as Node | null);
      size += value.size + 1;
      if (seen.has(key)) warnDuplicate(this.at(node), key);
      seen.add(key);
      own.push([key, value.value, this.at(keyNode)]);
    }
    for (const source of merged) {
      for (const key of Object.keys(source)) {
        setOwn(out, key, source[key]);
        const p = posOfKey(source, key);
        if (p) keys.set(key, p);
      }
    }
    for (const [key, value, p] of own) {
      setOwn(out, key, value);
      if (p) keys.set(key, p);
    }
    const p = this.at(node);
    if (p) nodePos.set(out, p);
    keyPos.set(out, keys);
    return { value: out, size };
  }

  /** the mappings a `<<` value stands for, in the order their pairs are applied (later wins) */
  private mergeSources(value: unknown, valueNode: Node | null, map: Node): Array<Record<string, unknown>> {
    const refuse = (found: string): never => {
      throw new UserError(
        `Syntax Error while loading YAML.\n  while constructing a mapping: expected a mapping or list of mappings for merging, but found ${found}`,
        this.at(valueNode) ?? this.at(map),
      );
    };
    if (isMapping(value)) return [value];
    if (!Array.isArray(value)) return refuse(value === null || typeof value !== 'object' ? 'scalar' : 'sequence');
    const list = value.map((item) => (isMapping(item) ? item : refuse(Array.isArray(item) ? 'sequence' : 'scalar')));
    // PyYAML applies a list's mappings last to first, so the first one wins
    return list.reverse();
  }

  private sequence(node: Node & { items: unknown[]; range?: [number, number, number] | null }): Converted {
    let size = 1;
    const out = node.items.map((item) => {
      const c = this.node(item as Node | null);
      size += c.size;
      return c.value;
    });
    const p = this.at(node);
    if (p) nodePos.set(out, p);
    itemPos.set(
      out,
      node.items.map((item) => this.at(item as Node | null) ?? p ?? { file: '', line: 1, col: 1 }),
    );
    return { value: out, size };
  }
}

/**
 * A `!vault` value: its plaintext when the run's secrets open it; otherwise a value that fails
 * where it is used, since Ansible decrypts inline values only when a template reads them.
 */
function inlineVault(text: string, _pos: SourcePos | undefined): unknown {
  try {
    return decryptVault(text).toString('utf8');
  } catch (err) {
    if (err instanceof VaultError) return new UndecryptableVault(err.message);
    throw err;
  }
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export { parseDocument };
