/**
 * Role argument validation before any host is touched. Ansible validates each role when its
 * first task runs (after earlier roles changed hosts, and even for roles --tags skips); tsplay
 * checks every role call of the play up front, for the roles that will run, and reports all
 * failures at once. Values that can only be known at run time (facts, registered results) make
 * the check wait for the role's start, as in Ansible.
 */
import * as argspec from '../argspec/index.js';
import type { RoleInstance, Scope, TaskNode } from '../load/model.js';
import { UserError, formatPos } from '../util/errors.js';
import { TemplateError } from '../template/index.js';
import type { PlayContext } from './play-context.js';
import type { HostState, RunOptions } from './state.js';
import { effectiveTags, shouldRunTags } from './keywords.js';
import type { Node } from '../load/model.js';
import type { EntryPointSpec } from '../argspec/types.js';

type RoleSpecs = argspec.RoleArgSpecs;
const specCache = new Map<string, Promise<RoleSpecs | undefined>>();

/** a role's argument specs, read once per run; a malformed spec file is a load error with its position */
export function roleSpecs(role: RoleInstance): Promise<RoleSpecs | undefined> {
  let p = specCache.get(role.path);
  if (!p) {
    p = argspec.loadRoleArgumentSpecs(role.path).then((r) => {
      if (r instanceof argspec.ArgSpecFileError) throw new UserError(r.message, { file: r.file, line: r.line, col: r.col });
      return r;
    });
    specCache.set(role.path, p);
  }
  return p;
}

/** what Ansible checks for a role: visible vars named like an option, overridden by the role's params */
export function providedArguments(spec: EntryPointSpec, params: Record<string, unknown>, vars: Record<string, unknown>, render: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(spec.options ?? {})) if (name in vars) out[name] = render(vars[name]);
  for (const [k, v] of Object.entries(params)) out[k] = render(v);
  return out;
}

export function validationMessage(errors: string[]): string {
  return `Validation of arguments failed:\n${errors.join('\n')}`;
}

/** does any task of the role (or its dependencies) pass the tag filter? */
export function roleWillRun(role: RoleInstance, o: RunOptions): boolean {
  const any = (nodes: Node[]): boolean =>
    nodes.some((n) => (n.kind === 'task' ? shouldRunTags(effectiveTags(n), o.tags, o.skipTags) : any(n.block) || any(n.rescue) || any(n.always)));
  return any(role.tasks) || role.deps.some((d) => roleWillRun(d, o));
}

/** a task placed in the role's own scope, to compute the variables its first task would see */
function probeTask(role: RoleInstance): TaskNode {
  const scope: Scope = role.tasks[0]?.kind === 'task' ? role.tasks[0].scope : { kind: 'role', parent: role.callScope, keywords: {}, role };
  return { kind: 'task', pos: role.callPos, file: role.callPos.file, action: 'validate_argument_spec', resolved: 'ansible.builtin.validate_argument_spec', args: {}, keywords: {}, scope, id: -1 };
}

export async function validateRoleCall(role: RoleInstance, ctx: PlayContext, hosts: HostState[], o: RunOptions): Promise<UserError[] | undefined> {
  const specs = await roleSpecs(role);
  if (!specs) return undefined;
  if (!roleWillRun(role, o)) return undefined;
  const entry = role.tasksFrom;
  const spec = specs.entryPoints[entry];
  if (!spec) return undefined;
  const errors: UserError[] = [];
  const seen = new Set<string>();
  for (const host of hosts) {
    const probe = probeTask(role);
    const vars = ctx.varsFor(host, probe);
    let provided: Record<string, unknown>;
    try {
      provided = providedArguments(spec, role.params, vars, (v) => ctx.templar.template(v, vars, ctx.templateOptions(probe)));
    } catch (err) {
      if (err instanceof TemplateError) continue; // needs run-time values: checked when the role starts
      throw err;
    }
    const outcome = argspec.compileArgSpec(spec, 'role').validate(provided);
    if (outcome.errors.length === 0) continue;
    const message = validationMessage(outcome.errors);
    if (seen.has(message)) continue;
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
