/** Python `re` patterns and replacement strings, translated to JavaScript RegExp. */
import { TemplateError, tuple } from './values.js';

const cache = new Map<string, RegExp>();

/** Translates Python regex syntax JS does not share: (?P<n>…), (?P=n), \A, \Z, inline flags. */
export function pyRegex(pattern: string, flags: { ignorecase?: boolean; multiline?: boolean; dotall?: boolean } = {}, global = false): RegExp {
  const key = `${pattern}\u0000${flags.ignorecase ? 'i' : ''}${flags.multiline ? 'm' : ''}${flags.dotall ? 's' : ''}${global ? 'g' : ''}`;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  let f = '';
  let src = pattern;
  // leading inline flags (?i) (?m) (?s) (?x)
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  let verbose = false;
  if (inline) {
    src = src.slice(inline[0].length);
    if (inline[1].includes('i')) flags = { ...flags, ignorecase: true };
    if (inline[1].includes('m')) flags = { ...flags, multiline: true };
    if (inline[1].includes('s')) flags = { ...flags, dotall: true };
    if (inline[1].includes('x')) verbose = true;
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === '\\') {
      const nx = src[i + 1];
      if (!inClass && nx === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && nx === 'Z') out += '(?![\\s\\S])';
      else out += ch + (nx ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      if (src[i + 1] === '^') out += src[++i];
      if (src[i + 1] === ']') out += '\\' + src[++i];
      continue;
    }
    if (verbose && /\s/.test(ch)) continue;
    if (verbose && ch === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (src.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    if (src.startsWith('(?P=', i)) {
      const end = src.indexOf(')', i);
      out += `\\k<${src.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    out += ch;
  }
  if (flags.ignorecase) f += 'i';
  if (flags.multiline) f += 'm';
  if (flags.dotall) f += 's';
  if (global) f += 'g';
  f += 'u';
  let re: RegExp;
  try {
    re = new RegExp(out, f);
  } catch {
    try {
      re = new RegExp(out, f.replace('u', ''));
    } catch (e) {
      throw new TemplateError(`invalid regular expression ${pattern}: ${(e as Error).message}`);
    }
  }
  if (cache.size > 2000) cache.clear();
  cache.set(key, re);
  return re;
}

/** Expands a Python replacement template (\1, \g<1>, \g<name>, \n) for one match. */
function expandRepl(repl: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const ch = repl[i];
    if (ch !== '\\' || i + 1 >= repl.length) {
      out += ch;
      continue;
    }
    const nx = repl[i + 1];
    if (/\d/.test(nx)) {
      let digits = nx;
      if (/\d/.test(repl[i + 2] ?? '') && parseInt(nx + repl[i + 2], 10) < m.length) digits += repl[i + 2];
      const g = parseInt(digits, 10);
      if (g >= m.length) throw new TemplateError(`invalid group reference ${g}`);
      out += m[g] ?? '';
      i += digits.length;
    } else if (nx === 'g' && repl[i + 2] === '<') {
      const end = repl.indexOf('>', i);
      const name = repl.slice(i + 3, end);
      if (/^\d+$/.test(name)) out += m[parseInt(name, 10)] ?? '';
      else {
        if (!m.groups || !(name in m.groups)) throw new TemplateError(`unknown group name '${name}'`);
        out += m.groups[name] ?? '';
      }
      i = end;
    } else {
      const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', f: '\f', v: '\v', b: '\b' };
      if (nx in esc) out += esc[nx];
      else out += '\\' + nx;
      i++;
    }
  }
  return out;
}

export function pySub(value: string, pattern: string, repl: string, ignorecase: boolean, multiline: boolean, count: number): string {
  const re = pyRegex(pattern, { ignorecase, multiline }, true);
  let out = '';
  let last = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(value))) {
    if (count > 0 && n >= count) break;
    out += value.slice(last, m.index) + expandRepl(repl, m);
    last = m.index + m[0].length;
    n++;
    if (m[0] === '') {
      // Python also matches the empty string right after a non-empty match
      if (m.index < value.length) out += value[m.index];
      last = m.index + 1;
      re.lastIndex = m.index + 1;
      if (m.index >= value.length) break;
    }
  }
  return out + value.slice(Math.min(last, value.length));
}

export function regexSearch(value: string, pattern: string, groups: string[], ignorecase: boolean, multiline: boolean): unknown {
  const re = pyRegex(pattern, { ignorecase, multiline });
  const m = re.exec(value);
  if (!m) return null;
  if (!groups.length) return m[0];
  const items: unknown[] = [];
  for (const g of groups) {
    const num = /^\\(\d+)$/.exec(g);
    const named = /^\\g<(\w+)>$/.exec(g);
    if (num) items.push(m[parseInt(num[1], 10)] ?? null);
    else if (named) items.push(/^\d+$/.test(named[1]) ? m[parseInt(named[1], 10)] ?? null : m.groups?.[named[1]] ?? null);
    else throw new TemplateError('Unknown argument');
  }
  return items;
}

export function regexFindall(value: string, pattern: string, multiline: boolean, ignorecase: boolean): unknown[] {
  const re = pyRegex(pattern, { ignorecase, multiline }, true);
  const out: unknown[] = [];
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(value))) {
    if (m.length === 1) out.push(m[0]);
    else if (m.length === 2) out.push(m[1] ?? '');
    else out.push(tuple(m.slice(1).map((x) => x ?? '')));
    if (m[0] === '') re.lastIndex++;
  }
  return out;
}

export function regexEscape(value: string, reType: string): string {
  if (reType === 'posix_basic') return value.replace(/[.[\]\\*^$]/g, '\\$&');
  if (reType !== 'python') throw new TemplateError('Invalid regex type (' + reType + ')');
  // Python 3.7+ re.escape escapes only special characters
  return value.replace(/[.^$*+?{}[\]\\|()\-#&~\s]/g, (c) => (c === '\n' ? '\\\n' : c === '\t' ? '\\\t' : '\\' + c));
}
