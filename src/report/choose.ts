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

/**
 * Plain output written once per turn of the event loop: the tasks one turn completes (file,
 * copy and set_fact tasks finish without waiting) reach stdout in one write instead of one each.
 * Nothing waits longer than the current turn, nor longer than FLUSH_AFTER_MS when a long run of
 * such tasks keeps the turn going (promise continuations only): the output stays live in CI logs.
 * stderr lines first flush what stdout holds, so a combined log keeps its order; the error
 * printer and exit flush it too.
 */
const pendingOut: string[] = [];
let flushScheduled = false;
let exitHooked = false;
let pendingSince = 0;
const FLUSH_AFTER_MS = 100;

export function flushReportOutput(): void {
  flushScheduled = false;
  if (pendingOut.length === 0) return;
  const text = pendingOut.join('\n') + '\n';
  pendingOut.length = 0;
  process.stdout.write(text);
}

function writeOut(line: string): void {
  pendingOut.push(line);
  if (pendingOut.length === 1) pendingSince = Date.now();
  else if (Date.now() - pendingSince >= FLUSH_AFTER_MS) {
    flushReportOutput();
    return;
  }
  if (flushScheduled) return;
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', flushReportOutput);
  }
  flushScheduled = true;
  setImmediate(flushReportOutput);
}

function writeErr(line: string): void {
  flushReportOutput();
  process.stderr.write(line + '\n');
}

export function makeReporter(choice: ReporterChoice): Reporter {
  const useLive = choice.live ?? (process.stdout.isTTY === true && !process.env.CI && process.env.TSPLAY_PLAIN === undefined);
  const main: Reporter = useLive
    ? new LiveReporter(choice.verbosity, choice.check, choice.diff ?? false)
    : new PlainReporter(writeOut, writeErr, choice.verbosity, choice.check, choice.diff ?? false);
  return choice.json ? new FanOut([main, new JsonRecorder(choice.json)]) : main;
}
