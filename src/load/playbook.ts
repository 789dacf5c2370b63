/**
 * Playbook files → PlayNode[]. Roles and static imports are resolved here, so every load error
 * (unknown module, missing role, dependency cycle, bad keyword) is reported before anything runs.
 */
import { dirname, resolve } from 'node:path';
import { UserError, type SourcePos } from '../util/errors.js';
import { isMapping, loadYamlFile, posOf, posOfItem, posOfKey } from './yaml.js';
import { pyRepr } from '../template/values.js';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pyStr } from '../template/values.js';
import { asList, readKeywords, roleBlocks, TaskLoader, typeOfPy, type LoadContext } from './tasks.js';
import { flattenHandlers, parseRoleCall, RoleLoader } from '../roles/loader.js';
import type { PlayNode, Playbook, Scope } from './model.js';

const PLAY_KEYWORDS = new Set([
  'any_errors_fatal', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'check_mode', 'collections',
  'connection', 'debugger', 'diff', 'environment', 'fact_path', 'force_handlers', 'gather_facts', 'gather_subset',
  'gather_timeout', 'handlers', 'hosts', 'ignore_errors', 'ignore_unreachable', 'max_fail_percentage', 'module_defaults',
  'name', 'no_log', 'order', 'port', 'post_tasks', 'pre_tasks', 'remote_user', 'roles', 'run_once', 'serial', 'strategy',
  'tags', 'tasks', 'throttle', 'timeout', 'vars', 'vars_files', 'vars_prompt',
]);

export interface PlaybookLoadOptions {
  resolveAction(name: string): string | undefined;
  /** renders a static string (import paths) with extra vars and play vars */
  renderStatic(value: string, vars: Record<string, unknown>, pos: SourcePos): string;
  extraVars: Record<string, unknown>;
}

let taskIds = 0;

export function loadPlaybook(file: string, opts: PlaybookLoadOptions, stack: string[] = []): Playbook {
  const path = resolve(file);
  const dir = dirname(path);
  if (stack.includes(path)) throw new UserError(`import_playbook loop: ${[...stack, path].join(' -> ')}`);
  const data = loadYamlFile(path);
  if (data === null || data === undefined) return { file: path, dir, plays: [] };
  if (!Array.isArray(data)) {
    throw new UserError(`A playbook must be a list of plays, got a ${typeOfPy(data)} instead`, posOf(data) ?? { file: path, line: 1, col: 1 });
  }
  const plays: PlayNode[] = [];
  for (const [i, entry] of data.entries()) {
    const pos = posOf(entry) ?? posOfItem(data, i) ?? { file: path, line: 1, col: 1 };
    if (!isMapping(entry)) throw new UserError(`playbook entries must be either valid plays or 'import_playbook' statements`, pos);
    const importKey = ['import_playbook', 'ansible.builtin.import_playbook'].find((k) => k in entry);
    if (importKey) {
      let target = entry[importKey];
      if (typeof target !== 'string') throw new UserError(`import_playbook needs a file name`, pos);
      if (target.includes('{{')) target = opts.renderStatic(target, opts.extraVars, pos);
      const sub = loadPlaybook(resolve(dir, target as string), opts, [...stack, path]);
      plays.push(...sub.plays);
      continue;
    }
    plays.push(loadPlay(entry, path, dir, pos, opts));
  }
  return { file: path, dir, plays };
}

function loadPlay(data: Record<string, unknown>, file: string, playbookDir: string, pos: SourcePos, opts: PlaybookLoadOptions): PlayNode {
  for (const key of Object.keys(data)) {
    if (!PLAY_KEYWORDS.has(key)) throw new UserError(`'${key}' is not a valid attribute for a Play`, posOfKey(data, key) ?? pos);
  }
  if (!('hosts' in data) || data.hosts === null) {
    throw new UserError(`the field 'hosts' is required but was not set`, pos);
  }
  if (data.hosts === '' || (Array.isArray(data.hosts) && data.hosts.length === 0)) {
    throw new UserError(`Hosts list cannot be empty. Please check your playbook`, posOfKey(data, 'hosts') ?? pos);
  }
  const hosts = data.hosts;
  const badHost = Array.isArray(hosts) ? hosts.find((h) => h === null || typeof h === 'object') : undefined;
  if (badHost !== undefined) {
    throw new UserError(`Hosts list contains an invalid host value: '${pyRepr(badHost)}'`, posOfKey(data, 'hosts') ?? pos);
  }
  if (typeof hosts !== 'string' && !Array.isArray(hosts)) {
    throw new UserError(`Hosts list must be a sequence or string. Please check your playbook.`, posOfKey(data, 'hosts') ?? pos);
  }
  const keywords = readKeywords(data, pos, 'Play');
  const scope: Scope = { kind: 'play', keywords };
  const play: PlayNode = {
    pos,
    file,
    name: data.name === undefined || data.name === null ? (Array.isArray(hosts) ? hosts.join(',') : String(hosts)) : String(data.name),
    hosts,
    keywords,
    gatherFacts: data.gather_facts,
    gatherSubset: data.gather_subset,
    varsFiles: asList(data.vars_files),
    scope,
    preTasks: [],
    roles: [],
    tasks: [],
    postTasks: [],
    handlers: [],
    forceHandlers: data.force_handlers,
    serial: data.serial,
    strategy: data.strategy,
    order: data.order,
    maxFailPercentage: data.max_fail_percentage,
    allRoles: [],
    roleCache: new Map(),
    playbookDir,
  };
  checkVarsFiles(play, data);
  const staticVars = { ...(keywords.vars ?? {}), ...opts.extraVars };
  const ctx: LoadContext = {
    playbookDir,
    resolveAction: opts.resolveAction,
    importRole: (spec, importScope, ipos) =>
      roles.load({ name: spec.name, params: spec.params, keywords: {}, callVars: {}, pos: ipos, tasksFrom: spec.tasksFrom, handlersFrom: spec.handlersFrom, fromInclude: true, allowDuplicates: spec.allowDuplicates, callKind: 'import_role' }, importScope),
    renderStatic: (value, spos) => opts.renderStatic(value, staticVars, spos),
    nextId: () => ++taskIds,
    importStack: [file],
  };
  const loader = new TaskLoader(ctx);
  const roles = new RoleLoader(play, () => loader);

  play.preTasks = loader.loadList(data.pre_tasks, file, scope, false, 'pre_tasks', posOfKey(data, 'pre_tasks'));
  const roleEntries = data.roles ?? [];
  if (!Array.isArray(roleEntries)) throw new UserError(`A malformed role declaration was encountered: roles must be a list`, posOfKey(data, 'roles') ?? pos);
  for (const [i, entry] of roleEntries.entries()) {
    const call = parseRoleCall(entry, posOf(entry) ?? posOfItem(roleEntries, i) ?? posOfKey(data, 'roles') ?? pos);
    play.roles.push(roles.load(call, scope));
  }
  play.tasks = loader.loadList(data.tasks, file, scope, false, 'tasks', posOfKey(data, 'tasks'));
  play.postTasks = loader.loadList(data.post_tasks, file, scope, false, 'post_tasks', posOfKey(data, 'post_tasks'));
  const playHandlers = flattenHandlers(loader.loadList(data.handlers, file, scope, true, 'handlers', posOfKey(data, 'handlers')));
  // role handlers come first, in role order, then the play's own (Ansible's handler order)
  const roleHandlers = play.allRoles.flatMap((r) => r.handlers);
  play.handlers = [...roleHandlers, ...playHandlers];
  return play;
}

/**
 * The mappings a vars_files file holds, applied in order: Ansible takes one mapping or a list of
 * mappings (later ones win); anything else stops the run.
 */
export function varsFileContents(data: unknown, path: string, at: SourcePos): Array<Record<string, unknown>> {
  if (data === null || data === undefined) return [];
  const list = Array.isArray(data) ? data : [data];
  for (const item of list) {
    if (!isMapping(item)) {
      throw new UserError(
        `variable files must contain either a dictionary of variables, or a list of dictionaries. Got: ${pyStr(data)} (${typeOfPy(data)}) in ${path}`,
        posOf(data) ?? at,
      );
    }
  }
  return list as Array<Record<string, unknown>>;
}

/** a vars_files entry without templating must exist now, and hold variables: reported before anything runs */
function checkVarsFiles(play: PlayNode, data: Record<string, unknown>): void {
  const list = Array.isArray(data.vars_files) ? data.vars_files : [];
  play.varsFiles.forEach((entry, i) => {
    const options = Array.isArray(entry) ? entry : [entry];
    if (options.some((o) => o === null || typeof o === 'object')) {
      throw new UserError(
        `Invalid vars_files entry found: ${pyRepr(entry)}\nvars_files entries should be either a string type or a list of string types after template expansion`,
        posOfItem(list, i) ?? posOfKey(data, 'vars_files') ?? play.pos,
      );
    }
    if (options.some((o) => typeof o !== 'string' || o.includes('{{'))) return;
    const found = (options as string[]).map((o) => (isAbsolute(o) ? o : join(play.playbookDir, o))).find((p) => existsSync(p));
    if (found !== undefined) varsFileContents(loadYamlFile(found), found, posOfItem(list, i) ?? play.pos);
    else {
      throw new UserError(
        `vars file ${options.join(', ')} was not found on the Ansible Controller (searched in ${play.playbookDir})`,
        posOfItem(list, i) ?? posOfKey(data, 'vars_files') ?? play.pos,
      );
    }
  });
}

/** the blocks `roles:` expands to, in order, dependencies first */
export function playRoleBlocks(play: PlayNode) {
  return play.roles.flatMap((r) => roleBlocks(r));
}
