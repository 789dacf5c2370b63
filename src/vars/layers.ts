/**
 * Ansible's variable precedence as a prototype chain: each layer is a null-prototype object whose
 * prototype is the layer below, so a lookup walks at most a dozen objects and nothing is copied.
 * Order (lowest first), as ansible-core 2.14's VariableManager.get_vars builds it:
 *   role defaults (play roles, then the task's role with its deps and dep chain)
 *   inventory group vars (all → parents → children), group_vars/ files, host vars, host_vars/ files
 *   facts (ansible_facts and the injected ansible_* names)
 *   play vars, vars_files
 *   role vars (play roles, then the task's role: deps, call-site `vars:`, vars/main, dep chain)
 *   block vars (outer → inner), task vars
 *   include_vars results, set_fact / registered results
 *   role params (dep chain, then the role), include params
 *   extra vars
 *   magic vars (inventory_hostname, groups, hostvars, role_path …), then loop vars
 */
import type { RoleInstance, Scope } from '../load/model.js';
import { assignOwn, setOwn } from '../util/dict.js';

export type Vars = Record<string, unknown>;

export const ROOT: Vars = Object.freeze(Object.create(null)) as Vars;

/** true for a missing layer or one without keys (checked without listing them) */
export function isEmptyLayer(values: Vars | undefined): boolean {
  if (!values) return true;
  for (const _k in values) return false;
  return true;
}

export function layer(parent: Vars, values: Vars | undefined): Vars {
  if (!values || isEmptyLayer(values)) return parent;
  const o = Object.create(parent) as Vars;
  for (const k of Object.keys(values)) setOwn(o, k, values[k]);
  return o;
}

/** shallow merge of several dicts into one null-prototype layer (later wins) */
export function merged(...parts: Array<Vars | undefined>): Vars {
  const o = Object.create(null) as Vars;
  for (const p of parts) if (p) for (const k of Object.keys(p)) setOwn(o, k, p[k]);
  return o;
}

/** scopes from the outermost (play) to `scope` */
export function scopeChain(scope: Scope | undefined): Scope[] {
  const out: Scope[] = [];
  for (let s = scope; s; s = s.parent) out.push(s);
  return out.reverse();
}

/** the role a scope belongs to, and its parents (outermost first) */
export function roleChain(scope: Scope | undefined): { role?: RoleInstance; parents: RoleInstance[] } {
  const roles: RoleInstance[] = [];
  for (let s = scope; s; s = s.parent) if (s.role && roles[roles.length - 1] !== s.role) roles.push(s.role);
  const [role, ...rest] = roles;
  const parents: RoleInstance[] = [];
  for (const r of rest.reverse()) if (r !== role && !parents.includes(r)) parents.push(r);
  return { role, parents };
}

function allDeps(role: RoleInstance, out: RoleInstance[] = []): RoleInstance[] {
  for (const d of role.deps) {
    allDeps(d, out);
    if (!out.includes(d)) out.push(d);
  }
  return out;
}

export function roleDefaults(role: RoleInstance, chain: RoleInstance[]): Vars {
  return merged(...allDeps(role).map((d) => d.defaults), ...chain.map((p) => p.defaults), role.defaults);
}

export function roleVars(role: RoleInstance, chain: RoleInstance[]): Vars {
  const deps = allDeps(role).flatMap((d) => [d.callVars, d.vars]);
  return merged(...deps, role.callVars, role.vars, ...chain.flatMap((p) => [p.callVars, p.vars]));
}

export function roleParams(role: RoleInstance, chain: RoleInstance[]): Vars {
  return merged(...chain.map((p) => p.params), role.params);
}

/** block and task vars, and include params, of every scope between the play and the task */
export function scopeVars(chain: Scope[]): { blockVars: Vars; includeParams: Vars } {
  const blockVars = Object.create(null) as Vars;
  const includeParams = Object.create(null) as Vars;
  for (const s of chain) {
    if (s.kind === 'block' || s.kind === 'include') assignOwn(blockVars, s.keywords.vars ?? {});
    if (s.includeParams) assignOwn(includeParams, s.includeParams);
  }
  return { blockVars, includeParams };
}
