/**
 * become_method values tsplay can run (sudo, su), checked before any host is touched: a method
 * written literally in a play, block or task that tsplay cannot run is a located error up front,
 * where Ansible would fail the task when it reaches it. Templated values are checked when used.
 */
import type { Node, Playbook } from '../load/model.js';
import { UserError, type SourcePos } from '../util/errors.js';

export const BECOME_METHODS = new Set(['sudo', 'su', 'ansible.builtin.sudo', 'ansible.builtin.su', 'ansible.legacy.sudo', 'ansible.legacy.su']);

/** methods Ansible (or a common collection) has but tsplay does not implement */
const ANSIBLE_ONLY = new Set(['runas', 'doas', 'dzdo', 'enable', 'ksu', 'machinectl', 'pbrun', 'pfexec', 'pmrun', 'sesu', 'sudosu']);

/** the message for a method tsplay cannot use; undefined when it can */
export function becomeMethodProblem(method: string): string | undefined {
  if (BECOME_METHODS.has(method)) return undefined;
  const short = method.split('.').pop() ?? method;
  if (ANSIBLE_ONLY.has(short)) return `become_method '${method}' is not supported by tsplay (it supports sudo and su)`;
  return `Invalid become method specified, could not find matching plugin: '${method}'. Use \`ansible-doc -t become -l\` to list available plugins.`;
}

function literal(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  return v.includes('{{') || v.includes('{%') ? undefined : v;
}

export function checkBecomeMethods(playbooks: Playbook[], cliMethod: string | undefined, errors: UserError[]): void {
  if (cliMethod !== undefined) {
    const p = becomeMethodProblem(cliMethod);
    if (p) errors.push(new UserError(`--become-method: ${p}`));
  }
  const seen = new Set<string>();
  const check = (v: unknown, pos: SourcePos) => {
    const m = literal(v);
    const p = m === undefined ? undefined : becomeMethodProblem(m);
    const key = `${pos.file}:${pos.line}:${pos.col}`;
    if (p && !seen.has(key)) {
      seen.add(key);
      errors.push(new UserError(p, pos));
    }
  };
  const walk = (nodes: Node[]) => {
    for (const n of nodes) {
      if (n.kind === 'task') check(n.keywords.become_method, n.pos);
      else {
        check(n.scope.keywords.become_method, n.pos);
        walk(n.block);
        walk(n.rescue);
        walk(n.always);
      }
    }
  };
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      check(play.keywords.become_method, play.pos);
      walk([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
      for (const r of play.allRoles) walk(r.tasks);
    }
  }
}
