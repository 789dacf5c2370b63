/** Stable sorting with Python's ordering (TypeError on mixed types, as sorted() raises). */
import { pyCompare } from './values.js';

export function pyCompareSort<T>(items: readonly T[], reverse: boolean, key: (v: T) => unknown = (v) => v): T[] {
  const keyed = items.map((v, i) => ({ v, k: key(v), i }));
  keyed.sort((a, b) => {
    const c = pyCompare(a.k, b.k, '<');
    if (c !== 0) return reverse ? -c : c;
    return a.i - b.i;
  });
  return keyed.map((x) => x.v);
}
