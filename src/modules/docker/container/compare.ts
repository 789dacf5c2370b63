/**
 * How docker_container decides a running container matches a task: each option the user gave is
 * compared with what `docker inspect` says, by a method (strict / allow_more_present / ignore)
 * that depends on the option's shape. Semantics follow community.docker's compare_generic.
 */
export type Comparison = 'strict' | 'allow_more_present' | 'ignore';
export type CompareType = 'value' | 'list' | 'set' | 'set(dict)' | 'dict';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ak = Object.keys(a as object);
  const bk = Object.keys(b as object);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** every entry of `a` is in `b` with an equal value */
export function dictContains(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return Object.entries(a).every(([k, v]) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(b[k], v));
}

function sizeOf(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  if (v && typeof v === 'object') return Object.keys(v).length;
  if (typeof v === 'string') return v.length;
  return 0;
}

/** set semantics over primitive values and dict keys (a dict counts as the set of its keys) */
function asSet(v: unknown): Set<string> {
  if (Array.isArray(v)) return new Set(v.map((x) => JSON.stringify(x)));
  if (v && typeof v === 'object') return new Set(Object.keys(v).map((x) => JSON.stringify(x)));
  return new Set();
}

/** true when `wanted` (the task's value) matches `current` (the container's) */
export function compareGeneric(wanted: unknown, current: unknown, method: Comparison, type: CompareType): boolean {
  if (method === 'ignore') return true;
  const wantedMissing = wanted === null || wanted === undefined;
  const currentMissing = current === null || current === undefined;
  if (wantedMissing || currentMissing) {
    if (wantedMissing && currentMissing) return true;
    if (type === 'value') return false;
    if (method === 'allow_more_present' && wantedMissing) return true;
    return sizeOf(wantedMissing ? current : wanted) === 0;
  }
  switch (type) {
    case 'value':
      return deepEqual(wanted, current);
    case 'list': {
      const a = wanted as unknown[];
      const b = current as unknown[];
      if (method === 'strict') return deepEqual(a, b);
      // allow_more_present: `a` is a subsequence of `b`
      let i = 0;
      for (const v of a) {
        while (i < b.length && !deepEqual(b[i], v)) i++;
        if (i === b.length) return false;
        i++;
      }
      return true;
    }
    case 'dict': {
      const a = wanted as Record<string, unknown>;
      const b = current as Record<string, unknown>;
      return method === 'strict' ? deepEqual(a, b) : dictContains(a, b);
    }
    case 'set': {
      const a = asSet(wanted);
      const b = asSet(current);
      for (const v of a) if (!b.has(v)) return false;
      if (method === 'strict') for (const v of b) if (!a.has(v)) return false;
      return true;
    }
    case 'set(dict)': {
      const a = wanted as Record<string, unknown>[];
      const b = current as Record<string, unknown>[];
      if (!a.every((av) => b.some((bv) => dictContains(av, bv)))) return false;
      if (method === 'strict' && !b.every((bv) => a.some((av) => dictContains(av, bv)))) return false;
      return true;
    }
  }
}

/** Records differences as docker_container's diff does: option name → {parameter, active}. */
export class DifferenceTracker {
  private readonly entries: Array<{ name: string; parameter: unknown; active: unknown }> = [];

  add(name: string, parameter: unknown, active: unknown): void {
    this.entries.push({ name, parameter, active });
  }

  merge(other: DifferenceTracker): void {
    this.entries.push(...other.entries);
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  beforeAfter(): { before: Record<string, unknown>; after: Record<string, unknown> } {
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    for (const e of this.entries) {
      before[e.name] = e.active;
      after[e.name] = e.parameter;
    }
    return { before, after };
  }

  legacy(): Array<Record<string, { parameter: unknown; container: unknown }>> {
    return this.entries.map((e) => ({ [e.name]: { parameter: e.parameter, container: e.active } }));
  }
}
