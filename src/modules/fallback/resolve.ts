/**
 * Up-front module resolution for the fallback, with Ansible's own plugin loader (short names,
 * ansible.builtin/ansible.legacy, collection FQCNs, routing and redirects).
 *
 * The playbook loader is synchronous and Python with ansible-core takes a second or more to start,
 * so names are asked in one batch: while a playbook loads (collectFallbackNames), a name no native
 * module answers to is accepted provisionally as `PENDING + name`; afterwards settleFallbackNames
 * asks Ansible about all of them in one short-lived helper run, rewrites each provisional task to
 * the module's canonical name, and returns one located error per name Ansible does not know
 * either. Names met later (a dynamic include while running) are asked one at a time.
 * Most playbooks never get here: only names tsplay does not implement are asked.
 */
import { spawnSync } from 'node:child_process';
import type { Playbook, TaskNode, Node } from '../../load/model.js';
import { UserError } from '../../util/errors.js';
import { HELPER_SOURCE } from './helper-source.js';
import { controllerPython } from './python.js';

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

/** TSPLAY_NO_FALLBACK=1 turns the fallback off: unknown modules are refused as before */
export function fallbackEnabled(): boolean {
  return process.env.TSPLAY_NO_FALLBACK !== '1' && controllerPython() !== null;
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
    let target: FallbackTarget | null = null;
    try {
      const a = JSON.parse(lines[i] ?? '') as ResolveAnswer;
      if (a.found && a.fqcn && a.path) target = { fqcn: a.fqcn, path: a.path, actionPlugin: a.action };
    } catch {
      // no answer (ansible-core not importable): the fallback has nothing to offer
    }
    answers.set(name, target);
    if (target) byFqcn.set(target.fqcn, target);
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
const pendingNames: string[] = [];

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
export function settleFallbackNames(playbooks: Playbook[]): UserError[] {
  ask(pendingNames.splice(0));
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
