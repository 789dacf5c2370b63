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

function lexInto(tokens: Token[], src: string, opts: LexOptions): void {
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
    // Jinja writes every newline in template data as its newline_sequence ("\n")
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    if (text) tokens.push({ type: T.DATA, value: text, lineno: startLine, colno: startCol });
  };

  while (pos < src.length) {
    // find the next tag opener
    let next = -1;
    let kind = '';
    for (let i = src.indexOf('{', pos); i !== -1 && i < src.length; i = src.indexOf('{', i + 1)) {
      const c = src[i + 1];
      if (c === '{' || c === '%' || c === '#') {
        next = i;
        kind = c;
        break;
      }
    }
    const dataEnd = next === -1 ? src.length : next;
    let data = src.slice(pos, dataEnd);
    const dataLine = line;
    const dataCol = col(pos);
    if (next !== -1) {
      const modifier = src[next + 2];
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
    if (next === -1) break;

    const tagLine = line;
    const tagCol = col(pos);
    let p = pos + 2;
    if (src[p] === '-' || src[p] === '+') p++;

    if (kind === '#') {
      const end = src.indexOf('#}', p);
      if (end === -1) fail('Missing end of comment tag');
      const dash = src[end - 1] === '-';
      const plus = src[end - 1] === '+';
      advanceTo(end + 2);
      stripNext = dash ? 'all' : opts.trimBlocks && !plus ? 'newline' : 'none';
      continue;
    }

    if (kind === '%') {
      // {% raw %} … {% endraw %} is handled here, as Jinja's lexer does
      const rawOpen = /^\s*raw\s*([-+]?)%\}/.exec(src.slice(p, p + 64));
      if (rawOpen) {
        const bodyStart = p + rawOpen[0].length;
        const closeRe = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
        closeRe.lastIndex = bodyStart;
        const close = closeRe.exec(src);
        if (!close) {
          advanceTo(p);
          fail("Missing end of raw directive");
        }
        let body = src.slice(bodyStart, close!.index);
        if (rawOpen[1] === '-') body = body.replace(/^\s+/, '');
        if (close![1] === '-') body = body.replace(/\s+$/, '');
        advanceTo(bodyStart);
        if (body) tokens.push({ type: T.DATA, value: body.replace(/\r\n?/g, '\n'), lineno: line, colno: col(pos) });
        advanceTo(close!.index + close![0].length);
        stripNext = close![2] === '-' ? 'all' : opts.trimBlocks && close![2] !== '+' ? 'newline' : 'none';
        continue;
      }
    }

    tokens.push({ type: kind === '{' ? T.VARIABLE_START : T.BLOCK_START, value: kind === '{' ? '{{' : '{%', lineno: tagLine, colno: tagCol });
    advanceTo(p);
    const closer = kind === '{' ? '}}' : '%}';
    const inVariable = kind === '{';
    const depth: string[] = [];
    let closed = false;
    while (pos < src.length) {
      const ch = src[pos];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        advanceTo(pos + 1);
        continue;
      }
      if (depth.length === 0) {
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
          tokens.push({ type: inVariable ? T.VARIABLE_END : T.BLOCK_END, value: closer, lineno: line, colno: col(pos) });
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
        const body = src.slice(pos + 1, i).replace(/\r\n?/g, '\n');
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
