/**
 * Host patterns as in `hosts:` and `--limit`: names, groups, `all`/`*`, wildcards, `~regex`,
 * unions (`a:b`, `a,b`), intersections (`a:&b`) and exclusions (`a:!b`).
 */
import { UserError } from '../util/errors.js';
import type { Inventory } from './inventory.js';

function splitPattern(pattern: string): string[] {
  // ':' separates terms unless it is part of an IPv6 address or a range like web[1:3]
  const parts: string[] = [];
  for (const chunk of pattern.split(',')) {
    let depth = 0;
    let current = '';
    for (const ch of chunk) {
      if (ch === '[') depth++;
      if (ch === ']') depth--;
      if (ch === ':' && depth === 0) {
        parts.push(current);
        current = '';
      } else current += ch;
    }
    parts.push(current);
  }
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function matchTerm(inv: Inventory, term: string): string[] {
  if (term === 'all' || term === '*') return inv.groupHosts('all');
  if (inv.groups.has(term)) return inv.groupHosts(term);
  if (inv.hosts.has(term)) return [term];
  let re: RegExp | undefined;
  if (term.startsWith('~')) {
    try {
      re = new RegExp(term.slice(1));
    } catch (err) {
      throw new UserError(`Invalid host list pattern: ${term} (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`);
    }
  }
  else if (/[*?]/.test(term)) re = new RegExp('^' + term.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  if (re) {
    const out: string[] = [];
    for (const g of inv.groups.keys()) if (re.test(g)) for (const h of inv.groupHosts(g)) if (!out.includes(h)) out.push(h);
    for (const h of inv.hosts.values()) if (!h.implicit && re.test(h.name) && !out.includes(h.name)) out.push(h.name);
    return out;
  }
  if (term === 'localhost' || term === '127.0.0.1') return [inv.implicitLocalhost().name];
  return [];
}

/**
 * hosts matching a pattern (string or list), in inventory order; `unmatched` hears of each term
 * (without its & or !) that matches nothing, which Ansible warns about
 */
export function matchHosts(inv: Inventory, pattern: string | string[], unmatched?: (term: string) => void): string[] {
  const terms = Array.isArray(pattern) ? pattern.flatMap((p) => splitPattern(String(p))) : splitPattern(pattern);
  let result: string[] = [];
  const intersections: string[][] = [];
  const exclusions: string[][] = [];
  const match = (term: string): string[] => {
    const hosts = matchTerm(inv, term);
    if (hosts.length === 0 && term !== 'all') unmatched?.(term);
    return hosts;
  };
  for (const term of terms) {
    if (term.startsWith('&')) intersections.push(match(term.slice(1)));
    else if (term.startsWith('!')) exclusions.push(match(term.slice(1)));
    else for (const h of match(term)) if (!result.includes(h)) result.push(h);
  }
  for (const set of intersections) result = result.filter((h) => set.includes(h));
  for (const set of exclusions) result = result.filter((h) => !set.includes(h));
  return result;
}
