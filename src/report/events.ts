/** What the executor tells reporters. Reporters only display or record; they never decide. */
import type { ModuleResult } from '../modules/types.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

export interface TaskInfo {
  /** the title as Ansible shows it: "role : name" or the action name */
  title: string;
  action: string;
  file?: string;
  line?: number;
  col?: number;
  handler: boolean;
  tags: string[];
  /**
   * which run of the task this is: results with another number belong to another task (under the
   * free strategy hosts' results interleave, so a reporter shows a banner again on each change)
   */
  run?: number;
  /** at taskStart: how many hosts the task starts on (a free strategy starts it once per host) */
  hosts?: number;
  /** at taskStart: every host runs the task together (linear), so its banner can come first */
  lockstep?: boolean;
}

export interface HostResultEvent {
  host: string;
  task: TaskInfo;
  status: HostStatus;
  result: ModuleResult;
  /** for loop items: the item's label */
  item?: unknown;
  hasItem?: boolean;
  ignored?: boolean;
  delegatedTo?: string;
  /** the result to print is hidden (no_log) */
  noLog?: boolean;
  /** verbosity requested for this result (debug's verbosity) */
  verbosity?: number;
}

export interface Reporter {
  playbookStart(file: string): void;
  playStart(name: string, hosts: string[]): void;
  taskStart(task: TaskInfo): void;
  /** one per host (or per loop item, with item set; then once more without for the loop as a whole) */
  hostResult(event: HostResultEvent): void;
  warning(message: string): void;
  /** a line of verbose output */
  verbose(level: number, message: string): void;
  /** a diff to show in --diff mode */
  diff(host: string, text: string): void;
  /** any_errors_fatal or max_fail_percentage ended the play for every host (Ansible's NO MORE HOSTS LEFT) */
  noHostsRemaining?(): void;
  /** an error that stops the run (templating of a play keyword, etc.) */
  error(message: string): void;
  recap(stats: Map<string, HostStats>): void;
  /** flushes and closes live views */
  close(): Promise<void>;
}

/** how a result shows in output and counts in the recap */
export function statusOf(result: ModuleResult): HostStatus {
  if (result.unreachable) return 'unreachable';
  if (result.failed) return 'failed';
  if (result.skipped) return 'skipped';
  return result.changed ? 'changed' : 'ok';
}
