/**
 * Turns the parsed template (Nunjucks node tree with Jinja expression nodes) into JavaScript
 * closures that evaluate with Python/Jinja2 semantics. This replaces Nunjucks' compiler and
 * runtime: its generated code uses JS truthiness, equality and output formatting throughout,
 * and builds source text with `new Function`, which would also make any escaping mistake a
 * code-injection hole. Closures over the tree cannot be made to run anything but these rules.
 */
import type { Node } from './parser.js';
import {
  TemplateError, Undefined, UndefinedError, truthy, pyEq, pyCompare, pyIn, pyStr, isDict, tuple, isCallable, pyFunction,
  mkFloat, prim, isUnsafe, LenientUndefined, type PyCallable, Markup, PyTypeError,
} from './values.js';
import { pyAdd, pySub, pyMul, pyDiv, pyFloorDiv, pyMod, pyPow, pyNeg, pyPos, pyConcat } from './ops.js';
import { getAttr, getItem, getSlice, pyIter, FORBIDDEN_NAMES, type Taint } from './access.js';
import { NAMESPACES, dictSet, CALLABLE_ATTRS } from './pymethods.js';

export type Filter = (value: unknown, args: unknown[], kwargs: Record<string, unknown>, rt: Render) => unknown;
export type Test = (value: unknown, args: unknown[], kwargs: Record<string, unknown>, rt: Render) => boolean;

/** What the compiled template needs from its host (the Templar). */
export interface Host {
  filters: Record<string, Filter>;
  tests: Record<string, Test>;
  /** resolves a variable name (lazily templating it); NOT_FOUND when absent */
  resolve(name: string, rt: Render): unknown;
  /** global functions: lookup, query, range, dict, namespace, … */
  globals: Record<string, unknown>;
  /** loads and compiles another template for {% include %} / {% import %} */
  loadTemplate(name: string, rt: Render): Compiled | null;
}

export const NOT_FOUND = Symbol('not found');

/** One render: its variables, output and taint. */
export class Render implements Taint {
  sawUnsafe = false;
  constructor(readonly host: Host, readonly state: Record<string, unknown> = {}) {}
}

/** a block's implementations, the most derived template's first (`super()` walks down the list) */
type BlockSt = (f: Frame, out: Out, superFn: unknown) => void;
type BlockChains = Map<string, BlockSt[]>;

class Frame {
  readonly vars = new Map<string, unknown>();
  /** on a template's root frame: its blocks, and the parent template an `{% extends %}` named */
  blocks?: BlockChains;
  extendsName?: unknown;
  constructor(readonly parent: Frame | null, readonly rt: Render) {}
  root(): Frame {
    let f: Frame = this;
    while (f.parent) f = f.parent;
    return f;
  }
  lookup(name: string): unknown {
    for (let f: Frame | null = this; f; f = f.parent) {
      if (f.vars.size && f.vars.has(name)) return f.vars.get(name);
    }
    return NOT_FOUND;
  }
}

interface Out {
  pieces: string[];
  /** index of a piece that came straight from a string-type filter (Ansible's NativeJinjaText) */
  nativeText: number;
}

type Ev = (f: Frame) => unknown;
type St = (f: Frame, out: Out) => void;

/** filters whose single-node result is never literal_eval'd (Ansible's STRING_TYPE_FILTERS) */
const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

function bareName(name: string): string {
  return name.startsWith('ansible.builtin.') ? name.slice(16) : name.startsWith('ansible.legacy.') ? name.slice(15) : name;
}

function containsUnsafe(v: unknown): boolean {
  if ((v instanceof String && !(v instanceof Markup)) || isUnsafe(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnsafe);
  if (isDict(v)) return Object.keys(v).some((k) => containsUnsafe(v[k]));
  return false;
}

function finalizeValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v instanceof LenientUndefined) return '';
  if (v instanceof Undefined) v.fail();
  return pyStr(v);
}

export interface Compiled {
  /** renders to output pieces (before Ansible's concat policy); `inherited` are a child template's blocks */
  renderPieces(rt: Render, locals?: Map<string, unknown>, inherited?: BlockChains): Out;
  /** true when the template is exactly one `{{ expression }}` */
  single: boolean;
  /** evaluates the single expression natively (only when `single`) */
  evalSingle?: (rt: Render) => unknown;
  exportedMacros(rt: Render): Record<string, unknown>;
}

export function compileTemplate(root: Node): Compiled {
  const body = compileBody(root.children as Node[]);
  const children = root.children as Node[];
  const single =
    children.length === 1 && children[0].typename === 'Output' && (children[0].children as Node[]).length === 1 && (children[0].children as Node[])[0].typename !== 'TemplateData';
  const singleExpr = single ? compileExpr((children[0].children as Node[])[0]) : undefined;
  const ownBlocks = new Map<string, BlockSt>();
  collectBlocks(root, ownBlocks);
  const hasExtends = children.some((c) => c.typename === 'Extends');
  return {
    single,
    renderPieces(rt, locals, inherited) {
      const frame = new Frame(null, rt);
      if (locals) for (const [k, v] of locals) frame.vars.set(k, v);
      if (ownBlocks.size || inherited) {
        const chains: BlockChains = new Map();
        for (const [name, chain] of inherited ?? []) chains.set(name, [...chain]);
        for (const [name, st] of ownBlocks) chains.set(name, [...(chains.get(name) ?? []), st]);
        frame.blocks = chains;
        frame.vars.set('self', blockReferences(frame));
      }
      const out: Out = { pieces: [], nativeText: -1 };
      body(frame, hasExtends ? { pieces: [], nativeText: -1 } : out);
      if (frame.extendsName === undefined) return out;
      // {% extends %}: the parent renders, with this template's blocks first in each chain
      const name = prim(frame.extendsName);
      const parent = rt.host.loadTemplate(String(name), rt);
      if (!parent) throw new TemplateError(String(name));
      const topLevel = new Map(frame.vars);
      topLevel.delete('self');
      return parent.renderPieces(rt, topLevel, frame.blocks);
    },
    evalSingle: singleExpr ? (rt) => singleExpr(new Frame(null, rt)) : undefined,
    exportedMacros(rt) {
      const frame = new Frame(null, rt);
      body(frame, { pieces: [], nativeText: -1 });
      const exported: Record<string, unknown> = Object.create(null);
      for (const [k, v] of frame.vars) if (!k.startsWith('_')) exported[k] = v;
      return exported;
    },
  };
}

/** every `{% block %}` of a template, nested ones included, by name */
function collectBlocks(node: Node, into: Map<string, BlockSt>): void {
  for (const key of ['children', 'body', 'else_']) {
    const child = node[key] as Node | Node[] | null | undefined;
    if (!child || typeof child !== 'object') continue;
    for (const c of Array.isArray(child) ? child : [child]) {
      if (!c || typeof c !== 'object' || typeof (c as Node).typename !== 'string') continue;
      if ((c as Node).typename === 'Block') {
        const name = ((c as Node).name as Node).value as string;
        if (into.has(name)) throw new TemplateError(`block '${name}' defined twice`);
        into.set(name, compileBlockBody(c as Node));
      }
      collectBlocks(c as Node, into);
    }
  }
}

/** a block body: scoped blocks see the variables around them, others only the template's top level */
function compileBlockBody(node: Node): BlockSt {
  const body = compileStmt(node.body as Node);
  const scoped = !!node.scoped;
  return (f, out, superFn) => {
    const frame = new Frame(scoped ? f : f.root(), f.rt);
    frame.vars.set('super', superFn);
    body(frame, out);
  };
}

/** renders implementation `i` of block `name`, with `super()` bound to the next one */
function renderBlock(name: string, i: number, f: Frame, out: Out): void {
  const chain = f.root().blocks?.get(name);
  const st = chain?.[i];
  if (!st) throw new TemplateError(i === 0 ? `no block named '${name}'` : 'there is no parent block called ' + pyStr(name) + '.');
  const superFn = pyFunction('super', () => {
    const inner: Out = { pieces: [], nativeText: -1 };
    renderBlock(name, i + 1, f, inner);
    return inner.pieces.join('');
  });
  st(f, out, superFn);
}

/** `self.name()`: renders the most derived implementation of a block */
function blockReferences(root: Frame): Record<string, unknown> {
  const refs: Record<string, unknown> = Object.create(null);
  for (const name of root.blocks?.keys() ?? []) {
    refs[name] = pyFunction(name, () => {
      const out: Out = { pieces: [], nativeText: -1 };
      renderBlock(name, 0, root, out);
      return out.pieces.join('');
    });
  }
  NAMESPACES.add(refs);
  return refs;
}

/** Records where in the template an error happened (the innermost statement wins). */
function located(node: Node, st: St): St {
  return (f, out) => {
    try {
      st(f, out);
    } catch (e) {
      const err = e as { line?: number; column?: number };
      if (e instanceof Error && err.line === undefined) {
        err.line = node.lineno + 1;
        err.column = node.colno + 1;
      }
      throw e;
    }
  };
}

function compileBody(nodes: Node[]): St {
  const sts = nodes.map((n) => (n.typename === 'Output' && (n.children as Node[]).every((c) => c.typename === 'TemplateData') ? compileStmt(n) : located(n, compileStmt(n))));
  if (sts.length === 1) return sts[0];
  return (f, out) => {
    for (let i = 0; i < sts.length; i++) sts[i](f, out);
  };
}

function compileStmt(node: Node): St {
  switch (node.typename) {
    case 'NodeList':
    case 'Root':
      return compileBody(node.children as Node[]);
    case 'Output': {
      const parts = (node.children as Node[]).map((child): St => {
        if (child.typename === 'TemplateData') {
          const text = child.value as string;
          return (_f, out) => {
            if (text) out.pieces.push(text);
          };
        }
        const ev = compileExpr(child);
        const nativeText = child.typename === 'Filter' && STRING_TYPE_FILTERS.has(bareName((child.name as Node).value as string));
        return (f, out) => {
          const v = ev(f);
          if (!f.rt.sawUnsafe && v !== null && typeof v === 'object' && containsUnsafe(v)) f.rt.sawUnsafe = true;
          const s = finalizeValue(v);
          if (nativeText) out.nativeText = out.pieces.length;
          out.pieces.push(s);
        };
      });
      return parts.length === 1 ? parts[0] : (f, out) => parts.forEach((p) => p(f, out));
    }
    case 'If': {
      const cond = compileExpr(node.cond as Node);
      const body = compileStmt(node.body as Node);
      const else_ = node.else_ ? compileStmt(node.else_ as Node) : null;
      return (f, out) => {
        if (truthy(cond(f))) body(f, out);
        else if (else_) else_(f, out);
      };
    }
    case 'For':
      return compileFor(node);
    case 'Set':
      return compileSet(node);
    case 'Macro': {
      const name = (node.name as Node).value as string;
      const make = compileMacro(node);
      return (f) => {
        f.vars.set(name, make(f));
      };
    }
    case 'Include': {
      const tmpl = compileExpr(node.template as Node);
      const ignoreMissing = !!node.ignoreMissing;
      const withoutContext = !!node.withoutContext;
      return (f, out) => {
        const names = prim(tmpl(f));
        const candidates = Array.isArray(names) ? names : [names];
        for (const c of candidates) {
          const t = f.rt.host.loadTemplate(String(prim(c)), f.rt);
          if (t) {
            if (withoutContext) {
              out.pieces.push(...t.renderPieces(isolated(f.rt)).pieces);
              return;
            }
            const locals = new Map<string, unknown>();
            for (let fr: Frame | null = f; fr; fr = fr.parent) for (const [k, v] of fr.vars) if (!locals.has(k)) locals.set(k, v);
            const res = t.renderPieces(f.rt, locals);
            out.pieces.push(...res.pieces);
            return;
          }
        }
        if (!ignoreMissing) throw new TemplateError(`the template file ${candidates.map((c) => pyStr(c)).join(', ')} could not be found for the lookup`);
      };
    }
    case 'Import': {
      const tmpl = compileExpr(node.template as Node);
      const target = (node.target as Node).value as string;
      const withContext = node.withContext === true;
      return (f) => {
        const t = f.rt.host.loadTemplate(String(prim(tmpl(f))), f.rt);
        if (!t) throw new TemplateError(`template not found: ${pyStr(tmpl(f))}`);
        const ns = t.exportedMacros(withContext ? f.rt : isolated(f.rt));
        NAMESPACES.add(ns);
        f.vars.set(target, ns);
      };
    }
    case 'FromImport': {
      const tmpl = compileExpr(node.template as Node);
      const names = (node.names as Node).children as Node[];
      const withContext = node.withContext === true;
      return (f) => {
        const t = f.rt.host.loadTemplate(String(prim(tmpl(f))), f.rt);
        if (!t) throw new TemplateError(`template not found: ${pyStr(tmpl(f))}`);
        const ns = t.exportedMacros(withContext ? f.rt : isolated(f.rt));
        for (const n of names) {
          const [name, alias] = n.typename === 'Pair' ? [(n.key as Node).value as string, (n.value as Node).value as string] : [n.value as string, n.value as string];
          if (!(name in ns)) throw new TemplateError(`the template does not export the requested name '${name}'`);
          f.vars.set(alias, ns[name]);
        }
      };
    }
    case 'Block': {
      const name = (node.name as Node).value as string;
      return (f, out) => {
        // in a template that extends another, blocks render where the parent places them
        if (f.root().extendsName === undefined) renderBlock(name, 0, f, out);
      };
    }
    case 'Extends': {
      const parent = compileExpr(node.template as Node);
      return (f) => {
        const root = f.root();
        if (root.extendsName !== undefined) throw new TemplateError('extended multiple times');
        root.extendsName = parent(f);
      };
    }
    case 'With': {
      const assigns = (node.assignments as { target: Node; value: Node }[]).map((a) => ({ set: assignTarget(a.target), value: compileExpr(a.value) }));
      const body = compileStmt(node.body as Node);
      return (f, out) => {
        const frame = new Frame(f, f.rt);
        for (const a of assigns) a.set(frame, a.value(f));
        body(frame, out);
      };
    }
    default:
      if (node.typename === 'FunCall' || node.typename === 'Filter') {
        const ev = compileExpr(node);
        return (f) => void ev(f);
      }
      throw new TemplateError(`unsupported template statement: ${node.typename}`);
  }
}

function assignTarget(target: Node): (f: Frame, value: unknown) => void {
  if (target.typename === 'Symbol') {
    const name = target.value as string;
    return (f, v) => f.vars.set(name, v);
  }
  if (target.typename === 'Tuple' || target.typename === 'Array') {
    const subs = (target.children as Node[]).map(assignTarget);
    return (f, v) => {
      const items = pyIter(v, f.rt);
      if (items.length !== subs.length) {
        throw new TemplateError(items.length > subs.length ? `too many values to unpack (expected ${subs.length})` : `not enough values to unpack (expected ${subs.length}, got ${items.length})`);
      }
      subs.forEach((s, i) => s(f, items[i]));
    };
  }
  if (target.typename === 'LookupVal' && target.attr) {
    const obj = compileExpr(target.target as Node);
    const attr = (target.val as Node).value as string;
    return (f, v) => {
      const ns = obj(f);
      if (!(isDict(ns) && NAMESPACES.has(ns))) throw new TemplateError('cannot assign attribute on non-namespace object');
      if (FORBIDDEN_NAMES.has(attr)) throw new TemplateError(`cannot assign attribute '${attr}'`);
      dictSet(ns, attr, v);
    };
  }
  throw new TemplateError(`can't assign to ${target.typename}`);
}

function compileSet(node: Node): St {
  const targets = (node.targets as Node[]).map(assignTarget);
  const assign = targets.length === 1 ? targets[0] : assignTarget({ typename: 'Tuple', lineno: node.lineno, colno: node.colno, children: node.targets });
  if (node.value) {
    const value = compileExpr(node.value as Node);
    return (f) => assign(f, value(f));
  }
  const body = compileStmt((node.body as Node).body as Node);
  const filtered = node.filtered ? compileExpr(node.filtered as Node) : null;
  return (f) => {
    const out: Out = { pieces: [], nativeText: -1 };
    body(f, out);
    const text = out.pieces.join('');
    if (!filtered) return assign(f, text);
    const frame = new Frame(f, f.rt);
    frame.vars.set(CAPTURED, text);
    assign(f, filtered(frame));
  };
}

/** the frame variable holding a `{% set x | filter %}` block's text while its filters run */
const CAPTURED = '\0captured';

/**
 * A render that sees no template variables, for `include … without context` and imports (which
 * Jinja renders without the context unless told `with context`); globals stay.
 */
function isolated(rt: Render): Render {
  const host = Object.create(rt.host) as Host;
  host.resolve = () => NOT_FOUND;
  return new Render(host, rt.state);
}

function compileFor(node: Node): St {
  const iterable = compileExpr(node.arr as Node);
  const assign = assignTarget(node.name as Node);
  const filterCond = node.filterCond ? compileExpr(node.filterCond as Node) : null;
  const body = compileStmt(node.body as Node);
  const else_ = node.else_ ? compileStmt(node.else_ as Node) : null;
  const recursive = !!node.recursive;

  const runLoop = (f: Frame, source: unknown, depth: number, out: Out): void => {
    let items = pyIter(source, f.rt);
    const frame = new Frame(f, f.rt);
    if (filterCond) {
      items = items.filter((it) => {
        assign(frame, it);
        return truthy(filterCond(frame));
      });
    }
    const length = items.length;
    let lastChanged: unknown = NOT_FOUND;
    for (let i = 0; i < length; i++) {
      const loop: Record<string, unknown> = Object.create(null);
      loop.index = i + 1;
      loop.index0 = i;
      loop.revindex = length - i;
      loop.revindex0 = length - i - 1;
      loop.first = i === 0;
      loop.last = i === length - 1;
      loop.length = length;
      loop.depth = depth;
      loop.depth0 = depth - 1;
      loop.previtem = i > 0 ? items[i - 1] : new Undefined('there is no previous item');
      loop.nextitem = i < length - 1 ? items[i + 1] : new Undefined('there is no next item');
      loop.cycle = pyFunction('cycle', (args) => {
        if (!args.length) throw new TemplateError('no items for cycling given');
        return args[i % args.length];
      });
      loop.changed = pyFunction('changed', (args) => {
        const val = tuple(args);
        if (lastChanged === NOT_FOUND || !pyEq(lastChanged, val)) {
          lastChanged = val;
          return true;
        }
        return false;
      });
      NAMESPACES.add(loop);
      let loopValue: unknown = loop;
      if (recursive) {
        // loop(children) renders the body again one level deeper; loop.index etc. still work
        const call = pyFunction('loop', (args) => {
          const inner: Out = { pieces: [], nativeText: -1 };
          runLoop(f, args[0], depth + 1, inner);
          return inner.pieces.join('');
        });
        CALLABLE_ATTRS.set(call, loop);
        loopValue = call;
      }
      frame.vars.set('loop', loopValue);
      assign(frame, items[i]);
      body(frame, out);
    }
    if (length === 0 && else_ && depth === 1) else_(f, out);
  };
  return (f, out) => runLoop(f, iterable(f), 1, out);
}

function compileMacro(node: Node): (f: Frame) => PyCallable {
  const name = (node.name as Node).value as string;
  const argNodes = (node.args as Node).children as Node[];
  const positional: string[] = [];
  const defaults: { name: string; value: Ev }[] = [];
  for (const a of argNodes) {
    if (a.typename === 'KeywordArgs') {
      for (const p of a.children as Node[]) defaults.push({ name: (p.key as Node).value as string, value: compileExpr(p.value as Node) });
    } else positional.push(a.value as string);
  }
  const params = [...positional, ...defaults.map((d) => d.name)];
  const body = compileStmt(node.body as Node);
  // as Jinja's compiler: a macro takes extra positional/keyword arguments and a caller only when
  // its body reads varargs/kwargs/caller
  const used = namesRead(node.body as Node, new Set(['varargs', 'kwargs', 'caller']));
  const catchVarargs = used.has('varargs');
  const catchKwargs = used.has('kwargs');
  const usesCaller = used.has('caller') && !params.includes('caller');
  const attrs: Record<string, unknown> = {
    name,
    arguments: tuple(params),
    catch_kwargs: catchKwargs,
    catch_varargs: catchVarargs,
    caller: usesCaller,
  };
  return (defFrame) => {
    const macro = pyFunction(name, (args, kwargsIn) => {
      const kwargs: Record<string, unknown> = { ...kwargsIn };
      const frame = new Frame(defFrame, defFrame.rt);
      params.forEach((p, i) => {
        if (i < args.length) frame.vars.set(p, args[i]);
        else if (Object.prototype.hasOwnProperty.call(kwargs, p)) {
          frame.vars.set(p, kwargs[p]);
          delete kwargs[p];
        } else {
          const d = defaults.find((x) => x.name === p);
          frame.vars.set(p, d ? d.value(frame) : new Undefined(`parameter '${p}' was not provided`));
        }
      });
      if (usesCaller) {
        frame.vars.set('caller', Object.prototype.hasOwnProperty.call(kwargs, 'caller') ? kwargs.caller : new Undefined('No caller defined'));
        delete kwargs.caller;
      }
      const extra = Object.keys(kwargs);
      if (catchKwargs) {
        const collected: Record<string, unknown> = {};
        for (const k of extra) dictSet(collected, k, kwargs[k]);
        frame.vars.set('kwargs', collected);
      } else if (extra.length) {
        if (extra.includes('caller')) throw new PyTypeError(`macro '${name}' was invoked with two values for the special caller argument. This is most likely a bug.`);
        throw new PyTypeError(`macro '${name}' takes no keyword argument '${extra[0]}'`);
      }
      if (catchVarargs) frame.vars.set('varargs', tuple(args.slice(params.length)));
      else if (args.length > params.length) throw new PyTypeError(`macro '${name}' takes not more than ${params.length} argument(s)`);
      const out: Out = { pieces: [], nativeText: -1 };
      body(frame, out);
      return out.pieces.join('');
    });
    macro.pyText = `<Macro '${name}'>`;
    CALLABLE_ATTRS.set(macro, attrs);
    return macro;
  };
}

/** which of `names` a template subtree reads as variables (Jinja's find_undeclared, simplified) */
function namesRead(root: Node, names: Set<string>): Set<string> {
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (n: unknown): void => {
    if (n === null || typeof n !== 'object' || seen.has(n)) return;
    seen.add(n);
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const node = n as Node;
    if (node.typename === 'Symbol' && typeof node.value === 'string' && names.has(node.value)) found.add(node.value);
    for (const k of Object.keys(node)) if (k !== 'typename') walk((node as Record<string, unknown>)[k]);
  };
  walk(root);
  return found;
}

const NO_ARGS: unknown[] = Object.freeze([]) as unknown as unknown[];
const NO_KWARGS: Record<string, unknown> = Object.freeze(Object.create(null)) as Record<string, unknown>;

function compileArgs(argsNode: Node | undefined): (f: Frame) => [unknown[], Record<string, unknown>] {
  const children = argsNode ? (argsNode.children as Node[]) : [];
  const pos: Ev[] = [];
  const kw: { name: string; value: Ev }[] = [];
  for (const c of children) {
    if (c.typename === 'KeywordArgs') {
      for (const p of c.children as Node[]) kw.push({ name: (p.key as Node).value as string, value: compileExpr(p.value as Node) });
    } else pos.push(compileExpr(c));
  }
  if (!kw.length) {
    // most calls pass no keywords: share one frozen empty object
    return (f) => [pos.length ? pos.map((p) => p(f)) : NO_ARGS, NO_KWARGS];
  }
  return (f) => {
    const args = pos.map((p) => p(f));
    const kwargs: Record<string, unknown> = Object.create(null);
    for (const k of kw) kwargs[k.name] = k.value(f);
    return [args, kwargs];
  };
}

/** Filters that accept Undefined input (everything else fails on it, as Ansible's StrictUndefined does). */
const UNDEFINED_OK_FILTERS = new Set(['default', 'd', 'mandatory', 'type_debug']);

export function compileExpr(node: Node): Ev {
  switch (node.typename) {
    case 'Literal': {
      const v = node.value;
      return () => v;
    }
    case 'FloatLiteral': {
      const v = node.value as number;
      return () => mkFloat(v);
    }
    case 'Symbol': {
      const name = node.value as string;
      return (f) => {
        const local = f.lookup(name);
        if (local !== NOT_FOUND) return local;
        const v = f.rt.host.resolve(name, f.rt);
        if (v !== NOT_FOUND) return v;
        const g = f.rt.host.globals[name];
        if (g !== undefined && Object.prototype.hasOwnProperty.call(f.rt.host.globals, name)) return g;
        return new Undefined(`'${name}' is undefined`);
      };
    }
    case 'Array': {
      const items = (node.children as Node[]).map(compileExpr);
      return (f) => items.map((i) => i(f));
    }
    case 'Tuple': {
      const items = (node.children as Node[]).map(compileExpr);
      return (f) => tuple(items.map((i) => i(f)));
    }
    case 'Group': {
      const items = (node.children as Node[]).map(compileExpr);
      return items.length === 1 ? items[0] : (f) => tuple(items.map((i) => i(f)));
    }
    case 'Dict': {
      const pairs = (node.children as Node[]).map((p) => {
        const keyNode = p.key as Node;
        return { key: keyNode.typename === 'Symbol' && false ? () => keyNode.value : compileExpr(keyNode), value: compileExpr(p.value as Node) };
      });
      return (f) => {
        const d: Record<string, unknown> = {};
        for (const p of pairs) {
          let k = prim(p.key(f));
          if (k instanceof Undefined) k.fail();
          if (Array.isArray(k) || isDict(k)) throw new TemplateError(`unhashable type: '${Array.isArray(k) ? 'list' : 'dict'}'`);
          k = k === null ? 'None' : k === true ? 'True' : k === false ? 'False' : String(k);
          dictSet(d, k as string, p.value(f));
        }
        return d;
      };
    }
    case 'LookupVal': {
      const target = compileExpr(node.target as Node);
      const val = node.val as Node;
      if (node.attr) {
        const name = val.value as string;
        return (f) => getAttr(target(f), name, f.rt);
      }
      if (val.typename === 'Slice') {
        const start = val.start ? compileExpr(val.start as Node) : null;
        const stop = val.stop ? compileExpr(val.stop as Node) : null;
        const step = val.step ? compileExpr(val.step as Node) : null;
        return (f) => getSlice(target(f), start?.(f) ?? null, stop?.(f) ?? null, step?.(f) ?? null, f.rt);
      }
      const key = compileExpr(val);
      return (f) => getItem(target(f), key(f), f.rt);
    }
    case 'InlineIf': {
      const cond = compileExpr(node.cond as Node);
      const body = compileExpr(node.body as Node);
      const else_ = node.else_ ? compileExpr(node.else_ as Node) : null;
      const missing = new LenientUndefined(`the inline if-expression on line ${node.lineno + 1} evaluated to false and no else section was defined.`);
      return (f) => (truthy(cond(f)) ? body(f) : else_ ? else_(f) : missing);
    }
    case 'Or': {
      const l = compileExpr(node.left as Node);
      const r = compileExpr(node.right as Node);
      return (f) => {
        const a = l(f);
        return truthy(a) ? a : r(f);
      };
    }
    case 'And': {
      const l = compileExpr(node.left as Node);
      const r = compileExpr(node.right as Node);
      return (f) => {
        const a = l(f);
        return truthy(a) ? r(f) : a;
      };
    }
    case 'Not': {
      const t = compileExpr(node.target as Node);
      return (f) => !truthy(t(f));
    }
    case 'Compare': {
      const first = compileExpr(node.expr as Node);
      const ops = (node.ops as Node[]).map((o) => ({ type: o.type as string, expr: compileExpr(o.expr as Node) }));
      return (f) => {
        let left = first(f);
        for (const op of ops) {
          const right = op.expr(f);
          let ok: boolean;
          switch (op.type) {
            case '==': ok = pyEq(left, right); break;
            case '!=': ok = !pyEq(left, right); break;
            case '<': ok = pyCompare(left, right, '<') < 0; break;
            case '>': ok = pyCompare(left, right, '>') > 0; break;
            case '<=': ok = pyCompare(left, right, '<=') <= 0; break;
            case '>=': ok = pyCompare(left, right, '>=') >= 0; break;
            case 'in': ok = pyIn(left, right); break;
            case 'notin': ok = !pyIn(left, right); break;
            default: throw new TemplateError(`unknown comparison ${op.type}`);
          }
          if (!ok) return false;
          left = right;
        }
        return true;
      };
    }
    case 'Add': return binop(node, pyAdd);
    case 'Sub': return binop(node, pySub);
    case 'Mul': return binop(node, pyMul);
    case 'Div': return binop(node, pyDiv);
    case 'FloorDiv': return binop(node, pyFloorDiv);
    case 'Mod': return binop(node, pyMod);
    case 'Pow': return binop(node, pyPow);
    case 'Concat': return binop(node, pyConcat);
    case 'Neg': {
      const t = compileExpr(node.target as Node);
      return (f) => pyNeg(t(f));
    }
    case 'Pos': {
      const t = compileExpr(node.target as Node);
      return (f) => pyPos(t(f));
    }
    case 'Filter': {
      const name = bareName((node.name as Node).value as string);
      const argNodes = (node.args as Node).children as Node[];
      const target = compileExpr(argNodes[0]);
      const args = compileArgs({ ...node, children: argNodes.slice(1) } as Node);
      const undefinedOk = UNDEFINED_OK_FILTERS.has(name);
      return (f) => {
        const fn = f.rt.host.filters[name];
        if (!fn) throw new TemplateError(`Could not load "${name}": '${name}'`);
        const value = target(f);
        if (!undefinedOk && value instanceof Undefined) value.fail();
        const [a, kw] = args(f);
        return fn(value, a, kw, f.rt);
      };
    }
    case 'Test': {
      const name = bareName(node.name as string);
      const target = compileExpr(node.target as Node);
      const args = compileArgs({ ...node, children: node.args } as Node);
      const negate = !!node.negate;
      return (f) => {
        const fn = f.rt.host.tests[name];
        if (!fn) throw new TemplateError(`Could not load "${name}": '${name}'`);
        const [a, kw] = args(f);
        const r = fn(target(f), a, kw, f.rt);
        return negate ? !r : r;
      };
    }
    case 'FunCall': {
      const callee = compileExpr(node.name as Node);
      const args = compileArgs(node.args as Node);
      return (f) => {
        const fn = callee(f);
        if (fn instanceof Undefined) fn.fail();
        if (!isCallable(fn)) throw new TemplateError(`'${pyStr(fn)}' object is not callable`);
        const [a, kw] = args(f);
        const r = fn(a, kw);
        if (r instanceof Markup) return r;
        if (r instanceof String) {
          f.rt.sawUnsafe = true;
          return r.valueOf();
        }
        if (r !== null && typeof r === 'object' && isUnsafe(r)) f.rt.sawUnsafe = true;
        return r;
      };
    }
    case 'Caller': {
      const make = compileMacro(node);
      return (f) => make(f);
    }
    case 'CapturedText':
      return (f) => f.lookup(CAPTURED);
    case 'Capture': {
      const body = compileStmt(node.body as Node);
      return (f) => {
        const out: Out = { pieces: [], nativeText: -1 };
        body(f, out);
        return out.pieces.join('');
      };
    }
    default:
      throw new TemplateError(`unsupported expression: ${node.typename}`);
  }
}

function binop(node: Node, op: (a: unknown, b: unknown) => unknown): Ev {
  const l = compileExpr(node.left as Node);
  const r = compileExpr(node.right as Node);
  return (f) => op(l(f), r(f));
}

export { UndefinedError };
