/** Per-run and per-host state shared by the play runner, the task runner and the actions. */
import type { Connection } from '../connection/types.js';
import { ConnectionPool } from '../connection/pool.js';
import type { Inventory } from '../inventory/inventory.js';
import type { TaskNode } from '../load/model.js';
import type { ModuleResult } from '../modules/types.js';
import { emptyStats, type HostStats, type Reporter } from '../report/events.js';
import type { Vars } from '../vars/layers.js';
import { assignOwn, setOwn } from '../util/dict.js';

export interface RunOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  verbosity: number;
  tags: string[];
  skipTags: string[];
  limit?: string;
  startAtTask?: string;
  /** -c/--connection: overrides the default transport */
  connection?: string;
  extraVars: Vars;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  user?: string;
  privateKey?: string;
  timeout?: number;
  /** -k / --connection-password-file (never logged) */
  connectionPassword?: string;
  /** --private-key-passphrase-file (never logged) */
  keyPassphrase?: string;
  /** -K / --become-password-file (never logged) */
  becomePassword?: string;
  forceHandlers: boolean;
  flushCache?: boolean;
}

export class HostState {
  /**
   * gathered and set_fact(cacheable) facts. Change them only through addFacts/clearFacts: the
   * variable layers below the task (play-context.ts) are cached until factsVersion moves.
   */
  readonly facts: Vars = Object.create(null) as Vars;
  factsVersion = 0;
  factsGathered = false;

  /**
   * Fact names a module returned without the `ansible_` prefix (service_facts' `services`,
   * getent's `getent_passwd`, a cacheable set_fact): Ansible injects those as variables under
   * their own name, where tsplay's own setup facts (kept unprefixed) become `ansible_<name>`.
   */
  readonly plainFactNames = new Set<string>();

  addFacts(facts: Vars): void {
    assignOwn(this.facts, facts);
    this.factsVersion++;
  }

  /**
   * Facts as a module returns them (ansible_facts of its result): under ansible_facts without
   * an `ansible_` prefix, as Ansible's namespacing does, and as variables under the name given.
   */
  addModuleFacts(facts: Vars): void {
    for (const [k, v] of Object.entries(facts)) {
      if (k.startsWith('ansible_') && k !== 'ansible_local') {
        this.facts[k.slice('ansible_'.length)] = v;
        this.plainFactNames.delete(k.slice('ansible_'.length));
      } else {
        this.facts[k] = v;
        this.plainFactNames.add(k);
      }
    }
    this.factsVersion++;
  }

  clearFacts(): void {
    for (const k of Object.keys(this.facts)) delete this.facts[k];
    this.plainFactNames.clear();
    this.factsVersion++;
  }

  /**
   * set_fact and register results: they outlive the play, as in Ansible. Change them (and
   * includeVars) only through setVar/setVars/addIncludeVars: play-context.ts caches the variables
   * of a task until varsVersion moves.
   */
  readonly nonPersistent: Vars = Object.create(null) as Vars;
  /** include_vars results */
  readonly includeVars: Vars = Object.create(null) as Vars;
  varsVersion = 0;

  setVar(name: string, value: unknown): void {
    setOwn(this.nonPersistent, name, value);
    this.varsVersion++;
  }

  setVars(values: Vars): void {
    assignOwn(this.nonPersistent, values);
    this.varsVersion++;
  }

  addIncludeVars(values: Vars): void {
    assignOwn(this.includeVars, values);
    this.varsVersion++;
  }
  /** the host failed (a task failed without ignore_errors and was not rescued) */
  failed = false;
  unreachable = false;
  /** meta: end_host / end_play for this host */
  ended = false;
  notified = new Set<TaskNode>();
  /** the host has been in a batch of a play: only such hosts are in the recap */
  played = false;
  conn?: Connection;
  stats: HostStats = emptyStats();

  constructor(readonly name: string) {}

  get active(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}

export interface AsyncJob {
  id: string;
  host: string;
  started: number;
  done: boolean;
  result?: ModuleResult;
  promise: Promise<ModuleResult>;
}

export class RunState {
  readonly hosts = new Map<string, HostState>();
  readonly jobs = new Map<string, AsyncJob>();
  /** every host's connection, one each for the whole run */
  readonly connections = new ConnectionPool();
  /** hosts that failed or became unreachable in an earlier play are left out of later plays */
  readonly failedHosts = new Set<string>();
  readonly unreachableHosts = new Set<string>();
  startAtTaskReached: boolean;
  /** aborted when the run is interrupted (SIGINT/SIGTERM): no new task starts */
  readonly stop = new AbortController();

  constructor(
    readonly options: RunOptions,
    readonly inventory: Inventory,
    readonly reporter: Reporter,
  ) {
    this.startAtTaskReached = !options.startAtTask;
  }

  get interrupted(): boolean {
    return this.stop.signal.aborted;
  }

  host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      h = new HostState(name);
      this.hosts.set(name, h);
    }
    return h;
  }
}
