/**
 * tsplay's templating: Jinja2 as Ansible 2.14 configures it, on Nunjucks' parser.
 *
 * Templar.template() follows Ansible's Templar.template(): strings without template markers and
 * unsafe values pass through, lists and dicts are templated item by item, `{{ var }}` naming a
 * number/bool/None returns it as is, and any other result is a string unless it reads as a
 * Python list/dict/bool literal (ansible_eval_concat), which is converted back into data.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FileOptions, TemplarApi, TemplateOptions, TemplateVars } from './api.js';
import { parseTemplate } from './parser.js';
import { TemplateSyntaxError, DEFAULT_DELIMITERS, type Delimiters } from './lexer.js';
import { compileTemplate, Render, NOT_FOUND, type Compiled, type Host } from './runtime.js';
import {
  TemplateError, UndefinedError, Undefined, UndecryptableVault, PyTypeError, VaultValueError, markUnsafe, wrapVar, isUnsafe, isDict, isNumber, PyFloat, prim, pyFunction, tuple, truthy, num, pyStr, stripUnsafe,
} from './values.js';
import { FORBIDDEN_NAMES } from './access.js';
import { NAMESPACES, dictSet, CALLABLE_ATTRS } from './pymethods.js';
import { literalEval, NOT_LITERAL } from './literal.js';
import { FILTERS } from './filters.js';
import { TESTS } from './tests.js';
import { LOOKUPS, LookupError, type LookupContext } from './lookups.js';

export type { FileOptions, TemplarApi, TemplateOptions, TemplateVars } from './api.js';
export { TemplateError, UndefinedError, markUnsafe, isUnsafe, stripUnsafe, wrapVar, Undefined, PyFloat, UndecryptableVault, VaultValueError };
/** Plain JS data from a template result (unsafe strings and integral floats unwrapped), for module arguments. */
export const toPlain = stripUnsafe;
export { FILTERS, TESTS, LOOKUPS };

/** The value Ansible's `omit` variable holds for this run; module args equal to it are dropped. */
export const OMIT_TOKEN = '__omit_place_holder__' + createHash('sha1').update(randomBytes(64)).digest('hex');

/** Ansible's is_possibly_template: the string contains a Jinja start marker. */
export function isTemplate(s: string): boolean {
  if (typeof s !== 'string') return false;
  for (let i = s.indexOf('{'); i !== -1; i = s.indexOf('{', i + 1)) {
    const c = s.charCodeAt(i + 1);
    if (c === 123 || c === 37 || c === 35) return true;
  }
  return false;
}

// Python's `$` also matches before a final newline
/** views (scopeAsDict) that template their own values: never scanned or templated from outside */
const SELF_TEMPLATING = new WeakSet<object>();

const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}\n?$/;
const JINJA2_OVERRIDE = '#jinja2:';
const PLAYBOOK_MODE: CompileMode = { playbook: true, trimBlocks: true, lstripBlocks: false };
const FILE_MODE: CompileMode = { playbook: false, trimBlocks: true, lstripBlocks: false };

interface CompileMode {
  /** template() strings from playbooks: backslashes in `{{ }}` strings are kept (Ansible's escape_backslashes) */
  playbook: boolean;
  trimBlocks: boolean;
  lstripBlocks: boolean;
  /** environment settings other than the defaults (template module options, `#jinja2:` header) */
  env?: TemplateEnv;
}

/** Jinja environment settings the template module and a `#jinja2:` header may change. */
export interface TemplateEnv {
  delimiters?: Delimiters;
  /** Jinja's newline_sequence: template newlines and added trailing newlines become this */
  newline?: string;
  lineStatementPrefix?: string | null;
  lineCommentPrefix?: string | null;
}

function modeKey(mode: CompileMode): number {
  return (mode.playbook ? 4 : 0) | (mode.trimBlocks ? 2 : 0) | (mode.lstripBlocks ? 1 : 0);
}

/** cache key of a source under a mode: sources compiled under a changed environment are kept apart */
function sourceKey(source: string, mode: CompileMode): string {
  return mode.env ? `${JSON.stringify(mode.env)}\u0000${source}` : source;
}

/** Per-call state: the variables, options and the names being resolved (recursion guard). */
class Scope implements Host {
  readonly filters = FILTERS;
  readonly tests = TESTS;
  readonly resolving: string[] = [];
  private globalsCache: Record<string, unknown> | undefined;
  /** the environment of the file being rendered, for the templates it includes or imports */
  fileMode: CompileMode = FILE_MODE;
  /**
   * the template module's start strings, when it changed them: Ansible's is_possibly_template
   * then looks for those in a variable's value, so `{{ x }}` in a variable stays as written
   */
  starts: string[] | undefined;
  constructor(readonly templar: Templar, readonly vars: TemplateVars, readonly opts: TemplateOptions) {}

  /** built on first use: most renders never call a global function */
  get globals(): Record<string, unknown> {
    return (this.globalsCache ??= this.templar.globalsFor(this));
  }

  resolve(name: string, rt: Render): unknown {
    if (!(name in this.vars) || FORBIDDEN_NAMES.has(name)) return name === 'vars' ? this.varsView() : NOT_FOUND;
    const value = this.vars[name];
    if (value instanceof UndecryptableVault) value.fail();
    if (value instanceof String) {
      rt.sawUnsafe = true;
      return value.valueOf();
    }
    if (typeof value === 'string') return (this.starts ? this.starts.some((m) => value.includes(m)) : isTemplate(value)) ? this.nested(name, value, rt) : value;
    if (value === null || typeof value !== 'object') return value;
    if (isUnsafe(value)) {
      rt.sawUnsafe = true;
      return value;
    }
    return this.templar.containsTemplate(value) ? this.nested(name, value, rt) : value;
  }

  private nested(name: string, value: unknown, rt: Render): unknown {
    if (this.resolving.includes(name)) {
      throw new TemplateError(`recursive loop detected in template string: ${typeof value === 'string' ? value : pyStr(value)}`);
    }
    this.resolving.push(name);
    try {
      const r = this.templar.templateWith(value, this, true);
      if (isUnsafe(r)) rt.sawUnsafe = true;
      return r instanceof String ? r.valueOf() : r;
    } catch (e) {
      // as in AnsibleJ2Vars: a variable whose value uses an undefined one is itself undefined,
      // so `is defined` and default() still work on it
      if (e instanceof UndefinedError) return new Undefined(e.message);
      throw e;
    } finally {
      this.resolving.pop();
    }
  }

  private varsViewCache: Record<string, unknown> | undefined;

  /** Ansible's `vars` magic variable: every variable by name, raw (Ansible does not template them here). */
  private varsView(): Record<string, unknown> {
    if (this.varsViewCache) return this.varsViewCache;
    const scope = this;
    const target = Object.create(null) as Record<string, unknown>;
    const visible = (k: string | symbol): k is string => typeof k === 'string' && k in scope.vars && !FORBIDDEN_NAMES.has(k);
    this.varsViewCache = new Proxy(target, {
      get: (_t, k) => (visible(k) ? scope.vars[k] : undefined),
      has: (_t, k) => visible(k),
      getOwnPropertyDescriptor: (_t, k) => (visible(k) ? { value: scope.vars[k], enumerable: true, configurable: true, writable: false } : undefined),
      ownKeys: () => {
        const keys: string[] = [];
        for (const k in scope.vars) if (!FORBIDDEN_NAMES.has(k)) keys.push(k);
        return keys;
      },
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
    return this.varsViewCache;
  }

  loadTemplate(name: string): Compiled | null {
    const dirs = this.opts.searchPath?.length ? this.opts.searchPath : [process.cwd()];
    for (const d of path.isAbsolute(name) ? [''] : dirs.flatMap((x) => [path.join(x, 'templates'), x])) {
      const p = d ? path.join(d, name) : name;
      if (fs.existsSync(p) && fs.statSync(p).isFile()) {
        // an included or imported template is lexed by the including one's environment
        return this.templar.compile(stripTrailingNewline(fs.readFileSync(p, 'utf8')), this.fileMode);
      }
    }
    return null;
  }
}

interface Prepared {
  compiled: Compiled;
  dataNewlines: number;
  /** the mode after the `#jinja2:` header */
  mode: CompileMode;
  /** the name in a `{{ name }}` template (Ansible's SINGLE_VAR fast path), else null */
  singleVar: string | null;
}

const DELIMITER_KEYS: Record<string, keyof Delimiters> = {
  variable_start_string: 'variableStart',
  variable_end_string: 'variableEnd',
  block_start_string: 'blockStart',
  block_end_string: 'blockEnd',
  comment_start_string: 'commentStart',
  comment_end_string: 'commentEnd',
};

/**
 * A `#jinja2: trim_blocks: False, lstrip_blocks: True` first line sets environment attributes for
 * this template (Ansible's do_template: each value is a Python literal). Attributes that change
 * nothing tsplay renders (keep_trailing_newline: Ansible restores trailing newlines itself;
 * autoescape: Ansible's output is never escaped) are accepted and ignored.
 */
function applyOverrides(data: string, mode: CompileMode): { source: string; mode: CompileMode } {
  if (!data.startsWith(JINJA2_OVERRIDE)) return { source: data, mode };
  const eol = data.indexOf('\n');
  // Python's data[len(prefix):-1] when there is no newline: the last character is dropped
  const line = data.slice(JINJA2_OVERRIDE.length, eol === -1 ? -1 : eol);
  const source = eol === -1 ? data : data.slice(eol + 1);
  const effective: CompileMode = { ...mode };
  const env: TemplateEnv = { ...mode.env };
  for (const pair of line.split(',')) {
    const idx = pair.indexOf(':');
    if (idx === -1) throw new TemplateError(`failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`);
    const key = pair.slice(0, idx).trim();
    const text = pair.slice(idx + 1).trim();
    const val = literalEval(text);
    if (val === NOT_LITERAL) {
      // Python's ast.literal_eval names the node it refused
      const node = /^[A-Za-z_]\w*$/.test(text) ? 'Name' : /^[A-Za-z_][\w.]*\(/.test(text) ? 'Call' : 'BinOp';
      throw new TemplateError(`malformed node or string on line 1: <ast.${node} object at 0x${randomBytes(6).toString('hex')}>`);
    }
    const plain = prim(val);
    if (key === 'trim_blocks') effective.trimBlocks = truthy(plain);
    else if (key === 'lstrip_blocks') effective.lstripBlocks = truthy(plain);
    else if (key in DELIMITER_KEYS) env.delimiters = { ...(env.delimiters ?? DEFAULT_DELIMITERS), [DELIMITER_KEYS[key]]: String(plain) };
    else if (key === 'newline_sequence') env.newline = String(plain);
    else if (key === 'line_statement_prefix') env.lineStatementPrefix = plain == null ? null : String(plain);
    else if (key === 'line_comment_prefix') env.lineCommentPrefix = plain == null ? null : String(plain);
  }
  if (Object.keys(env).length) effective.env = env;
  return { source, mode: effective };
}

function stripTrailingNewline(s: string): string {
  // Jinja (keep_trailing_newline=False) drops one trailing newline
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  if (s.endsWith('\n') || s.endsWith('\r')) return s.slice(0, -1);
  return s;
}

function countTrailingNewlines(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\n'; i--) n++;
  return n;
}

function toTemplateError(e: unknown, source: string): Error {
  if (e instanceof TemplateSyntaxError) {
    return new TemplateError(`template error while templating string: ${e.message}. String: ${source}`, e.lineno + 1, e.colno + 1);
  }
  const pos = e as { lineno?: number; colno?: number; line?: number; column?: number };
  if (e instanceof Error && !(e instanceof TemplateError) && typeof pos.lineno === 'number') {
    // Nunjucks' parser reports 1-based positions
    return new TemplateError(`template error while templating string: ${e.message}. String: ${source}`, pos.lineno, pos.colno);
  }
  if (e instanceof PyTypeError) {
    return new TemplateError(`Unexpected templating type error occurred on (${source}): ${e.message}`);
  }
  if (e instanceof RangeError && /call stack/.test(e.message)) {
    return new TemplateError(`recursive loop detected in template string: ${source}`);
  }
  if (e instanceof RangeError && /Invalid (string|array|typed array) length|Array buffer allocation failed/.test(e.message)) {
    // a value larger than JavaScript can hold (e.g. ' ' | center(10**10)): this task's failure
    return new TemplateError(`template error while templating string: the value is too large to build (${e.message}). String: ${source}`);
  }
  if (e instanceof TemplateError) return e;
  const msg = (e as Error)?.message ?? String(e);
  return new TemplateError(`template error while templating string: ${msg}. String: ${source}`, pos?.line, pos?.column);
}

/** the largest range() a template may build, as Jinja's sandbox (its list is materialised) */
const MAX_RANGE = 100_000;

/** a Jinja helper class exposed as a global: prints as the class, calling it makes an instance */
function jinjaClass(name: string, make: (a: unknown[], k: Record<string, unknown>) => unknown): unknown {
  const cls = pyFunction(name, make);
  cls.pyText = `<class 'jinja2.utils.${name}'>`;
  return cls;
}

function objectText(name: string): string {
  return `<jinja2.utils.${name} object at 0x${randomBytes(6).toString('hex')}>`;
}

/** jinja2.utils.Cycler: `next()` returns the current item and advances, `current`, `reset()`, `items` */
function makeCycler(items: unknown[]): unknown {
  if (!items.length) throw new TemplateError('at least one item has to be provided');
  const all = tuple([...items]);
  let pos = 0;
  const obj = pyFunction('Cycler', () => {
    throw new TemplateError("'Cycler' object is not callable");
  });
  obj.pyText = objectText('Cycler');
  const attrs: Record<string, unknown> = {
    items: all,
    next: pyFunction('next', () => {
      const v = all[pos];
      pos = (pos + 1) % all.length;
      return v;
    }),
    reset: pyFunction('reset', () => {
      pos = 0;
      return null;
    }),
  };
  Object.defineProperty(attrs, 'current', { get: () => all[pos], enumerable: true });
  CALLABLE_ATTRS.set(obj, attrs);
  return obj;
}

/** jinja2.utils.Joiner: returns '' the first time it is called, the separator after that */
function makeJoiner(a: unknown[], k: Record<string, unknown>): unknown {
  const sep = a.length ? a[0] : 'sep' in k ? k.sep : ', ';
  let used = false;
  const obj = pyFunction('Joiner', () => {
    if (!used) {
      used = true;
      return '';
    }
    return sep;
  });
  obj.pyText = objectText('Joiner');
  CALLABLE_ATTRS.set(obj, { sep });
  return obj;
}

export class Templar implements TemplarApi {
  /** compiled templates by source, one map per compile mode */
  private readonly caches: Map<string, Compiled>[] = [];
  private readonly prepared: Map<string, Prepared>[] = [];
  private readonly templateMemo = new WeakMap<object, boolean>();

  template(value: unknown, vars: TemplateVars, opts: TemplateOptions = {}): unknown {
    return this.templateWith(value, new Scope(this, vars, opts), false);
  }

  evaluateConditional(condition: unknown, vars: TemplateVars, opts: TemplateOptions = {}): boolean {
    if (Array.isArray(condition)) return condition.every((c) => this.evaluateConditional(c, vars, opts));
    if (condition === null || condition === undefined || condition === '') return true;
    if (typeof condition === 'boolean') return condition;
    const scope = new Scope(this, vars, opts);
    const original = condition;
    let cond: unknown = condition;
    try {
      if (isUnsafe(cond)) throw new TemplateError('Conditional is marked as unsafe, and cannot be evaluated.');
      cond = this.templateWith(cond, scope, false);
      if (cond instanceof String) throw new TemplateError('Conditional is marked as unsafe, and cannot be evaluated.');
      if (typeof cond !== 'string' || cond === '') return truthy(prim(cond));
      const presented = `{% if ${cond} %} True {% else %} False {% endif %}`;
      const res = this.templateWith(presented, scope, false);
      const val = String(prim(res)).trim();
      if (val === 'True') return true;
      if (val === 'False') return false;
      throw new TemplateError(`unable to evaluate conditional: ${String(original)}`);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (err.message.startsWith('The conditional check')) throw err;
      const inner = err.message.replace(/^template error while templating string: (.*)\. String: [\s\S]*$/, '$1');
      throw new TemplateError(`The conditional check '${String(original)}' failed. The error was: error while evaluating conditional (${String(original)}): ${inner}`);
    }
  }

  /**
   * The template module's rendering. Beyond the contract, `trimBlocks`/`lstripBlocks` carry the
   * module's trim_blocks (default true) and lstrip_blocks (default false) options.
   */
  renderFile(source: string, vars: TemplateVars, opts: TemplateOptions & FileOptions = {}): string {
    const scope = new Scope(this, vars, opts);
    const env: TemplateEnv = {};
    if (opts.delimiters) env.delimiters = { ...DEFAULT_DELIMITERS, ...opts.delimiters };
    if (opts.newline && opts.newline !== '\n') env.newline = opts.newline;
    const mode: CompileMode = { playbook: false, trimBlocks: opts.trimBlocks ?? true, lstripBlocks: opts.lstripBlocks ?? false };
    if (Object.keys(env).length) mode.env = env;
    if (env.delimiters) scope.starts = [env.delimiters.variableStart, env.delimiters.blockStart, env.delimiters.commentStart];
    const r = this.renderString(source, scope, mode, false);
    return typeof r === 'string' ? r : String(prim(r));
  }

  // ---- internals shared with Scope -----------------------------------------------------------

  /** Ansible's Templar.template over any value. */
  templateWith(value: unknown, scope: Scope, nested: boolean): unknown {
    if (isUnsafe(value)) return value;
    if (value !== null && typeof value === 'object' && SELF_TEMPLATING.has(value)) return value;
    if (typeof value === 'string') {
      if (!isTemplate(value)) return value;
      let prepared: Prepared;
      try {
        prepared = this.prepare(value, PLAYBOOK_MODE);
      } catch (e) {
        throw toTemplateError(e, value);
      }
      const name = prepared.singleVar;
      if (name !== null && name in scope.vars && !FORBIDDEN_NAMES.has(name)) {
        const raw = scope.vars[name];
        if (typeof raw === 'boolean' || isNumber(raw)) return raw;
        if (raw === null) return null;
      }
      return this.renderString(value, scope, PLAYBOOK_MODE, true, prepared);
    }
    if (Array.isArray(value)) return value.map((v) => this.templateWith(v, scope, nested));
    if (isDict(value)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) dictSet(out, k, this.templateWith(value[k], scope, nested));
      return out;
    }
    return value;
  }

  /** True when a container holds (at any depth) a string with template markers. */
  containsTemplate(v: object): boolean {
    if (SELF_TEMPLATING.has(v)) return false;
    const memo = this.templateMemo.get(v);
    if (memo !== undefined) return memo;
    let found = false;
    if (Array.isArray(v)) found = v.some((x) => (typeof x === 'string' ? isTemplate(x) : x !== null && typeof x === 'object' && !isUnsafe(x) && this.containsTemplate(x)));
    else if (isDict(v)) {
      for (const k of Object.keys(v)) {
        const x = v[k];
        if (typeof x === 'string' ? isTemplate(x) : x !== null && typeof x === 'object' && !isUnsafe(x) && this.containsTemplate(x)) {
          found = true;
          break;
        }
      }
    }
    this.templateMemo.set(v, found);
    return found;
  }

  compile(source: string, mode: CompileMode): Compiled {
    const k = modeKey(mode);
    let cache = this.caches[k];
    if (!cache) cache = this.caches[k] = new Map();
    const key = sourceKey(source, mode);
    let c = cache.get(key);
    if (!c) {
      const env = mode.env;
      const root = parseTemplate(source, {
        trimBlocks: mode.trimBlocks,
        lstripBlocks: mode.lstripBlocks,
        rawVariableStrings: mode.playbook,
        delimiters: env?.delimiters,
        newline: env?.newline,
        lineStatementPrefix: env?.lineStatementPrefix,
        lineCommentPrefix: env?.lineCommentPrefix,
      });
      c = compileTemplate(root);
      if (cache.size >= 20000) cache.clear();
      cache.set(key, c);
    }
    return c;
  }

  /** A template string's compiled form plus what do_template derives from its text, cached by text. */
  private prepare(data: string, mode: CompileMode): Prepared {
    const k = modeKey(mode);
    let cache = this.prepared[k];
    if (!cache) cache = this.prepared[k] = new Map();
    const key = sourceKey(data, mode);
    let p = cache.get(key);
    if (!p) {
      const { source, mode: effective } = applyOverrides(data, mode);
      const single = mode.playbook && !effective.env && data.charCodeAt(0) === 123 && data.charCodeAt(1) === 123 ? SINGLE_VAR.exec(data) : null;
      p = { compiled: this.compile(stripTrailingNewline(source), effective), dataNewlines: countTrailingNewlines(data), mode: effective, singleVar: single ? single[1] : null };
      if (cache.size >= 20000) cache.clear();
      cache.set(key, p);
    }
    return p;
  }

  /** do_template: render one string and apply Ansible's result-type policy. */
  private renderString(data: string, scope: Scope, mode: CompileMode, convertData: boolean, preparedIn?: Prepared): unknown {
    const rt = new Render(scope);
    let result: unknown;
    let dataNewlines = 0;
    let newline = '\n';
    const savedFileMode = scope.fileMode;
    try {
      const prepared = preparedIn ?? this.prepare(data, mode);
      dataNewlines = prepared.dataNewlines;
      newline = prepared.mode.env?.newline ?? '\n';
      if (!mode.playbook) scope.fileMode = prepared.mode;
      const out = prepared.compiled.renderPieces(rt);
      if (!convertData) {
        result = out.pieces.join('');
      } else if (out.pieces.length === 0) {
        result = '';
      } else if (out.pieces.length === 1 && out.nativeText === 0) {
        result = out.pieces[0];
      } else {
        const joined = out.pieces.length === 1 ? out.pieces[0] : out.pieces.join('');
        result = joined;
        const c = joined.charCodeAt(0);
        if (c === 0x5b || c === 0x7b || joined === 'True' || joined === 'False') {
          const lit = literalEval(joined);
          if (lit !== NOT_LITERAL) result = lit;
        }
      }
    } catch (e) {
      if (e instanceof UndefinedError && scope.opts.failOnUndefined === false) return data;
      throw toTemplateError(e, data);
    } finally {
      scope.fileMode = savedFileMode;
    }
    if (typeof result === 'string') {
      // Ansible counts '\n' characters only, and pads with the newline_sequence
      const have = countTrailingNewlines(result);
      if (dataNewlines > have) result += newline.repeat(dataNewlines - have);
    }
    return rt.sawUnsafe ? wrapVar(result) : result;
  }

  /**
   * Runs a lookup plugin as lookup()/query() do. `with_<name>:` loops call it with the loop
   * terms (wantlist): the result is the item list, wrapped unsafe unless allow_unsafe is set.
   */
  runLookup(name: string, terms: unknown[], vars: TemplateVars, opts: TemplateOptions = {}, kwargs: Record<string, unknown> = {}): unknown[] {
    const r = this.lookupWith(new Scope(this, vars, opts), [name, ...terms], kwargs, true);
    return Array.isArray(r) ? r : [];
  }

  private lookupContext(scope: Scope): LookupContext {
    return {
      searchPath: scope.opts.searchPath ?? [],
      hasVar: (name) => name in scope.vars && !FORBIDDEN_NAMES.has(name),
      getVar: (name) => {
        const v = scope.resolve(name, new Render(scope));
        return v === NOT_FOUND ? undefined : v;
      },
      renderTemplate: (source) => {
        const r = this.renderString(source, scope, FILE_MODE, true);
        return typeof r === 'string' ? r : r instanceof String ? r.valueOf() : pyStr(r);
      },
    };
  }

  private lookupWith(scope: Scope, args: unknown[], kwargs: Record<string, unknown>, forceList: boolean): unknown {
    if (!args.length) throw new TemplateError('lookup() requires a plugin name');
    const name = String(prim(args[0])).replace(/^ansible\.builtin\./, '');
    const plugin = LOOKUPS[name];
    if (!plugin) throw new TemplateError(`lookup plugin (${name}) not found`);
    const kw: Record<string, unknown> = { ...kwargs };
    const wantlist = forceList || truthy(kw.wantlist ?? false);
    const allowUnsafe = truthy(kw.allow_unsafe ?? false);
    const errors = String(kw.errors ?? 'strict');
    delete kw.wantlist;
    delete kw.allow_unsafe;
    delete kw.errors;
    for (const a of args) if (a instanceof Undefined) a.fail();
    let ran: unknown[];
    try {
      ran = plugin(args.slice(1), kw, this.lookupContext(scope));
    } catch (e) {
      if (errors === 'ignore' || errors === 'warn') return wantlist ? [] : null;
      if (e instanceof LookupError || e instanceof UndefinedError) throw e;
      throw new TemplateError(`An unhandled exception occurred while running the lookup plugin '${name}'. Error was a ${e instanceof TemplateError ? "<class 'ansible.errors.AnsibleError'>" : "<class 'Exception'>"}, original message: ${(e as Error).message}`);
    }
    if (!ran.length) return ran;
    const markRead = (v: unknown) => (allowUnsafe ? v : wrapVar(v));
    if (wantlist) return markRead(ran);
    if (ran.every((x) => typeof prim(x) === 'string')) return markRead(ran.map((x) => prim(x)).join(','));
    return markRead(ran.length === 1 ? ran[0] : ran);
  }

  /** Global functions, bound to one call's variables. */
  globalsFor(scope: Scope): Record<string, unknown> {
    const runLookup = (args: unknown[], kwargs: Record<string, unknown>, forceList: boolean): unknown => this.lookupWith(scope, args, kwargs, forceList);
    const g: Record<string, unknown> = Object.create(null);
    g.lookup = pyFunction('lookup', (a, k) => runLookup(a, k, false));
    g.query = pyFunction('query', (a, k) => runLookup(a, k, true));
    g.q = g.query;
    g.range = pyFunction('range', (a) => {
      const n = a.map((x) => num(x));
      const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
      if (step === 0) throw new TemplateError('range() arg 3 must not be zero');
      // counted before it is built: range(150000000) would use up the heap before any check after
      const count = Math.max(0, Math.ceil((stop - start) / step));
      if (count > MAX_RANGE) throw new TemplateError(`Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}); this one has ${count} items.`);
      const out: number[] = [];
      if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
      else for (let i = start; i > stop; i += step) out.push(i);
      return out;
    });
    g.dict = pyFunction('dict', (a, k) => {
      const out: Record<string, unknown> = {};
      if (a.length) {
        const src = prim(a[0]);
        if (isDict(src)) for (const key of Object.keys(src)) dictSet(out, key, src[key]);
        else if (Array.isArray(src)) for (const pair of src) dictSet(out, String(prim((pair as unknown[])[0])), (pair as unknown[])[1]);
      }
      for (const key of Object.keys(k)) dictSet(out, key, k[key]);
      return out;
    });
    g.namespace = pyFunction('namespace', (a, k) => {
      const ns: Record<string, unknown> = Object.create(null);
      if (a.length && isDict(a[0])) for (const key of Object.keys(a[0])) dictSet(ns, key, a[0][key]);
      for (const key of Object.keys(k)) dictSet(ns, key, k[key]);
      NAMESPACES.add(ns);
      return ns;
    });
    g.cycler = jinjaClass('Cycler', makeCycler);
    g.joiner = jinjaClass('Joiner', makeJoiner);
    g.undef = pyFunction('undef', (a) => new Undefined(a.length && typeof prim(a[0]) === 'string' && a[0] !== '' ? String(prim(a[0])) : 'Mandatory variable has not been overridden'));
    g.now = pyFunction('now', (a, k) => {
      const utc = truthy(a[0] ?? k.utc ?? false);
      const fmt = a[1] ?? k.fmt;
      const d = new Date();
      if (fmt !== undefined && fmt !== null) return FILTERS.strftime(fmt, [d.getTime() / 1000, utc], {}, undefined as never);
      const pad = (n: number, w = 2) => String(n).padStart(w, '0');
      const parts = utc
        ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
        : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
      return `${parts[0]}-${pad(parts[1])}-${pad(parts[2])} ${pad(parts[3])}:${pad(parts[4])}:${pad(parts[5])}.${pad(d.getMilliseconds() * 1000, 6)}`;
    });
    g.lipsum = pyFunction('lipsum', () => 'Lorem ipsum dolor sit amet.');
    g.zip = pyFunction('zip', (a) => {
      const lists = a.map((x) => prim(x) as unknown[]);
      const n = Math.min(...lists.map((l) => l.length));
      return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => l[i])));
    });
    return g;
  }
}

/**
 * A read-only dict view of a variable chain (a null-prototype object whose prototype chain holds
 * the precedence layers), for values such as `hostvars[host]`: templates see every variable of
 * every layer as an own key, the highest layer winning. Values are templated with the chain's own
 * variables (as Ansible's hostvars[host] does), never with the caller's. Nothing is copied;
 * create the view once per chain and reuse it.
 */
export function scopeAsDict(chain: TemplateVars, using: Templar = templar, opts: TemplateOptions = {}): Record<string, unknown> {
  const target = Object.create(null) as Record<string, unknown>;
  const visible = (k: string | symbol): k is string => typeof k === 'string' && k in chain && !FORBIDDEN_NAMES.has(k);
  const value = (k: string) => using.template(chain[k], chain, opts);
  const view = new Proxy(target, {
    get: (_t, k) => (visible(k) ? value(k) : undefined),
    has: (_t, k) => visible(k),
    getOwnPropertyDescriptor: (_t, k) => (visible(k) ? { value: value(k), enumerable: true, configurable: true, writable: false } : undefined),
    ownKeys: () => {
      const keys: string[] = [];
      for (const k in chain) if (!FORBIDDEN_NAMES.has(k)) keys.push(k);
      return keys;
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
  SELF_TEMPLATING.add(view);
  return view;
}

/** A shared instance for callers that do not need their own cache. */
export const templar = new Templar();
