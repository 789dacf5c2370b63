/**
 * Jinja's HTML helpers as Ansible 2.14 ships them (Jinja 3.1, markupsafe): `escape`/`e`,
 * `forceescape`, `safe` and `urlize`. Results are Markup, so `is escaped` and a second escape
 * behave as in Python.
 */
import { Markup, pyStr, prim } from './values.js';

/** markupsafe.escape on text (no Markup check) */
export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

function text(v: unknown): string {
  const p = prim(v);
  return typeof p === 'string' ? p : pyStr(p);
}

/** markupsafe.escape: Markup passes through unchanged, anything else is printed and escaped */
export function escape(v: unknown): Markup {
  if (v instanceof Markup) return v;
  return new Markup(escapeText(text(v)));
}

/** Jinja's forceescape: escapes even Markup */
export function forceEscape(v: unknown): Markup {
  return new Markup(escapeText(text(v)));
}

/** Jinja's safe: marks the text as Markup without escaping it */
export function markSafe(v: unknown): Markup {
  if (v instanceof Markup) return v;
  return new Markup(text(v));
}

// jinja2.utils._http_re; Python's \w is Unicode-aware
const W = '[\\p{L}\\p{N}_]';
const HTTP_RE = new RegExp(
  '^(' +
    `(https?://|www\\.)(([${W.slice(1, -1)}%-]+\\.)+)?([a-z]{2,63}|xn--[${W.slice(1, -1)}%]{2,59})` +
    `|([${W.slice(1, -1)}%-]{2,63}\\.)+(com|net|int|edu|gov|org|info|mil)` +
    '|(https?://)((([\\d]{1,3})(\\.[\\d]{1,3}){3})|(\\[([\\da-f]{0,4}:){2}([\\da-f]{0,4}:?){1,6}\\]))' +
    ')(?::[\\d]{1,5})?(?:[/?#]\\S*)?$',
  'iu',
);
const EMAIL_RE = new RegExp(`^\\S+@${W}[${W.slice(1, -1)}.-]*\\.${W}+$`, 'u');
const URI_SCHEME_RE = /^[a-zA-Z][\w+.-]*:(\/\/)?$/;

function count(hay: string, needle: string): number {
  return hay.split(needle).length - 1;
}

export interface UrlizeOptions {
  trimUrlLimit: number | null;
  rel: string | null;
  target: string | null;
  extraSchemes: string[];
}

/** jinja2.utils.urlize: links http(s)/www/mailto/e-mail words of the (escaped) text */
export function urlize(value: unknown, o: UrlizeOptions): string {
  for (const scheme of o.extraSchemes) {
    if (!URI_SCHEME_RE.test(scheme)) throw new Error(`'${scheme}' is not a valid URI scheme prefix.`);
  }
  const trim = (x: string) => (o.trimUrlLimit !== null && x.length > o.trimUrlLimit ? `${x.slice(0, o.trimUrlLimit)}...` : x);
  const words = escape(value).valueOf().split(/(\s+)/);
  const relAttr = o.rel ? ` rel="${escapeText(o.rel)}"` : '';
  const targetAttr = o.target ? ` target="${escapeText(o.target)}"` : '';
  return words
    .map((word) => {
      let head = '';
      let middle = word;
      let tail = '';
      const lead = /^([(<]|&lt;)+/.exec(middle);
      if (lead) {
        head = lead[0];
        middle = middle.slice(lead[0].length);
      }
      if (/([)>.,\n]|&gt;)$/.test(middle)) {
        const trail = /([)>.,\n]|&gt;)+$/.exec(middle);
        if (trail) {
          tail = trail[0];
          middle = middle.slice(0, trail.index);
        }
      }
      // prefer balancing parentheses in the URL to dropping a trailing one
      for (const [start, end] of [['(', ')'], ['<', '>'], ['&lt;', '&gt;']]) {
        const starts = count(middle, start);
        if (starts <= count(middle, end)) continue;
        for (let i = Math.min(starts, count(tail, end)); i > 0; i--) {
          const endIndex = tail.indexOf(end) + end.length;
          middle += tail.slice(0, endIndex);
          tail = tail.slice(endIndex);
        }
      }
      if (HTTP_RE.test(middle)) {
        const href = middle.startsWith('https://') || middle.startsWith('http://') ? middle : `https://${middle}`;
        middle = `<a href="${href}"${relAttr}${targetAttr}>${trim(middle)}</a>`;
      } else if (middle.startsWith('mailto:') && EMAIL_RE.test(middle.slice(7))) {
        middle = `<a href="${middle}">${middle.slice(7)}</a>`;
      } else if (middle.includes('@') && !middle.startsWith('www.') && !middle.includes(':') && EMAIL_RE.test(middle)) {
        middle = `<a href="mailto:${middle}">${middle}</a>`;
      } else {
        for (const scheme of o.extraSchemes) {
          if (middle !== scheme && middle.startsWith(scheme)) middle = `<a href="${middle}"${relAttr}${targetAttr}>${middle}</a>`;
        }
      }
      return `${head}${middle}${tail}`;
    })
    .join('');
}
