/** to_yaml/to_nice_yaml in PyYAML's output style, and from_yaml through the `yaml` package. */
import { parse, parseAllDocuments } from 'yaml';
import { TemplateError, Undefined, PyFloat, isDict, floatRepr, prim, typeName } from './values.js';
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
  const emit = (v: unknown, level: number, prefix: string): void => {
    // prefix: text already on the line ("key:" or "- ")
    const pad = ' '.repeat(level);
    if (isCollection(v) && ((Array.isArray(v) && v.length === 0) || (isDict(v) && Object.keys(v).length === 0))) {
      lines.push(prefix + (prefix && !prefix.endsWith(' ') ? ' ' : '') + (Array.isArray(v) ? '[]' : '{}'));
      return;
    }
    if (leafFlow(v)) {
      lines.push(prefix + (prefix && !prefix.endsWith(' ') ? ' ' : '') + flowValue(v));
      return;
    }
    if (Array.isArray(v)) {
      // PyYAML writes list items of a mapping value at the same indentation as the key (indentless)
      let first = prefix.endsWith('- ');
      for (const item of v) {
        const itemPrefix = first ? prefix : pad + '- ';
        if (!first && prefix && lines.length >= 0 && itemPrefix === pad + '- ' && prefix && !prefix.endsWith('- ') && v.indexOf(item) === 0) {
          lines.push(prefix);
        }
        first = false;
        emitItem(item, level, itemPrefix);
      }
      return;
    }
    if (isDict(v)) {
      let first = prefix.endsWith('- ');
      const keys = Object.keys(v);
      if (prefix && !first) lines.push(prefix);
      for (const k of keys) {
        const keyText = scalar(k, false, '');
        const keyPrefix = (first ? prefix : pad) + keyText + ':';
        first = false;
        const child = v[k];
        if (isCollection(child) && !leafFlow(child) && !(Array.isArray(child) ? child.length === 0 : Object.keys(child as object).length === 0)) {
          if (Array.isArray(child)) {
            lines.push(keyPrefix);
            for (const item of child) emitItem(item, level + (ind > 2 ? ind : 0), ' '.repeat(level + (ind > 2 ? ind : 0)) + '- ');
          } else {
            lines.push(keyPrefix);
            emit(child, level + ind, '');
          }
        } else {
          emitScalarLine(keyPrefix + ' ', child, level + ind);
        }
      }
      return;
    }
    emitScalarLine(prefix, v, level);
  };
  const emitItem = (item: unknown, level: number, itemPrefix: string) => {
    const inner = level + 2;
    if (isDict(item) && !leafFlow(item) && Object.keys(item).length) {
      emit(item, inner, itemPrefix);
    } else if (Array.isArray(item) && !leafFlow(item) && item.length) {
      emit(item, inner, itemPrefix);
    } else {
      emitScalarLine(itemPrefix, item, inner);
    }
  };
  const emitScalarLine = (prefix: string, v: unknown, level: number) => {
    if (isCollection(v)) {
      lines.push(prefix + flowValue(v));
      return;
    }
    const text = scalar(v, false, ' '.repeat(level));
    lines.push(prefix + text);
  };
  if (!isCollection(value)) {
    const s = scalar(value, false, '');
    // a bare scalar document ends with the document end marker in PyYAML
    return s + '\n' + (/^'|^"/.test(s) || s.includes('\n') ? '' : '...\n');
  }
  emit(value, 0, '');
  return lines.join('\n') + '\n';
}

function rebuild(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rebuild);
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
    return rebuild(parse(text, { version: '1.1', uniqueKeys: false, maxAliasCount: 1000 }) ?? null);
  } catch (e) {
    throw new TemplateError(`from_yaml: ${(e as Error).message}`);
  }
}

export function yamlLoadAll(text: string): unknown[] {
  return parseAllDocuments(text, { version: '1.1' }).map((d) => {
    if ('errors' in d && d.errors.length) throw new TemplateError(`from_yaml_all: ${d.errors[0].message}`);
    return rebuild(d.toJS());
  });
}
