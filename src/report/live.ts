/**
 * The live view on a terminal: one listr2 task per play (per serial batch) whose output has one
 * line per task: how many of its hosts are done, changed and failed, and which failed. With 50
 * hosts that is still one line per task, not 50 scrolling ones. Failures, debug output and the
 * recap are printed plainly after the view closes, so nothing important is lost when it redraws.
 */
import type { HostResultEvent, HostStats, Reporter, TaskInfo } from './events.js';
import { PlainReporter } from './plain.js';

interface PlayView {
  name: string;
  hosts: number;
  done: () => void;
  /** what the view should show now; the listr2 task copies it on every tick */
  title: string;
  output: string;
  finished: Promise<void>;
  failed: boolean;
}

/** one task's progress across the batch's hosts */
export interface TaskLine {
  kind: 'TASK' | 'RUNNING HANDLER';
  title: string;
  /** hosts the task started on */
  started: number;
  done: number;
  changed: number;
  skipped: number;
  failed: string[];
  unreachable: string[];
}

/** the task lines shown at once; older ones fold into a count */
const SHOWN_TASKS = 12;
/** failed hosts named per line; the rest are counted */
const NAMED_FAILURES = 5;

export function taskLineText(line: TaskLine): string {
  const running = line.done < line.started;
  const parts = [`${line.done}/${line.started} done`];
  if (line.changed) parts.push(`${line.changed} changed`);
  if (line.skipped) parts.push(`${line.skipped} skipped`);
  const named = (what: string, hosts: string[]) => {
    const shown = hosts.slice(0, NAMED_FAILURES).join(', ');
    const more = hosts.length > NAMED_FAILURES ? ` and ${hosts.length - NAMED_FAILURES} more` : '';
    return `${hosts.length} ${what}: ${shown}${more}`;
  };
  if (line.failed.length) parts.push(named('failed', line.failed));
  if (line.unreachable.length) parts.push(named('unreachable', line.unreachable));
  const mark = running ? '…' : line.failed.length || line.unreachable.length ? '✖' : '✔';
  return `${mark} ${line.kind} [${line.title}] ${parts.join(', ')}`;
}

export class LiveReporter implements Reporter {
  private play?: PlayView;
  /** the current play's task lines (each play view keeps its own map) */
  private lines = new Map<number | TaskInfo, TaskLine>();
  private last?: TaskLine;
  private readonly deferred: string[] = [];
  private readonly plain: PlainReporter;

  constructor(verbosity: number, check: boolean, diff: boolean) {
    // the summary after the view shows failures and debug output under their banners, not every task
    this.plain = new PlainReporter((l) => this.deferred.push(l), (l) => this.deferred.push(l), verbosity, check, diff, false);
  }

  playbookStart(): void {}

  playStart(name: string, hosts: string[]): void {
    void this.endPlay();
    const lines = (this.lines = new Map());
    this.last = undefined;
    let done!: () => void;
    const gate = new Promise<void>((r) => (done = r));
    const heading = `PLAY [${name}] (${hosts.length} host${hosts.length === 1 ? '' : 's'})`;
    const view: PlayView = { name, hosts: hosts.length, done: () => done(), title: heading, output: '', finished: Promise.resolve(), failed: false };
    view.finished = import('listr2').then(async ({ Listr }) => {
      const list = new Listr(
        [
          {
            title: heading,
            // the task lines stay on screen once the play is done
            rendererOptions: { persistentOutput: true },
            task: async (_ctx, task) => {
              const sync = () => {
                if (task.title !== view.title) task.title = view.title;
                if (view.output && task.output !== view.output) task.output = view.output;
              };
              sync();
              const timer = setInterval(sync, 80);
              await gate;
              clearInterval(timer);
              sync();
              task.title = `${heading}: ${lines.size} task${lines.size === 1 ? '' : 's'}${view.failed ? ', with failures' : ''}`;
            },
          },
        ],
        { renderer: 'default', rendererOptions: { collapseSubtasks: false }, exitOnError: false },
      );
      await list.run();
    });
    this.play = view;
  }

  taskStart(task: TaskInfo): void {
    this.plain.taskStart(task);
    // meta tasks act on the play, not on hosts: nothing to count
    if (task.action === 'ansible.builtin.meta') return;
    const key = task.run ?? task;
    const line = this.lines.get(key);
    if (line) {
      // the free strategy starts a task once per host
      line.started += task.hosts ?? 1;
    } else {
      this.lines.set(key, {
        kind: task.handler ? 'RUNNING HANDLER' : 'TASK', title: task.title, started: task.hosts ?? this.play?.hosts ?? 1,
        done: 0, changed: 0, skipped: 0, failed: [], unreachable: [],
      });
    }
    this.last = this.lines.get(key);
    this.refresh();
  }

  hostResult(ev: HostResultEvent): void {
    // failures and debug output are kept for the plain summary after the view
    if (ev.status === 'failed' || ev.status === 'unreachable' || ev.task.action === 'ansible.builtin.debug') this.plain.hostResult(ev);
    // a loop's items and retries are progress, not the host's result; meta tasks are not counted
    if (ev.hasItem || ev.verbosity === -1 || ev.task.action === 'ansible.builtin.meta') return;
    const line = (ev.task.run !== undefined ? this.lines.get(ev.task.run) : undefined) ?? this.last;
    if (!line) return;
    line.done++;
    if (ev.status === 'changed') line.changed++;
    else if (ev.status === 'skipped') line.skipped++;
    else if (ev.status === 'unreachable') line.unreachable.push(ev.host);
    else if (ev.status === 'failed' && !ev.ignored) line.failed.push(ev.host);
    if (((ev.status === 'failed' && !ev.ignored) || ev.status === 'unreachable') && this.play) this.play.failed = true;
    this.refresh();
  }

  private refresh(): void {
    if (!this.play) return;
    const all = [...this.lines.values()];
    const shown = all.slice(-SHOWN_TASKS);
    const folded = all.length - shown.length;
    this.play.title = `PLAY [${this.play.name}] (${this.play.hosts} host${this.play.hosts === 1 ? '' : 's'})`;
    this.play.output = [...(folded ? [`… ${folded} earlier task${folded === 1 ? '' : 's'}`] : []), ...shown.map(taskLineText)].join('\n');
  }

  private async endPlay(): Promise<void> {
    const view = this.play;
    if (!view) return;
    this.play = undefined;
    view.done();
    await view.finished;
  }

  warning(message: string): void {
    // the plain reporter's error lines go to `deferred` too; it keeps Ansible's once-per-run rule
    this.plain.warning(message);
  }
  verbose(level: number, message: string): void {
    this.plain.verbose(level, message);
  }
  diff(host: string, text: string): void {
    this.plain.diff(host, text);
  }
  error(message: string): void {
    this.deferred.push(`ERROR! ${message}`);
  }
  noHostsRemaining(): void {
    this.plain.noHostsRemaining();
  }
  recap(stats: Map<string, HostStats>): void {
    this.plain.recap(stats);
  }
  async close(): Promise<void> {
    await this.endPlay();
    for (const line of this.deferred) process.stdout.write(line + '\n');
    this.deferred.length = 0;
  }
}
