/**
 * A Jinja2-faithful tokenizer that feeds Nunjucks' parser.
 *
 * Nunjucks' own lexer differs from Jinja's in ways real roles hit: a nested dict literal ending
 * in `}}` closes the tag, `lst.0` and `1e3` do not lex, unknown string escapes (`'\d'`) lose
 * their backslash, trim_blocks is not applied after comments and `{% raw %}` keeps the wrong
 * newlines. This tokenizer applies Jinja's whitespace rules itself (trim_blocks, lstrip_blocks,
 * `-`/`+` modifiers) and emits tokens in the shape Nunjucks' Parser consumes.
 */

export const T = {
  STRING: 'string',
  DATA: 'data',
  BLOCK_START: 'block-start',
  BLOCK_END: 'block-end',
  VARIABLE_START: 'variable-start',
  VARIABLE_END: 'variable-end',
  COMMENT: 'comment',
  LEFT_PAREN: 'left-paren',
  RIGHT_PAREN: 'right-paren',
  LEFT_BRACKET: 'left-bracket',
  RIGHT_BRACKET: 'right-bracket',
  LEFT_CURLY: 'left-curly',
  RIGHT_CURLY: 'right-curly',
  OPERATOR: 'operator',
  COMMA: 'comma',
  COLON: 'colon',
  TILDE: 'tilde',
  PIPE: 'pipe',
  INT: 'int',
  FLOAT: 'float',
  BOOLEAN: 'boolean',
  NONE: 'none',
  SYMBOL: 'symbol',
} as const;

export interface Token {
  type: string;
  value: string;
  /** 0-based, as Nunjucks counts */
  lineno: number;
  colno: number;
}

export interface LexOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  /** Ansible's escape_backslashes: string literals inside `{{ }}` keep their backslashes */
  rawVariableStrings: boolean;
  /** the environment's tag strings (a `#jinja2:` header or the template module may change them) */
  delimiters?: Delimiters;
  /** what every newline in template data and string literals becomes (Jinja's newline_sequence) */
  newline?: string;
  /** Jinja's line_statement_prefix / line_comment_prefix (off unless a header sets them) */
  lineStatementPrefix?: string | null;
  lineCommentPrefix?: string | null;
}

export interface Delimiters {
  variableStart: string;
  variableEnd: string;
  blockStart: string;
  blockEnd: string;
  commentStart: string;
  commentEnd: string;
}

export const DEFAULT_DELIMITERS: Delimiters = Object.freeze({
  variableStart: '{{',
  variableEnd: '}}',
  blockStart: '{%',
  blockEnd: '%}',
  commentStart: '{#',
  commentEnd: '#}',
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class TemplateSyntaxError extends Error {
  constructor(message: string, readonly lineno: number, readonly colno: number) {
    super(message);
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const OPERATORS = ['**', '//', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '<', '>', '=', '.'];

/** Python's unicode-escape decoding of a string literal body (unknown escapes are kept). */
export function unescapePython(body: string): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const nx = body[++i];
    switch (nx) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case "'": out += "'"; break;
      case '"': out += '"'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\n': break;
      case 'x': case 'u': case 'U': {
        const len = nx === 'x' ? 2 : nx === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (hex.length === len && /^[0-9a-fA-F]+$/.test(hex)) {
          out += String.fromCodePoint(parseInt(hex, 16));
          i += len;
        } else {
          out += '\\' + nx;
        }
        break;
      }
      default:
        if (nx >= '0' && nx <= '7') {
          let oct = nx;
          while (oct.length < 3 && body[i + 1] >= '0' && body[i + 1] <= '7') oct += body[++i];
          out += String.fromCharCode(parseInt(oct, 8));
        } else {
          out += '\\' + nx;
        }
    }
  }
  return out;
}

/**
 * Splits template source into tokens. A lexing error becomes a final 'error' token, raised
 * when the parser reaches it, so (as with Jinja's lazy lexer) parse errors earlier in the
 * template are reported first.
 */
export function tokenize(src: string, opts: LexOptions): Token[] {
  const tokens: Token[] = [];
  try {
    lexInto(tokens, src, opts);
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    tokens.push({ type: 'error', value: e.message, lineno: e.lineno, colno: e.colno });
  }
  return tokens;
}

/** A tag opener found in the source: `{` variable, `%` block, `#` comment, `L` line statement, `C` line comment. */
interface Opener {
  at: number;
  kind: '{' | '%' | '#' | 'L' | 'C';
  /** length of the opener text (a line statement's includes its leading whitespace) */
  len: number;
}

/** Finds the earliest tag opener from `pos`, as Jinja's root regex does (longest opener first at a tie). */
function makeOpenerFinder(src: string, opts: LexOptions): (pos: number) => Opener | null {
  const d = opts.delimiters ?? DEFAULT_DELIMITERS;
  if (d === DEFAULT_DELIMITERS && !opts.lineStatementPrefix && !opts.lineCommentPrefix) {
    // the common case: one scan for '{'
    return (pos) => {
      for (let i = src.indexOf('{', pos); i !== -1; i = src.indexOf('{', i + 1)) {
        const c = src[i + 1];
        if (c === '{' || c === '%' || c === '#') return { at: i, kind: c, len: 2 };
      }
      return null;
    };
  }
  const starts: [string, Opener['kind']][] = [
    [d.variableStart, '{'],
    [d.blockStart, '%'],
    [d.commentStart, '#'],
  ];
  starts.sort((a, b) => b[0].length - a[0].length);
  const lineStmt = opts.lineStatementPrefix ? new RegExp(`^[ \\t\\v]*${escapeRe(opts.lineStatementPrefix)}`, 'mg') : null;
  const lineComment = opts.lineCommentPrefix ? new RegExp(`(?:^|(?<=\\S))[^\\S\\r\\n]*${escapeRe(opts.lineCommentPrefix)}`, 'mg') : null;
  return (pos) => {
    let best: Opener | null = null;
    let bestLen = -1;
    const consider = (o: Opener, ruleLen: number) => {
      // at one position the longer rule wins (Jinja sorts its rules by the length of their strings)
      if (!best || o.at < best.at || (o.at === best.at && ruleLen > bestLen)) {
        best = o;
        bestLen = ruleLen;
      }
    };
    for (const [str, kind] of starts) {
      const i = src.indexOf(str, pos);
      if (i !== -1) consider({ at: i, kind, len: str.length }, str.length);
    }
    for (const [re, kind, prefix] of [[lineStmt, 'L', opts.lineStatementPrefix], [lineComment, 'C', opts.lineCommentPrefix]] as const) {
      if (!re) continue;
      re.lastIndex = pos;
      const m = re.exec(src);
      if (m) consider({ at: m.index, kind, len: m[0].length }, (prefix ?? '').length);
    }
    return best;
  };
}

function lexInto(tokens: Token[], src: string, opts: LexOptions): void {
  const d = opts.delimiters ?? DEFAULT_DELIMITERS;
  const newline = opts.newline ?? '\n';
  const normalizeNewlines = (s: string) => (newline === '\n' ? (s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s) : s.replace(/\r\n|\r|\n/g, newline));
  const findOpener = makeOpenerFinder(src, opts);
  let pos = 0;
  let line = 0;
  let lineStart = 0;
  /** set by a closing tag: strip all leading whitespace of the next data (`-%}`) or one newline (trim_blocks) */
  let stripNext: 'none' | 'all' | 'newline' = 'none';
  /** Ansible lexes the text after doubling backslashes in `{{ }}` strings: error offsets count them */
  let doubledShift = 0;

  const advanceTo = (end: number) => {
    for (let i = pos; i < end; i++) {
      if (src.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    pos = end;
  };
  const col = (at: number) => at - lineStart;
  const fail = (msg: string): never => {
    throw new TemplateSyntaxError(msg, line, col(pos));
  };

  const pushData = (text: string, startLine: number, startCol: number) => {
    if (stripNext === 'all') text = text.replace(/^\s+/, '');
    else if (stripNext === 'newline') text = text.replace(/^\r?\n/, '');
    stripNext = 'none';
    // Jinja writes every newline in template data as its newline_sequence
    text = normalizeNewlines(text);
    if (text) tokens.push({ type: T.DATA, value: text, lineno: startLine, colno: startCol });
  };
  const rawRe = new RegExp(`^\\s*raw\\s*([-+]?)${escapeRe(d.blockEnd)}`);
  const endRawRe = new RegExp(`${escapeRe(d.blockStart)}([-+]?)\\s*endraw\\s*([-+]?)${escapeRe(d.blockEnd)}`, 'g');

  while (pos < src.length) {
    const opener = findOpener(pos);
    const next = opener ? opener.at : -1;
    const kind = opener ? opener.kind : '';
    const dataEnd = next === -1 ? src.length : next;
    let data = src.slice(pos, dataEnd);
    const dataLine = line;
    const dataCol = col(pos);
    if (opener && (kind === '{' || kind === '%' || kind === '#')) {
      const modifier = src[next + opener.len];
      if (modifier === '-') {
        data = data.replace(/\s+$/, '');
      } else if (opts.lstripBlocks && (kind === '%' || kind === '#') && modifier !== '+') {
        const lastNl = data.lastIndexOf('\n');
        const tail = data.slice(lastNl + 1);
        if (/^[ \t]*$/.test(tail) && (lastNl !== -1 || pos === lineStart)) data = data.slice(0, lastNl + 1);
      }
    }
    pushData(data, dataLine, dataCol);
    advanceTo(dataEnd);
    if (!opener) break;

    const tagLine = line;
    const tagCol = col(pos);
    let p = pos + opener.len;
    if ((kind === '{' || kind === '%' || kind === '#') && (src[p] === '-' || src[p] === '+')) p++;

    if (kind === 'C') {
      // a line comment runs to the end of the line; the newline stays
      const nl = src.indexOf('\n', p);
      advanceTo(nl === -1 ? src.length : nl);
      continue;
    }

    if (kind === '#') {
      const end = src.indexOf(d.commentEnd, p);
      if (end === -1) fail('Missing end of comment tag');
      const dash = src[end - 1] === '-';
      const plus = src[end - 1] === '+';
      advanceTo(end + d.commentEnd.length);
      stripNext = dash ? 'all' : opts.trimBlocks && !plus ? 'newline' : 'none';
      continue;
    }

    if (kind === '%') {
      // {% raw %} … {% endraw %} is handled here, as Jinja's lexer does
      const rawOpen = rawRe.exec(src.slice(p, p + 64 + d.blockEnd.length));
      if (rawOpen) {
        const bodyStart = p + rawOpen[0].length;
        endRawRe.lastIndex = bodyStart;
        const close = endRawRe.exec(src);
        if (!close) {
          advanceTo(p);
          fail("Missing end of raw directive");
        }
        let body = src.slice(bodyStart, close!.index);
        if (rawOpen[1] === '-') body = body.replace(/^\s+/, '');
        if (close![1] === '-') body = body.replace(/\s+$/, '');
        advanceTo(bodyStart);
        if (body) tokens.push({ type: T.DATA, value: normalizeNewlines(body), lineno: line, colno: col(pos) });
        advanceTo(close!.index + close![0].length);
        stripNext = close![2] === '-' ? 'all' : opts.trimBlocks && close![2] !== '+' ? 'newline' : 'none';
        continue;
      }
    }

    const inVariable = kind === '{';
    const lineStatement = kind === 'L';
    tokens.push({ type: inVariable ? T.VARIABLE_START : T.BLOCK_START, value: inVariable ? '{{' : '{%', lineno: tagLine, colno: tagCol });
    advanceTo(p);
    const closer = inVariable ? d.variableEnd : lineStatement ? '\n' : d.blockEnd;
    const lineEnd = /\s*(?:\n|$)/y;
    const depth: string[] = [];
    let closed = false;
    while (pos < src.length) {
      const ch = src[pos];
      if (lineStatement && depth.length === 0) {
        // a line statement ends at the end of its line (blank lines after it go too)
        lineEnd.lastIndex = pos;
        const m = lineEnd.exec(src);
        if (m) {
          tokens.push({ type: T.BLOCK_END, value: '%}', lineno: line, colno: col(pos) });
          advanceTo(pos + m[0].length);
          stripNext = 'none';
          closed = true;
          break;
        }
      }
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        advanceTo(pos + 1);
        continue;
      }
      if (depth.length === 0 && !lineStatement) {
        let end = -1;
        let mod = '';
        // `-}}`, `-%}` strip whitespace; `+%}` (blocks only) keeps the newline trim_blocks would eat
        if ((ch === '-' || (ch === '+' && !inVariable)) && src.startsWith(closer, pos + 1)) {
          end = pos + 1 + closer.length;
          mod = ch;
        } else if (src.startsWith(closer, pos)) {
          end = pos + closer.length;
        }
        if (end !== -1) {
          tokens.push({ type: inVariable ? T.VARIABLE_END : T.BLOCK_END, value: inVariable ? '}}' : '%}', lineno: line, colno: col(pos) });
          advanceTo(end);
          stripNext = mod === '-' ? 'all' : !inVariable && opts.trimBlocks && mod !== '+' ? 'newline' : 'none';
          closed = true;
          break;
        }
      }
      const tokLine = line;
      const tokCol = col(pos);
      const push = (type: string, value: string, len: number) => {
        tokens.push({ type, value, lineno: tokLine, colno: tokCol });
        advanceTo(pos + len);
      };
      if (ch === "'" || ch === '"') {
        // Ansible doubles backslashes in `{{ }}` strings before Jinja lexes them, so there a
        // backslash never escapes the closing quote
        const raw = inVariable && opts.rawVariableStrings;
        let i = pos + 1;
        while (i < src.length && src[i] !== ch) {
          if (src[i] === '\\' && !raw) i++;
          i++;
        }
        if (i >= src.length) throw new TemplateSyntaxError(`unexpected char ${ch === "'" ? '"\'"' : "'\"'"} at ${pos + doubledShift}`, line, col(pos));
        const body = normalizeNewlines(src.slice(pos + 1, i));
        if (raw) doubledShift += body.split('\\').length - 1;
        push(T.STRING, raw ? body : unescapePython(body), i + 1 - pos);
        continue;
      }
      if (ch >= '0' && ch <= '9') {
        const rest = src.slice(pos);
        const afterDot = pos > 0 && src[pos - 1] === '.';
        const floatM = afterDot ? null : /^(\d+_)*\d+((\.(\d+_)*\d+)?[eE][+-]?(\d+_)*\d+|\.(\d+_)*\d+)/.exec(rest);
        if (floatM) {
          push(T.FLOAT, floatM[0].replace(/_/g, ''), floatM[0].length);
          continue;
        }
        const intM = /^(0[bB](_?[01])+|0[oO](_?[0-7])+|0[xX](_?[0-9a-fA-F])+|[1-9](_?\d)*|0(_?0)*)/.exec(rest)!;
        push(T.INT, intM[0].replace(/_/g, ''), intM[0].length);
        continue;
      }
      if (NAME_START.test(ch)) {
        let i = pos + 1;
        while (i < src.length && NAME_CHAR.test(src[i])) i++;
        const name = src.slice(pos, i);
        if (name === 'true' || name === 'True' || name === 'false' || name === 'False') push(T.BOOLEAN, name.toLowerCase(), i - pos);
        else if (name === 'none' || name === 'None') push(T.NONE, name, i - pos);
        else push(T.SYMBOL, name, i - pos);
        continue;
      }
      switch (ch) {
        case '(': depth.push(')'); push(T.LEFT_PAREN, ch, 1); continue;
        case '[': depth.push(']'); push(T.LEFT_BRACKET, ch, 1); continue;
        case '{': depth.push('}'); push(T.LEFT_CURLY, ch, 1); continue;
        case ')': case ']': case '}': {
          const want = depth.pop();
          if (want !== ch) fail(want ? `unexpected '${ch}', expected '${want}'` : `unexpected '${ch}'`);
          push(ch === ')' ? T.RIGHT_PAREN : ch === ']' ? T.RIGHT_BRACKET : T.RIGHT_CURLY, ch, 1);
          continue;
        }
        case ',': push(T.COMMA, ch, 1); continue;
        case ':': push(T.COLON, ch, 1); continue;
        case '~': push(T.TILDE, ch, 1); continue;
        case '|': push(T.PIPE, ch, 1); continue;
      }
      const op = OPERATORS.find((o) => src.startsWith(o, pos));
      if (op) {
        push(T.OPERATOR, op, op.length);
        continue;
      }
      fail(`unexpected char '${ch}' at ${pos}`);
    }
    if (!closed && lineStatement) {
      tokens.push({ type: T.BLOCK_END, value: '%}', lineno: line, colno: col(pos) });
      closed = true;
    }
    if (!closed) fail(`unexpected end of template, expected '${closer}'`);
  }
}

/** The stream object Nunjucks' Parser pulls tokens from. */
export class TokenStream {
  private index = 0;
  readonly tags = {
    BLOCK_START: '{%',
    BLOCK_END: '%}',
    VARIABLE_START: '{{',
    VARIABLE_END: '}}',
    COMMENT_START: '{#',
    COMMENT_END: '#}',
  };
  constructor(private readonly tokens: Token[]) {}
  nextToken(): Token | null {
    if (this.index >= this.tokens.length) return null;
    const tok = this.tokens[this.index++];
    if (tok.type === 'error') throw new TemplateSyntaxError(tok.value, tok.lineno, tok.colno);
    return tok;
  }
}
