/**
 * What a task's failures do to the rest of a batch under the linear strategy, checked once the
 * task has run on every host (Ansible's linear strategy, after the results queue drains).
 */
import type { HostState } from '../state.js';

export interface TaskFailures {
  /** every host of the current batch */
  batch: HostState[];
  /** the hosts the task was for (a run_once task runs on the first only) */
  hosts: HostState[];
  /** hosts whose failure stands (not ignored, not about to be rescued) or that became unreachable */
  failedNow: HostState[];
  runOnce: boolean;
  anyErrorsFatal: boolean;
  ignoreErrors: boolean;
  /** the task is inside a rescue or always section */
  inRescueOrAlways: boolean;
  /**
   * failed hosts that do not count (yet): a rescue section is about to handle them, or an always
   * section still runs for them (Ansible counts neither towards any_errors_fatal or the percentage)
   */
  uncounted: ReadonlySet<HostState>;
  maxFailPercentage?: number;
}

export interface Verdict {
  /** the play is over for every host of the batch (no always, no handlers) */
  breakPlay: boolean;
  /** max_fail_percentage was exceeded: Ansible says NO MORE HOSTS LEFT right away */
  tooManyFailed: boolean;
}

/** marks the hosts the failures take down, and says whether the play ends */
export function applyTaskFailures(f: TaskFailures): Verdict {
  const verdict: Verdict = { breakPlay: false, tooManyFailed: false };
  const reachable = f.batch.filter((h) => !h.unreachable);
  if (f.runOnce && !f.ignoreErrors && f.failedNow.some((h) => !h.unreachable)) {
    // a run_once task speaks for every host: its failure is theirs
    for (const h of reachable) h.failed = true;
  }
  // a run_once task is fatal as any_errors_fatal is, unless its errors are ignored
  if ((f.runOnce || f.anyErrorsFatal) && !f.ignoreErrors && f.failedNow.length > 0) {
    // hosts inside a rescue or always section are left to finish it, as Ansible does; the others
    // stop where they are: failed, and no always section of theirs runs
    const spared = new Set(f.inRescueOrAlways ? f.hosts.filter((h) => !f.failedNow.includes(h)) : []);
    for (const h of reachable) {
      if (spared.has(h)) continue;
      h.failed = true;
      h.ended = true;
    }
    if (f.batch.every((h) => (h.failed && !spared.has(h)) || h.unreachable)) verdict.breakPlay = true;
  }
  if (f.maxFailPercentage !== undefined) {
    const failed = reachable.filter((h) => h.failed && !f.uncounted.has(h)).length;
    // "greater than", over the whole batch
    if (failed / f.batch.length > f.maxFailPercentage / 100) {
      for (const h of reachable) h.failed = true;
      verdict.breakPlay = true;
      verdict.tooManyFailed = true;
    }
  }
  return verdict;
}
