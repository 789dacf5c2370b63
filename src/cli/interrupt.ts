/**
 * SIGINT and SIGTERM during a run: no new task starts, running commands are killed with their
 * process groups, and the run ends with the recap so far and exit 99, as ansible-playbook ends an
 * interrupted run. A second signal does not wait for anything.
 */
import { killRunningCommands } from '../connection/local.js';
import { EXIT } from '../util/errors.js';
import type { RunState } from '../execute/state.js';

/** how long the running task may take to unwind once its commands are killed */
export const UNWIND_MS = 2000;

export interface InterruptWatch {
  /** resolves UNWIND_MS after the first signal: the run stops waiting for its task then */
  readonly stopped: Promise<void>;
  /** the signal that interrupted the run, if one did */
  signal(): NodeJS.Signals | undefined;
  uninstall(): void;
}

export function watchInterrupts(run: RunState): InterruptWatch {
  let received: NodeJS.Signals | undefined;
  let release!: () => void;
  const stopped = new Promise<void>((resolve) => (release = resolve));
  const handler = (sig: NodeJS.Signals) => {
    killRunningCommands();
    if (received) {
      // a second signal: stop now, the recap is not waited for
      process.stderr.write(`\n [ERROR]: ${sig} again: stopping at once\n`);
      process.exit(EXIT.interrupted);
    }
    received = sig;
    run.stop.abort(new Error(`interrupted by ${sig}`));
    setTimeout(release, UNWIND_MS).unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopped,
    signal: () => received,
    uninstall: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
