/**
 * Ansible's `key=value` argument strings (`file: path=/x state=directory`, `command: ls chdir=/tmp`).
 * Tokens split on spaces and newlines outside quotes and outside Jinja2 `{{ }}` / `{% %}` / `{# #}`
 * blocks, keeping the whitespace they were split on, so that the free-form part of `shell: |`
 * comes back exactly as written: newlines, runs of spaces and all (ansible-core's split_args and
 * join_args do the same).
 */

/** options a free-form module (command/shell/script/raw) still accepts as k=v */
const RAW_MODULE_OPTIONS = new Set(['creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends']);

export class KvSyntaxError extends Error {}

/** the quote left open after `token`, given the one open before it (a backslash escapes a quote) */
function quoteAfter(token: string, open: string | undefined): string | undefined {
  for (let i = 0; i < token.length; i++) {
    const ch = token[i];
    if ((ch !== '"' && ch !== "'") || (i > 0 && token[i - 1] === '\\')) continue;
    if (open === undefined) open = ch;
    else if (ch === open) open = undefined;
  }
  return open;
}

/** how many blocks of one kind stay open after `token` */
function depthAfter(token: string, depth: number, opener: string, closer: string): number {
  const opened = token.split(opener).length - 1;
  const closed = token.split(closer).length - 1;
  return opened === closed ? depth : Math.max(0, depth + opened - closed);
}

/**
 * The parameters of an argument string. A parameter carries the spaces that followed it beyond
 * the first and the newline that ended its line, so joinArgs() gives the original text back.
 */
export function splitArgs(text: string): string[] {
  const params: string[] = [];
  const appendToLast = (more: string): void => {
    if (params.length === 0) throw new KvSyntaxError('Unable to parse argument string');
    params[params.length - 1] += more;
  };
  let quote: string | undefined;
  let printDepth = 0;
  let blockDepth = 0;
  let commentDepth = 0;
  const lines = text.split('\n');
  lines.forEach((line, lineNo) => {
    const words = line.split(' ');
    let continued = false;
    words.forEach((word, i) => {
      // an empty word is one more space of a run: it stays with the parameter before it
      if (word === '' && i > 0) {
        appendToLast(' ');
        return;
      }
      if (word === '\\' && quote === undefined) {
        continued = true;
        return;
      }
      const wasQuoted = quote !== undefined;
      quote = quoteAfter(word, quote);
      const quoted = quote !== undefined;
      const inJinja = printDepth > 0 || blockDepth > 0 || commentDepth > 0;
      let placed = false;
      if (quoted && !wasQuoted && !inJinja) {
        params.push(word);
        placed = true;
      } else if (inJinja || quoted || wasQuoted) {
        // a word that continues a quoted string or a Jinja block, with the space or newline it was split on
        if (i === 0 && wasQuoted) appendToLast(word);
        else if (words.length > 1) appendToLast(i > 0 ? ` ${word}` : word);
        else appendToLast(`\n${word}`);
        placed = true;
      }
      for (const [get, set, open, close] of [
        [() => printDepth, (d: number) => (printDepth = d), '{{', '}}'],
        [() => blockDepth, (d: number) => (blockDepth = d), '{%', '%}'],
        [() => commentDepth, (d: number) => (commentDepth = d), '{#', '#}'],
      ] as const) {
        const before = get();
        set(depthAfter(word, before, open, close));
        if (get() !== before && !placed) {
          params.push(word);
          placed = true;
        }
      }
      if (!placed && word !== '' && quote === undefined && printDepth === 0 && blockDepth === 0 && commentDepth === 0) params.push(word);
    });
    if (lines.length > 1 && lineNo < lines.length - 1 && !continued && params.length > 0) appendToLast('\n');
  });
  if (quote !== undefined) throw new KvSyntaxError('error parsing argument string, try quoting the entire line.');
  if (printDepth || blockDepth || commentDepth) {
    throw new KvSyntaxError(`failed at splitting arguments, either an unbalanced jinja2 block or quotes: ${text}`);
  }
  return params;
}

/** the parameters back into one string: a space between them, none after a newline */
export function joinArgs(params: string[]): string {
  let out = '';
  for (const p of params) out += out === '' || out.endsWith('\n') ? p : ` ${p}`;
  return out;
}

export function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
    return value.slice(1, -1);
  }
  return value;
}

const SINGLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Python's escape sequences in a k=v value (`msg="a\nb"` holds a newline), as Ansible decodes them */
function decodeEscapes(text: string): string {
  return text.replace(/\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\\'"abfnrtv])/g, (whole, seq: string) => {
    if (seq.length === 1) return SINGLE_ESCAPES[seq] ?? whole;
    return String.fromCodePoint(parseInt(seq.slice(1), 16));
  });
}

/**
 * Parses k=v pairs; other parameters are joined into `_raw_params` with their whitespace. For
 * free-form modules only the few options they accept count as k=v (`echo a=b` stays part of the
 * command).
 */
export function parseKv(text: string, freeForm: boolean): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const raw: string[] = [];
  for (const original of splitArgs(text)) {
    const decoded = decodeEscapes(original);
    const eq = unescapedEquals(decoded);
    if (eq < 0) {
      raw.push(decoded.includes('=') ? decoded.replace(/\\=/g, '=') : original);
      continue;
    }
    const key = decoded.slice(0, eq);
    if (freeForm && !RAW_MODULE_OPTIONS.has(key)) {
      raw.push(original);
      continue;
    }
    options[key.trim()] = unquote(decoded.slice(eq + 1).trim());
  }
  if (raw.length > 0) options._raw_params = joinArgs(raw);
  return options;
}

/** the first `=` after the first character that no backslash escapes, or -1 */
function unescapedEquals(token: string): number {
  for (let i = 1; i < token.length; i++) {
    if (token[i] === '=' && token[i - 1] !== '\\') return i;
  }
  return -1;
}
