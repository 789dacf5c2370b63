/**
 * What PyYAML's reader refuses before it parses anything, checked here for the same reason:
 * bytes that are not UTF-8 and characters YAML forbids (control characters) must stop the run
 * with the place they were written, not turn into U+FFFD or pass silently into a task.
 */
import { UserError, type SourcePos } from '../util/errors.js';

/** where offset `at` of `text` is, 1-based */
function positionOf(text: string, at: number, file: string): SourcePos {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { file, line, col: at - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * A file's bytes as text. Ansible ends with an unexpected-exception bug report (exit 250) on a
 * file that is not UTF-8; tsplay names the first bad byte instead.
 */
export function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = bytes.toString('utf8');
    const at = text.indexOf('\uFFFD');
    const pos = positionOf(text, Math.max(0, at), file);
    throw new UserError(`${file} is not valid UTF-8 text (byte 0x${firstBadByte(bytes)} at line ${pos.line}); save it as UTF-8`, pos);
  }
}

function firstBadByte(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const at = text.indexOf('\uFFFD');
  const prefix = Buffer.byteLength(text.slice(0, Math.max(0, at)), 'utf8');
  return (bytes[prefix] ?? 0).toString(16).padStart(2, '0');
}

/** YAML's printable set (PyYAML's NON_PRINTABLE, negated): tab, newlines and non-control characters */
const NON_PRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * The text the YAML readers get: without a leading byte-order mark (PyYAML skips it), and only
 * if it has no character YAML forbids.
 */
export function yamlText(text: string, file: string): string {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const bad = NON_PRINTABLE.exec(body);
  if (bad) {
    const code = bad[0].codePointAt(0) ?? 0;
    throw new UserError(
      `Syntax Error while loading YAML.\n  unacceptable character #x${code.toString(16).padStart(4, '0')}: control characters are not allowed`,
      positionOf(body, bad.index, file),
    );
  }
  return body;
}
