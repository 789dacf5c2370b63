/** The datetime/timedelta values to_datetime produces, with the arithmetic roles use on them. */
import { TemplateError } from './values.js';

export class PyDatetime {
  /** naive wall-clock time, held as UTC fields */
  constructor(readonly epochMicros: bigint) {}
  private date(): Date {
    return new Date(Number(this.epochMicros / 1000n));
  }
  get micro(): number {
    return Number(((this.epochMicros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  }
  attr(name: string): unknown {
    const d = this.date();
    switch (name) {
      case 'year': return d.getUTCFullYear();
      case 'month': return d.getUTCMonth() + 1;
      case 'day': return d.getUTCDate();
      case 'hour': return d.getUTCHours();
      case 'minute': return d.getUTCMinutes();
      case 'second': return d.getUTCSeconds();
      case 'microsecond': return this.micro;
    }
    return undefined;
  }
  toString(): string {
    const d = this.date();
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const base = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
    return this.micro ? `${base}.${p(this.micro, 6)}` : base;
  }
}

export class PyTimedelta {
  constructor(readonly micros: bigint) {}
  get days(): number {
    return Number(floorDiv(this.micros, 86_400_000_000n));
  }
  get seconds(): number {
    return Number(floorDiv(this.micros - BigInt(this.days) * 86_400_000_000n, 1_000_000n));
  }
  get microseconds(): number {
    return Number(this.micros - BigInt(this.days) * 86_400_000_000n - BigInt(this.seconds) * 1_000_000n);
  }
  attr(name: string): unknown {
    switch (name) {
      case 'days': return this.days;
      case 'seconds': return this.seconds;
      case 'microseconds': return this.microseconds;
    }
    return undefined;
  }
  totalSeconds(): number {
    return Number(this.micros) / 1e6;
  }
  toString(): string {
    const d = this.days;
    const s = this.seconds;
    const hms = `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    const frac = this.microseconds ? '.' + String(this.microseconds).padStart(6, '0') : '';
    return (d ? `${d} day${Math.abs(d) === 1 ? '' : 's'}, ` : '') + hms + frac;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** datetime.strptime for the directives roles use (%Y %m %d %H %M %S %f %y %b %B %j %p %I %z %%). */
export function strptime(value: string, format: string): PyDatetime {
  let year = 1900, month = 1, day = 1, hour = 0, minute = 0, second = 0, micro = 0, pm: boolean | null = null, offsetMin = 0;
  let i = 0;
  const fail = (): never => {
    throw new TemplateError(`time data '${value}' does not match format '${format}'`);
  };
  const num = (maxLen: number): number => {
    const m = new RegExp(`^\\d{1,${maxLen}}`).exec(value.slice(i));
    if (!m) fail();
    i += m![0].length;
    return parseInt(m![0], 10);
  };
  for (let f = 0; f < format.length; f++) {
    const ch = format[f];
    if (ch !== '%') {
      if (/\s/.test(ch)) {
        while (/\s/.test(value[i] ?? '')) i++;
      } else if (value[i++] !== ch) fail();
      continue;
    }
    const d = format[++f];
    switch (d) {
      case 'Y': year = num(4); break;
      case 'y': { const y = num(2); year = y < 69 ? 2000 + y : 1900 + y; break; }
      case 'm': month = num(2); break;
      case 'd': day = num(2); break;
      case 'H': hour = num(2); break;
      case 'I': hour = num(2); break;
      case 'M': minute = num(2); break;
      case 'S': second = num(2); break;
      case 'j': { const doy = num(3); month = 1; day = doy; break; }
      case 'f': {
        const m = /^\d{1,6}/.exec(value.slice(i));
        if (!m) fail();
        i += m![0].length;
        micro = parseInt(m![0].padEnd(6, '0'), 10);
        break;
      }
      case 'p': {
        const m = /^(AM|PM)/i.exec(value.slice(i));
        if (!m) fail();
        i += 2;
        pm = m![1].toUpperCase() === 'PM';
        break;
      }
      case 'b': case 'B': {
        const m = /^[A-Za-z]+/.exec(value.slice(i));
        if (!m) fail();
        const idx = MONTHS.indexOf(m![0].slice(0, 3).toLowerCase());
        if (idx === -1) fail();
        i += m![0].length;
        month = idx + 1;
        break;
      }
      case 'z': {
        const m = /^(Z|[+-]\d{2}:?\d{2})/.exec(value.slice(i));
        if (!m) fail();
        i += m![0].length;
        if (m![0] !== 'Z') {
          const sign = m![0][0] === '-' ? -1 : 1;
          const digits = m![0].slice(1).replace(':', '');
          offsetMin = sign * (parseInt(digits.slice(0, 2), 10) * 60 + parseInt(digits.slice(2), 10));
        }
        break;
      }
      case '%': if (value[i++] !== '%') fail(); break;
      default: throw new TemplateError(`'${d}' is a bad directive in format '${format}'`);
    }
  }
  if (i !== value.length) throw new TemplateError(`unconverted data remains: ${value.slice(i)}`);
  if (pm !== null) hour = (hour % 12) + (pm ? 12 : 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 61) fail();
  void offsetMin;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return new PyDatetime(BigInt(ms) * 1000n + BigInt(micro));
}
