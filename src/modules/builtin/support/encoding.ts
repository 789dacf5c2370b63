/** Text in a named Python codec, for modules with an `encoding` option (replace). */
import { fail } from './failure.js';

type NodeEncoding = 'utf8' | 'latin1' | 'ascii' | 'utf16le';

/** Python codec names (and their usual spellings) that Node can both decode and encode */
function nodeEncoding(name: string): NodeEncoding {
  const n = name.toLowerCase().replace(/_/g, '-');
  if (['utf-8', 'utf8', 'u8', 'utf'].includes(n)) return 'utf8';
  if (['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1', '8859', 'l1', 'cp819'].includes(n)) return 'latin1';
  if (['ascii', 'us-ascii', '646'].includes(n)) return 'ascii';
  if (['utf-16-le', 'utf-16le', 'utf16le'].includes(n)) return 'utf16le';
  fail(`tsplay supports only the utf-8, latin-1, ascii and utf-16-le encodings, not ${name}`);
}

export function decodeText(data: Buffer, encoding: string): string {
  const enc = nodeEncoding(encoding);
  if (enc === 'utf8') {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
    } catch {
      fail(`'utf-8' codec can't decode the file's bytes`);
    }
  }
  if (enc === 'ascii' && data.some((b) => b > 0x7f)) fail(`'ascii' codec can't decode the file's bytes`);
  return data.toString(enc);
}

export function encodeText(text: string, encoding: string): Buffer {
  return Buffer.from(text, nodeEncoding(encoding));
}
