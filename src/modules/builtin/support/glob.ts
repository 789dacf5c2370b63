/**
 * Shell-style wildcards over a Connection: fnmatch (what Python's fnmatch/glob accept) and a
 * glob that walks only the directories a pattern names, with one readdir per wildcard segment.
 */
import type { Connection, BecomeOptions } from '../../../connection/types.js';

/** fnmatch pattern → anchored RegExp ("*", "?", "[seq]", "[!seq]") */
export function fnmatchToRegExp(pattern: string, flags = ''): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        re += '\\[';
      } else {
        let body = pattern.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's' + flags);
}

export function hasMagic(text: string): boolean {
  return /[*?[]/.test(text);
}

/** Python's glob.glob for an absolute or cwd-relative pattern; hidden names need a leading dot */
export async function glob(conn: Connection, pattern: string, cwd: string, become?: BecomeOptions): Promise<string[]> {
  if (!hasMagic(pattern)) {
    const abs = pattern.startsWith('/') ? pattern : `${cwd.replace(/\/$/, '')}/${pattern}`;
    // glob.glob uses lexists: a dangling symlink still counts
    return (await conn.stat(abs, { follow: false, become })) ? [pattern] : [];
  }
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let found: string[] = [absolute ? '/' : ''];
  for (const segment of absolute ? segments.slice(1) : segments) {
    const next: string[] = [];
    for (const base of found) {
      const dir = base === '' ? cwd : base;
      const join = (name: string) => (base === '' ? name : base.endsWith('/') ? base + name : `${base}/${name}`);
      if (!hasMagic(segment)) {
        const candidate = join(segment);
        const abs = candidate.startsWith('/') ? candidate : `${cwd}/${candidate}`;
        if (await conn.stat(abs, { follow: false, become })) next.push(candidate);
        continue;
      }
      let names: string[];
      try {
        names = await conn.readdir(dir, { become });
      } catch {
        continue;
      }
      const re = fnmatchToRegExp(segment);
      for (const name of names.sort()) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (re.test(name)) next.push(join(name));
      }
    }
    found = next;
  }
  return found;
}
