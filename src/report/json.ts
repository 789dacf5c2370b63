/**
 * Machine-readable results (`--json FILE` or TSPLAY_JSON=FILE): every task's result per host and
 * the recap, in the shape of ansible.posix's json callback ({plays:[{play, tasks:[{task, hosts}]}], stats}).
 * Written atomically at the end of the run.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { HostResultEvent, HostStats, Reporter, TaskInfo } from './events.js';
import { stripInternal } from '../execute/play-runner.js';
import { censored } from './plain.js';

interface JsonTask {
  task: { name: string; action: string; path?: string; handler: boolean; tags: string[] };
  hosts: Record<string, unknown>;
}

export class JsonRecorder implements Reporter {
  private readonly plays: Array<{ play: { name: string; hosts: string[] }; tasks: JsonTask[] }> = [];
  private current?: JsonTask;
  private stats: Record<string, HostStats> = {};

  constructor(private readonly path: string) {}

  playbookStart(): void {}
  playStart(name: string, hosts: string[]): void {
    this.plays.push({ play: { name, hosts }, tasks: [] });
  }
  taskStart(task: TaskInfo): void {
    this.current = {
      task: { name: task.title, action: task.action, path: task.file ? `${task.file}:${task.line}` : undefined, handler: task.handler, tags: task.tags },
      hosts: {},
    };
    this.plays[this.plays.length - 1]?.tasks.push(this.current);
  }
  hostResult(ev: HostResultEvent): void {
    if (ev.hasItem || ev.verbosity === -1 || !this.current) return;
    // no_log: the same censored result the screen shows, never the module's data
    const result = ev.noLog ? censored(ev.result) : stripInternal(ev.result);
    this.current.hosts[ev.host] = { ...result, action: ev.task.action, _status: ev.status, ...(ev.ignored ? { _ignored: true } : {}) };
  }
  warning(): void {}
  verbose(): void {}
  diff(): void {}
  error(): void {}
  recap(stats: Map<string, HostStats>): void {
    this.stats = Object.fromEntries(stats);
  }
  async close(): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ plays: this.plays, stats: this.stats }, null, 2) + '\n');
    renameSync(tmp, this.path);
  }
}

/** sends every event to several reporters */
export class FanOut implements Reporter {
  constructor(private readonly targets: Reporter[]) {}
  playbookStart(f: string) { for (const t of this.targets) t.playbookStart(f); }
  playStart(n: string, h: string[]) { for (const t of this.targets) t.playStart(n, h); }
  taskStart(task: TaskInfo) { for (const t of this.targets) t.taskStart(task); }
  hostResult(ev: HostResultEvent) { for (const t of this.targets) t.hostResult(ev); }
  warning(m: string) { for (const t of this.targets) t.warning(m); }
  verbose(l: number, m: string) { for (const t of this.targets) t.verbose(l, m); }
  diff(h: string, text: string) { for (const t of this.targets) t.diff(h, text); }
  error(m: string) { for (const t of this.targets) t.error(m); }
  recap(s: Map<string, HostStats>) { for (const t of this.targets) t.recap(s); }
  async close() { for (const t of this.targets) await t.close(); }
}
