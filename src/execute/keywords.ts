/** Effective keywords of a task: inherited from blocks, role calls and the play, nearest wins. */
import type { Keywords, Scope, TaskNode } from '../load/model.js';
import { scopeChain } from '../vars/layers.js';

const UNTAGGED = ['untagged'];

/** a task's own keyword, or the nearest enclosing scope's */
export function inherited<K extends keyof Keywords>(task: TaskNode, key: K): Keywords[K] | undefined {
  if (task.keywords[key] !== undefined) return task.keywords[key];
  for (let s: Scope | undefined = task.scope; s; s = s.parent) if (s.keywords[key] !== undefined) return s.keywords[key];
  return undefined;
}

/** every `when` from the play down to the task, outermost first */
export function allConditions(task: TaskNode): unknown[] {
  const out: unknown[] = [];
  for (const s of scopeChain(task.scope)) if (s.keywords.when) out.push(...s.keywords.when);
  if (task.keywords.when) out.push(...task.keywords.when);
  return out;
}

/** tags are the union of the task's and all enclosing scopes' tags */
export function effectiveTags(task: TaskNode): string[] {
  const tags = new Set<string>(task.keywords.tags ?? []);
  for (let s: Scope | undefined = task.scope; s; s = s.parent) for (const t of s.keywords.tags ?? []) tags.add(t);
  return [...tags];
}

/** environment dicts from the play down to the task (later entries win) */
export function environments(task: TaskNode): unknown[] {
  const out: unknown[] = [];
  for (const s of scopeChain(task.scope)) if (s.keywords.environment) out.push(...s.keywords.environment);
  if (task.keywords.environment) out.push(...task.keywords.environment);
  return out;
}

/** Ansible's Taggable.evaluate_tags */
export function shouldRunTags(taskTags: string[], onlyTags: string[], skipTags: string[]): boolean {
  const tags = taskTags.length ? taskTags : UNTAGGED;
  const has = (t: string) => tags.includes(t);
  const untagged = tags.length === 1 && tags[0] === 'untagged';
  const only = onlyTags.length ? onlyTags : ['all'];
  let run: boolean;
  if (has('always')) run = true;
  else if (only.includes('all') && !has('never')) run = true;
  else if (tags.some((t) => only.includes(t))) run = true;
  else if (only.includes('tagged') && !untagged && !has('never')) run = true;
  else run = false;
  if (run && skipTags.length) {
    if (skipTags.includes('all')) {
      if (!has('always') || skipTags.includes('always')) run = false;
    } else if (tags.some((t) => skipTags.includes(t))) run = false;
    else if (skipTags.includes('tagged') && !untagged) run = false;
  }
  return run;
}
