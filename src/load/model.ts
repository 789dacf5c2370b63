/**
 * The typed model that loading produces. Nothing here is templated: keyword values are kept as
 * written and evaluated per host at execution time. Every node remembers its source position.
 */
import type { SourcePos } from '../util/errors.js';

/** keywords a task, block, role or play may carry and that children inherit */
export interface Keywords {
  when?: unknown[]; // each entry a conditional; all must hold
  tags?: string[];
  vars?: Record<string, unknown>;
  become?: unknown;
  become_user?: unknown;
  become_method?: unknown;
  become_flags?: unknown;
  become_exe?: unknown;
  environment?: unknown[];
  ignore_errors?: unknown;
  ignore_unreachable?: unknown;
  check_mode?: unknown;
  diff?: unknown;
  no_log?: unknown;
  delegate_to?: unknown;
  run_once?: unknown;
  any_errors_fatal?: unknown;
  connection?: unknown;
  remote_user?: unknown;
  port?: unknown;
  module_defaults?: unknown;
  timeout?: unknown;
  throttle?: unknown;
}

export type ScopeKind = 'play' | 'block' | 'include' | 'roleCall' | 'role';

export interface Scope {
  /** play: play keywords/vars; block: block or import keywords; include: a dynamic include;
   * roleCall: keywords and vars: of a role call site; role: a role's own task files */
  kind: ScopeKind;
  /** the enclosing scope (block, include, role, play) */
  parent?: Scope;
  keywords: Keywords;
  /** the role whose files these nodes came from */
  role?: RoleInstance;
  /** include params / import vars become a variable layer of their own (higher than task vars) */
  includeParams?: Record<string, unknown>;
  /** for a dynamic include: what it brought in (a task file's path, or `role <name>`), to find include loops */
  included?: string;
}

export interface TaskNode {
  kind: 'task';
  pos: SourcePos;
  /** file the task came from (for relative lookups) */
  file: string;
  name?: string;
  /** the action as written (e.g. 'ansible.builtin.file', 'debug') */
  action: string;
  /** the canonical action (FQCN for modules, short name for engine actions) */
  resolved: string;
  args: Record<string, unknown>;
  /**
   * `args: "{{ a_dict }}"`: a template that must give a dict, rendered per host when the task runs;
   * its keys are the base the task's own args override (Ansible's _variable_params)
   */
  variableArgs?: string;
  keywords: Keywords;
  register?: string;
  loop?: { kind: 'loop' | 'with'; lookup: string; value: unknown };
  loopControl?: Record<string, unknown>;
  changedWhen?: unknown[];
  failedWhen?: unknown[];
  until?: unknown[];
  retries?: unknown;
  delay?: unknown;
  notify?: string[];
  listen?: string[];
  async?: unknown;
  poll?: unknown;
  delegateFacts?: unknown;
  scope: Scope;
  /** set for handlers */
  handler?: boolean;
  /** index assigned to order handlers by definition */
  id: number;
}

export interface BlockNode {
  kind: 'block';
  pos: SourcePos;
  name?: string;
  block: Node[];
  rescue: Node[];
  always: Node[];
  /** the block's own scope: keywords + parent */
  scope: Scope;
  /** set on the block that runs a role's tasks: dedup, argument validation and completion happen here */
  roleRun?: RoleInstance;
}

export type Node = TaskNode | BlockNode;

export interface RoleInstance {
  name: string;
  path: string;
  /** params given at the call site (role params), untemplated */
  params: Record<string, unknown>;
  /** `vars:` given at the call site */
  callVars: Record<string, unknown>;
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  tasksFrom: string;
  handlersFrom: string;
  allowDuplicates: boolean;
  /** dependencies, in meta/main order (each already an instance, possibly shared) */
  deps: RoleInstance[];
  /** where the role was called */
  callPos: SourcePos;
  /** tasks of the chosen entry point, loaded lazily by the planner */
  tasks: Node[];
  handlers: TaskNode[];
  /** hosts on which a task of this role ran (ok/failed, not skipped) */
  hadTaskRun: Set<string>;
  /** hosts for which the role completed after running a task: dedup skips them next time */
  completed: Set<string>;
  /** the scope of the call site (keywords from roles:/import_role) */
  callScope: Scope;
  /** unique id for dedup cache identity */
  uid: number;
  /** validate args from meta/argument_specs? (rolespec_validate) */
  validate: boolean;
  /** the role is from include_role/import_role (for the dedup key) */
  fromInclude: boolean;
  /** how it was called: its argument spec entry point derives from tasks_from accordingly */
  callKind: 'roles' | 'import_role' | 'include_role';
  /** public: expose role vars/defaults to the play after this role (include_role public) */
  isPublic?: boolean;
}

export interface PlayNode {
  pos: SourcePos;
  file: string;
  name: string;
  hosts: unknown;
  keywords: Keywords;
  gatherFacts: unknown;
  /** the play's gather_subset, given to its implicit fact gathering */
  gatherSubset?: unknown;
  varsFiles: unknown[];
  scope: Scope;
  preTasks: Node[];
  /** roles from `roles:`, each expanded into its blocks at plan time */
  roles: RoleInstance[];
  tasks: Node[];
  postTasks: Node[];
  handlers: TaskNode[];
  forceHandlers?: unknown;
  serial?: unknown;
  strategy?: unknown;
  order?: unknown;
  maxFailPercentage?: unknown;
  /** every role loaded in this play (for play-wide defaults/vars) */
  allRoles: RoleInstance[];
  /** dedup cache: role name → instances */
  roleCache: Map<string, Array<{ key: string; role: RoleInstance }>>;
  playbookDir: string;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: PlayNode[];
}
