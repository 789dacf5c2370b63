/**
 * Plain text in the shape of Ansible's default stdout callback: banners padded with stars to 80
 * columns, one line per host result, `=> {json}` where Ansible shows results, and PLAY RECAP.
 */
import type { HostResultEvent, HostStats, Reporter, TaskInfo } from './events.js';
import type { ModuleResult } from '../modules/types.js';
import { formatDiff } from './diff.js';
import { pyStr } from '../template/values.js';
import { setOwn } from '../util/dict.js';

const COLUMNS = 79;

/**
 * A warning as Ansible's Display prints it: "[WARNING]: " and the message, wrapped with Python's
 * textwrap at 79 columns (the width when stdout is not a terminal). Words break at spaces, and a
 * word longer than a line is cut; textwrap's extra breaks after hyphens are not reproduced.
 */
export function warningText(message: string): string {
  const words = `[WARNING]: ${message}`.replace(/\s/g, ' ').split(' ').filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while (word.length > COLUMNS) {
      const room = line === '' ? COLUMNS : COLUMNS - line.length - 1;
      if (room <= 0) {
        lines.push(line);
        line = '';
        continue;
      }
      lines.push(line === '' ? word.slice(0, room) : `${line} ${word.slice(0, room)}`);
      line = '';
      word = word.slice(room);
    }
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= COLUMNS) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

export function banner(msg: string): string {
  const text = msg.trim();
  return `\n${text} ${'*'.repeat(Math.max(3, COLUMNS - text.length))}`;
}

/** Python's json.dumps(..., sort_keys=True) spacing, with optional indent */
export function pyJson(value: unknown, indent?: number): string {
  const sorted = (v: unknown): unknown => {
    if (v instanceof String || v instanceof Number || v instanceof Boolean) return v.valueOf();
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') return sorted((v as { toJSON(): unknown }).toJSON());
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) setOwn(out, k, sorted((v as Record<string, unknown>)[k]));
      return out;
    }
    return v === undefined ? null : v;
  };
  if (indent) return JSON.stringify(sorted(value), null, indent);
  return JSON.stringify(sorted(value))
    .replace(/("(?:[^"\\]|\\.)*")|([:,])/g, (m, str: string | undefined, punct: string | undefined) => (str ? str : `${punct} `));
}

const HIDDEN_KEYS = new Set(['invocation', 'diff', 'ansible_loop_var', 'ansible_index_var', 'ansible_loop', 'item']);

export function cleanResult(result: ModuleResult, action: string, verbosity: number, keepItem = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) {
    if (k.startsWith('_ansible') || k.startsWith('_tsplay')) continue;
    if (verbosity < 3 && k === 'invocation') continue;
    if (k === 'diff') continue;
    if (!keepItem && HIDDEN_KEYS.has(k) && k !== 'invocation') continue;
    setOwn(out, k, v);
  }
  if (action === 'ansible.builtin.debug') delete out.changed;
  // the verdict is in the line itself (fatal:/ok:); Ansible's results on screen do not carry it
  delete out.failed;
  return out;
}

const CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** a no_log result as Ansible's TaskResult.clean_copy leaves it: the notice and the keys it preserves */
export function censored(result: ModuleResult): Record<string, unknown> {
  const out: Record<string, unknown> = { censored: CENSORED };
  for (const key of ['attempts', 'changed', 'retries']) if (key in result) out[key] = result[key];
  return out;
}

/** a loop item as Ansible shows it, `(item=...)`: Python's str() of the value, dict keys in their own order */
export function itemLabel(item: unknown): string {
  return pyStr(item);
}

export class PlainReporter implements Reporter {
  private lastTask?: TaskInfo;
  private bannerShown = false;
  /** the run of the task whose banner was printed last, and each run's info as it started */
  private shownRun?: number;
  private readonly started = new Map<number, TaskInfo>();
  /** the task of the result being written: its banner comes first if another task's was last */
  private eventTask?: TaskInfo;
  /** lines of the event being reported, written together: a task's banner and result are one write */
  private pending: string[] | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly err: (line: string) => void,
    private readonly verbosity: number,
    private readonly check: boolean,
    private readonly showDiff = false,
    /** print each banner as its task starts; false for a summary that shows only some tasks' lines */
    private readonly bannersAtStart = true,
  ) {}

  playbookStart(file: string): void {
    if (this.verbosity > 0) this.out(`\nPLAYBOOK: ${file.split('/').pop()} ${'*'.repeat(Math.max(3, COLUMNS - 11 - (file.split('/').pop() ?? '').length))}`);
  }

  playStart(name: string): void {
    this.lastTask = undefined;
    this.bannerShown = false;
    this.shownRun = undefined;
    this.started.clear();
    this.out(banner(`PLAY [${name}]`));
  }

  taskStart(task: TaskInfo): void {
    if (task.run !== undefined) {
      // under the free strategy each host starts the task: one run, one banner while it lasts
      if (this.started.has(task.run)) return;
      this.started.set(task.run, task);
    }
    this.lastTask = task;
    this.bannerShown = false;
    // As Ansible's default callback: under a lockstep strategy the banner is printed as the task
    // starts, so a task that hangs is visible; under free/host_pinned (hosts' results interleave)
    // it waits for the first line of the task
    if ((this.bannersAtStart && task.lockstep === true) || task.action === 'ansible.builtin.include_role' || task.action === 'ansible.builtin.meta') {
      this.showBanner();
    }
  }

  /** the banner of the task the next line belongs to, unless it is the last one printed */
  private showBanner(): void {
    const task = this.eventTask?.run !== undefined ? (this.started.get(this.eventTask.run) ?? this.eventTask) : this.lastTask;
    if (!task) return;
    if (task.run !== undefined ? task.run === this.shownRun : this.bannerShown) return;
    if (task === this.lastTask) this.bannerShown = true;
    this.shownRun = task.run;
    const kind = task.handler ? 'RUNNING HANDLER' : 'TASK';
    this.out(banner(`${kind} [${task.title}]`));
  }

  private out(line: string): void {
    if (this.pending) this.pending.push(line);
    else this.write(line);
  }

  hostResult(ev: HostResultEvent): void {
    this.pending = [];
    this.eventTask = ev.task;
    try {
      this.reportHostResult(ev);
    } finally {
      this.eventTask = undefined;
      const lines = this.pending;
      this.pending = undefined;
      if (lines.length) this.write(lines.join('\n'));
    }
  }

  private reportHostResult(ev: HostResultEvent): void {
    if (ev.verbosity === -1) {
      this.showBanner();
      this.out(`FAILED - RETRYING: [${ev.host}]: ${ev.task.title} (${String(ev.result.retries)} retries left).`);
      return;
    }
    const action = ev.task.action;
    const host = ev.delegatedTo ? `${ev.host} -> ${ev.delegatedTo}` : ev.host;
    // no_log hides the item too: Ansible's censored result has none, so its label is None
    const label = ev.noLog ? 'None' : itemLabel(ev.item);
    const item = ev.hasItem ? ` => (item=${label})` : '';
    if (ev.status === 'ok' && (action === 'ansible.builtin.include_tasks' || action === 'ansible.builtin.include')) {
      this.showBanner();
      if (!ev.hasItem && ev.result.results) return;
      this.out(`included: ${String(ev.result.include)} for ${ev.host}${item}`);
      return;
    }
    if (action === 'ansible.builtin.include_role' && ev.status === 'ok') return;
    // A loop's summary line shows only when every item was skipped: its items said the rest. With
    // no_log the summary is censored like any result (no `results` left), so it shows as one.
    if (!ev.hasItem && Array.isArray(ev.result.results) && !ev.noLog) {
      if (ev.status === 'skipped') {
        this.showBanner();
        this.out(`skipping: [${host}]`);
      } else if (ev.status === 'failed' && ev.ignored) {
        this.showBanner();
        this.out('...ignoring');
      }
      return;
    }
    this.showBanner();
    if (this.showDiff && ev.result.diff && !ev.noLog && (ev.status === 'changed' || ev.status === 'ok')) {
      const text = formatDiff(ev.result.diff);
      if (text) this.out(text);
    }
    // debug and assert ask for their result to be shown; censoring drops that request
    const verboseAlways = !ev.noLog && (ev.result._ansible_verbose_always === true || action === 'ansible.builtin.debug' || this.verbosity > 0);
    const shown = ev.noLog ? censored(ev.result) : cleanResult(ev.result, action, this.verbosity, ev.status === 'failed' && ev.hasItem);
    switch (ev.status) {
      case 'skipped':
        this.out(`skipping: [${host}]${item}${this.verbosity > 0 ? ` => ${pyJson(shown)}` : item ? ' ' : ''}`);
        break;
      case 'ok':
      case 'changed':
        this.out(`${ev.status}: [${host}]${item}${verboseAlways ? ` => ${pyJson(shown, 4)}` : ''}`);
        break;
      case 'failed':
        this.exceptionLine(shown);
        if (ev.hasItem) this.out(`failed: [${host}] (item=${label}) => ${pyJson(shown)}`);
        else {
          // Ansible's show_task_path_on_failure, always on: where to look
          if (ev.task.file) this.out(`task path: ${ev.task.file}:${ev.task.line}${ev.task.col ? `:${ev.task.col}` : ''}`);
          this.out(`fatal: [${host}]: FAILED! => ${pyJson(shown)}`);
        }
        if (ev.ignored) this.out('...ignoring');
        break;
      case 'unreachable':
        this.out(`fatal: [${host}]: UNREACHABLE! => ${pyJson(shown)}`);
        break;
    }
  }

  /**
   * A result carrying a stack (an unexpected failure): one line naming the error, the whole stack
   * at -vvv, as Ansible's callbacks do. Below -vvv the stack is left out of the result shown too.
   */
  private exceptionLine(shown: Record<string, unknown>): void {
    const exception = shown.exception;
    if (typeof exception !== 'string') return;
    delete shown.exception;
    if (this.verbosity >= 3) this.out(`The full traceback is:\n${exception}`);
    else this.out(`An exception occurred during task execution. To see the full traceback, use -vvv. The error was: ${exception.trim().split('\n').pop()}`);
  }

  /** Ansible shows each distinct warning once per run */
  private readonly warned = new Set<string>();

  warning(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.err(warningText(message));
  }

  verbose(level: number, message: string): void {
    if (this.verbosity < level) return;
    // a line said during a task comes under its banner
    this.showBanner();
    this.out(message);
  }

  diff(_host: string, text: string): void {
    this.showBanner();
    this.out(text);
  }

  error(message: string): void {
    this.err(`ERROR! ${message}`);
  }

  noHostsRemaining(): void {
    this.out(banner('NO MORE HOSTS LEFT'));
  }

  recap(stats: Map<string, HostStats>): void {
    this.out(banner('PLAY RECAP'));
    for (const host of [...stats.keys()].sort()) {
      this.out(recapLine(host, stats.get(host)!));
    }
    this.out('');
  }

  async close(): Promise<void> {}
}

export function recapLine(host: string, t: HostStats): string {
  const f = (k: string, n: number) => `${k}=${String(n).padEnd(4)}`;
  return `${host.padEnd(26)} : ${f('ok', t.ok)} ${f('changed', t.changed)} ${f('unreachable', t.unreachable)} ${f('failed', t.failed)} ${f('skipped', t.skipped)} ${f('rescued', t.rescued)} ${f('ignored', t.ignored)}`;
}
