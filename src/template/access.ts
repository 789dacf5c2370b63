/**
 * Attribute and item access (`x.name`, `x[key]`, slices), the only way a template reaches into
 * values. Only own properties of plain objects and arrays are visible, plus an allow-list of
 * Python methods; constructor/__proto__/prototype and friends are never returned, so templates
 * cannot climb to Function or mutate prototypes.
 */
import { Undefined, UndecryptableVault, isDict, isTuple, tuple, typeName, TemplateError, num, isNumber, isFloat, isUnsafe, pyRepr, pyFunction, mkFloat, Markup } from './values.js';
import { pyMethod, CALLABLE_ATTRS } from './pymethods.js';
import { PyDatetime, PyTimedelta } from './datetime.js';

export const FORBIDDEN_NAMES = new Set([
  'constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
  'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', 'toString', 'valueOf',
  '__class__', '__globals__', '__builtins__', '__subclasses__', '__init__', '__dict__', '__mro__', '__bases__', 'mro',
]);

/** the forbidden names that only JavaScript objects have (Python's are the dunder ones after them) */
const JS_ONLY_NAMES = new Set([...FORBIDDEN_NAMES].filter((n) => !/^__(class|globals|builtins|subclasses|init|dict|mro|bases)__$|^mro$/.test(n)));

/** Tracks whether a render read host data (unsafe), so its result is unsafe too. */
export interface Taint {
  sawUnsafe: boolean;
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function objDesc(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  return `'${typeName(v)} object'`;
}

function noAttr(obj: unknown, name: string): Undefined {
  return new Undefined(`${objDesc(obj)} has no attribute '${name}'`);
}

/** named tuples (groupby's (grouper, list)): their field names, read as attributes */
export const TUPLE_FIELDS = new WeakMap<unknown[], Record<string, unknown>>();

function read(v: unknown, taint: Taint): unknown {
  if (v instanceof UndecryptableVault) v.fail();
  if (v instanceof String) {
    if (!(v instanceof Markup)) taint.sawUnsafe = true;
    return v.valueOf();
  }
  return v;
}

/** `obj.name`: Python attributes (methods) first, then items, as Jinja's getattr does */
export function getAttr(obj: unknown, name: string, taint: Taint): unknown {
  if (obj instanceof Undefined) return obj;
  obj = read(obj, taint);
  if (FORBIDDEN_NAMES.has(name)) {
    // a JS-only name is no Python attribute of a dict, so Jinja falls back to the item: a user
    // key such as `__proto__` is data (an own property, never the prototype)
    if (isDict(obj) && JS_ONLY_NAMES.has(name) && hasOwn(obj, name)) return read(obj[name], taint);
    return noAttr(obj, name);
  }
  if (obj instanceof PyDatetime || obj instanceof PyTimedelta) {
    if (obj instanceof PyTimedelta && name === 'total_seconds') {
      const td = obj;
      return pyFunction('total_seconds', () => mkFloat(td.totalSeconds()));
    }
    const v = obj.attr(name);
    return v === undefined ? noAttr(obj, name) : v;
  }
  if (typeof obj === 'function') {
    const attrs = CALLABLE_ATTRS.get(obj);
    return attrs && hasOwn(attrs, name) ? attrs[name] : noAttr(obj, name);
  }
  if (obj !== null && typeof obj === 'object' && isUnsafe(obj)) taint.sawUnsafe = true;
  if (Array.isArray(obj)) {
    const fields = TUPLE_FIELDS.get(obj);
    if (fields && hasOwn(fields, name)) return fields[name];
  }
  const method = pyMethod(obj, name, taint);
  if (method !== undefined) return method;
  if (isDict(obj)) return hasOwn(obj, name) ? read(obj[name], taint) : noAttr(obj, name);
  return noAttr(obj, name);
}

function normIndex(idx: unknown, len: number): number | null {
  if (typeof idx === 'boolean') idx = idx ? 1 : 0;
  if (typeof idx !== 'number' || !Number.isInteger(idx)) return null;
  const i = idx < 0 ? idx + len : idx;
  return i >= 0 && i < len ? i : -1;
}

/** `obj[key]`: items first, then attributes */
export function getItem(obj: unknown, key: unknown, taint: Taint): unknown {
  if (obj instanceof Undefined) return obj;
  obj = read(obj, taint);
  key = read(key, taint);
  if (key instanceof Undefined) key.fail();
  if (obj !== null && typeof obj === 'object' && isUnsafe(obj)) taint.sawUnsafe = true;
  if (isDict(obj)) {
    const k = typeof key === 'string' ? key : typeof key === 'number' || typeof key === 'boolean' ? String(key === true ? 1 : key === false ? 0 : key) : null;
    // an own key is data whatever its name (`d['__proto__']` is the user's item, never the prototype)
    if (k !== null && hasOwn(obj, k)) return read(obj[k], taint);
    if (typeof key === 'string') {
      const method = FORBIDDEN_NAMES.has(key) ? undefined : pyMethod(obj, key, taint);
      if (method !== undefined) return method;
      return noAttr(obj, key);
    }
    return new Undefined(`${objDesc(obj)} has no attribute ${k ?? typeName(key)}`);
  }
  if (Array.isArray(obj) || typeof obj === 'string') {
    const seq = obj as ArrayLike<unknown>;
    const i = normIndex(key, seq.length);
    if (i !== null) {
      if (i === -1) return new Undefined(`${typeName(obj)} object has no element ${pyRepr(key)}`);
      return read(typeof obj === 'string' ? obj[i] : (obj as unknown[])[i], taint);
    }
    if (typeof key === 'string') {
      const method = FORBIDDEN_NAMES.has(key) ? undefined : pyMethod(obj, key, taint);
      if (method !== undefined) return method;
      return noAttr(obj, key);
    }
    return new Undefined(`${typeName(obj)} object has no element ${pyRepr(key)}`);
  }
  if (typeof key === 'string') return getAttr(obj, key, taint);
  return new Undefined(`${objDesc(obj)} has no element ${String(key)}`);
}

/** `obj[start:stop:step]` with Python's clamping rules */
export function getSlice(obj: unknown, start: unknown, stop: unknown, step: unknown, taint: Taint): unknown {
  if (obj instanceof Undefined) obj.fail();
  obj = read(obj, taint);
  if (!(Array.isArray(obj) || typeof obj === 'string')) throw new TemplateError(`'${typeName(obj)}' object is not subscriptable`);
  const toInt = (v: unknown, what: string): number | null => {
    if (v === null || v === undefined) return null;
    if (v instanceof Undefined) v.fail();
    if (!isNumber(v) && typeof v !== 'boolean') throw new TemplateError(`slice ${what} must be an integer or None`);
    if (isFloat(v)) throw new TemplateError('slice indices must be integers or None or have an __index__ method');
    return num(v);
  };
  const len = obj.length;
  const st = toInt(step, 'step') ?? 1;
  if (st === 0) throw new TemplateError('slice step cannot be zero');
  let a = toInt(start, 'start');
  let b = toInt(stop, 'stop');
  const items: unknown[] = [];
  if (st > 0) {
    a = a === null ? 0 : a < 0 ? Math.max(0, a + len) : Math.min(a, len);
    b = b === null ? len : b < 0 ? Math.max(0, b + len) : Math.min(b, len);
    for (let i = a; i < b; i += st) items.push(obj[i]);
  } else {
    a = a === null ? len - 1 : a < 0 ? Math.max(-1, a + len) : Math.min(a, len - 1);
    b = b === null ? -1 : b < 0 ? Math.max(-1, b + len) : Math.min(b, len - 1);
    for (let i = a; i > b; i += st) items.push(obj[i]);
  }
  if (typeof obj === 'string') return items.join('');
  return isTuple(obj) ? tuple(items) : items;
}

/** Python iteration: lists/tuples yield items, dicts keys, strings characters. */
export function pyIter(v: unknown, taint: Taint): unknown[] {
  if (v instanceof Undefined) v.fail();
  v = read(v, taint);
  if (v !== null && typeof v === 'object' && isUnsafe(v)) taint.sawUnsafe = true;
  if (Array.isArray(v)) return v.some((x) => x instanceof String) ? v.map((x) => read(x, taint)) : v;
  if (typeof v === 'string') return Array.from(v);
  if (isDict(v)) return Object.keys(v);
  throw new TemplateError(`'${typeName(v)}' object is not iterable`);
}
