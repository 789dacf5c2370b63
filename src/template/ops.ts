/** Python's arithmetic and string operators over the value model in values.ts. */
import { TemplateError, Undefined, PyFloat, isNumber, isFloat, num, mkFloat, isTuple, tuple, typeName, isDict, pyStr, pyRepr, prim, checkSize } from './values.js';
import { percentFormat } from './format.js';
import { PyDatetime, PyTimedelta } from './datetime.js';

function opError(op: string, a: unknown, b: unknown): never {
  throw new TemplateError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function check(a: unknown, b: unknown): void {
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
}

const isNumeric = (v: unknown) => isNumber(v) || typeof v === 'boolean';

function numResult(a: unknown, b: unknown, r: number): number | PyFloat {
  return isFloat(a) || isFloat(b) ? mkFloat(r) : r;
}

export function pyAdd(a: unknown, b: unknown): unknown {
  check(a, b);
  if (a instanceof PyDatetime && b instanceof PyTimedelta) return new PyDatetime(a.epochMicros + b.micros);
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return new PyTimedelta(a.micros + b.micros);
  a = prim(a);
  b = prim(b);
  if (isNumeric(a) && isNumeric(b)) return numResult(a, b, num(a) + num(b));
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const out = [...a, ...b];
    return isTuple(a) ? tuple(out) : out;
  }
  if (Array.isArray(a) && Array.isArray(b)) throw new TemplateError(`can only concatenate ${typeName(a)} (not "${typeName(b)}") to ${typeName(a)}`);
  if (typeof a === 'string') throw new TemplateError(`can only concatenate str (not "${typeName(b)}") to str`);
  if (Array.isArray(a)) throw new TemplateError(`can only concatenate list (not "${typeName(b)}") to list`);
  return opError('+', a, b);
}

export function pySub(a: unknown, b: unknown): unknown {
  check(a, b);
  if (a instanceof PyDatetime && b instanceof PyDatetime) return new PyTimedelta(a.epochMicros - b.epochMicros);
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return new PyTimedelta(a.micros - b.micros);
  if (isNumeric(a) && isNumeric(b)) return numResult(a, b, num(a) - num(b));
  return opError('-', a, b);
}

export function pyMul(a: unknown, b: unknown): unknown {
  check(a, b);
  a = prim(a);
  b = prim(b);
  if (isNumeric(a) && isNumeric(b)) return numResult(a, b, num(a) * num(b));
  const seqTimes = (s: unknown, n: unknown): unknown => {
    if (isFloat(n)) throw new TemplateError(`can't multiply sequence by non-int of type 'float'`);
    const count = Math.max(0, num(n));
    const len = (s as ArrayLike<unknown>).length;
    checkSize(len * count, typeof s === 'string' ? 'characters' : 'items', `${typeof s === 'string' ? 'a string' : 'a list'} of ${len} times ${count}`);
    if (typeof s === 'string') return s.repeat(count);
    const arr = s as unknown[];
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) out.push(...arr);
    return isTuple(arr) ? tuple(out) : out;
  };
  if ((typeof a === 'string' || Array.isArray(a)) && isNumeric(b)) return seqTimes(a, b);
  if ((typeof b === 'string' || Array.isArray(b)) && isNumeric(a)) return seqTimes(b, a);
  if (typeof a === 'string' || Array.isArray(a)) throw new TemplateError(`can't multiply sequence by non-int of type '${typeName(b)}'`);
  return opError('*', a, b);
}

export function pyDiv(a: unknown, b: unknown): unknown {
  check(a, b);
  if (!(isNumeric(a) && isNumeric(b))) opError('/', a, b);
  if (num(b) === 0) throw new TemplateError('division by zero');
  return mkFloat(num(a) / num(b));
}

export function pyFloorDiv(a: unknown, b: unknown): unknown {
  check(a, b);
  if (!(isNumeric(a) && isNumeric(b))) opError('//', a, b);
  if (num(b) === 0) throw new TemplateError(isFloat(a) || isFloat(b) ? 'float floor division by zero' : 'integer division or modulo by zero');
  return numResult(a, b, Math.floor(num(a) / num(b)));
}

export function pyMod(a: unknown, b: unknown): unknown {
  check(a, b);
  a = prim(a);
  if (typeof a === 'string') return percentFormat(a, prim(b));
  if (!(isNumeric(a) && isNumeric(b))) opError('%', a, b);
  const x = num(a);
  const y = num(b);
  if (y === 0) throw new TemplateError(isFloat(a) || isFloat(b) ? 'float modulo' : 'integer division or modulo by zero');
  const r = x - Math.floor(x / y) * y;
  return numResult(a, b, r);
}

export function pyPow(a: unknown, b: unknown): unknown {
  check(a, b);
  if (!(isNumeric(a) && isNumeric(b))) opError('** or pow()', a, b);
  const r = Math.pow(num(a), num(b));
  return isFloat(a) || isFloat(b) || num(b) < 0 ? mkFloat(r) : r;
}

export function pyNeg(a: unknown): unknown {
  if (a instanceof Undefined) a.fail();
  if (typeof a === 'boolean') return a ? -1 : 0;
  if (isNumber(a)) return isFloat(a) ? mkFloat(-num(a)) : -num(a);
  throw new TemplateError(`bad operand type for unary -: '${typeName(a)}'`);
}

export function pyPos(a: unknown): unknown {
  if (a instanceof Undefined) a.fail();
  if (typeof a === 'boolean') return a ? 1 : 0;
  if (isNumber(a)) return a;
  throw new TemplateError(`bad operand type for unary +: '${typeName(a)}'`);
}

export function pyConcat(a: unknown, b: unknown): string {
  check(a, b);
  return pyStr(a) + pyStr(b);
}

export { pyRepr, isDict };
