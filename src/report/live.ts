/**
 * The live view on a terminal: one listr2 task per play whose title follows the running task and
 * whose output lists each host's latest result; failures and the recap are printed plainly after
 * the view closes, so nothing important is lost when the view redraws.
 */
import type { HostResultEvent, HostStats, Reporter, TaskInfo } from './events.js';
import { PlainReporter } from './plain.js';

interface PlayView {
  name: string;
  done: () => void;
  /** what the view should show now; the listr2 task copies it on every tick */
  title: string;
  output: string;
  finished: Promise<void>;
  failed: boolean;
}

export class LiveReporter implements Reporter {
  private play?: PlayView;
  private current?: TaskInfo;
  private readonly hostLines = new Map<string, string>();
  private readonly deferred: string[] = [];
  private tasksDone = 0;
  private readonly plain: PlainReporter;

  constructor(verbosity: number, check: boolean, diff: boolean) {
    this.plain = new PlainReporter((l) => this.deferred.push(l), (l) => this.deferred.push(l), verbosity, check, diff);
  }

  playbookStart(): void {}

  playStart(name: string, hosts: string[]): void {
    void this.endPlay();
    this.hostLines.clear();
    this.tasksDone = 0;
    let done!: () => void;
    const gate = new Promise<void>((r) => (done = r));
    const view: PlayView = { name, done: () => done(), title: `PLAY [${name}] (${hosts.length} host${hosts.length === 1 ? '' : 's'})`, output: '', finished: Promise.resolve(), failed: false };
    view.finished = import('listr2').then(async ({ Listr }) => {
      const list = new Listr(
        [
          {
            title: `PLAY [${name}] (${hosts.length} host${hosts.length === 1 ? '' : 's'})`,
            task: async (_ctx, task) => {
              const sync = () => {
                if (task.title !== view.title) task.title = view.title;
                if (view.output && task.output !== view.output) task.output = view.output;
              };
              sync();
              const timer = setInterval(sync, 80);
              await gate;
              clearInterval(timer);
              task.title = `PLAY [${name}]: ${this.tasksDone} tasks${view.failed ? ', with failures' : ''}`;
            },
          },
        ],
        { renderer: 'default', rendererOptions: { collapseSubtasks: false } , exitOnError: false },
      );
      await list.run();
    });
    this.play = view;
  }

  taskStart(task: TaskInfo): void {
    this.current = task;
    this.tasksDone++;
    this.hostLines.clear();
    this.plain.taskStart(task);
    this.refresh();
  }

  hostResult(ev: HostResultEvent): void {
    const item = ev.hasItem ? ` (item ${typeof ev.item === 'string' ? ev.item : JSON.stringify(ev.item)})` : '';
    this.hostLines.set(ev.host, `${ev.status}: ${ev.host}${item}`);
    if (ev.status === 'failed' && !ev.ignored && this.play) this.play.failed = true;
    // failures and debug output are kept for the plain summary after the view
    if (ev.status === 'failed' || ev.status === 'unreachable' || ev.task.action === 'ansible.builtin.debug') this.plain.hostResult(ev);
    this.refresh();
  }

  private refresh(): void {
    if (!this.play || !this.current) return;
    const kind = this.current.handler ? 'RUNNING HANDLER' : 'TASK';
    this.play.title = `PLAY [${this.play.name}] ${kind} [${this.current.title}]`;
    this.play.output = [...this.hostLines.values()].join('\n');
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
  recap(stats: Map<string, HostStats>): void {
    this.plain.recap(stats);
  }
  async close(): Promise<void> {
    await this.endPlay();
    for (const line of this.deferred) process.stdout.write(line + '\n');
    this.deferred.length = 0;
  }
}
