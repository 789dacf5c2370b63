/** Picks the reporters: a live listr2 view on a terminal, plain Ansible-shaped lines otherwise (CI), plus JSON on request. */
import type { Reporter } from './events.js';
import { PlainReporter } from './plain.js';
import { FanOut, JsonRecorder } from './json.js';
import { LiveReporter } from './live.js';

export interface ReporterChoice {
  verbosity: number;
  check: boolean;
  diff?: boolean;
  json?: string;
  live?: boolean;
}

export function makeReporter(choice: ReporterChoice): Reporter {
  const useLive = choice.live ?? (process.stdout.isTTY === true && !process.env.CI && process.env.TSPLAY_PLAIN === undefined);
  const main: Reporter = useLive
    ? new LiveReporter(choice.verbosity, choice.check, choice.diff ?? false)
    : new PlainReporter((l) => process.stdout.write(l + '\n'), (l) => process.stderr.write(l + '\n'), choice.verbosity, choice.check, choice.diff ?? false);
  return choice.json ? new FanOut([main, new JsonRecorder(choice.json)]) : main;
}
