/**
 * Objects built from user data (YAML, JSON, -e, facts, registered results, set_fact): a key is
 * data, whatever its name. `o[k] = v` and Object.assign go through the `__proto__` setter of
 * Object.prototype, so a user key `__proto__` would swap the object's prototype (the key then
 * vanishes and the value leaks into every lookup on that object); these define an own property.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Object.assign for user data: every own enumerable key of each source, `__proto__` included. */
export function assignOwn<T extends Record<string, unknown>>(target: T, ...sources: Array<Record<string, unknown> | null | undefined>): T {
  for (const source of sources) {
    if (!source) continue;
    for (const k of Object.keys(source)) setOwn(target, k, source[k]);
  }
  return target;
}
