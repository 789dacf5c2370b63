/**
 * Finds roles, reads their files, and resolves `meta/main` dependencies with Ansible's dedup rule:
 * within a play, a role called with the same name, params, when, tags, vars and entry point is one
 * instance, and runs once per host unless `allow_duplicates: true`.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, type SourcePos } from '../util/errors.js';
import { ansibleConfig } from '../config/ansible-cfg.js';
import { isMapping, loadYamlFile, posOf, posOfItem, posOfKey } from '../load/yaml.js';
import { readKeywords, TaskLoader, typeOfPy } from '../load/tasks.js';
import type { Keywords, PlayNode, RoleInstance, Scope, TaskNode } from '../load/model.js';
import { setOwn } from '../util/dict.js';

/** keywords a role call (roles: entry, dependency, include_role) may carry; everything else is a role param */
const ROLE_CALL_KEYWORDS = new Set([
  'any_errors_fatal', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'check_mode', 'collections',
  'connection', 'debugger', 'delegate_facts', 'delegate_to', 'diff', 'environment', 'ignore_errors', 'ignore_unreachable',
  'module_defaults', 'name', 'no_log', 'port', 'remote_user', 'role', 'run_once', 'tags', 'throttle', 'timeout', 'vars', 'when',
]);

export interface RoleCall {
  name: string;
  params: Record<string, unknown>;
  keywords: Keywords;
  callVars: Record<string, unknown>;
  pos: SourcePos;
  tasksFrom?: string;
  handlersFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  fromInclude?: boolean;
  rolespecValidate?: boolean;
  /** include_role/import_role's allow_duplicates option (default yes), which overrides meta/main's */
  allowDuplicates?: boolean;
  callKind?: RoleInstance['callKind'];
}

/** a `roles:` entry or a dependency: a name, or a mapping with role/name, keywords and params */
export function parseRoleCall(entry: unknown, pos: SourcePos): RoleCall {
  if (typeof entry === 'string') return { name: entry, params: {}, keywords: {}, callVars: {}, pos };
  if (!isMapping(entry)) throw new UserError(`role definitions must contain a role name, got ${typeOfPy(entry)}`, pos);
  const name = entry.role ?? entry.name;
  if (typeof name !== 'string' || name === '') throw new UserError(`role definitions must contain a role name`, pos);
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (!ROLE_CALL_KEYWORDS.has(k)) setOwn(params, k, v);
  const keywords = readKeywords(entry, pos);
  const callVars = keywords.vars ?? {};
  delete keywords.vars;
  return { name, params, keywords, callVars, pos: posOf(entry) ?? pos };
}

/** roles/ beside the playbook, then ANSIBLE_ROLES_PATH, else ansible.cfg's roles_path, else Ansible's defaults, then the playbook dir */
export function roleSearchPath(playbookDir: string): string[] {
  const fromEnv = (process.env.ANSIBLE_ROLES_PATH ?? '').split(':').filter((p) => p !== '');
  const configured = fromEnv.length ? fromEnv : ansibleConfig().rolesPath;
  const rolesPath = configured ?? [join(homedir(), '.ansible', 'roles'), '/usr/share/ansible/roles', '/etc/ansible/roles'];
  return [join(playbookDir, 'roles'), ...rolesPath, playbookDir];
}

export function findRolePath(name: string, playbookDir: string, extra: string[] = []): { path?: string; searched: string[] } {
  if (name.includes('/') || isAbsolute(name)) {
    const p = resolve(playbookDir, name);
    return { path: isDir(p) ? p : undefined, searched: [p] };
  }
  const dirs = [...new Set([...extra, ...roleSearchPath(playbookDir)])];
  for (const dir of dirs) {
    const p = join(dir, name);
    if (isDir(p)) return { path: p, searched: dirs };
  }
  return { searched: dirs };
}

/**
 * The roles that ship with tsplay (docker, pip-mirrors, pip-client), so `tsplay schema pip-mirrors`
 * answers from any directory; searched after everything Ansible searches.
 */
export function shippedRolesDir(): string | undefined {
  // dist/src/roles or dist/bundle → the installation's root
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const dir = join(here, up, 'roles');
    if (isDir(join(dir, 'pip-mirrors'))) return dir;
  }
  return undefined;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** role file `sub/name` with .yml, .yaml, .json or no extension */
export function roleFile(rolePath: string, sub: string, name: string): string | undefined {
  for (const ext of ['.yml', '.yaml', '.json', '']) {
    const p = join(rolePath, sub, name + ext);
    if (existsSync(p) && !isDir(p)) return p;
  }
  return undefined;
}

function loadVarsFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  const data = loadYamlFile(path);
  if (data === null || data === undefined) return {};
  if (!isMapping(data)) throw new UserError(`vars file ${path} must be a dictionary, got ${typeOfPy(data)}`, posOf(data) ?? { file: path, line: 1, col: 1 });
  return data;
}

function stableKey(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (isMapping(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}

let nextUid = 1;

export class RoleLoader {
  private readonly loading: string[] = [];

  constructor(
    private readonly play: PlayNode,
    private readonly tasks: () => TaskLoader,
  ) {}

  /** loads (or reuses, per Ansible's dedup key) a role instance with its dependencies */
  load(call: RoleCall, parentScope: Scope): RoleInstance {
    const found = findRolePath(call.name, this.play.playbookDir);
    if (!found.path) {
      throw new UserError(
        `the role '${call.name}' was not found in ${found.searched.join(':')}`,
        call.pos,
      );
    }
    const key = stableKey({
      params: call.params,
      when: call.keywords.when,
      tags: call.keywords.tags,
      vars: call.callVars,
      from: [call.tasksFrom, call.handlersFrom, call.varsFrom, call.defaultsFrom],
      include: call.fromInclude ?? false,
    });
    // an include/import that allows duplicates gets its own instance, so its tasks see its own
    // call site's variables (Ansible re-parents the role's blocks under each include)
    const shareable = !(call.fromInclude && call.allowDuplicates !== false);
    const cached = shareable ? this.play.roleCache.get(call.name)?.find((e) => e.key === key) : undefined;
    if (cached) {
      if (call.allowDuplicates !== undefined) cached.role.allowDuplicates = call.allowDuplicates;
      return cached.role;
    }

    const path = found.path;
    if (this.loading.includes(path)) {
      throw new UserError(`role dependency cycle: ${[...this.loading, path].map((p) => p.split('/').pop()).join(' -> ')}`, call.pos);
    }
    this.loading.push(path);
    try {
      const callScope: Scope = { kind: 'roleCall', parent: parentScope, keywords: call.keywords, role: parentScope.role };
      const meta = this.readMeta(path);
      const role: RoleInstance = {
        name: call.name.split('/').pop() ?? call.name,
        path,
        params: call.params,
        callVars: call.callVars,
        defaults: loadVarsFile(roleFile(path, 'defaults', call.defaultsFrom ?? 'main')),
        vars: loadVarsFile(roleFile(path, 'vars', call.varsFrom ?? 'main')),
        tasksFrom: call.tasksFrom ?? 'main',
        handlersFrom: call.handlersFrom ?? 'main',
        allowDuplicates: call.allowDuplicates ?? meta.allowDuplicates,
        deps: [],
        callPos: call.pos,
        tasks: [],
        handlers: [],
        hadTaskRun: new Set(),
        completed: new Set(),
        callScope,
        uid: nextUid++,
        validate: call.rolespecValidate ?? true,
        fromInclude: call.fromInclude ?? false,
        callKind: call.callKind ?? 'roles',
      };
      // register before loading deps so a diamond shares the instance
      const list = this.play.roleCache.get(call.name) ?? [];
      list.push({ key, role });
      this.play.roleCache.set(call.name, list);
      this.play.allRoles.push(role);

      for (const dep of meta.deps) {
        const depScope: Scope = { kind: 'role', parent: callScope, keywords: {}, role };
        role.deps.push(this.load(parseRoleCall(dep.entry, dep.pos), depScope));
      }
      const taskScope: Scope = { kind: 'role', parent: callScope, keywords: {}, role };
      const tasksPath = roleFile(path, 'tasks', role.tasksFrom);
      if (!tasksPath && call.tasksFrom) {
        throw new UserError(`Could not find specified file in role: tasks/${call.tasksFrom}`, call.pos);
      }
      if (tasksPath) role.tasks = this.tasks().loadList(loadYamlFile(tasksPath), tasksPath, taskScope, false, `tasks of role ${role.name}`);
      const handlersPath = roleFile(path, 'handlers', role.handlersFrom);
      if (handlersPath) {
        role.handlers = flattenHandlers(this.tasks().loadList(loadYamlFile(handlersPath), handlersPath, taskScope, true, `handlers of role ${role.name}`));
      }
      return role;
    } finally {
      this.loading.pop();
    }
  }

  private readMeta(path: string): { deps: Array<{ entry: unknown; pos: SourcePos }>; allowDuplicates: boolean } {
    const file = roleFile(path, 'meta', 'main');
    if (!file) return { deps: [], allowDuplicates: false };
    const data = loadYamlFile(file);
    if (data === null || data === undefined) return { deps: [], allowDuplicates: false };
    if (!isMapping(data)) throw new UserError(`the role metadata in ${file} must be a dictionary`, posOf(data) ?? { file, line: 1, col: 1 });
    const depsRaw = data.dependencies ?? [];
    if (!Array.isArray(depsRaw)) throw new UserError(`Expected role dependencies to be a list.`, posOfKey(data, 'dependencies') ?? { file, line: 1, col: 1 });
    const deps = depsRaw.map((entry, i) => ({ entry, pos: posOf(entry) ?? posOfItem(depsRaw, i) ?? posOfKey(data, 'dependencies') ?? { file, line: 1, col: 1 } }));
    return { deps, allowDuplicates: data.allow_duplicates === true };
  }
}

/** handlers may sit inside blocks; Ansible runs them as a flat, ordered list */
export function flattenHandlers(nodes: ReturnType<TaskLoader['loadList']>): TaskNode[] {
  const out: TaskNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'task') out.push(n);
    else out.push(...flattenHandlers(n.block), ...flattenHandlers(n.rescue), ...flattenHandlers(n.always));
  }
  return out;
}
