/**
 * Checks that need no host, run before anything executes. Ansible finds these only when it
 * reaches the task (a template syntax error, a handler name that does not exist), after earlier
 * tasks already changed hosts; tsplay rejects the input up front (exit 3).
 */
import type { Node, Playbook, PlayNode, TaskNode } from '../load/model.js';
import type { Inventory } from '../inventory/inventory.js';
import { matchHosts } from '../inventory/patterns.js';
import { Templar, templar as sharedTemplar } from '../template/index.js';
import { UserError, UserErrors } from '../util/errors.js';
import type { RunOptions } from './state.js';
import { checkBecomeMethods } from './become-check.js';

const PLAYBOOK_MODE = { playbook: true, trimBlocks: true, lstripBlocks: false };
const DYNAMIC = new Set(['ansible.builtin.include_tasks', 'ansible.builtin.include_role', 'ansible.builtin.include']);

function isTemplated(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
}

export function allTasks(nodes: Node[], out: TaskNode[] = []): TaskNode[] {
  for (const n of nodes) {
    if (n.kind === 'task') out.push(n);
    else {
      allTasks(n.block, out);
      allTasks(n.rescue, out);
      allTasks(n.always, out);
    }
  }
  return out;
}

function playTasks(play: PlayNode): TaskNode[] {
  const tasks = allTasks([...play.preTasks, ...play.tasks, ...play.postTasks]);
  for (const r of play.allRoles) allTasks(r.tasks, tasks);
  return tasks;
}

function syntaxError(templar: Templar, source: string): string | undefined {
  try {
    templar.compile(source, PLAYBOOK_MODE);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function checkTemplates(templar: Templar, task: TaskNode, errors: UserError[]): void {
  const conditions = [...(task.keywords.when ?? []), ...(task.changedWhen ?? []), ...(task.failedWhen ?? []), ...(task.until ?? [])];
  for (const c of conditions) {
    if (typeof c !== 'string' || c.trim() === '') continue;
    const source = isTemplated(c) ? c : `{% if ${c} %} True {% else %} False {% endif %}`;
    const err = syntaxError(templar, source);
    if (err) errors.push(new UserError(`The conditional check '${c}' has a syntax error: ${err}`, task.pos));
  }
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!isTemplated(v)) return;
      const err = syntaxError(templar, v);
      if (err) errors.push(new UserError(`template error while templating string: ${err}. String: ${v}`, task.pos));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(task.args);
  if (task.loop) walk(task.loop.value);
}

function checkNotify(play: PlayNode, tasks: TaskNode[], errors: UserError[]): void {
  if (tasks.some((t) => t.resolved === 'ansible.builtin.include_role')) return; // handlers may arrive with an included role
  const names = new Set<string>();
  for (const h of play.handlers) {
    if (h.name === undefined || isTemplated(h.name)) return; // a templated handler name is only known at run time
    names.add(h.name);
    for (const l of h.listen ?? []) names.add(l);
    for (let s: TaskNode['scope'] | undefined = h.scope; s; s = s.parent) if (s.role) names.add(`${s.role.name} : ${h.name}`);
  }
  for (const t of tasks) {
    for (const n of t.notify ?? []) {
      if (isTemplated(n) || names.has(n)) continue;
      errors.push(new UserError(`The requested handler '${n}' was not found in either the main handlers list nor in the listening handlers list`, t.pos));
    }
  }
}

export function staticCheck(playbooks: Playbook[], inventory: Inventory, o: RunOptions): void {
  const errors: UserError[] = [];
  for (const pb of playbooks) {
    if (pb.plays.length === 0) errors.push(new UserError(`Empty playbook, nothing to do: ${pb.file}`, { file: pb.file, line: 1, col: 1 }));
  }
  if (o.limit && matchHosts(inventory, o.limit).length === 0) {
    errors.push(new UserError(`Specified inventory, host pattern and/or --limit leaves us with no hosts to target (--limit '${o.limit}' matches nothing).`));
  }
  const templar: Templar = sharedTemplar;
  let startFound = !o.startAtTask;
  let anyDynamic = false;
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      const tasks = playTasks(play);
      for (const t of [...tasks, ...play.handlers]) checkTemplates(templar, t, errors);
      checkNotify(play, tasks, errors);
      if (!startFound) {
        for (const t of tasks) {
          let role: string | undefined;
          for (let s: TaskNode['scope'] | undefined = t.scope; s && !role; s = s.parent) role = s.role?.name;
          if (t.name === o.startAtTask || (role && `${role} : ${t.name}` === o.startAtTask)) startFound = true;
        }
      }
      if (tasks.some((t) => DYNAMIC.has(t.resolved))) anyDynamic = true;
    }
  }
  checkBecomeMethods(playbooks, o.becomeMethod, errors);
  if (!startFound && !anyDynamic) {
    errors.push(new UserError(`No matching task "${o.startAtTask}" found. Note: --start-at-task can only follow static includes.`));
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new UserErrors(errors);
}
