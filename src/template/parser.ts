/**
 * Nunjucks' Parser with Jinja2's expression grammar.
 *
 * Statements (if/for/set/macro/call/import/include/filter/block) are Nunjucks' own parsing code;
 * the expression methods are overridden to follow Jinja's precedence and syntax: chained
 * comparisons including `in`/`not in`, `~` binding tighter than `+`, tests with several
 * arguments or none in parentheses, FQCN test/filter names, `x.0`, slices, tuples, trailing
 * commas, `for … if …`, adjacent string literals and `{% set ns.attr = … %}`.
 */
import nunjucks from 'nunjucks';
import { T, TokenStream, tokenize, type LexOptions, type Token } from './lexer.js';

/** A parsed node: Nunjucks node objects, plus our own expression node shapes. */
export interface Node {
  typename: string;
  lineno: number;
  colno: number;
  [field: string]: unknown;
}

interface NunjucksInternals {
  parser: { Parser: new (tokens: unknown) => ParserBase };
  nodes: Record<string, new (lineno: number, colno: number, ...fields: unknown[]) => Node>;
}

interface ParserBase {
  tokens: unknown;
  nextToken(withWhitespace?: boolean): Token | null;
  peekToken(): Token;
  pushToken(tok: Token | null): void;
  skip(type: string): boolean;
  skipValue(type: string, val: string): boolean;
  skipSymbol(val: string): boolean;
  expect(type: string): Token;
  fail(msg: string, lineno?: number, colno?: number): never;
  advanceAfterBlockEnd(name?: string): Token;
  parseUntilBlocks(...names: string[]): Node;
  parseStatement(): Node | null;
  parseAsRoot(): Node;
}

const nj = nunjucks as unknown as NunjucksInternals;
const N = nj.nodes;
const BaseParser = nj.parser.Parser as unknown as new (tokens: unknown) => ParserBase;

const COMPARE_OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);

function mk(typename: string, tok: { lineno: number; colno: number }, fields: Record<string, unknown>): Node {
  return { typename, lineno: tok.lineno, colno: tok.colno, ...fields };
}

/** Jinja's wording for a token in error messages */
function describe(tok: Token | null): string {
  if (!tok) return 'end of template';
  if (tok.type === T.VARIABLE_END) return 'end of print statement';
  if (tok.type === T.BLOCK_END) return 'end of statement block';
  return tok.value;
}

/** the statement tags Jinja (as Ansible configures it) knows, plus the end tags parsed by their openers */
const KNOWN_TAGS = new Set([
  'if', 'elif', 'elseif', 'else', 'endif', 'for', 'endfor', 'block', 'endblock', 'extends', 'include', 'set', 'endset',
  'macro', 'endmacro', 'call', 'endcall', 'import', 'from', 'filter', 'endfilter', 'with', 'endwith', 'raw', 'endraw',
  'autoescape', 'endautoescape',
]);

class JinjaParser extends BaseParser {
  /** tokens pushed back; Nunjucks' Parser allows only one, Jinja's grammar needs more lookahead */
  private pushed: (Token | null)[] = [];

  override nextToken(): Token | null {
    if (this.pushed.length) return this.pushed.pop()!;
    return (this.tokens as TokenStream).nextToken();
  }

  override peekToken(): Token {
    const tok = this.nextToken();
    this.pushed.push(tok);
    return tok as Token;
  }

  override pushToken(tok: Token | null): void {
    this.pushed.push(tok);
  }

  override parseStatement(): Node | null {
    const tok = this.peekToken();
    if (tok && tok.type === T.SYMBOL && tok.value === 'with' && !(this as unknown as { breakOnBlocks: string[] | null }).breakOnBlocks?.includes('with')) {
      return this.parseWith();
    }
    if (tok && tok.type === T.SYMBOL && tok.value === 'autoescape') return this.parseAutoescape();
    if (tok && tok.type === T.SYMBOL && !KNOWN_TAGS.has(tok.value)) this.failUnknownTag(tok);
    return super.parseStatement();
  }

  /**
   * `{% autoescape expr %}…{% endautoescape %}`: parsed and rendered as its body. Under Ansible,
   * output is never escaped, so the setting changes nothing; the block is a scope of its own
   * (a `set` inside is not seen after it), as `{% with %}` is.
   */
  parseAutoescape(): Node {
    const tag = this.nextToken()!;
    this.parseExpression();
    this.advanceAfterBlockEnd('autoescape');
    const body = this.parseUntilBlocks('endautoescape');
    this.advanceAfterBlockEnd();
    return mk('With', tag, { assignments: [], body });
  }

  /** Jinja's wording for a tag it does not know (extensions Ansible does not enable: do, break, trans…) */
  failUnknownTag(tok: Token): never {
    const looking = ((this as unknown as { breakOnBlocks: string[] | null }).breakOnBlocks ?? []).filter((t) => t !== 'elseif');
    let msg = `Encountered unknown tag '${tok.value}'.`;
    if (looking.length) {
      msg += ` Jinja was looking for the following tags: ${looking.map((t) => `'${t}'`).join(' or ')}.`;
      const end = looking.find((t) => t.startsWith('end'));
      if (end) msg += ` The innermost block that needs to be closed is '${end.slice(3)}'.`;
    }
    this.fail(msg, tok.lineno, tok.colno);
  }

  /** {% with a = 1, b = x %} … {% endwith %} */
  parseWith(): Node {
    const tag = this.nextToken()!;
    const assignments: { target: Node; value: Node }[] = [];
    while (this.peekToken().type !== T.BLOCK_END) {
      if (assignments.length && !this.skip(T.COMMA)) this.fail("expected ',' in with statement");
      const target = this.parsePrimary(true);
      if (!this.skipValue(T.OPERATOR, '=')) this.fail("expected '=' in with statement");
      assignments.push({ target, value: this.parseExpression() });
    }
    this.advanceAfterBlockEnd('with');
    const body = this.parseUntilBlocks('endwith');
    this.advanceAfterBlockEnd();
    return mk('With', tag, { assignments, body });
  }

  parseIf(): Node {
    const tag = this.nextToken()!;
    const node = new N.If(tag.lineno, tag.colno);
    node.cond = this.parseIterable();
    this.advanceAfterBlockEnd(tag.value);
    node.body = this.parseUntilBlocks('elif', 'elseif', 'else', 'endif');
    const tok = this.peekToken();
    switch (tok && tok.value) {
      case 'elseif':
      case 'elif':
        node.else_ = this.parseIf();
        break;
      case 'else':
        this.advanceAfterBlockEnd();
        node.else_ = this.parseUntilBlocks('endif');
        this.advanceAfterBlockEnd();
        break;
      case 'endif':
        node.else_ = null;
        this.advanceAfterBlockEnd();
        break;
      default:
        this.fail("Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.");
    }
    return node;
  }

  override advanceAfterBlockEnd(name?: string): Token {
    if (!name) {
      const t = this.peekToken();
      if (!t) this.fail('unexpected end of file');
      name = this.nextToken()!.value;
    }
    const tok = this.nextToken();
    if (!tok || tok.type !== T.BLOCK_END) {
      this.fail(`expected token 'end of statement block', got '${describe(tok)}'`, tok?.lineno, tok?.colno);
    }
    return tok!;
  }

  advanceAfterVariableEnd(): void {
    const tok = this.nextToken();
    if (!tok || tok.type !== T.VARIABLE_END) {
      this.fail(`expected token 'end of print statement', got '${describe(tok)}'`, tok?.lineno, tok?.colno);
    }
  }

  parseExpression(): Node {
    return this.parseInlineIf();
  }

  /** `a if cond else b`; a missing else yields Undefined as in Jinja */
  parseInlineIf(): Node {
    let node = this.parseOr();
    while (this.skipSymbol('if')) {
      const cond = this.parseOr();
      const else_ = this.skipSymbol('else') ? this.parseInlineIf() : null;
      const body = node;
      node = new N.InlineIf(body.lineno, body.colno);
      node.cond = cond;
      node.body = body;
      node.else_ = else_;
    }
    return node;
  }

  parseOr(): Node {
    let node = this.parseAnd();
    while (this.skipSymbol('or')) node = new N.Or(node.lineno, node.colno, node, this.parseAnd());
    return node;
  }

  parseAnd(): Node {
    let node = this.parseNot();
    while (this.skipSymbol('and')) node = new N.And(node.lineno, node.colno, node, this.parseNot());
    return node;
  }

  parseNot(): Node {
    const tok = this.peekToken();
    if (this.skipSymbol('not')) return new N.Not(tok.lineno, tok.colno, this.parseNot());
    return this.parseCompare();
  }

  parseCompare(): Node {
    const expr = this.parseAdd();
    const ops: Node[] = [];
    for (;;) {
      const tok = this.nextToken();
      if (!tok) break;
      if (tok.type === T.OPERATOR && COMPARE_OPS.has(tok.value)) {
        ops.push(mk('CompareOperand', tok, { expr: this.parseAdd(), type: tok.value }));
      } else if (tok.type === T.SYMBOL && tok.value === 'in') {
        ops.push(mk('CompareOperand', tok, { expr: this.parseAdd(), type: 'in' }));
      } else if (tok.type === T.SYMBOL && tok.value === 'not') {
        const nx = this.peekToken();
        if (nx && nx.type === T.SYMBOL && nx.value === 'in') {
          this.nextToken();
          ops.push(mk('CompareOperand', tok, { expr: this.parseAdd(), type: 'notin' }));
        } else {
          this.pushToken(tok);
          break;
        }
      } else {
        this.pushToken(tok);
        break;
      }
    }
    return ops.length ? mk('Compare', expr, { expr, ops }) : expr;
  }

  /** Jinja's math1: + and - */
  parseAdd(): Node {
    let node = this.parseConcat();
    for (;;) {
      const tok = this.peekToken();
      if (tok && tok.type === T.OPERATOR && (tok.value === '+' || tok.value === '-')) {
        this.nextToken();
        const right = this.parseConcat();
        node = new (tok.value === '+' ? N.Add : N.Sub)(node.lineno, node.colno, node, right);
      } else break;
    }
    return node;
  }

  parseConcat(): Node {
    let node = this.parseMul();
    while (this.skip(T.TILDE)) node = new N.Concat(node.lineno, node.colno, node, this.parseMul());
    return node;
  }

  /** Jinja's math2: * / // % */
  parseMul(): Node {
    let node = this.parsePow();
    for (;;) {
      const tok = this.peekToken();
      if (tok && tok.type === T.OPERATOR && (tok.value === '*' || tok.value === '/' || tok.value === '//' || tok.value === '%')) {
        this.nextToken();
        const right = this.parsePow();
        const cls = tok.value === '*' ? N.Mul : tok.value === '/' ? N.Div : tok.value === '//' ? N.FloorDiv : N.Mod;
        node = new cls(node.lineno, node.colno, node, right);
      } else break;
    }
    return node;
  }

  parsePow(): Node {
    let node = this.parseUnary();
    while (this.skipValue(T.OPERATOR, '**')) node = new N.Pow(node.lineno, node.colno, node, this.parseUnary());
    return node;
  }

  parseUnary(noFilters?: boolean): Node {
    const tok = this.peekToken();
    let node: Node;
    if (this.skipValue(T.OPERATOR, '-')) node = new N.Neg(tok.lineno, tok.colno, this.parseUnary(true));
    else if (this.skipValue(T.OPERATOR, '+')) node = new N.Pos(tok.lineno, tok.colno, this.parseUnary(true));
    else node = this.parsePrimary();
    if (!noFilters) node = this.parseFilter(node);
    return node;
  }

  parsePrimary(noPostfix?: boolean): Node {
    const tok = this.nextToken();
    if (!tok) this.fail("Expected an expression, got 'end of template'");
    let node: Node;
    switch (tok!.type) {
      case T.STRING: {
        let value = tok!.value;
        // adjacent string literals concatenate, as in Python
        while (this.peekToken()?.type === T.STRING) value += this.nextToken()!.value;
        node = new N.Literal(tok!.lineno, tok!.colno, value);
        break;
      }
      case T.INT:
        node = new N.Literal(tok!.lineno, tok!.colno, parseInt(tok!.value.replace(/^0[oO]/, ''), /^0[xX]/.test(tok!.value) ? 16 : /^0[bB]/.test(tok!.value) ? 2 : /^0[oO]/.test(tok!.value) ? 8 : 10));
        if (/^0[xX]/.test(tok!.value)) node.value = parseInt(tok!.value.slice(2), 16);
        if (/^0[bB]/.test(tok!.value)) node.value = parseInt(tok!.value.slice(2), 2);
        break;
      case T.FLOAT:
        node = mk('FloatLiteral', tok!, { value: parseFloat(tok!.value) });
        break;
      case T.BOOLEAN:
        node = new N.Literal(tok!.lineno, tok!.colno, tok!.value === 'true');
        break;
      case T.NONE:
        node = new N.Literal(tok!.lineno, tok!.colno, null);
        break;
      case T.SYMBOL:
        node = new N.Symbol(tok!.lineno, tok!.colno, tok!.value);
        break;
      case T.LEFT_PAREN:
      case T.LEFT_BRACKET:
      case T.LEFT_CURLY:
        this.pushToken(tok);
        node = this.parseAggregate();
        break;
      default:
        this.fail(`Expected an expression, got '${describe(tok)}'`, tok!.lineno, tok!.colno);
    }
    if (!noPostfix) node = this.parsePostfix(node);
    return node;
  }

  parseAggregate(): Node {
    const tok = this.nextToken()!;
    const items: Node[] = [];
    if (tok.type === T.LEFT_PAREN) {
      if (this.skip(T.RIGHT_PAREN)) return mk('Tuple', tok, { children: [] });
      let sawComma = false;
      for (;;) {
        items.push(this.parseExpression());
        if (this.skip(T.COMMA)) {
          sawComma = true;
          if (this.skip(T.RIGHT_PAREN)) break;
          continue;
        }
        this.expect(T.RIGHT_PAREN);
        break;
      }
      return sawComma ? mk('Tuple', tok, { children: items }) : items[0];
    }
    if (tok.type === T.LEFT_BRACKET) {
      while (!this.skip(T.RIGHT_BRACKET)) {
        if (items.length && !this.skip(T.COMMA)) this.fail('expected comma in list literal', tok.lineno, tok.colno);
        if (this.skip(T.RIGHT_BRACKET)) break;
        items.push(this.parseExpression());
      }
      return new N.Array(tok.lineno, tok.colno, items);
    }
    if (tok.type === T.LEFT_CURLY) {
      while (!this.skip(T.RIGHT_CURLY)) {
        if (items.length && !this.skip(T.COMMA)) this.fail('expected comma in dict literal', tok.lineno, tok.colno);
        if (this.skip(T.RIGHT_CURLY)) break;
        const key = this.parseExpression();
        if (!this.skip(T.COLON)) this.fail('expected colon after dict key', key.lineno, key.colno);
        const value = this.parseExpression();
        items.push(new N.Pair(key.lineno, key.colno, key, value));
      }
      return new N.Dict(tok.lineno, tok.colno, items);
    }
    this.fail(`unexpected '${tok.value}'`, tok.lineno, tok.colno);
  }

  parsePostfix(node: Node): Node {
    for (;;) {
      const tok = this.peekToken();
      if (!tok) return node;
      if (tok.type === T.LEFT_PAREN) {
        node = new N.FunCall(tok.lineno, tok.colno, node, this.parseSignature());
      } else if (tok.type === T.LEFT_BRACKET) {
        this.nextToken();
        node = mk('LookupVal', tok, { target: node, val: this.parseSubscript(), attr: false });
      } else if (tok.type === T.OPERATOR && tok.value === '.') {
        this.nextToken();
        const name = this.nextToken();
        if (!name) this.fail('expected name after .');
        if (name!.type === T.SYMBOL || name!.type === T.BOOLEAN || name!.type === T.NONE) {
          const attrName = name!.type === T.SYMBOL ? name!.value : name!.value;
          node = mk('LookupVal', tok, { target: node, val: new N.Literal(name!.lineno, name!.colno, attrName), attr: true });
        } else if (name!.type === T.INT) {
          node = mk('LookupVal', tok, { target: node, val: new N.Literal(name!.lineno, name!.colno, parseInt(name!.value, 10)), attr: false });
        } else {
          this.fail(`expected name or number after '.', got '${name!.value}'`, name!.lineno, name!.colno);
        }
      } else {
        return node;
      }
    }
  }

  /** after `[`: an index expression or a slice, up to and including `]` */
  parseSubscript(): Node {
    const tok = this.peekToken();
    const parts: (Node | null)[] = [];
    let isSlice = false;
    let current: Node | null = null;
    for (;;) {
      const t = this.peekToken();
      if (t.type === T.RIGHT_BRACKET) {
        this.nextToken();
        parts.push(current);
        break;
      }
      if (t.type === T.COLON) {
        this.nextToken();
        isSlice = true;
        parts.push(current);
        current = null;
        continue;
      }
      if (current) this.fail('expected ] or :', t.lineno, t.colno);
      current = this.parseExpression();
      if (!isSlice && this.peekToken().type === T.COMMA) {
        // x[a, b] indexes with a tuple
        const items = [current];
        while (this.skip(T.COMMA)) {
          if (this.peekToken().type === T.RIGHT_BRACKET) break;
          items.push(this.parseExpression());
        }
        current = mk('Tuple', current, { children: items });
      }
    }
    if (!isSlice) {
      if (!parts[0]) this.fail('expected subscript expression', tok.lineno, tok.colno);
      return parts[0]!;
    }
    return mk('Slice', tok, { start: parts[0] ?? null, stop: parts[1] ?? null, step: parts[2] ?? null });
  }

  /** call arguments: positional, keyword (name=value); trailing comma allowed */
  parseSignature(tolerant?: boolean, noParens?: boolean): Node {
    let tok = this.peekToken();
    if (!noParens && tok.type !== T.LEFT_PAREN) {
      if (tolerant) return null as unknown as Node;
      this.fail('expected arguments', tok.lineno, tok.colno);
    }
    if (tok.type === T.LEFT_PAREN) tok = this.nextToken()!;
    const args = new N.NodeList(tok.lineno, tok.colno);
    const kwargs = new N.KeywordArgs(tok.lineno, tok.colno);
    const argList = args.children as Node[];
    const kwList = kwargs.children as Node[];
    let first = true;
    for (;;) {
      tok = this.peekToken();
      if (!noParens && tok.type === T.RIGHT_PAREN) {
        this.nextToken();
        break;
      }
      if (noParens && tok.type === T.BLOCK_END) break;
      if (!first && !this.skip(T.COMMA)) this.fail('expected comma between arguments', tok.lineno, tok.colno);
      first = false;
      if (!noParens && this.skip(T.RIGHT_PAREN)) break;
      const nameTok = this.peekToken();
      if (nameTok.type === T.SYMBOL) {
        this.nextToken();
        const eq = this.peekToken();
        if (eq && eq.type === T.OPERATOR && eq.value === '=') {
          this.nextToken();
          kwList.push(new N.Pair(nameTok.lineno, nameTok.colno, new N.Symbol(nameTok.lineno, nameTok.colno, nameTok.value), this.parseExpression()));
          continue;
        }
        this.pushToken(nameTok);
      }
      argList.push(this.parseExpression());
    }
    if (kwList.length) argList.push(kwargs);
    return args;
  }

  parseFilterName(): Node {
    const tok = this.expect(T.SYMBOL);
    let name = tok.value;
    while (this.skipValue(T.OPERATOR, '.')) name += '.' + this.expect(T.SYMBOL).value;
    return new N.Symbol(tok.lineno, tok.colno, name);
  }

  parseFilterArgs(node: Node): Node[] {
    if (this.peekToken().type === T.LEFT_PAREN) return this.parseSignature().children as Node[];
    void node;
    return [];
  }

  /** filters (`| f(args)`) and tests (`is [not] t args`), in any order */
  parseFilter(node: Node): Node {
    for (;;) {
      const tok = this.peekToken();
      if (!tok) return node;
      if (tok.type === T.PIPE) {
        this.nextToken();
        const name = this.parseFilterName();
        node = new N.Filter(name.lineno, name.colno, name, new N.NodeList(name.lineno, name.colno, [node, ...this.parseFilterArgs(name)]));
      } else if (tok.type === T.SYMBOL && tok.value === 'is') {
        this.nextToken();
        const negate = this.skipSymbol('not');
        const nameNode = this.parseTestName();
        let args: Node[] = [];
        const nx = this.peekToken();
        if (nx && nx.type === T.LEFT_PAREN) {
          args = this.parseSignature().children as Node[];
        } else if (
          nx &&
          (nx.type === T.STRING || nx.type === T.INT || nx.type === T.FLOAT || nx.type === T.LEFT_BRACKET || nx.type === T.LEFT_CURLY || nx.type === T.BOOLEAN || nx.type === T.NONE ||
            (nx.type === T.SYMBOL && !['else', 'or', 'and', 'if', 'is', 'in', 'not', 'recursive'].includes(nx.value)))
        ) {
          args = [this.parsePostfix(this.parsePrimary(true))];
        }
        node = mk('Test', nameNode, { name: nameNode.value, target: node, args, negate });
      } else {
        return node;
      }
    }
  }

  parseTestName(): Node {
    const tok = this.nextToken()!;
    // `none`, `true`, `false` are test names too
    if (tok.type !== T.SYMBOL && tok.type !== T.NONE && tok.type !== T.BOOLEAN) this.fail(`expected test name, got '${tok.value}'`, tok.lineno, tok.colno);
    let name = tok.type === T.NONE ? 'none' : tok.value;
    while (this.skipValue(T.OPERATOR, '.')) name += '.' + this.expect(T.SYMBOL).value;
    return new N.Symbol(tok.lineno, tok.colno, name);
  }

  parseFor(): Node {
    const forTok = this.peekToken();
    if (!this.skipSymbol('for')) this.fail('expected for', forTok.lineno, forTok.colno);
    const node = new N.For(forTok.lineno, forTok.colno);
    const targets: Node[] = [];
    const parens = this.skip(T.LEFT_PAREN);
    do {
      const t = this.parsePrimary(true);
      if (t.typename !== 'Symbol') this.fail('expected a variable name in for loop', t.lineno, t.colno);
      targets.push(t);
    } while (this.skip(T.COMMA) && this.peekToken().type === T.SYMBOL && this.peekToken().value !== 'in');
    if (parens) this.expect(T.RIGHT_PAREN);
    node.name = targets.length === 1 && !parens ? targets[0] : mk('Tuple', forTok, { children: targets });
    if (!this.skipSymbol('in')) this.fail('expected "in" in for loop', forTok.lineno, forTok.colno);
    node.arr = this.parseIterable();
    node.filterCond = this.skipSymbol('if') ? this.parseExpression() : null;
    node.recursive = this.skipSymbol('recursive');
    this.advanceAfterBlockEnd('for');
    node.body = this.parseUntilBlocks('endfor', 'else');
    if (this.skipSymbol('else')) {
      this.advanceAfterBlockEnd('else');
      node.else_ = this.parseUntilBlocks('endfor');
    } else {
      node.else_ = null;
    }
    this.advanceAfterBlockEnd();
    return node;
  }

  /** the iterable of a for loop: no inline-if (its `if` filters the loop) */
  parseIterable(): Node {
    const first = this.parseOr();
    if (this.peekToken().type !== T.COMMA) return first;
    const items = [first];
    while (this.skip(T.COMMA)) items.push(this.parseOr());
    return mk('Tuple', first, { children: items });
  }

  parseSet(): Node {
    const tag = this.peekToken();
    if (!this.skipSymbol('set')) this.fail('expected set', tag.lineno, tag.colno);
    const node = new N.Set(tag.lineno, tag.colno, []);
    const targets = node.targets as Node[];
    do {
      targets.push(this.parsePrimary());
    } while (this.skip(T.COMMA));
    if (!this.skipValue(T.OPERATOR, '=')) {
      // `{% set x | upper %}…{% endset %}`: the captured text goes through the filters
      const captured = mk('CapturedText', tag, {});
      const filtered = this.peekToken().type === T.PIPE ? this.parseFilter(captured) : null;
      if (!this.skip(T.BLOCK_END)) this.fail('expected = or block end in set tag', tag.lineno, tag.colno);
      node.body = new N.Capture(tag.lineno, tag.colno, this.parseUntilBlocks('endset'));
      node.value = null;
      node.filtered = filtered;
      this.advanceAfterBlockEnd();
    } else {
      // Jinja's parse_tuple: an inline if without parentheses is part of the value
      const first = this.parseExpression();
      if (this.peekToken().type === T.COMMA) {
        const items = [first];
        while (this.skip(T.COMMA)) items.push(this.parseExpression());
        node.value = mk('Tuple', first, { children: items });
      } else {
        node.value = first;
      }
      this.advanceAfterBlockEnd('set');
    }
    return node;
  }

  /** `{% filter a | b(1) %}…{% endfilter %}`: a chain of filters over the captured body */
  parseFilterStatement(): Node {
    const tag = this.peekToken();
    if (!this.skipSymbol('filter')) this.fail('expected filter', tag.lineno, tag.colno);
    const capture = new N.Capture(tag.lineno, tag.colno, null);
    const name = this.parseFilterName();
    let chain: Node = new N.Filter(name.lineno, name.colno, name, new N.NodeList(name.lineno, name.colno, [capture, ...this.parseFilterArgs(name)]));
    chain = this.parseFilter(chain);
    this.advanceAfterBlockEnd(tag.value);
    capture.body = this.parseUntilBlocks('endfilter');
    this.advanceAfterBlockEnd();
    return new N.Output(tag.lineno, tag.colno, [chain]);
  }

  /** `{% block name [scoped] [required] %}…{% endblock [name] %}` */
  parseBlock(): Node {
    const tag = this.peekToken();
    if (!this.skipSymbol('block')) this.fail('expected block', tag.lineno, tag.colno);
    const node = new N.Block(tag.lineno, tag.colno);
    node.name = this.parsePrimary();
    if ((node.name as Node).typename !== 'Symbol') this.fail('block name expected', tag.lineno, tag.colno);
    node.scoped = this.skipSymbol('scoped');
    node.required = this.skipSymbol('required');
    this.advanceAfterBlockEnd(tag.value);
    node.body = this.parseUntilBlocks('endblock');
    this.skipSymbol('endblock');
    const end = this.peekToken();
    if (end && end.type === T.SYMBOL) {
      if (end.value !== (node.name as Node).value) this.fail(`mismatched block name: expected '${String((node.name as Node).value)}', got '${end.value}'`, end.lineno, end.colno);
      this.nextToken();
    }
    if (!this.peekToken()) this.fail("Unexpected end of template. Jinja was looking for the following tags: 'endblock'.");
    this.advanceAfterBlockEnd('endblock');
    return node;
  }

  /** `{% include x [ignore missing] [with context|without context] %}` */
  parseInclude(): Node {
    const tag = this.peekToken();
    if (!this.skipSymbol('include')) this.fail('expected include', tag.lineno, tag.colno);
    const node = new N.Include(tag.lineno, tag.colno);
    node.template = this.parseExpression();
    if (this.skipSymbol('ignore')) {
      if (!this.skipSymbol('missing')) this.fail("expected 'missing' after 'ignore'");
      node.ignoreMissing = true;
    }
    node.withoutContext = this.parseContextModifier() === false;
    this.advanceAfterBlockEnd(tag.value);
    return node;
  }

  /** `with context` → true, `without context` → false, nothing → undefined */
  parseContextModifier(): boolean | undefined {
    const tok = this.peekToken();
    if (!tok || tok.type !== T.SYMBOL || (tok.value !== 'with' && tok.value !== 'without')) return undefined;
    this.nextToken();
    if (!this.skipSymbol('context')) this.fail("expected 'context'", tok.lineno, tok.colno);
    return tok.value === 'with';
  }

  parseWithContext(): boolean | null {
    const m = this.parseContextModifier();
    return m === undefined ? null : m;
  }
}

/** Parses a whole template into Nunjucks' Root node (with our expression nodes inside). */
export function parseTemplate(src: string, opts: LexOptions): Node {
  const parser = new JinjaParser(new TokenStream(tokenize(src, opts)));
  return parser.parseAsRoot();
}

/** Parses a bare expression (a `when:` condition); the whole source must be consumed. */
export function parseBareExpression(src: string): Node {
  const tokens = tokenize(`{{ ${src} }}`, { trimBlocks: true, lstripBlocks: false, rawVariableStrings: false });
  const parser = new JinjaParser(new TokenStream(tokens.slice(1, -1)));
  const node = parser.parseExpression();
  const rest = parser.nextToken();
  if (rest) parser.fail(`unexpected '${rest.value}'`, rest.lineno, rest.colno);
  return node;
}
