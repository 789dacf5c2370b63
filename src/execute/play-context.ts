/**
 * What every task of a play needs: the templar, each host's variables in precedence order,
 * connections, file lookup as Ansible's action plugins do it, and async jobs.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Connection } from '../connection/types.js';
import { makeConnection } from '../connection/index.js';
import type { SshResolveOptions } from '../connection/ssh/resolve.js';
import { ansibleConfig } from '../config/ansible-cfg.js';
import type { PlayNode, RoleInstance, TaskNode } from '../load/model.js';
import type { ModuleResult } from '../modules/types.js';
import type { TaskInfo } from '../report/events.js';
import { Templar, OMIT_TOKEN, scopeAsDict, stripUnsafe, templar as sharedTemplar } from '../template/index.js';
import type { TemplateOptions } from '../template/api.js';
import { loadVarsNamed } from '../inventory/inventory.js';
import { isEmptyLayer, layer, merged, roleChain, roleDefaults, roleParams, roleVars, ROOT, scopeChain, scopeVars, type Vars } from '../vars/layers.js';
import { effectiveTags } from './keywords.js';
import type { AsyncJob, HostState, RunState } from './state.js';
import { VERSION } from '../version.js';
import { setOwn } from '../util/dict.js';

/** task runs are numbered across the whole run, so reporters never see a number twice */
let nextRun = 1;

/** a number per role instance, for keys of the lower-layer cache */
const roleIds = new WeakMap<RoleInstance, number>();
let nextRoleId = 1;
function roleId(role: RoleInstance): number {
  let id = roleIds.get(role);
  if (id === undefined) {
    id = nextRoleId++;
    roleIds.set(role, id);
  }
  return id;
}

export class PlayContext {
  /** one templar for the run, so each distinct template compiles once */
  readonly templar: Templar = sharedTemplar;
  /** per host: play vars + vars_files, loaded at play start */
  readonly playVars = new Map<string, Vars>();
  private readonly inventoryLayers = new Map<string, Vars>();
  private readonly searchPaths = new Map<TaskNode, TemplateOptions>();
  hostsAll: string[] = [];
  /** the hosts of the current serial batch, in the play's order (ansible_play_batch) */
  batch: string[] = [];
  /** the number of each task's current run, so reporters can tell a task's results apart */
  private taskRuns = new Map<TaskNode, number>();

  constructor(
    readonly run: RunState,
    readonly play: PlayNode,
  ) {}

  /** inventory vars for a host, in Ansible's order, cached for the play */
  inventoryVars(host: string): Vars {
    let cached = this.inventoryLayers.get(host);
    if (cached) return cached;
    const inv = this.run.inventory;
    const h = inv.hosts.get(host);
    const groups = h ? [...h.groups] : [];
    groups.sort((a, b) => inv.depth(a) - inv.depth(b) || (a < b ? -1 : 1));
    const dirs = [...inv.varDirs, this.play.playbookDir];
    let v: Vars = ROOT;
    // inventory file group vars (all → children), then group_vars/all, then group_vars/<group> …
    v = layer(v, merged(...groups.map((g) => inv.groups.get(g)?.vars)));
    v = layer(v, merged(...dirs.map((d) => loadVarsNamed(join(d, 'group_vars'), 'all'))));
    v = layer(v, merged(...groups.filter((g) => g !== 'all').flatMap((g) => dirs.map((d) => loadVarsNamed(join(d, 'group_vars'), g)))));
    v = layer(v, h?.vars);
    v = layer(v, merged(...dirs.map((d) => loadVarsNamed(join(d, 'host_vars'), host))));
    cached = v;
    this.inventoryLayers.set(host, cached);
    return cached;
  }

  private playRoleDefaultsCache?: Vars;
  private playRoleVarsCache?: Vars;
  private readonly flatInventory = new Map<string, Vars>();
  private groupsCache?: Record<string, string[]>;

  /** the inventory layers as one flat layer (they are a chain of their own), computed once per host */
  private flatInventoryVars(host: string): Vars {
    let inv = this.flatInventory.get(host);
    if (!inv) {
      inv = flatten(this.inventoryVars(host));
      this.flatInventory.set(host, inv);
    }
    return inv;
  }

  /** every variable visible to `task` on `host`, as a prototype chain (see src/vars/layers.ts) */
  varsFor(host: HostState, task?: TaskNode): Vars {
    const chain = scopeChain(task?.scope);
    const { role, parents } = roleChain(task?.scope);
    const lower = this.lowerLayers(host, role, parents);
    const { blockVars, includeParams } = scopeVars(chain);
    const taskVars = task?.keywords.vars;
    const params = role ? roleParams(role, parents) : undefined;
    const magic = this.magicVars(host, role);
    // Most tasks add nothing of their own: their variables are the same object until the host's
    // variables change (set_fact, register, include_vars) or the lower layers are rebuilt.
    const shared = isEmptyLayer(blockVars) && isEmptyLayer(taskVars) && isEmptyLayer(params) && isEmptyLayer(includeParams);
    if (shared) {
      const hit = this.upperLayerCache.get(host);
      if (hit && hit.lower === lower && hit.magic === magic && hit.varsVersion === host.varsVersion) return hit.vars;
    }
    let v = lower;
    v = layer(v, blockVars);
    v = layer(v, taskVars);
    v = layer(v, host.includeVars);
    v = layer(v, host.nonPersistent);
    v = layer(v, params);
    v = layer(v, includeParams);
    v = layer(v, this.run.options.extraVars);
    v = layer(v, magic);
    if (shared) this.upperLayerCache.set(host, { lower, magic, varsVersion: host.varsVersion, vars: v });
    return v;
  }

  private readonly upperLayerCache = new WeakMap<HostState, { lower: Vars; magic: Vars; varsVersion: number; vars: Vars }>();

  private readonly lowerLayerCache = new WeakMap<HostState, Map<string, { factsVersion: number; playVars: Vars | undefined; vars: Vars }>>();

  /**
   * Role defaults, inventory, facts, play vars and role vars: the same for every task of a role on
   * a host until the facts change, so built once (role defaults and vars are merged from the whole
   * dependency chain, inventories can hold hundreds of values) instead of at every task.
   */
  private lowerLayers(host: HostState, role: RoleInstance | undefined, parents: RoleInstance[]): Vars {
    let perHost = this.lowerLayerCache.get(host);
    if (!perHost) {
      perHost = new Map();
      this.lowerLayerCache.set(host, perHost);
    }
    const key = role ? [role, ...parents].map(roleId).join(',') : '';
    const playVars = this.playVars.get(host.name);
    const hit = perHost.get(key);
    if (hit && hit.factsVersion === host.factsVersion && hit.playVars === playVars) return hit.vars;
    let v: Vars = ROOT;
    this.playRoleDefaultsCache ??= merged(...this.play.roles.map((r) => roleDefaults(r, [])));
    v = layer(v, this.playRoleDefaultsCache);
    if (role) v = layer(v, roleDefaults(role, parents));
    v = layer(v, this.flatInventoryVars(host.name));
    v = layer(v, factVars(host.facts, host.plainFactNames));
    v = layer(v, playVars);
    this.playRoleVarsCache ??= merged(...this.play.roles.map((r) => roleVars(r, [])));
    v = layer(v, this.playRoleVarsCache);
    if (role) v = layer(v, roleVars(role, parents));
    perHost.set(key, { factsVersion: host.factsVersion, playVars, vars: v });
    return v;
  }

  private readonly magicCache = new WeakMap<HostState, Map<RoleInstance | undefined, { playHosts: string[]; batch: string[]; vars: Vars }>>();

  /** the magic variables of a host (in a role): the same object until the play's active hosts change */
  private magicVars(host: HostState, role: RoleInstance | undefined): Vars {
    // a host whose batch has not started yet has no state: it is still in the play
    const playHosts = this.hostsAll.filter((n) => this.run.hosts.get(n)?.active ?? true);
    const batch = this.batch.filter((n) => this.run.hosts.get(n)?.active ?? true);
    let perHost = this.magicCache.get(host);
    if (!perHost) {
      perHost = new Map();
      this.magicCache.set(host, perHost);
    }
    const hit = perHost.get(role);
    if (hit && sameList(hit.playHosts, playHosts) && sameList(hit.batch, batch)) return hit.vars;
    const vars = this.buildMagicVars(host, role, playHosts, batch);
    perHost.set(role, { playHosts, batch, vars });
    return vars;
  }

  private buildMagicVars(host: HostState, role: RoleInstance | undefined, playHosts: string[], batch: string[]): Vars {
    const inv = this.run.inventory;
    const h = inv.hosts.get(host.name);
    const o = this.run.options;
    const m: Vars = {
      inventory_hostname: host.name,
      inventory_hostname_short: host.name.split('.')[0],
      group_names: h ? [...h.groups].filter((g) => g !== 'all').sort() : [],
      groups: (this.groupsCache ??= inv.groupsVar()),
      hostvars: this.hostvars(),
      playbook_dir: this.play.playbookDir,
      play_hosts: batch,
      ansible_play_hosts: playHosts,
      ansible_play_batch: batch,
      ansible_play_hosts_all: this.hostsAll,
      ansible_play_name: this.play.name,
      ansible_check_mode: o.check,
      ansible_diff_mode: o.diff,
      ansible_forks: o.forks,
      ansible_verbosity: o.verbosity,
      ansible_run_tags: o.tags.length ? o.tags : ['all'],
      ansible_skip_tags: o.skipTags,
      ansible_version: { full: '2.14.18', major: 2, minor: 14, revision: 18, string: '2.14.18' },
      ansible_playbook_python: '/usr/bin/python3',
      ansible_config_file: null,
      tsplay_version: VERSION,
      omit: OMIT_TOKEN,
      role_names: this.play.roles.map((r) => r.name),
      ansible_role_names: this.play.allRoles.map((r) => r.name),
      inventory_dir: inv.sources.length ? dirname(inv.sources[0]) : null,
      inventory_file: inv.sources.length ? inv.sources[0] : null,
    };
    if (role) {
      m.role_name = role.name;
      m.role_path = role.path;
      m.ansible_role_name = role.name;
    }
    return m;
  }

  /** what hostvars[h] holds in Ansible: inventory, facts, include_vars, set_fact and extra vars, not play vars */
  hostOnlyVars(host: HostState): Vars {
    let v: Vars = ROOT;
    v = layer(v, this.flatInventoryVars(host.name));
    v = layer(v, factVars(host.facts, host.plainFactNames));
    v = layer(v, host.includeVars);
    v = layer(v, host.nonPersistent);
    v = layer(v, this.run.options.extraVars);
    const h = this.run.inventory.hosts.get(host.name);
    return layer(v, {
      inventory_hostname: host.name,
      inventory_hostname_short: host.name.split('.')[0],
      group_names: h ? [...h.groups].filter((g) => g !== 'all').sort() : [],
      playbook_dir: this.play.playbookDir,
      omit: OMIT_TOKEN,
    });
  }

  private hostvarsProxy?: Vars;
  /** hostvars[h]: all of a host's variables, computed on access */
  hostvars(): Vars {
    if (this.hostvarsProxy) return this.hostvarsProxy;
    const names = () => [...this.run.inventory.hosts.keys()];
    const target = Object.create(null) as Vars;
    // each host's values are templated in that host's own scope, as Ansible's HostVars does
    const hostView = (name: string) => scopeAsDict(this.hostOnlyVars(this.run.host(name)), this.templar);
    this.hostvarsProxy = new Proxy(target, {
      has: (_t, key) => typeof key === 'string' && names().includes(key),
      get: (_t, key) => (typeof key === 'string' && names().includes(key) ? hostView(key) : undefined),
      ownKeys: () => names(),
      getOwnPropertyDescriptor: (_t, key) =>
        typeof key === 'string' && names().includes(key) ? { enumerable: true, configurable: true, value: hostView(key) } : undefined,
    });
    return this.hostvarsProxy;
  }

  templateOptions(task: TaskNode): TemplateOptions {
    let o = this.searchPaths.get(task);
    if (!o) {
      const paths: string[] = [];
      const { role, parents } = roleChain(task.scope);
      for (const r of [role, ...parents.slice().reverse()]) if (r) paths.push(join(r.path, 'files'), join(r.path, 'templates'), join(r.path, 'vars'), r.path);
      paths.push(dirname(task.file), this.play.playbookDir, join(this.play.playbookDir, 'files'), join(this.play.playbookDir, 'templates'));
      o = { searchPath: paths };
      this.searchPaths.set(task, o);
    }
    return o;
  }

  /** finds a controller file as Ansible's action plugins do (role files/ or templates/, task dir, playbook dir) */
  findFile(task: TaskNode, kind: 'files' | 'templates' | 'vars', name: string): string | undefined {
    if (isAbsolute(name)) return existsSync(name) ? name : undefined;
    const { role, parents } = roleChain(task.scope);
    const candidates: string[] = [];
    for (const r of [role, ...parents.slice().reverse()]) {
      if (r) candidates.push(join(r.path, kind, name), join(r.path, name), join(r.path, 'tasks', name));
    }
    candidates.push(join(dirname(task.file), kind, name), join(dirname(task.file), name), join(this.play.playbookDir, kind, name), join(this.play.playbookDir, name));
    return candidates.find((p) => existsSync(p));
  }

  /** a new serial batch: its tasks are new runs */
  newBatch(): void {
    this.taskRuns = new Map();
  }

  /**
   * The task's info for a new run of it. With `shared` (free strategy), every host's run of the
   * task in this batch is one run, so its results stay together under one banner.
   */
  beginTask(task: TaskNode, shared: boolean): TaskInfo {
    if (!shared || !this.taskRuns.has(task)) this.taskRuns.set(task, nextRun++);
    return this.taskInfo(task);
  }

  taskInfo(task: TaskNode): TaskInfo {
    const { role } = roleChain(task.scope);
    const base = task.name ?? task.action;
    let title = role ? `${role.name} : ${base}` : base;
    if (ROLE_INCLUDES.has(task.resolved)) {
      // ansible-core's IncludeRole.get_name: its own name or "ACTION : ROLE", never a role prefix
      const target = (task.args as Record<string, unknown> | undefined)?.name;
      title = task.name ?? `${task.action} : ${typeof target === 'string' ? target : ''}`;
    }
    return {
      title,
      action: task.resolved,
      file: task.file,
      line: task.pos.line,
      col: task.pos.col,
      handler: task.handler ?? false,
      tags: effectiveTags(task),
      run: this.taskRuns.get(task),
    };
  }

  /**
   * The connection `host` (or the host it delegates to) runs on: one per inventory host for the
   * run, opened on first use and shared by concurrent first uses (see ConnectionPool). A delegated
   * host is reached with ITS variables, and shares the connection with its own tasks.
   */
  async connectionFor(host: HostState, delegateTo?: string): Promise<Connection> {
    if (delegateTo !== undefined && delegateTo !== host.name) {
      return this.run.connections.get(delegateTo, () => this.makeDelegated(delegateTo));
    }
    const conn = await this.run.connections.get(host.name, () => {
      const scope = this.varsFor(host);
      const vars = connectionVars(scope, this.templar);
      return makeConnection({ host: host.name, vars, override: this.connectionName(host, vars), ssh: this.sshOptions(scope) });
    });
    host.conn = conn;
    return conn;
  }

  private makeDelegated(name: string): Promise<Connection> {
    const inv = this.run.inventory;
    const known = inv.hosts.get(name);
    // the delegated host's own variables, templated in its own scope
    let scope: Vars = known ? this.inventoryVars(name) : ROOT;
    scope = layer(scope, this.run.options.extraVars);
    scope = layer(scope, { inventory_hostname: name, inventory_hostname_short: name.split('.')[0], hostvars: this.hostvars(), groups: (this.groupsCache ??= inv.groupsVar()) });
    const vars = connectionVars(scope, this.templar);
    // Ansible's implicit localhost: a local connection for a name the inventory lacks
    if (!known && (name === 'localhost' || name === '127.0.0.1')) vars.ansible_connection = 'local';
    const fromKeyword = this.play.keywords.connection;
    const fromVars = vars.ansible_connection;
    const override = typeof fromVars === 'string' && fromVars !== '' ? fromVars : fromKeyword !== undefined ? String(fromKeyword) : this.run.options.connection;
    return makeConnection({ host: name, vars, override, ssh: this.sshOptions(scope) });
  }

  /** what the ssh transport needs besides the variables: CLI flags, the play's remote_user and port, ansible.cfg */
  private sshOptions(scope: Vars): SshResolveOptions {
    const o = this.run.options;
    const keyword = (value: unknown): string | undefined =>
      value === undefined || value === null ? undefined : String(stripUnsafe(this.templar.template(value, scope, {})));
    return {
      cli: { user: o.user, privateKey: o.privateKey, timeout: o.timeout, password: o.connectionPassword, keyPassphrase: o.keyPassphrase },
      remoteUser: keyword(this.play.keywords.remote_user),
      remotePort: keyword(this.play.keywords.port),
      cfg: ansibleConfig().values,
      warn: (m) => this.run.reporter.warning(m),
    };
  }

  /** the connection plugin a host uses: ansible_connection beats the play's `connection:` keyword, which beats -c */
  connectionName(host: HostState, vars: Vars = connectionVars(this.varsFor(host), this.templar)): string | undefined {
    const fromKeyword = this.play.keywords.connection;
    const fromVars = vars.ansible_connection;
    return typeof fromVars === 'string' && fromVars !== '' ? fromVars : fromKeyword !== undefined ? String(fromKeyword) : this.run.options.connection;
  }

  /**
   * At play end: connections of hosts that failed or became unreachable, and of hosts only
   * delegated to, are closed; the play's remaining hosts keep theirs for the next play (as
   * Ansible's ControlPersist does). The run closes the rest when it ends.
   */
  async closeConnections(): Promise<void> {
    const keep = new Set(this.hostsAll.filter((n) => {
      const h = this.run.hosts.get(n);
      return h !== undefined && !h.failed && !h.unreachable;
    }));
    const closing: Promise<void>[] = [];
    for (const h of this.run.hosts.values()) {
      if (keep.has(h.name)) continue;
      h.conn = undefined;
      closing.push(this.run.connections.close(h.name));
    }
    // hosts only delegated to
    for (const name of this.run.connections.keys()) if (!this.run.hosts.has(name)) closing.push(this.run.connections.close(name));
    await Promise.all(closing);
  }

  startAsyncJob(host: string, work: () => Promise<ModuleResult>): AsyncJob {
    const id = `j${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const job: AsyncJob = { id, host, started: Date.now(), done: false, promise: Promise.resolve({}) };
    job.promise = work().then(
      (r) => {
        job.done = true;
        job.result = r;
        return r;
      },
      (err: Error) => {
        job.done = true;
        job.result = { failed: true, msg: err.message };
        return job.result;
      },
    );
    this.run.jobs.set(id, job);
    return job;
  }
}

/** ansible_facts plus the injected ansible_<fact> names (a module's unprefixed facts under their own) */
export function factVars(facts: Vars, plain: ReadonlySet<string> = new Set()): Vars {
  const out = Object.create(null) as Vars;
  out.ansible_facts = facts;
  for (const [k, v] of Object.entries(facts)) out[k.startsWith('ansible_') || plain.has(k) ? k : `ansible_${k}`] = v;
  return out;
}

/** the variables a connection reads: templated before use (`ansible_host: "{{ … }}"` is common) */
const CONNECTION_VAR = /^ansible_(connection|host|port|user|password|private_key_file|host_key_checking|ssh_\w+|docker_\w+)$/;

/** a host's variables, flat, with the connection variables templated in the host's scope */
export function connectionVars(scope: Vars, templar: Templar): Vars {
  const flat = flatten(scope);
  for (const k of Object.keys(flat)) {
    const v = flat[k];
    if (CONNECTION_VAR.test(k) && typeof v === 'string' && (v.includes('{{') || v.includes('{%'))) flat[k] = stripUnsafe(templar.template(v, scope, {}));
  }
  return flat;
}

/** a plain object holding every visible key of a prototype-chained vars object */
export function flatten(v: Vars): Vars {
  const out: Vars = {};
  for (const k in v) setOwn(out, k, v[k]);
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const ROLE_INCLUDES = new Set(['ansible.builtin.include_role', 'ansible.builtin.import_role']);
