/**
 * Machine-readable results (`--json FILE` or TSPLAY_JSON=FILE): every task's result per host and
 * the recap, in the shape of ansible.posix's json callback ({plays:[{play, tasks:[{task, hosts}]}], stats}).
 * Written atomically at the end of the run, readable by its owner only (0600); no_log results are
 * censored as the json callback censors them.
 */
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT, UserError } from '../util/errors.js';
import { censored } from './plain.js';
import type { HostResultEvent, HostStats, Reporter, TaskInfo } from './events.js';
import { stripInternal } from '../execute/play-runner.js';

interface JsonTask {
  task: { name: string; action: string; path?: string; handler: boolean; tags: string[] };
  hosts: Record<string, unknown>;
}

export class JsonRecorder implements Reporter {
  private readonly plays: Array<{ play: { name: string; hosts: string[] }; tasks: JsonTask[] }> = [];
  private current?: JsonTask;
  private readonly byRun = new Map<number, JsonTask>();
  private stats: Record<string, HostStats> = {};

  constructor(private readonly path: string) {}

  playbookStart(): void {}
  playStart(name: string, hosts: string[]): void {
    this.plays.push({ play: { name, hosts }, tasks: [] });
  }
  taskStart(task: TaskInfo): void {
    // under the free strategy every host starts the task: one entry per run of it
    const same = task.run !== undefined ? this.byRun.get(task.run) : undefined;
    if (same) return;
    this.current = {
      task: { name: task.title, action: task.action, path: task.file ? `${task.file}:${task.line}` : undefined, handler: task.handler, tags: task.tags },
      hosts: {},
    };
    this.plays[this.plays.length - 1]?.tasks.push(this.current);
    if (task.run !== undefined) this.byRun.set(task.run, this.current);
  }
  hostResult(ev: HostResultEvent): void {
    const entry = (ev.task.run !== undefined ? this.byRun.get(ev.task.run) : undefined) ?? this.current;
    if (ev.hasItem || ev.verbosity === -1 || !entry) return;
    // no_log: what ansible.posix.json records, the notice, the kept keys and the verdict flags
    const shown = ev.noLog ? { ...censored(ev.result), ...verdict(ev.status) } : stripInternal(ev.result);
    entry.hosts[ev.host] = { ...shown, action: ev.task.action, _status: ev.status, ...(ev.ignored ? { _ignored: true } : {}) };
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
    // results can hold what only the hosts should know: readable by the user alone
    writeFileSync(tmp, JSON.stringify({ plays: this.plays, stats: this.stats }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

function verdict(status: HostResultEvent['status']): Record<string, boolean> {
  if (status === 'failed') return { failed: true };
  if (status === 'skipped') return { skipped: true };
  if (status === 'unreachable') return { unreachable: true };
  return {};
}

/**
 * The --json path is checked before anything runs: a directory, or a file in a directory that
 * does not exist, is a usage error now rather than a lost report at the end.
 */
export function checkJsonPath(path: string): void {
  const target = resolve(path);
  let info;
  try {
    info = statSync(target);
  } catch {
    info = undefined;
  }
  if (info?.isDirectory()) throw new UserError(`--json ${path}: is a directory; give a file name for the JSON report`, undefined, EXIT.usage);
  let parent;
  try {
    parent = statSync(dirname(target));
  } catch {
    parent = undefined;
  }
  if (!parent) throw new UserError(`--json ${path}: the directory ${dirname(target)} does not exist`, undefined, EXIT.usage);
  if (!parent.isDirectory()) throw new UserError(`--json ${path}: ${dirname(target)} is not a directory`, undefined, EXIT.usage);
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
  noHostsRemaining() { for (const t of this.targets) t.noHostsRemaining?.(); }
  recap(s: Map<string, HostStats>) { for (const t of this.targets) t.recap(s); }
  async close() { for (const t of this.targets) await t.close(); }
}
