/**
 * The quick way through the YAML files a run loads: js-yaml's event parser (offsets into the
 * text, no node objects) turned into plain values, with scalars resolved by the very tag list the
 * `yaml` reader uses, so a value comes out the same whichever way it was read.
 *
 * It takes what playbooks, roles and vars files are made of: mappings, sequences, plain, quoted
 * and block scalars, and `!unsafe`. Anything else (anchors and aliases, other tags such as `!vault`, merge keys,
 * complex keys, directives, several documents, and every syntax error) answers FALLBACK and the
 * `yaml` reader in yaml.ts does it: its messages and positions are the ones users see.
 *
 * Why two readers: the `yaml` package needs ~80 ms to read a 200-task playbook in a fresh
 * process, js-yaml's event parser ~10 ms, and a run is a fresh process.
 */
import { EVENT_ID, SCALAR_STYLE, getScalarValue, parseEvents, type Event, type ScalarEvent } from 'js-yaml';
import { LineCounter } from 'yaml';
import type { SourcePos } from '../util/errors.js';
import { setOwn } from '../util/dict.js';

export const FALLBACK: unique symbol = Symbol('read this with the yaml package');

/** a plain scalar's text → its value (the `yaml` reader's resolution, given by the caller), or FALLBACK */
export type PlainResolver = (text: string, atKey: boolean) => unknown;

/** where the values being built were written */
export interface PositionSink {
  node(value: object, pos: SourcePos): void;
  keys(map: object, keys: Map<string, SourcePos>): void;
  items(seq: object, items: SourcePos[]): void;
  /** a key written twice in the mapping that starts at `pos` (told once the whole text was read) */
  duplicate(pos: SourcePos, key: string): void;
}

class Fallback extends Error {}

/** offset → 1-based line and column, counted as the yaml reader counts them */
function lineLocator(text: string, file: string): (offset: number) => SourcePos {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return (offset) => ({ file, ...lines.linePos(offset) });
}

interface Built {
  value: unknown;
  /** offset where the node was written */
  start: number;
}

class Builder {
  private i = 0;
  /** repeated keys, reported only when this reading succeeds (a FALLBACK reads the text again) */
  readonly duplicates: Array<[SourcePos, string]> = [];
  private readonly at: (offset: number) => SourcePos;

  constructor(
    private readonly text: string,
    private readonly events: Event[],
    file: string,
    private readonly resolvePlain: PlainResolver,
    private readonly unsafe: (s: string) => unknown,
    private readonly sink: PositionSink,
  ) {
    this.at = lineLocator(text, file);
  }

  document(): unknown {
    const ev = this.events;
    if (ev.length === 0) return null;
    const doc = ev[0];
    if (doc.type !== EVENT_ID.DOCUMENT || doc.directives.length > 0) throw new Fallback();
    this.i = 1;
    const content = ev[this.i]?.type === EVENT_ID.POP ? { value: null, start: 0 } : this.node(false);
    if (ev[this.i]?.type !== EVENT_ID.POP || this.i + 1 !== ev.length) throw new Fallback();
    return content.value;
  }

  private node(atKey: boolean): Built {
    const e = this.events[this.i++];
    if (e === undefined) throw new Fallback();
    switch (e.type) {
      case EVENT_ID.SCALAR:
        return { value: this.scalar(e, atKey), start: this.scalarStart(e) };
      case EVENT_ID.MAPPING:
        if (atKey || e.anchorStart !== -1 || e.tagStart !== -1) throw new Fallback();
        return { value: this.mapping(e.start), start: e.start };
      case EVENT_ID.SEQUENCE:
        if (atKey || e.anchorStart !== -1 || e.tagStart !== -1) throw new Fallback();
        return { value: this.sequence(e.start), start: e.start };
      default:
        throw new Fallback();
    }
  }

  /** where the `yaml` reader says a scalar starts: at its opening quote or block indicator */
  private scalarStart(e: ScalarEvent): number {
    if (e.valueStart === -1) return -1;
    if (e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED) return e.valueStart - 1;
    if (e.style === SCALAR_STYLE.LITERAL_BLOCK || e.style === SCALAR_STYLE.FOLDED_BLOCK) {
      // the content starts on the line after the header (`|`, `>-`, `|+2 # comment`)
      const headerEnd = this.text.lastIndexOf('\n', e.valueStart - 1);
      const headerStart = this.text.lastIndexOf('\n', headerEnd - 1) + 1;
      const header = /[|>][0-9+-]*[ \t]*(?:#.*)?\r?$/.exec(this.text.slice(headerStart, headerEnd));
      if (headerEnd < 0 || !header) throw new Fallback();
      return headerStart + header.index;
    }
    return e.valueStart;
  }

  private scalar(e: ScalarEvent, atKey: boolean): unknown {
    if (e.anchorStart !== -1) throw new Fallback();
    // an empty node (`key:` with nothing after it) has no range of its own
    const text = e.valueStart === -1 ? '' : getScalarValue(this.text, e);
    if (e.tagStart !== -1) {
      if (this.text.slice(e.tagStart, e.tagEnd) !== '!unsafe' || atKey) throw new Fallback();
      return this.unsafe(text);
    }
    if (e.style !== SCALAR_STYLE.PLAIN) return text;
    const value = this.resolvePlain(text, atKey);
    if (value === FALLBACK) throw new Fallback();
    return value;
  }

  private mapping(start: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = new Map<string, SourcePos>();
    const ev = this.events;
    while (ev[this.i]?.type !== EVENT_ID.POP) {
      const keyEvent = ev[this.i];
      if (keyEvent?.type !== EVENT_ID.SCALAR || keyEvent.valueStart === -1) throw new Fallback();
      const rawKey = this.node(true).value;
      const key = rawKey === null ? 'null' : String(rawKey);
      // a merge key (resolved to the schema's merge symbol) is the yaml reader's to apply
      if (typeof rawKey === 'symbol') throw new Fallback();
      // a repeated key: the last value wins (in the first one's place); Ansible's loader warns
      if (keys.has(key)) this.duplicates.push([this.at(start), key]);
      setOwn(out, key, this.node(false).value);
      keys.set(key, this.at(this.scalarStart(keyEvent)));
    }
    this.i++;
    this.sink.node(out, this.at(start));
    this.sink.keys(out, keys);
    return out;
  }

  private sequence(start: number): unknown[] {
    const out: unknown[] = [];
    const items: SourcePos[] = [];
    const ev = this.events;
    while (ev[this.i]?.type !== EVENT_ID.POP) {
      if (ev[this.i] === undefined) throw new Fallback();
      const item = this.node(false);
      // an empty item (`-` alone) has no offset here; the yaml reader places it after the dash
      if (item.start === -1) throw new Fallback();
      out.push(item.value);
      items.push(this.at(item.start));
    }
    this.i++;
    this.sink.node(out, this.at(start));
    this.sink.items(out, items);
    return out;
  }
}

/** the document's value, or FALLBACK when the `yaml` reader must read this text */
export function readQuickly(
  text: string,
  file: string,
  resolvePlain: PlainResolver,
  unsafe: (s: string) => unknown,
  sink: PositionSink,
): unknown {
  let events: Event[];
  try {
    events = parseEvents(text, { filename: file });
  } catch {
    return FALLBACK;
  }
  try {
    const builder = new Builder(text, events, file, resolvePlain, unsafe, sink);
    const value = builder.document();
    for (const [pos, key] of builder.duplicates) sink.duplicate(pos, key);
    return value;
  } catch (err) {
    if (err instanceof Fallback) return FALLBACK;
    throw err;
  }
}
