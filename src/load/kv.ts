/**
 * Ansible's `key=value` argument strings (`file: path=/x state=directory`, `command: ls chdir=/tmp`).
 * Tokens split on whitespace outside quotes and outside Jinja2 `{{ }}` / `{% %}` / `{# #}` blocks.
 */

/** options a free-form module (command/shell/script/raw) still accepts as k=v */
const RAW_MODULE_OPTIONS = new Set(['creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends']);

export class KvSyntaxError extends Error {}

export function splitArgs(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | null = null;
  let jinjaDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const two = text.slice(i, i + 2);
    if (quote === null && (two === '{{' || two === '{%' || two === '{#')) {
      jinjaDepth++;
      current += two;
      i++;
      continue;
    }
    if (jinjaDepth > 0 && (two === '}}' || two === '%}' || two === '#}')) {
      jinjaDepth--;
      current += two;
      i++;
      continue;
    }
    if (ch === '\\' && quote !== null && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
      continue;
    }
    if (quote !== null) {
      if (ch === quote) quote = null;
      current += ch;
      continue;
    }
    if ((ch === '"' || ch === "'") && jinjaDepth === 0) {
      quote = ch;
      current += ch;
      continue;
    }
    if (jinjaDepth === 0 && (ch === ' ' || ch === '\t' || ch === '\n')) {
      if (current !== '') tokens.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quote !== null) throw new KvSyntaxError('error parsing argument string, try quoting the entire line.');
  if (current !== '') tokens.push(current);
  return tokens;
}

export function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
    return value.slice(1, -1);
  }
  return value;
}

/**
 * Parses k=v pairs; other tokens are joined into `_raw_params`. For free-form modules only the
 * few options they accept count as k=v (`echo a=b` stays part of the command).
 */
export function parseKv(text: string, freeForm: boolean): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const raw: string[] = [];
  for (const token of splitArgs(text)) {
    const eq = findUnescapedEquals(token);
    if (eq <= 0) {
      raw.push(token.replace(/\\=/g, '='));
      continue;
    }
    const key = token.slice(0, eq);
    if (freeForm && !RAW_MODULE_OPTIONS.has(key)) {
      raw.push(token);
      continue;
    }
    options[key.trim()] = unquote(token.slice(eq + 1).trim());
  }
  if (raw.length > 0) options._raw_params = raw.join(' ');
  return options;
}

function findUnescapedEquals(token: string): number {
  for (let i = 1; i < token.length; i++) {
    if (token[i] === '=' && token[i - 1] !== '\\') {
      // an `=` inside quotes or Jinja belongs to the value, not the key
      const head = token.slice(0, i);
      if (/["'{]/.test(head)) return -1;
      return i;
    }
  }
  return -1;
}
