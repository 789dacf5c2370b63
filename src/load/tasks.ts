/**
 * Task lists → Node[]: tasks, blocks, handlers, and static imports (import_tasks/import_role)
 * expanded at load time as Ansible does. Dynamic includes stay tasks and are expanded when run.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { UserError, type SourcePos } from '../util/errors.js';
import { isMapping, loadYamlFile, posOf, posOfItem, posOfKey } from './yaml.js';
import { parseKv, KvSyntaxError } from './kv.js';
import { checkLoopControl, checkStringKeywords } from './keyword-shapes.js';
import type { BlockNode, Keywords, Node, RoleInstance, Scope, TaskNode } from './model.js';
import { fallbackRefusal } from '../modules/fallback/resolve.js';
import { INT_KEYWORDS, invalidFieldMessage, isTemplated, pyInt, strictBool } from './keyword-types.js';
import { assignOwn } from '../util/dict.js';

const TASK_KEYWORDS = new Set([
  'action', 'any_errors_fatal', 'args', 'async', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user',
  'changed_when', 'check_mode', 'collections', 'connection', 'debugger', 'delay', 'delegate_facts', 'delegate_to', 'diff',
  'environment', 'failed_when', 'ignore_errors', 'ignore_unreachable', 'local_action', 'loop', 'loop_control',
  'module_defaults', 'name', 'no_log', 'notify', 'poll', 'port', 'register', 'remote_user', 'retries', 'run_once', 'tags',
  'throttle', 'timeout', 'until', 'vars', 'when',
]);
const HANDLER_KEYWORDS = new Set([...TASK_KEYWORDS, 'listen']);
const BLOCK_KEYWORDS = new Set([
  'always', 'any_errors_fatal', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'block',
  'check_mode', 'collections', 'connection', 'debugger', 'delegate_facts', 'delegate_to', 'diff', 'environment',
  'ignore_errors', 'ignore_unreachable', 'module_defaults', 'name', 'no_log', 'notify', 'port', 'remote_user', 'rescue',
  'run_once', 'tags', 'throttle', 'timeout', 'vars', 'when',
]);

/** actions whose string argument is a command line, not k=v pairs */
const FREE_FORM = new Set(['ansible.builtin.command', 'ansible.builtin.shell', 'ansible.builtin.raw', 'ansible.builtin.script']);
/** actions that may take a bare string argument (`_raw_params`) */
const RAW_PARAM_ACTIONS = new Set([
  ...FREE_FORM,
  'ansible.builtin.include_vars', 'ansible.builtin.include_tasks', 'ansible.builtin.include_role', 'ansible.builtin.import_tasks',
  'ansible.builtin.import_role', 'ansible.builtin.add_host', 'ansible.builtin.group_by', 'ansible.builtin.set_fact',
  'ansible.builtin.meta', 'ansible.builtin.include',
]);

export interface LoadContext {
  playbookDir: string;
  /** resolves an action name to its canonical form, or undefined when unknown */
  resolveAction(name: string): string | undefined;
  /** loads a role for import_role (static) */
  importRole(spec: { name: string; tasksFrom?: string; handlersFrom?: string; params: Record<string, unknown>; allowDuplicates: boolean }, scope: Scope, pos: SourcePos): RoleInstance;
  /** extra vars + play vars, for the rare templated static import path */
  renderStatic(value: string, pos: SourcePos): string;
  nextId(): number;
  /** files being imported right now, to report import loops */
  importStack: string[];
}

export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** tags may be a list, a comma-separated string, or a number */
export function parseTags(value: unknown, pos: SourcePos | undefined): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') out.push(...item.split(',').map((s) => s.trim()).filter((s) => s !== ''));
    else if (typeof item === 'number') out.push(String(item));
    else throw new UserError(`the field 'tags' should be a list of (<class 'str'>, <class 'int'>), but the item '${JSON.stringify(item)}' is a ${typeOfPy(item)}`, pos);
  }
  return out;
}

export function typeOfPy(v: unknown): string {
  if (Array.isArray(v)) return "<class 'list'>";
  if (v === null) return "<class 'NoneType'>";
  if (typeof v === 'object') return "<class 'dict'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (typeof v === 'number') return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  return "<class 'str'>";
}

const PY_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** Ansible's isidentifier(): a Python identifier that is not a keyword */
export function isVariableName(name: string): boolean {
  return /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name) && !PY_KEYWORDS.has(name);
}

/** as Base._load_vars: every key of a `vars:` mapping must be a valid variable name (load-time error) */
function checkVariableNames(vars: Record<string, unknown>, owner: string, where: SourcePos): void {
  for (const key of Object.keys(vars)) {
    if (!isVariableName(key)) throw new UserError(`Invalid variable name in vars specified for ${owner}: '${key}' is not a valid variable name`, where);
  }
}

/**
 * pulls the inheritable keywords out of a task/block/play/role mapping; `owner` is Ansible's class
 * name for messages (Task, TaskInclude, IncludeRole, Block, Play)
 */
export function readKeywords(data: Record<string, unknown>, pos: SourcePos, owner = 'Task'): Keywords {
  const kw: Keywords = {};
  checkStringKeywords(data, pos);
  if ('when' in data) kw.when = asList(data.when);
  if ('tags' in data) kw.tags = parseTags(data.tags, posOfKey(data, 'tags') ?? pos);
  if ('vars' in data && data.vars !== null) {
    const vars = data.vars;
    if (Array.isArray(vars)) {
      // Ansible accepts a list of dicts and merges them
      const merged: Record<string, unknown> = {};
      for (const v of vars) {
        if (!isMapping(v)) throw new UserError(`Vars must be specified as a dictionary, or a list of dictionaries (got an item ${JSON.stringify(v)})`, posOfKey(data, 'vars') ?? pos);
        checkVariableNames(v, owner, posOf(vars) ?? pos);
        assignOwn(merged, v);
      }
      kw.vars = merged;
    } else if (isMapping(vars)) {
      checkVariableNames(vars, owner, posOf(vars) ?? pos);
      kw.vars = vars;
    } else {
      throw new UserError(`Vars in a Task must be specified as a dictionary, or a list of dictionaries`, posOfKey(data, 'vars') ?? pos);
    }
  }
  if ('environment' in data && data.environment !== null) kw.environment = asList(data.environment);
  checkLiteralBool(data, 'ignore_errors', pos);
  for (const key of [
    'become', 'become_user', 'become_method', 'become_flags', 'become_exe', 'ignore_errors', 'ignore_unreachable', 'check_mode', 'diff',
    'no_log', 'delegate_to', 'run_once', 'any_errors_fatal', 'connection', 'remote_user', 'port', 'module_defaults', 'timeout',
    'throttle',
  ] as const) {
    if (key in data) kw[key] = data[key];
  }
  return kw;
}

/** a literal value of a boolean keyword that Ansible's strict boolean() refuses: refused now */
function checkLiteralBool(data: Record<string, unknown>, key: string, pos: SourcePos): void {
  const value = data[key];
  if (value === undefined || value === null || isTemplated(value)) return;
  const b = strictBool(value);
  if (!b.ok) throw new UserError(invalidFieldMessage(key, value, 'bool', b.error), posOfKey(data, key) ?? pos);
}

/** literal values of the integer keywords that Python's int() refuses: refused now */
function checkLiteralInts(data: Record<string, unknown>, pos: SourcePos): void {
  for (const [key, field] of Object.entries(INT_KEYWORDS)) {
    const value = data[key];
    if (value === undefined || value === null || isTemplated(value)) continue;
    const n = pyInt(value);
    if (!n.ok) throw new UserError(invalidFieldMessage(field, value, 'int', n.error), posOfKey(data, key) ?? pos);
  }
}

/** `register` names a variable: Ansible refuses any other name (it does not template it) */
function checkRegister(data: Record<string, unknown>, pos: SourcePos): void {
  if (!('register' in data) || data.register === null) return;
  const where = posOfKey(data, 'register') ?? pos;
  if (typeof data.register !== 'string') throw new UserError(`the field 'register' should be a string, but got ${typeOfPy(data.register)}`, where);
  if (!isVariableName(data.register)) throw new UserError(`Invalid variable name in 'register' specified: '${data.register}'`, where);
}

export function isIncludeOrImport(resolved: string): boolean {
  return /^ansible\.builtin\.(include_tasks|import_tasks|include_role|import_role|include)$/.test(resolved);
}

export class TaskLoader {
  constructor(private readonly ctx: LoadContext) {}

  /** a list of tasks/blocks as found under tasks:, pre_tasks:, block:, rescue:, an included file… */
  loadList(data: unknown, file: string, scope: Scope, handler = false, where = 'tasks', at?: SourcePos): Node[] {
    if (data === null || data === undefined) return [];
    if (!Array.isArray(data)) {
      throw new UserError(`A malformed block was encountered while loading ${where}: the ${where} must be a list of tasks`, posOf(data) ?? at ?? { file, line: 1, col: 1 });
    }
    const nodes: Node[] = [];
    for (const [i, entry] of data.entries()) {
      // Ansible drops an empty entry (`-` alone) of a play's or file's list, not of a block's
      if (entry === null && where !== 'block' && where !== 'rescue' && where !== 'always') continue;
      const pos = posOf(entry) ?? posOfItem(data, i) ?? posOf(data) ?? { file, line: 1, col: 1 };
      if (!isMapping(entry)) {
        throw new UserError(`A malformed block was encountered while loading ${where}: ${JSON.stringify(entry)} should be a list or None but is ${typeOfPy(entry)}`, pos);
      }
      if ('block' in entry) {
        nodes.push(this.loadBlock(entry, file, scope, handler, pos));
      } else if ('rescue' in entry || 'always' in entry) {
        throw new UserError(`'${'rescue' in entry ? 'rescue' : 'always'}' is not a valid attribute for a Task: a block needs a 'block:' section`, pos);
      } else {
        nodes.push(...this.loadTask(entry, file, scope, handler, pos));
      }
    }
    return nodes;
  }

  private loadBlock(data: Record<string, unknown>, file: string, parent: Scope, handler: boolean, pos: SourcePos): BlockNode {
    for (const key of Object.keys(data)) {
      if (!BLOCK_KEYWORDS.has(key)) throw new UserError(`'${key}' is not a valid attribute for a Block`, posOfKey(data, key) ?? pos);
    }
    const scope: Scope = { kind: 'block', parent, keywords: readKeywords(data, pos, 'Block'), role: parent.role };
    return {
      kind: 'block',
      pos,
      name: typeof data.name === 'string' ? data.name : undefined,
      block: this.loadList(data.block, file, scope, handler, 'block', posOfKey(data, 'block')),
      rescue: this.loadList(data.rescue, file, scope, handler, 'rescue', posOfKey(data, 'rescue')),
      always: this.loadList(data.always, file, scope, handler, 'always', posOfKey(data, 'always')),
      scope,
    };
  }

  private loadTask(data: Record<string, unknown>, file: string, scope: Scope, handler: boolean, pos: SourcePos): Node[] {
    const keywords = handler ? HANDLER_KEYWORDS : TASK_KEYWORDS;
    const { action, args, delegateLocal } = this.findAction(data, keywords, pos);
    const resolved = this.ctx.resolveAction(action);
    if (resolved === undefined) {
      throw new UserError(
        fallbackRefusal(action) ?? `couldn't resolve module/action '${action}'. This often indicates a misspelling, missing collection, or incorrect module path.`,
        posOfKey(data, action) ?? pos,
      );
    }
    if (typeof args._raw_params === 'string' && args._raw_params !== '' && !RAW_PARAM_ACTIONS.has(resolved)) {
      throw new UserError(
        `this task '${action}' has extra params, which is only allowed in the following modules: ansible.builtin.command, ansible.builtin.shell, ansible.builtin.script, ansible.builtin.raw, include_tasks, import_tasks, include_role, import_role, include_vars, set_fact, meta, add_host, group_by`,
        pos,
      );
    }
    const owner = resolved === 'ansible.builtin.include_tasks' || resolved === 'ansible.builtin.import_tasks' ? 'TaskInclude' : /^ansible\.builtin\.(include|import)_role$/.test(resolved) ? 'IncludeRole' : 'Task';
    const kw = readKeywords(data, pos, owner);
    if (delegateLocal) kw.delegate_to = 'localhost';
    checkLiteralInts(data, pos);
    checkRegister(data, pos);

    if (resolved === 'ansible.builtin.import_tasks') return [this.importTasks(data, args, kw, file, scope, handler, pos)];
    if (resolved === 'ansible.builtin.import_role') return [this.importRole(args, kw, scope, pos)];

    const task: TaskNode = {
      kind: 'task',
      pos,
      file,
      name: data.name === undefined || data.name === null ? undefined : String(data.name),
      action,
      resolved,
      args,
      keywords: kw,
      register: typeof data.register === 'string' ? data.register : undefined,
      changedWhen: 'changed_when' in data ? asList(data.changed_when) : undefined,
      failedWhen: 'failed_when' in data ? asList(data.failed_when) : undefined,
      until: 'until' in data ? asList(data.until) : undefined,
      retries: data.retries,
      delay: data.delay,
      notify: 'notify' in data ? parseNotify(data.notify, posOfKey(data, 'notify') ?? pos) : undefined,
      listen: handler && 'listen' in data ? parseNotify(data.listen, posOfKey(data, 'listen') ?? pos) : undefined,
      async: data.async,
      poll: data.poll,
      delegateFacts: data.delegate_facts,
      scope,
      handler,
      id: this.ctx.nextId(),
    };
    if (typeof data.args === 'string' && /\{\{|\{%/.test(data.args)) task.variableArgs = data.args;
    const loop = readLoop(data, pos);
    if (loop) task.loop = loop;
    if ('loop_control' in data) {
      if (!isMapping(data.loop_control)) throw new UserError(`loop_control must be a dictionary`, posOfKey(data, 'loop_control') ?? pos);
      checkLoopControl(data.loop_control, posOfKey(data, 'loop_control') ?? pos);
      task.loopControl = data.loop_control;
    }
    return [task];
  }

  /** finds the module key of a task (the one key that is not a keyword) and its arguments */
  private findAction(data: Record<string, unknown>, keywords: Set<string>, pos: SourcePos): { action: string; args: Record<string, unknown>; delegateLocal: boolean } {
    const candidates = Object.keys(data).filter((k) => !keywords.has(k) && !k.startsWith('with_'));
    let action: string | undefined;
    let rawArgs: unknown;
    let delegateLocal = false;
    const actionKeys = ['action', 'local_action'].filter((k) => k in data);
    if (candidates.length + actionKeys.length > 1) {
      const names = [...actionKeys, ...candidates];
      throw new UserError(`conflicting action statements: ${names.join(', ')}`, pos);
    }
    if (actionKeys.length === 1) {
      delegateLocal = actionKeys[0] === 'local_action';
      const value = data[actionKeys[0]];
      if (typeof value === 'string') {
        const trimmed = value.trim();
        const space = trimmed.search(/\s/);
        action = space < 0 ? trimmed : trimmed.slice(0, space);
        rawArgs = space < 0 ? null : trimmed.slice(space + 1);
      } else if (isMapping(value) && typeof value.module === 'string') {
        action = value.module;
        const { module: _ignored, ...rest } = value;
        rawArgs = rest;
      } else {
        throw new UserError(`the ${actionKeys[0]} keyword needs a module name`, pos);
      }
    } else if (candidates.length === 1) {
      action = candidates[0];
      rawArgs = data[action];
    } else {
      throw new UserError(`no module/action detected in task.`, pos);
    }
    const resolved = this.ctx.resolveAction(action) ?? action;
    let args: Record<string, unknown>;
    if (rawArgs === null || rawArgs === undefined) args = {};
    else if (typeof rawArgs === 'string') {
      try {
        args = parseKv(rawArgs, FREE_FORM.has(resolved));
      } catch (err) {
        if (err instanceof KvSyntaxError) throw new UserError(err.message, posOfKey(data, action) ?? pos);
        throw err;
      }
    } else if (isMapping(rawArgs)) args = { ...rawArgs };
    else if (typeof rawArgs === 'number' || typeof rawArgs === 'boolean') args = { _raw_params: String(rawArgs) };
    else {
      throw new UserError(`the arguments of '${action}' must be a dictionary or a string of key=value pairs, but got a list`, posOfKey(data, action) ?? pos);
    }
    // `args: "{{ a_dict }}"`: templated per host when the task runs (TaskNode.variableArgs)
    if ('args' in data && typeof data.args === 'string' && /\{\{|\{%/.test(data.args)) return { action, args, delegateLocal };
    if ('args' in data && data.args !== null) {
      if (!isMapping(data.args)) throw new UserError(`args must be a dictionary`, posOfKey(data, 'args') ?? pos);
      args = { ...data.args, ...args };
    }
    return { action, args, delegateLocal };
  }

  private importTasks(
    data: Record<string, unknown>, args: Record<string, unknown>, kw: Keywords, file: string, scope: Scope, handler: boolean, pos: SourcePos,
  ): BlockNode {
    const given = args._raw_params ?? args.file;
    if (typeof given !== 'string' || given === '') throw new UserError(`No file specified for import_tasks`, pos);
    const target = given.includes('{{') ? this.ctx.renderStatic(given, pos) : given;
    const path = findTaskFile(target, file, scope.role, this.ctx.playbookDir);
    if (!path) throw new UserError(`Could not find or access '${target}' (searched next to ${file}${scope.role ? `, in ${join(scope.role.path, 'tasks')}` : ''} and in ${this.ctx.playbookDir})`, pos);
    if (this.ctx.importStack.includes(path)) throw new UserError(`import loop: ${path} imports itself (${[...this.ctx.importStack, path].join(' -> ')})`, pos);
    const { _raw_params: _r, file: _f, ...params } = args;
    const importScope: Scope = { kind: 'block', parent: scope, keywords: kw, role: scope.role, includeParams: Object.keys(params).length ? params : undefined };
    this.ctx.importStack.push(path);
    try {
      const body = this.loadList(loadYamlFile(path), path, importScope, handler);
      return { kind: 'block', pos, name: data.name as string | undefined, block: body, rescue: [], always: [], scope: importScope };
    } finally {
      this.ctx.importStack.pop();
    }
  }

  private importRole(args: Record<string, unknown>, kw: Keywords, scope: Scope, pos: SourcePos): BlockNode {
    const name = args.name ?? args._raw_params;
    if (typeof name !== 'string' || name === '') throw new UserError(`'name' is a required field for import_role.`, pos);
    const importScope: Scope = { kind: 'block', parent: scope, keywords: kw, role: scope.role };
    const role = this.ctx.importRole(
      {
        name,
        tasksFrom: args.tasks_from as string | undefined,
        handlersFrom: args.handlers_from as string | undefined,
        params: {},
        allowDuplicates: args.allow_duplicates === undefined ? true : args.allow_duplicates === true || args.allow_duplicates === 'yes' || args.allow_duplicates === 'true',
      },
      importScope,
      pos,
    );
    return { kind: 'block', pos, name: undefined, block: roleBlocks(role), rescue: [], always: [], scope: importScope };
  }
}

/** a role's dependency blocks then its own tasks; the executor dedups and completes roles at these blocks */
export function roleBlocks(role: RoleInstance): Node[] {
  const out: Node[] = [];
  for (const dep of role.deps) out.push(...roleBlocks(dep));
  out.push({ kind: 'block', pos: role.callPos, block: role.tasks, rescue: [], always: [], scope: role.callScope, roleRun: role });
  return out;
}

export function parseNotify(value: unknown, pos: SourcePos): string[] {
  const list = asList(value);
  return list.map((v) => {
    if (typeof v !== 'string') throw new UserError(`notify/listen entries must be strings, got ${typeOfPy(v)}`, pos);
    return v;
  });
}

function readLoop(data: Record<string, unknown>, pos: SourcePos): TaskNode['loop'] {
  const withKeys = Object.keys(data).filter((k) => k.startsWith('with_'));
  if ('loop' in data && withKeys.length) throw new UserError(`The 'loop' keyword cannot be used together with '${withKeys[0]}'`, pos);
  if (withKeys.length > 1) throw new UserError(`only one of ${withKeys.join(', ')} may be used in a task`, pos);
  if ('loop' in data) return { kind: 'loop', lookup: 'list', value: data.loop };
  if (withKeys.length === 1) return { kind: 'with', lookup: withKeys[0].slice(5), value: data[withKeys[0]] };
  return undefined;
}

/** where include_tasks/import_tasks look for a relative file */
export function findTaskFile(target: string, fromFile: string, role: RoleInstance | undefined, playbookDir: string): string | undefined {
  if (isAbsolute(target)) return existsSync(target) ? target : undefined;
  const candidates = [join(dirname(fromFile), target)];
  if (role) candidates.push(join(role.path, 'tasks', target), join(role.path, target));
  candidates.push(join(playbookDir, target));
  return candidates.find((p) => existsSync(p));
}
