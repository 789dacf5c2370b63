import { setOwn } from '../util/dict.js';
/**
 * A reader for Python literal syntax (what ast.literal_eval accepts for plain data): dicts,
 * lists, tuples (read as lists), quoted strings, numbers, True/False/None. Ansible's dict
 * coercion falls back to it when a "{...}" string is not JSON, e.g. "{'a': 1}".
 */
export type LiteralResult = { ok: true; value: unknown } | { ok: false };

class LiteralSyntaxError extends Error {}

export function parsePythonLiteral(text: string): LiteralResult {
  const reader = new Reader(text);
  try {
    reader.skipSpace();
    const value = reader.value();
    reader.skipSpace();
    if (!reader.atEnd()) return { ok: false };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof LiteralSyntaxError) return { ok: false };
    throw err;
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/u.test(this.text[this.pos])) this.pos++;
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.peek() !== ch) throw new LiteralSyntaxError(`expected ${ch}`);
    this.pos++;
  }

  value(): unknown {
    this.skipSpace();
    const ch = this.peek();
    if (ch === '{') return this.dict();
    if (ch === '[') return this.sequence('[', ']');
    if (ch === '(') return this.sequence('(', ')');
    if (ch === "'" || ch === '"') return this.string();
    const word = /^(True|False|None)\b/u.exec(this.text.slice(this.pos));
    if (word) {
      this.pos += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    const num = /^[+-]?(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?/u.exec(this.text.slice(this.pos));
    if (num && num[0] && /\d/u.test(num[0])) {
      this.pos += num[0].length;
      return Number(num[0].replace(/_/g, ''));
    }
    throw new LiteralSyntaxError('unexpected input');
  }

  private dict(): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    this.skipSpace();
    while (this.peek() !== '}') {
      const key = this.value();
      this.expect(':');
      setOwn(out, String(key), this.value());
      this.skipSpace();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}') throw new LiteralSyntaxError('expected , or }');
      this.skipSpace();
    }
    this.pos++;
    return out;
  }

  private sequence(open: string, close: string): unknown[] {
    this.expect(open);
    const out: unknown[] = [];
    this.skipSpace();
    while (this.peek() !== close) {
      out.push(this.value());
      this.skipSpace();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== close) throw new LiteralSyntaxError(`expected , or ${close}`);
      this.skipSpace();
    }
    this.pos++;
    return out;
  }

  private string(): string {
    const quote = this.peek();
    this.pos++;
    let out = '';
    while (!this.atEnd() && this.peek() !== quote) {
      let ch = this.peek();
      if (ch === '\\') {
        this.pos++;
        const esc = this.peek();
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        ch = map[esc] ?? `\\${esc}`;
      }
      out += ch;
      this.pos++;
    }
    if (this.atEnd()) throw new LiteralSyntaxError('unterminated string');
    this.pos++;
    return out;
  }
}
