/**
 * Python's ast.literal_eval for the strings Ansible converts back into data ("[1, 2]",
 * "{'a': True}", "True"), with JSON's true/false/null accepted as Ansible does.
 * Returns NOT_LITERAL when the text is not a literal.
 */
import { unescapePython } from './lexer.js';
import { mkFloat, tuple } from './values.js';
import { dictSet } from './pymethods.js';

export const NOT_LITERAL = Symbol('not a literal');

class Fail extends Error {}

export function literalEval(src: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < src.length && (src[i] === ' ' || src[i] === '\t' || src[i] === '\n' || src[i] === '\r')) i++;
  };
  const fail = (): never => {
    throw new Fail();
  };
  const value = (): unknown => {
    ws();
    const ch = src[i];
    if (ch === '[') {
      i++;
      const items: unknown[] = [];
      ws();
      while (src[i] !== ']') {
        items.push(value());
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== ']') fail();
        ws();
      }
      i++;
      return items;
    }
    if (ch === '(') {
      i++;
      const items: unknown[] = [];
      let comma = false;
      ws();
      while (src[i] !== ')') {
        items.push(value());
        ws();
        if (src[i] === ',') {
          i++;
          comma = true;
        } else if (src[i] !== ')') fail();
        ws();
      }
      i++;
      if (items.length === 1 && !comma) return items[0];
      return tuple(items);
    }
    if (ch === '{') {
      i++;
      const d: Record<string, unknown> = {};
      ws();
      while (src[i] !== '}') {
        const k = value();
        ws();
        if (src[i] !== ':') fail();
        i++;
        const v = value();
        if (k !== null && typeof k === 'object') fail();
        dictSet(d, k === null ? 'None' : k === true ? 'True' : k === false ? 'False' : String(k), v);
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== '}') fail();
        ws();
      }
      i++;
      return d;
    }
    if (ch === "'" || ch === '"' || ((ch === 'u' || ch === 'r' || ch === 'U' || ch === 'R') && (src[i + 1] === "'" || src[i + 1] === '"'))) {
      let raw = false;
      if (ch !== "'" && ch !== '"') {
        raw = ch === 'r' || ch === 'R';
        i++;
      }
      let out = '';
      // adjacent literals concatenate
      while (src[i] === "'" || src[i] === '"') {
        const q = src[i];
        const triple = src.startsWith(q.repeat(3), i);
        const close = triple ? q.repeat(3) : q;
        i += close.length;
        const start = i;
        while (i < src.length && !src.startsWith(close, i)) {
          if (src[i] === '\\') i++;
          else if (!triple && src[i] === '\n') fail();
          i++;
        }
        if (i >= src.length) fail();
        const body = src.slice(start, i);
        i += close.length;
        out += raw ? body : unescapePython(body);
        const save = i;
        ws();
        if (src[i] !== "'" && src[i] !== '"') i = save;
      }
      return out;
    }
    const m = /^[-+]?(?:\d[\d_]*\.?[\d_]*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)/.exec(src.slice(i));
    if (m) {
      i += m[0].length;
      const t = m[0].replace(/_/g, '');
      if (/^[-+]?0[xX]/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[-+]?0[xX]/, ''), 16);
      if (/^[-+]?0[oO]/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[-+]?0[oO]/, ''), 8);
      if (/^[-+]?0[bB]/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[-+]?0[bB]/, ''), 2);
      if (/[.eE]/.test(t)) return mkFloat(parseFloat(t));
      if (/^[-+]?0\d/.test(t)) fail();
      return parseInt(t, 10);
    }
    const word = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (word) {
      i += word[0].length;
      switch (word[0]) {
        case 'True': case 'true': return true;
        case 'False': case 'false': return false;
        case 'None': case 'null': return null;
      }
    }
    return fail();
  };
  try {
    const v = value();
    ws();
    if (i !== src.length) return NOT_LITERAL;
    return v;
  } catch (e) {
    if (e instanceof Fail || e instanceof RangeError) return NOT_LITERAL;
    throw e;
  }
}
