/** Python's re.subn: replace every match (3.7+ empty-match rules), expanding \1 \g<name> templates. */
import { pyExpand } from './pyregex.js';

export function pySubn(re: RegExp, template: string, text: string): [string, number] {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let out = '';
  let last = 0;
  let count = 0;
  // matchAll steps past an empty match by one character, which is what Python does too
  for (const m of text.matchAll(global)) {
    out += text.slice(last, m.index) + pyExpand(template, m as RegExpExecArray);
    last = m.index! + m[0].length;
    count++;
  }
  return [out + text.slice(last), count];
}
