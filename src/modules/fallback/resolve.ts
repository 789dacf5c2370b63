/**
 * Up-front module resolution for the fallback, with Ansible's own plugin loader (short names,
 * ansible.builtin/ansible.legacy, collection FQCNs, routing and redirects).
 *
 * The playbook loader is synchronous and Python with ansible-core takes a second or more to start,
 * so names are asked in one batch: while a playbook loads (collectFallbackNames), a name no native
 * module answers to is accepted provisionally as `PENDING + name`; afterwards settleFallbackNames
 * asks the resident helper (the one that will build the payloads, so ansible-core is imported
 * once per run) about all of them, rewrites each provisional task to the module's canonical name,
 * and returns one located error per name Ansible does not know either. Names first met while
 * running (a dynamic include) are asked synchronously, one short-lived helper run each.
 * Most playbooks never get here: only names tsplay does not implement are asked.
 */
import { spawnSync } from 'node:child_process';
import type { Playbook, TaskNode, Node } from '../../load/model.js';
import { UserError } from '../../util/errors.js';
import { HELPER_SOURCE } from './helper-source.js';
import { controllerPython } from './python.js';
import { helper } from './helper.js';

export interface FallbackTarget {
  /** the module's canonical name after Ansible's routing, e.g. community.general.alternatives */
  fqcn: string;
  /** the module file on the controller */
  path: string;
  /** set when Ansible runs this module through a controller-side action plugin of its own */
  actionPlugin?: string;
}

interface ResolveAnswer {
  found: boolean;
  fqcn?: string;
  path?: string;
  action?: string;
}

const PENDING = 'tsplay.fallback-pending:';
const answers = new Map<string, FallbackTarget | null>();
const byFqcn = new Map<string, FallbackTarget>();
let collecting: Set<string> | null = null;
const pendingNames: string[] = [];

/** TSPLAY_NO_FALLBACK=1 turns the fallback off: unknown modules are refused as before */
export function fallbackEnabled(): boolean {
  return process.env.TSPLAY_NO_FALLBACK !== '1' && controllerPython() !== null;
}

function record(name: string, a: ResolveAnswer | undefined): void {
  const target = a?.found && a.fqcn && a.path ? { fqcn: a.fqcn, path: a.path, actionPlugin: a.action } : null;
  answers.set(name, target);
  if (target) byFqcn.set(target.fqcn, target);
}

/** asks the resident helper about names not asked yet */
async function askResident(names: string[]): Promise<void> {
  const todo = [...new Set(names)].filter((n) => !answers.has(n));
  if (todo.length === 0) return;
  if (!fallbackEnabled()) {
    for (const n of todo) record(n, undefined);
    return;
  }
  const replies = await Promise.all(todo.map((name) => helper.request('resolve', { name }).catch(() => undefined)));
  todo.forEach((name, i) => record(name, replies[i] as ResolveAnswer | undefined));
}

function ask(names: string[]): void {
  const python = controllerPython();
  const todo = names.filter((n) => !answers.has(n));
  if (todo.length === 0) return;
  let lines: string[] = [];
  if (fallbackEnabled() && python) {
    const out = spawnSync(python, ['-c', HELPER_SOURCE, 'resolve', ...todo], { encoding: 'utf8', timeout: 120_000 });
    lines = (out.stdout ?? '').trim().split('\n');
  }
  todo.forEach((name, i) => {
    let a: ResolveAnswer | undefined;
    try {
      a = JSON.parse(lines[i] ?? '') as ResolveAnswer;
    } catch {
      // no answer (ansible-core not importable): the fallback has nothing to offer
    }
    record(name, a);
  });
}

/** the name the fallback runs `name` as (provisional while collecting), or undefined */
export function resolveFallback(name: string): string | undefined {
  if (collecting && !answers.has(name)) {
    collecting.add(name);
    return PENDING + name;
  }
  ask([name]);
  const t = answers.get(name);
  return t && !t.actionPlugin ? t.fqcn : undefined;
}

/** why a name Ansible knows cannot run through the fallback (for the load error), if it is so */
export function fallbackRefusal(name: string): string | undefined {
  const t = answers.get(name);
  if (!t?.actionPlugin) return undefined;
  return `module '${name}' (${t.fqcn}) needs Ansible's controller-side action plugin ${t.actionPlugin}, which tsplay's fallback for Ansible modules does not run`;
}

/** a module accepted by resolveFallback, by its canonical name */
export function fallbackTarget(fqcn: string): FallbackTarget | undefined {
  const t = byFqcn.get(fqcn);
  return t && !t.actionPlugin ? t : undefined;
}

/** runs `load` with unknown module names accepted provisionally, to be settled in one batch */
export function collectFallbackNames<T>(load: () => T): T {
  const outer = collecting;
  collecting = outer ?? new Set();
  try {
    return load();
  } finally {
    if (!outer) {
      pendingNames.push(...collecting);
      collecting = null;
    }
  }
}
function walk(nodes: Node[], out: Set<TaskNode>): void {
  for (const n of nodes) {
    if (n.kind === 'task') out.add(n);
    else {
      walk(n.block, out);
      walk(n.rescue, out);
      walk(n.always, out);
    }
  }
}

/**
 * Resolves the names collected while loading, in one batch; rewrites provisional tasks to the
 * canonical name, and returns an error (located at the task) for each task whose module neither
 * tsplay nor Ansible knows, or which only runs with one of Ansible's own action plugins.
 */
export async function settleFallbackNames(playbooks: Playbook[]): Promise<UserError[]> {
  await askResident(pendingNames.splice(0));
  const tasks = new Set<TaskNode>();
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      walk([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers], tasks);
      for (const role of play.allRoles) walk([...role.tasks, ...role.handlers], tasks);
    }
  }
  const errors: UserError[] = [];
  for (const task of tasks) {
    if (!task.resolved.startsWith(PENDING)) continue;
    const name = task.resolved.slice(PENDING.length);
    const t = answers.get(name);
    if (t && !t.actionPlugin) {
      task.resolved = t.fqcn;
      continue;
    }
    errors.push(new UserError(
      fallbackRefusal(name) ?? `couldn't resolve module/action '${name}'. This often indicates a misspelling, missing collection, or incorrect module path.`,
      task.pos,
    ));
  }
  return errors;
}

/**
 * Has the helper build each module the run will use once now, in the background, so that
 * ansible-core's one-time work per module (finding and zipping its module_utils) overlaps with
 * the run's start instead of delaying the first task using it. Errors surface at the task.
 */
export function warmFallbackModules(): void {
  for (const t of byFqcn.values()) {
    if (t.actionPlugin) continue;
    void helper
      .request('build', { fqcn: t.fqcn, name: t.fqcn, args: {}, check: false, diff: false, no_log: false, verbosity: 0, interpreter: '/usr/bin/python3' })
      .catch(() => undefined);
  }
}
