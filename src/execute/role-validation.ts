/**
 * Role argument validation before any host is touched. Ansible validates each role when its
 * first task runs (after earlier roles changed hosts, and even for roles --tags skips); tsplay
 * checks every role call of the play up front, for the roles that will run, and reports all
 * failures at once. Values that can only be known at run time (facts, registered results) make
 * the check wait for the role's start, as in Ansible.
 */
import * as argspec from '../argspec/index.js';
import type { EntryPointSpec } from '../argspec/types.js';
import type { Node, RoleInstance, Scope, TaskNode } from '../load/model.js';
import { UserError, formatPos } from '../util/errors.js';
import { TemplateError } from '../template/index.js';
import type { PlayContext } from './play-context.js';
import type { HostState, RunOptions } from './state.js';
import { effectiveTags, shouldRunTags } from './keywords.js';

type RoleSpecs = argspec.RoleArgSpecs;
const specCache = new Map<string, Promise<RoleSpecs | undefined>>();

/** a role's argument specs, read once per run; a malformed spec file is a load error with its position */
export function roleSpecs(role: RoleInstance): Promise<RoleSpecs | undefined> {
  let p = specCache.get(role.path);
  if (!p) {
    p = argspec.loadRoleArgumentSpecs(role.path).then((specs) => {
      if (specs?.error) throw specs.error.asUserError();
      return specs;
    });
    specCache.set(role.path, p);
  }
  return p;
}

/** the entry point Ansible validates: main for roles:, tasks_from as written for include_role, its basename for import_role */
export function entryPoint(role: RoleInstance): string {
  if (role.callKind === 'roles') return 'main';
  return argspec.roleEntryPoint(role.tasksFrom === 'main' ? null : role.tasksFrom, role.callKind);
}

/** the spec of the role's entry point, when it has one */
export async function roleEntrySpec(role: RoleInstance): Promise<{ specs: RoleSpecs; entry: string; spec: EntryPointSpec } | undefined> {
  const specs = await roleSpecs(role);
  if (!specs) return undefined;
  const entry = entryPoint(role);
  const spec = argspec.entryPointSpec(specs, entry);
  return spec ? { specs, entry, spec } : undefined;
}

/** does any task of the role (or its dependencies) pass the tag filter? */
export function roleWillRun(role: RoleInstance, o: RunOptions): boolean {
  const any = (nodes: Node[]): boolean =>
    nodes.some((n) => (n.kind === 'task' ? shouldRunTags(effectiveTags(n), o.tags, o.skipTags) : any(n.block) || any(n.rescue) || any(n.always)));
  return any(role.tasks) || role.deps.some((d) => roleWillRun(d, o));
}

/** the scope the role's first task sees, to compute its variables */
export function roleTaskScope(role: RoleInstance): Scope {
  const first = role.tasks.find((n): n is TaskNode => n.kind === 'task');
  return first?.scope ?? { kind: 'role', parent: role.callScope, keywords: {}, role };
}

function probeTask(role: RoleInstance): TaskNode {
  return { kind: 'task', pos: role.callPos, file: role.callPos.file, action: 'validate_argument_spec', resolved: 'ansible.builtin.validate_argument_spec', args: {}, keywords: {}, scope: roleTaskScope(role), id: -1 };
}

export async function validateRoleCall(role: RoleInstance, ctx: PlayContext, hosts: HostState[], o: RunOptions): Promise<UserError[] | undefined> {
  const found = await roleEntrySpec(role);
  if (!found || !roleWillRun(role, o)) return undefined;
  const { specs, entry } = found;
  const errors: UserError[] = [];
  const seen = new Set<string>();
  for (const host of hosts) {
    const probe = probeTask(role);
    const vars = ctx.varsFor(host, probe);
    const render = (v: unknown) => ctx.templar.template(v, vars, ctx.templateOptions(probe));
    let outcome;
    try {
      const provided = argspec.providedArguments(specs, entry, role.params, vars, render);
      outcome = argspec.validateRoleArguments(specs, entry, provided, { template: render });
    } catch (err) {
      if (err instanceof TemplateError) continue; // needs run-time values: checked when the role starts
      throw err;
    }
    const message = outcome.crash ?? outcome.message;
    if (!message || seen.has(message)) continue;
    seen.add(message);
    errors.push(
      new UserError(
        `role '${role.name}' (entry point '${entry}', called at ${formatPos(role.callPos)}${hosts.length > 1 ? `, host ${host.name}` : ''}): ${message}`,
        role.callPos,
      ),
    );
  }
  return errors;
}
