/**
 * The strategies (Ansible's strategy plugins), as far as they differ for tsplay: how a batch's
 * hosts walk the play, and how one task fans out over its hosts. The walk itself (blocks,
 * includes, handlers) is the play runner's and is the same for every strategy.
 */
import type { HostState } from '../state.js';
import { eachLimit, Slots } from './slots.js';
import type { StrategyName } from './batches.js';

export interface Strategy {
  readonly name: StrategyName;
  /** linear keeps hosts in step: run_once, any_errors_fatal and max_fail_percentage apply */
  readonly lockstep: boolean;
  /** runs the play (`walk`) for the batch's hosts */
  runBatch(hosts: HostState[], walk: (hosts: HostState[]) => Promise<void>): Promise<void>;
  /**
   * runs a task on `targets` (`throttle` > 0 bounds it further than forks); `done` hears of each
   * host as it finishes, so its result is reported then and not after the slowest host
   */
  fanOut<R>(key: object, targets: HostState[], throttle: number, run: (h: HostState) => Promise<R>, done: (h: HostState, result: R) => void): Promise<R[]>;
}

/** every host runs each task before any host starts the next; up to `forks` hosts at once */
export class LinearStrategy implements Strategy {
  readonly name = 'linear';
  readonly lockstep = true;
  constructor(private readonly forks: number) {}

  runBatch(hosts: HostState[], walk: (hosts: HostState[]) => Promise<void>): Promise<void> {
    return walk(hosts);
  }

  fanOut<R>(_key: object, targets: HostState[], throttle: number, run: (h: HostState) => Promise<R>, done: (h: HostState, result: R) => void): Promise<R[]> {
    const limit = throttle > 0 ? Math.min(throttle, this.forks) : this.forks;
    return eachLimit(targets, Math.max(1, limit), (h) => run(h), (h, r) => done(h, r));
  }
}

/**
 * free: each host walks the play on its own, as fast as it goes; `forks` bounds the tasks running
 * at once across hosts. host_pinned: the same, but at most `forks` hosts are in the play at once,
 * each keeping its slot until it is done with the play.
 */
export class FreeStrategy implements Strategy {
  readonly lockstep = false;
  private readonly slots: Slots;
  private readonly throttles = new WeakMap<object, Slots>();

  constructor(
    readonly name: 'free' | 'host_pinned',
    private readonly forks: number,
  ) {
    this.slots = new Slots(Math.max(1, forks));
  }

  async runBatch(hosts: HostState[], walk: (hosts: HostState[]) => Promise<void>): Promise<void> {
    if (this.name === 'host_pinned') await eachLimit(hosts, Math.max(1, this.forks), (h) => walk([h]));
    else await eachLimit(hosts, hosts.length, (h) => walk([h]));
  }

  fanOut<R>(key: object, targets: HostState[], throttle: number, run: (h: HostState) => Promise<R>, done: (h: HostState, result: R) => void): Promise<R[]> {
    let gate: Slots | undefined;
    if (throttle > 0) {
      gate = this.throttles.get(key);
      if (!gate || gate.size !== throttle) {
        gate = new Slots(throttle);
        this.throttles.set(key, gate);
      }
    }
    const one = (h: HostState) => this.slots.run(() => run(h));
    const bounded = gate ? (h: HostState) => gate.run(() => one(h)) : one;
    return eachLimit(targets, targets.length, bounded, (h, r) => done(h, r));
  }
}

export function makeStrategy(name: StrategyName, forks: number): Strategy {
  return name === 'linear' ? new LinearStrategy(forks) : new FreeStrategy(name, forks);
}
