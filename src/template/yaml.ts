/** to_yaml/to_nice_yaml in PyYAML's output style, and from_yaml through the `yaml` package. */
import { parse, parseAllDocuments } from 'yaml';
import { TemplateError, Undefined, PyFloat, isDict, floatRepr, prim, typeName, mkFloat } from './values.js';
import { dictSet } from './pymethods.js';

export interface YamlDumpOptions {
  /** PyYAML default_flow_style=None: collections of scalars only are written inline */
  flowLeaves: boolean;
  indent: number;
  width: number;
  sortKeys: boolean;
}

const RESOLVES_TO_OTHER = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N)$/,
  /^[-+]?0b[0-1_]+$/,
  /^[-+]?0[0-7_]+$/,
  /^[-+]?(?:0|[1-9][0-9_]*)$/,
  /^[-+]?0x[0-9a-fA-F_]+$/,
  /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/,
  /^[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?$/,
  /^\.[0-9_]+(?:[eE][-+][0-9]+)?$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
  /^[-+]?\.(?:inf|Inf|INF)$/,
  /^\.(?:nan|NaN|NAN)$/,
  /^(?:~|null|Null|NULL)$/,
  /^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?/,
  /^<<$/,
  /^=$/,
];

function plainAllowed(s: string, flow: boolean): boolean {
  if (s === '') return false;
  if (RESOLVES_TO_OTHER.some((re) => re.test(s))) return false;
  if (/^[\s]|[\s]$/.test(s)) return false;
  if (/[\n\r\x85\u2028\u2029]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s)) {
    // '-', '?', ':' are fine when followed by a non-space
    if (!(/^[-?:]/.test(s) && s.length > 1 && !/^[-?:][\s]/.test(s))) return false;
    if (flow && /^[?:]/.test(s)) return false;
  }
  if (s.startsWith('---') || s.startsWith('...')) return false;
  if (/: |:$| #/.test(s)) return false;
  if (flow && /[,[\]{}]/.test(s)) return false;
  // non-printable characters need double quotes
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]/.test(s)) return false;
  return true;
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\0') out += '\\0';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (c === 0xfeff) out += '\\uFEFF';
    else out += ch;
  }
  return out + '"';
}

function scalar(v: unknown, flow: boolean, indentStr: string): string {
  v = prim(v);
  if (v === null || v === undefined) return 'null';
  if (v instanceof Undefined) v.fail();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    return floatRepr(v);
  }
  if (v instanceof PyFloat) return floatRepr(v.v);
  if (typeof v === 'string') {
    if (plainAllowed(v, flow)) return v;
    if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]/.test(v) || (v.includes('\n') && (/^\s| \n|\n /.test(v) || /\s$/.test(v)))) return doubleQuoted(v);
    if (v.includes('\n')) {
      // PyYAML folds a single-quoted scalar: each line break is written as an empty line
      const lines = v.split('\n');
      return "'" + lines.map((l, i) => (i === 0 ? '' : indentStr) + l.replace(/'/g, "''")).join('\n\n').replace(/\n\n(?=\n)/g, '\n') + "'";
    }
    return "'" + v.replace(/'/g, "''") + "'";
  }
  throw new TemplateError(`cannot represent an object of type ${typeName(v)} in YAML`);
}

const isCollection = (v: unknown) => Array.isArray(v) || isDict(v);

function flowValue(v: unknown): string {
  v = prim(v);
  if (Array.isArray(v)) return '[' + v.map(flowValue).join(', ') + ']';
  if (isDict(v)) return '{' + Object.keys(v).map((k) => `${scalar(k, true, '')}: ${flowValue(v[k])}`).join(', ') + '}';
  return scalar(v, true, '');
}

export function yamlDump(value: unknown, opts: YamlDumpOptions): string {
  const ind = opts.indent;
  const sortObj = (v: unknown): unknown => {
    v = prim(v);
    if (Array.isArray(v)) return v.map(sortObj);
    if (isDict(v)) {
      const keys = opts.sortKeys ? Object.keys(v).sort() : Object.keys(v);
      const o: Record<string, unknown> = {};
      for (const k of keys) dictSet(o, k, sortObj(v[k]));
      return o;
    }
    return v;
  };
  value = sortObj(value);
  const leafFlow = (v: unknown) => opts.flowLeaves && isCollection(v) && !(Array.isArray(v) ? v : Object.values(v as object)).some(isCollection);

  const lines: string[] = [];
  const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : isDict(v) ? Object.keys(v).length === 0 : false);
  const isBlock = (v: unknown) => isCollection(v) && !isEmpty(v) && !leafFlow(v);
  const inline = (v: unknown, col: number) => (isCollection(v) ? flowValue(v) : scalar(v, false, ' '.repeat(col)));
  // PyYAML block style: mappings indent by `indent`; a sequence inside a mapping is not indented
  const mapping = (v: Record<string, unknown>, col: number, prefix: string | null): void => {
    Object.keys(v).forEach((k, i) => {
      const lead = i === 0 && prefix !== null ? prefix : ' '.repeat(col);
      const keyLine = lead + scalar(k, false, '') + ':';
      const child = v[k];
      if (isBlock(child)) {
        lines.push(keyLine);
        if (Array.isArray(child)) sequence(child, col, null);
        else mapping(child as Record<string, unknown>, col + ind, null);
      } else {
        lines.push(keyLine + ' ' + inline(child, col + ind));
      }
    });
  };
  const sequence = (v: unknown[], col: number, prefix: string | null): void => {
    v.forEach((item, i) => {
      const lead = (i === 0 && prefix !== null ? prefix : ' '.repeat(col)) + '-';
      if (isBlock(item)) {
        const pad = lead + ' '.repeat(Math.max(1, ind - 1));
        if (Array.isArray(item)) sequence(item, col + ind, pad);
        else mapping(item as Record<string, unknown>, col + ind, pad);
      } else {
        lines.push(lead + ' ' + inline(item, col + ind));
      }
    });
  };
  if (!isCollection(value)) return scalar(value, false, '') + '\n';
  if (!isBlock(value)) return flowValue(value) + '\n';
  if (Array.isArray(value)) sequence(value, 0, null);
  else mapping(value as Record<string, unknown>, 0, null);
  return lines.join('\n') + '\n';
}

/** PyYAML's YAML 1.1 resolvers where the `yaml` package's 1.1 schema differs (y/n are strings, floats need a dot). */
const BOOL_TAG = 'tag:yaml.org,2002:bool';
const FLOAT_TAG = 'tag:yaml.org,2002:float';
const pyyamlTags = (tags: unknown[]): unknown[] => {
  const keep = (tags as { tag: string }[]).filter((t) => t.tag !== BOOL_TAG && t.tag !== FLOAT_TAG && t.tag !== 'tag:yaml.org,2002:timestamp');
  return [
    ...keep,
    { tag: BOOL_TAG, default: true, test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/, resolve: () => true },
    { tag: BOOL_TAG, default: true, test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/, resolve: () => false },
    {
      tag: FLOAT_TAG,
      default: true,
      test: /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
      resolve: (s: string) => {
        const t = s.replace(/_/g, '').toLowerCase();
        if (t.endsWith('.inf')) return t.startsWith('-') ? -Infinity : Infinity;
        if (t === '.nan') return NaN;
        return mkFloat(parseFloat(t));
      },
    },
  ];
};

function rebuild(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rebuild);
  if (v instanceof PyFloat) return v;
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) dictSet(out, k, rebuild((v as Record<string, unknown>)[k]));
    return out;
  }
  if (v instanceof Date) return v.toISOString();
  return v;
}

export function yamlLoad(text: string): unknown {
  try {
    return rebuild(parse(text, { version: '1.1', uniqueKeys: false, maxAliasCount: 1000, customTags: pyyamlTags as never }) ?? null);
  } catch (e) {
    throw new TemplateError(`from_yaml: ${(e as Error).message}`);
  }
}

export function yamlLoadAll(text: string): unknown[] {
  return parseAllDocuments(text, { version: '1.1', customTags: pyyamlTags as never }).map((d) => {
    if ('errors' in d && d.errors.length) throw new TemplateError(`from_yaml_all: ${d.errors[0].message}`);
    return rebuild(d.toJS());
  });
}
