/**
 * A FIFO counting semaphore: at most `limit` holders at once, waiters served in arrival order.
 * sshd refuses the session channel past MaxSessions (10 by default) with "Channel open failure";
 * queueing below that limit turns a burst of work into a wait instead of failures.
 */
export class Slots {
  private used = 0;
  private readonly waiting: Array<{ grant: () => void; fail: (err: Error) => void }> = [];

  constructor(private readonly limit: number) {}

  /** resolves with a release function once a slot is free; release is idempotent */
  acquire(): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        this.used++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.used--;
          this.next();
        });
      };
      if (this.used < this.limit && this.waiting.length === 0) grant();
      else this.waiting.push({ grant, fail: reject });
    });
  }

  /** rejects everyone still waiting (the connection they wait on is gone) */
  failWaiting(err: Error): void {
    for (const w of this.waiting.splice(0)) w.fail(err);
  }

  private next(): void {
    while (this.used < this.limit && this.waiting.length > 0) this.waiting.shift()!.grant();
  }
}
