/**
 * Counting semaphores for the strategies: `forks` bounds how many host-tasks run at once across
 * the play, `throttle` bounds one task. Waiters are served first come, first served, so a host
 * queued early is not starved by hosts that keep finishing quickly.
 */
export class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // the slot passes straight to the next waiter: `used` stays the same
    if (next) next();
    else this.used--;
  }
}

/**
 * Runs `fn` on every item, at most `limit` at a time, starting them in list order; `done` hears
 * of each result as soon as it is in (not in list order). The first error is rethrown once every
 * started call has settled, so nothing keeps running behind the caller's back.
 */
export async function eachLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>, done?: (item: T, result: R, index: number) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
        done?.(items[i], results[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
