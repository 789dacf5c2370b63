/** Python's printf-style (`'%s' % x`) and str.format() formatting. */
import { TemplateError, Undefined, isDict, isTuple, isNumber, isFloat, num, pyStr, pyRepr, prim, typeName, pyToFixed } from './values.js';

interface Spec {
  flags: string;
  width: number | null;
  precision: number | null;
  conv: string;
}

function pad(s: string, width: number | null, left: boolean, zero: boolean): string {
  if (width === null || s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zero) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    const body = sign ? s.slice(1) : s;
    const prefix = /^0[xXob]/.test(body) ? body.slice(0, 2) : '';
    return sign + prefix + '0'.repeat(width - s.length) + body.slice(prefix.length);
  }
  return ' '.repeat(width - s.length) + s;
}

function signed(n: number, body: string, flags: string): string {
  if (n < 0 || Object.is(n, -0)) return '-' + body;
  if (flags.includes('+')) return '+' + body;
  if (flags.includes(' ')) return ' ' + body;
  return body;
}

function expStr(n: number, prec: number, upper: boolean): string {
  let s = Math.abs(n).toExponential(prec).replace(/e([+-])(\d)$/, 'e$10$2');
  if (upper) s = s.toUpperCase();
  return s;
}

function generalStr(n: number, prec: number, upper: boolean, alt: boolean): string {
  const p = prec === 0 ? 1 : prec;
  const a = Math.abs(n);
  if (a === 0) return '0';
  const exp = Math.floor(Math.log10(a));
  let s: string;
  const e = Number(a.toExponential(p - 1).split('e')[1]);
  void exp;
  if (e < -4 || e >= p) {
    s = a.toExponential(p - 1);
    let [m, ex] = s.split('e');
    if (!alt && m.includes('.')) m = m.replace(/\.?0+$/, '');
    s = m + 'e' + (ex[0] === '-' ? '-' : '+') + ex.replace(/^[+-]/, '').padStart(2, '0');
  } else {
    s = a.toFixed(Math.max(0, p - 1 - e));
    if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '');
  }
  return upper ? s.toUpperCase() : s;
}

/** Formats one number/string per a printf conversion. */
function formatOne(v: unknown, spec: Spec): string {
  const { flags, width, precision, conv } = spec;
  const left = flags.includes('-');
  const zero = flags.includes('0') && !left;
  if (v instanceof Undefined) v.fail();
  v = prim(v);
  switch (conv) {
    case 's': {
      let s = pyStr(v);
      if (precision !== null) s = s.slice(0, precision);
      return pad(s, width, left, false);
    }
    case 'r': case 'a': {
      let s = pyRepr(v);
      if (precision !== null) s = s.slice(0, precision);
      return pad(s, width, left, false);
    }
    case 'd': case 'i': case 'u': {
      if (!isNumber(v) && typeof v !== 'boolean') throw new TemplateError(`%${conv} format: a real number is required, not ${typeName(v)}`);
      const n = Math.trunc(num(v));
      let body = String(Math.abs(n));
      if (precision !== null) body = body.padStart(precision, '0');
      return pad(signed(n, body, flags), width, left, zero);
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      if (!isNumber(v) && typeof v !== 'boolean') throw new TemplateError(`must be real number, not ${typeName(v)}`);
      const n = num(v);
      const prec = precision ?? 6;
      let body: string;
      if (!Number.isFinite(n)) body = Number.isNaN(n) ? 'nan' : 'inf';
      else if (conv === 'f' || conv === 'F') body = pyToFixed(Math.abs(n), prec);
      else if (conv === 'e' || conv === 'E') body = expStr(n, prec, conv === 'E');
      else body = generalStr(n, prec, conv === 'G', flags.includes('#'));
      return pad(signed(n, body, flags), width, left, zero);
    }
    case 'x': case 'X': case 'o': {
      if (!isNumber(v) || isFloat(v)) throw new TemplateError(`%${conv} format: an integer is required, not ${typeName(v)}`);
      const n = num(v);
      let body = Math.abs(n).toString(conv === 'o' ? 8 : 16);
      if (conv === 'X') body = body.toUpperCase();
      if (precision !== null) body = body.padStart(precision, '0');
      if (flags.includes('#')) body = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + body;
      return pad(signed(n, body, flags), width, left, zero);
    }
    case 'c': {
      const s = typeof v === 'number' ? String.fromCodePoint(v) : String(v);
      return pad(s, width, left, false);
    }
  }
  throw new TemplateError(`unsupported format character '${conv}'`);
}

/** `fmt % args` for a str left operand. */
export function percentFormat(fmt: string, args: unknown): string {
  const re = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;
  const positional = Array.isArray(args) && isTuple(args) ? (args as unknown[]) : [args];
  let index = 0;
  let usedMapping = false;
  const out = fmt.replace(re, (_m, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    let value: unknown;
    const take = () => {
      if (index >= positional.length) throw new TemplateError('not enough arguments for format string');
      return positional[index++];
    };
    const w = width === '*' ? num(take()) : width !== undefined ? parseInt(width, 10) : null;
    const p = prec === '*' ? num(take()) : prec !== undefined ? parseInt(prec, 10) : null;
    if (key !== undefined) {
      if (!isDict(args)) throw new TemplateError('format requires a mapping');
      usedMapping = true;
      if (!Object.prototype.hasOwnProperty.call(args, key)) throw new TemplateError(`'${key}'`);
      value = (args as Record<string, unknown>)[key];
    } else {
      value = take();
    }
    return formatOne(value, { flags, width: w, precision: p, conv });
  });
  if (!usedMapping && index < positional.length && !isDict(args)) throw new TemplateError('not all arguments converted during string formatting');
  return out;
}

/** Applies a str.format() format spec ([[fill]align][sign][#][0][width][,][.precision][type]). */
function applyFormatSpec(v: unknown, spec: string): string {
  const m = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new TemplateError(`Invalid format specifier '${spec}'`);
  const [, fillCh, align, sign, alt, zero, widthS, grouping, precS, type] = m;
  const width = widthS ? parseInt(widthS, 10) : 0;
  const precision = precS !== undefined ? parseInt(precS, 10) : null;
  v = prim(v);
  let body: string;
  const isNum = isNumber(v) || typeof v === 'boolean';
  if (type && 'dbcoxX'.includes(type)) {
    if (!isNum) throw new TemplateError(`Unknown format code '${type}' for object of type '${typeName(v)}'`);
    const n = num(v);
    body = type === 'c' ? String.fromCodePoint(n) : Math.abs(n).toString(type === 'b' ? 2 : type === 'o' ? 8 : type === 'd' ? 10 : 16);
    if (type === 'X') body = body.toUpperCase();
    if (alt && type !== 'd' && type !== 'c') body = '0' + type + body;
    if (grouping && type === 'd') body = body.replace(/\B(?=(\d{3})+(?!\d))/g, grouping);
    body = n < 0 ? '-' + body : sign === '+' ? '+' + body : sign === ' ' ? ' ' + body : body;
  } else if (type && 'eEfFgGn%'.includes(type)) {
    if (!isNum) throw new TemplateError(`Unknown format code '${type}' for object of type '${typeName(v)}'`);
    let n = num(v);
    const p = precision ?? 6;
    if (type === '%') n *= 100;
    if (type === 'f' || type === 'F' || type === '%') body = pyToFixed(Math.abs(n), p);
    else if (type === 'e' || type === 'E') body = expStr(n, p, type === 'E');
    else body = generalStr(n, p, type === 'G', !!alt);
    if (grouping) body = body.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, grouping));
    if (type === '%') body += '%';
    body = n < 0 ? '-' + body : sign === '+' ? '+' + body : sign === ' ' ? ' ' + body : body;
  } else if (isNum && !type && typeof v !== 'boolean') {
    const n = num(v);
    if (precision !== null) {
      body = generalStr(n, precision, false, false);
    } else body = pyStr(Math.abs(n) === n ? v : isFloat(v) ? Math.abs(n) : Math.abs(n)).replace(/^-/, '');
    if (precision === null && isFloat(v)) body = pyStr(v).replace(/^-/, '');
    if (grouping) body = body.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, grouping));
    body = n < 0 ? '-' + body : sign === '+' ? '+' + body : sign === ' ' ? ' ' + body : body;
  } else {
    body = pyStr(v);
    if (precision !== null) body = body.slice(0, precision);
  }
  if (body.length >= width) return body;
  const fill = fillCh ?? (zero && !align ? '0' : ' ');
  const al = align ?? (zero ? '=' : isNum && typeof v !== 'string' ? '>' : '<');
  const gap = width - body.length;
  switch (al) {
    case '<': return body + fill.repeat(gap);
    case '>': return fill.repeat(gap) + body;
    case '^': return fill.repeat(Math.floor(gap / 2)) + body + fill.repeat(gap - Math.floor(gap / 2));
    default: {
      const signCh = /^[+\- ]/.test(body) ? body[0] : '';
      return signCh + fill.repeat(gap) + body.slice(signCh.length);
    }
  }
}

/** str.format(*args, **kwargs) */
export function strFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>, getField: (obj: unknown, name: string, isIndex: boolean) => unknown): string {
  let auto = 0;
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i];
    if (ch === '{') {
      if (fmt[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      const end = fmt.indexOf('}', i);
      if (end === -1) throw new TemplateError("Single '{' encountered in format string");
      const field = fmt.slice(i + 1, end);
      i = end;
      const m = /^([^.[!:]*)((?:\.[^.[!:]+|\[[^\]]*\])*)(?:!([rsa]))?(?::(.*))?$/s.exec(field)!;
      const [, first, rest, conv, spec] = m;
      let value: unknown;
      if (first === '') {
        value = args[auto++];
      } else if (/^\d+$/.test(first)) {
        value = args[parseInt(first, 10)];
      } else {
        if (!Object.prototype.hasOwnProperty.call(kwargs, first)) throw new TemplateError(`'${first}'`);
        value = kwargs[first];
      }
      if (value === undefined) throw new TemplateError('Replacement index out of range for positional args tuple');
      const partRe = /\.([^.[]+)|\[([^\]]*)\]/g;
      let pm: RegExpExecArray | null;
      while ((pm = partRe.exec(rest))) {
        value = pm[1] !== undefined ? getField(value, pm[1], false) : getField(value, /^\d+$/.test(pm[2]) ? pm[2] : pm[2], /^\d+$/.test(pm[2]));
      }
      if (conv === 'r' || conv === 'a') value = pyRepr(value);
      else if (conv === 's') value = pyStr(value);
      out += spec ? applyFormatSpec(value, spec) : pyStr(value);
    } else if (ch === '}') {
      if (fmt[i + 1] === '}') i++;
      else throw new TemplateError("Single '}' encountered in format string");
      out += '}';
    } else {
      out += ch;
    }
  }
  return out;
}
