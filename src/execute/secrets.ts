/**
 * Values of a module's `no_log` options never leave the module in clear, as Ansible's
 * AnsibleModule.remove_values makes sure: a value that IS a secret becomes
 * VALUE_SPECIFIED_IN_NO_LOG_PARAMETER (that is how `invocation.module_args` shows it), a string
 * that CONTAINS one has it starred out ("********"), and a number or boolean whose text contains
 * one is hidden whole. Keys are left as they are, as Ansible leaves them.
 */
import { isUnsafe, markUnsafe } from '../template/index.js';

export const NO_LOG_PLACEHOLDER = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER';
const STARS = '********';

/** a string with every secret starred out, or the placeholder when it is one */
export function maskText(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  if (secrets.includes(text)) return NO_LOG_PLACEHOLDER;
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(STARS);
  return out;
}

/** `value` with every secret removed; containers are copied, the input is left as it was */
export function removeValues<T>(value: T, secrets: readonly string[]): T {
  const usable = secrets.filter((s) => s !== '');
  if (usable.length === 0) return value;
  return remove(value, usable, new Set()) as T;
}

function remove(value: unknown, secrets: readonly string[], seen: Set<object>): unknown {
  if (typeof value === 'string') return maskText(value, secrets);
  if (value instanceof String) {
    const masked = maskText(value.valueOf(), secrets);
    return isUnsafe(value) ? markUnsafe(masked) : masked;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    const text = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
    return secrets.some((s) => text.includes(s)) ? NO_LOG_PLACEHOLDER : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return value;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => remove(v, secrets, seen));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      // a boxed scalar (Python float, date...): hidden whole when its text holds a secret
      const text = String(value);
      return secrets.some((s) => text.includes(s)) ? NO_LOG_PLACEHOLDER : value;
    }
    const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty: a user key such as __proto__ stays an ordinary key
      Object.defineProperty(out, k, { value: remove(v, secrets, seen), enumerable: true, writable: true, configurable: true });
    }
    return isUnsafe(value) ? markUnsafe(out) : out;
  } finally {
    seen.delete(value);
  }
}
