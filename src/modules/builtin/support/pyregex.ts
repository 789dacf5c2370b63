/**
 * Python `re` patterns as JavaScript RegExps, for the parts of the syntax that differ and that
 * real playbooks use: named groups, \A \Z, `$` (which in Python also matches before a final
 * newline), leading inline flags; and Python's match.expand for backrefs.
 */
export class PyRegexError extends Error {}

export function pyRegex(pattern: string, extraFlags = ''): RegExp {
  let flags = extraFlags;
  let src = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  // ^ $ and . follow Python's idea of a line (only \n ends one; JS also counts \r, U+2028,
  // U+2029), so they are spelled out and JS's own multiline mode is not used
  const multiline = flags.includes('m');
  const dotall = flags.includes('s');
  flags = flags.replace('m', '');
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (!inClass && n === 'A') out += '^';
      else if (!inClass && n === 'Z') out += '$(?![\\s\\S])';
      else out += c + (n ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '(' && src.startsWith('(?P=', i)) {
      const end = src.indexOf(')', i);
      out += `\\k<${src.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    // Python's $ also matches just before a trailing newline
    if (c === '$') {
      out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    if (c === '^') {
      out += multiline ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?<![\\s\\S])';
      continue;
    }
    if (c === '.' && !dotall) {
      out += '[^\\n]';
      continue;
    }
    out += c;
  }
  try {
    return new RegExp(out, flags);
  } catch (err) {
    throw new PyRegexError((err as Error).message);
  }
}

/** Python's Match.expand: \1, \g<1>, \g<name>, and the usual escapes */
export function pyExpand(template: string, match: RegExpExecArray): string {
  return template.replace(/\\(g<([^>]+)>|(\d{1,2})|n|t|r|\\|.)/g, (whole, _all, gname: string | undefined, num: string | undefined) => {
    if (gname !== undefined) {
      const v = /^\d+$/.test(gname) ? match[Number(gname)] : match.groups?.[gname];
      return v ?? '';
    }
    if (num !== undefined) return match[Number(num)] ?? '';
    const esc = whole[1];
    if (esc === 'n') return '\n';
    if (esc === 't') return '\t';
    if (esc === 'r') return '\r';
    if (esc === '\\') return '\\';
    return whole;
  });
}
