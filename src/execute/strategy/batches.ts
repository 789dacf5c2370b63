/**
 * How a play's hosts are ordered (`order`) and cut into batches (`serial`), and what the
 * play-level strategy keywords mean once templated. Ansible 2.14's semantics: PlaybookExecutor's
 * serialized batches, InventoryManager.get_hosts' ordering, pct_to_int, the 'percent' field type.
 */
import { UserError, type SourcePos } from '../../util/errors.js';

export type HostOrder = 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';
const ORDERS: readonly HostOrder[] = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'];

export type StrategyName = 'linear' | 'free' | 'host_pinned';

/** `order`: unset means inventory order */
export function parseOrder(value: unknown, pos?: SourcePos): HostOrder {
  if (value === undefined || value === null || value === '') return 'inventory';
  const name = String(value);
  if (!(ORDERS as readonly string[]).includes(name)) throw new UserError(`Invalid 'order' specified for inventory hosts: ${name}`, pos);
  return name as HostOrder;
}

/** the hosts in the play's order; `random` is only there so tests can pin shuffle */
export function orderHosts(names: string[], order: HostOrder, random: () => number = Math.random): string[] {
  const out = [...names];
  switch (order) {
    case 'inventory':
      return out;
    case 'reverse_inventory':
      return out.reverse();
    case 'sorted':
      return out.sort(byName);
    case 'reverse_sorted':
      return out.sort(byName).reverse();
    case 'shuffle':
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
  }
}

/** Python's sorted() on str: by code point, not by locale */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** the strategy plugin; Ansible accepts the ansible.builtin.* names too */
export function parseStrategy(value: unknown, pos?: SourcePos): StrategyName {
  if (value === undefined || value === null || value === '') return 'linear';
  const name = String(value).replace(/^ansible\.(builtin|legacy)\./, '');
  if (name === 'linear' || name === 'free' || name === 'host_pinned') return name;
  if (name === 'debug') throw new UserError(`strategy 'debug' (the interactive task debugger) is not supported by tsplay`, pos);
  throw new UserError(`Invalid play strategy specified: ${String(value)}`, pos);
}

/** `serial`: a number, a "N%" string, or a list of those (the last one repeats) */
export function parseSerial(value: unknown, pos?: SourcePos): Array<number | string> {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
    if (typeof v === 'string' && /^\s*-?\d+\s*%$/.test(v)) return v.trim();
    if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
    throw new UserError(`serial must be an integer, a percentage such as "30%", or a list of those; got ${JSON.stringify(v)}`, pos);
  });
}

/** Ansible's pct_to_int: "N%" of `total`, truncated, at least 1; a plain number as is */
export function batchSize(value: number | string, total: number): number {
  if (typeof value === 'string') return Math.trunc((Number.parseInt(value, 10) / 100) * total) || 1;
  return value;
}

/**
 * The batches a play runs in. Each serial entry sizes one batch, the last entry sizes the rest;
 * a size of zero or less (or no serial at all) takes every remaining host.
 */
export function serialBatches(hosts: string[], serial: Array<number | string>): string[][] {
  const sizes = serial.length ? serial : [-1];
  const left = [...hosts];
  const batches: string[][] = [];
  for (let i = 0; left.length > 0; i = Math.min(i + 1, sizes.length - 1)) {
    const size = batchSize(sizes[i], hosts.length);
    if (size <= 0) {
      batches.push(left.splice(0));
      break;
    }
    batches.push(left.splice(0, size));
  }
  return batches;
}

/** `max_fail_percentage`: a number, or a string with an optional '%' ("30", "30%", "30.5") */
export function parsePercent(value: unknown, pos?: SourcePos): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.replace(/%/g, '').trim()) : Number.NaN;
  if (!Number.isFinite(n) || (typeof value === 'string' && value.replace(/%/g, '').trim() === '')) {
    throw new UserError(`max_fail_percentage must be a number or a percentage; got ${JSON.stringify(value)}`, pos);
  }
  return n;
}
