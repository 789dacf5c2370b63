/**
 * The linear strategy: each task runs on every active host (up to `forks` at once) before the next
 * task starts; blocks route failed hosts to rescue and every host through always; includes expand
 * per group of hosts that included the same file; handlers run at the end of each section.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { BlockNode, Node, PlayNode, Scope, TaskNode } from '../load/model.js';
import type { ModuleResult } from '../modules/types.js';
import { UserError, formatPos } from '../util/errors.js';
import { TaskLoader, roleBlocks, type LoadContext } from '../load/tasks.js';
import { RoleLoader } from '../roles/loader.js';
import { isMapping, loadYamlFile } from '../load/yaml.js';
import { pyTruthy, strictBool } from '../load/keyword-types.js';
import { varsFileContents } from '../load/playbook.js';
import { matchHosts } from '../inventory/patterns.js';
import { playRoleBlocks } from '../load/playbook.js';
import { layer, merged, roleChain, ROOT, type Vars } from '../vars/layers.js';
import { effectiveTags, inherited, shouldRunTags } from './keywords.js';
import { PlayContext, flatten } from './play-context.js';
import { TaskRunner, toBool, type TaskOutcome } from './task.js';
import type { IncludeRequest } from './actions.js';
import type { HostState, RunState } from './state.js';
import { statusOf, type HostStatus } from '../report/events.js';
import { roleEntrySpec, roleTaskScope, roleWillRun, validateRoleCall } from './role-validation.js';
import { markUnsafe } from '../template/index.js';
import { orderHosts, parseOrder, parsePercent, parseSerial, parseStrategy, serialBatches, type HostOrder, type StrategyName } from './strategy/batches.js';
import { makeStrategy, type Strategy } from './strategy/strategy.js';
import { applyTaskFailures } from './strategy/failures.js';
import type { RoleInstance } from '../load/model.js';
import { assignOwn, setOwn } from '../util/dict.js';

interface Frame {
  block: BlockNode;
  phase: 'block' | 'rescue' | 'always';
}

export interface PlayLoaders {
  resolveAction(name: string): string | undefined;
}

let includeIds = 1_000_000;

export class PlayRunner {
  readonly ctx: PlayContext;
  private readonly runner: TaskRunner;
  private hosts: HostState[] = [];
  /** meta: end_play / end_batch was reached */
  private endPlay: 'play' | 'batch' | undefined;
  /** any_errors_fatal or max_fail_percentage ended the play for every host */
  private breakPlay = false;
  private strategy: Strategy = makeStrategy('linear', 1);
  private maxFailPercentage?: number;
  /** hosts whose failure a rescue section is about to handle: not (yet) failed for the batch */
  private readonly awaitingRescue = new Set<HostState>();
  /** hosts that failed inside a block with an always section: their failure is not counted in the batch */
  private readonly shielded = new Set<HostState>();
  private taskLoader?: TaskLoader;
  private roleLoader?: RoleLoader;

  constructor(
    private readonly run: RunState,
    private readonly play: PlayNode,
    private readonly loaders: PlayLoaders,
  ) {
    this.ctx = new PlayContext(run, play);
    this.runner = new TaskRunner(this.ctx);
  }

  /**
   * Runs the play, batch by batch (`serial`); false when the playbook must stop here, as Ansible
   * stops it when a batch's hosts all failed or any_errors_fatal/max_fail_percentage broke the play.
   */
  async execute(): Promise<boolean> {
    const o = this.run.options;
    const reporter = this.run.reporter;
    const pattern = this.ctx.templar.template(this.play.hosts, merged(o.extraVars), {}) as string | string[];
    const unmatched = (term: string) => reporter.warning(`Could not match supplied host pattern, ignoring: ${term}`);
    let names = matchHosts(this.run.inventory, pattern, unmatched);
    if (o.limit) {
      const allowed = new Set(matchHosts(this.run.inventory, o.limit, unmatched));
      names = names.filter((n) => allowed.has(n));
    }
    names = names.filter((n) => !this.run.failedHosts.has(n) && !this.run.unreachableHosts.has(n));
    const plan = this.planKeywords();
    if (names.length === 0) {
      reporter.playStart(this.playName(), names);
      // Ansible's plain line on stdout, not a warning
      reporter.verbose(0, 'skipping: no hosts matched');
      return true;
    }
    this.ctx.hostsAll = names;
    for (const n of names) {
      const h = this.run.hosts.get(n);
      if (h) h.ended = false;
    }
    this.strategy = makeStrategy(plan.strategy, o.forks);
    this.maxFailPercentage = plan.maxFailPercentage;
    if (plan.maxFailPercentage !== undefined && !this.strategy.lockstep) {
      reporter.warning('Using max_fail_percentage with the free strategy is not supported, as tasks are executed independently on each host');
    }
    const batches = serialBatches(orderHosts(names, plan.order), plan.serial);
    try {
      for (const batch of batches) {
        const goOn = await this.runBatch(batch);
        if (!goOn) return false;
        // meta: end_play ends the play, not only its batch
        if (this.endPlay === 'play') break;
      }
      return true;
    } finally {
      await this.ctx.closeConnections();
    }
  }

  /** one serial batch: a PLAY banner, facts, the sections and their handlers, as Ansible runs a batch */
  private async runBatch(batch: string[]): Promise<boolean> {
    const reporter = this.run.reporter;
    reporter.playStart(this.playName(), batch);
    this.ctx.batch = batch;
    this.ctx.newBatch();
    this.endPlay = undefined;
    this.breakPlay = false;
    this.awaitingRescue.clear();
    this.shielded.clear();
    this.hosts = batch.map((n) => this.run.host(n));
    for (const h of this.hosts) {
      h.notified.clear();
      h.played = true;
    }
    for (const h of this.hosts) this.ctx.playVars.set(h.name, this.loadPlayVars(h));
    const strategy = this.strategy;
    try {
      await strategy.runBatch(this.hosts, async (hosts) => {
        if (this.gatherFacts()) await this.runFactGathering(hosts);
        await this.section(this.play.preTasks, hosts);
        await this.section([...playRoleBlocks(this.play), ...this.play.tasks], hosts);
        await this.section(this.play.postTasks, hosts);
      });
    } finally {
      for (const h of this.hosts) {
        if (h.failed) this.run.failedHosts.add(h.name);
        if (h.unreachable) this.run.unreachableHosts.add(h.name);
      }
    }
    const allDown = this.hosts.every((h) => h.failed || h.unreachable);
    if (this.breakPlay && allDown) reporter.noHostsRemaining?.();
    return !this.breakPlay && !allDown;
  }

  /** serial, order, strategy and max_fail_percentage, templated with play vars and extra vars */
  private planKeywords(): { serial: Array<number | string>; order: HostOrder; strategy: StrategyName; maxFailPercentage?: number } {
    const vars = merged(this.play.keywords.vars, this.run.options.extraVars);
    const t = (v: unknown) => (v === undefined || v === null ? v : this.ctx.templar.template(v, vars, {}));
    return {
      serial: parseSerial(t(this.play.serial), this.play.pos),
      order: parseOrder(t(this.play.order), this.play.pos),
      strategy: parseStrategy(t(this.play.strategy), this.play.pos),
      maxFailPercentage: parsePercent(t(this.play.maxFailPercentage), this.play.pos),
    };
  }

  /** the play's name (its hosts when it has none), templated with play vars and extra vars as Ansible shows it */
  private playName(): string {
    if (!this.play.name.includes('{{') && !this.play.name.includes('{%')) return this.play.name;
    try {
      return String(this.ctx.templar.template(this.play.name, merged(this.play.keywords.vars, this.run.options.extraVars), {}));
    } catch {
      return this.play.name;
    }
  }

  private gatherFacts(): boolean {
    const g = this.play.gatherFacts;
    if (g === undefined || g === null) return process.env.ANSIBLE_GATHERING !== 'explicit';
    return toBool(this.ctx.templar.template(g, merged(this.run.options.extraVars), {}));
  }

  /** play vars: `vars:` then each vars_files entry (a list entry means: the first file that exists) */
  private loadPlayVars(host: HostState): Vars {
    const out = merged(this.play.keywords.vars);
    const base = layer(layer(ROOT, flatten(this.ctx.inventoryVars(host.name))), out);
    const vars = layer(base, this.run.options.extraVars);
    for (const entry of this.play.varsFiles) {
      const options = Array.isArray(entry) ? entry : [entry];
      let loaded = false;
      for (const option of options) {
        const name = String(this.ctx.templar.template(option, vars, {}));
        const path = isAbsolute(name) ? name : join(this.play.playbookDir, name);
        if (!existsSync(path)) continue;
        for (const vars of varsFileContents(loadYamlFile(path), path, this.play.pos)) assignOwn(out, vars);
        loaded = true;
        break;
      }
      if (!loaded) {
        throw new UserError(`vars file ${options.map(String).join(', ')} was not found on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option`, this.play.pos);
      }
    }
    return out;
  }

  /**
   * Role arguments of every role of the play that will run, checked before any play starts;
   * returns the failures (the caller reports those of all plays at once).
   */
  async validateUpfront(): Promise<UserError[]> {
    const o = this.run.options;
    const pattern = this.ctx.templar.template(this.play.hosts, merged(o.extraVars), {}) as string | string[];
    let names = matchHosts(this.run.inventory, pattern);
    if (o.limit) {
      const allowed = new Set(matchHosts(this.run.inventory, o.limit));
      names = names.filter((n) => allowed.has(n));
    }
    const hosts = names.map((n) => this.run.host(n));
    for (const h of hosts) this.ctx.playVars.set(h.name, this.loadPlayVars(h));
    const errors: UserError[] = [];
    // serial, order, strategy and max_fail_percentage are checked before any play runs
    try {
      this.planKeywords();
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      errors.push(err);
    }
    for (const role of this.play.allRoles) {
      if (!role.validate) continue;
      const err = await validateRoleCall(role, this.ctx, hosts, o);
      if (err) errors.push(...err);
    }
    return errors;
  }

  /** the implicit fact-gathering task, one per play: under the free strategy its hosts share it */
  private factsTask?: TaskNode;

  private async runFactGathering(hosts: HostState[]): Promise<void> {
    this.factsTask ??= {
      kind: 'task', pos: this.play.pos, file: this.play.file, name: 'Gathering Facts', action: 'gather_facts', resolved: 'ansible.builtin.gather_facts',
      args: this.play.gatherSubset === undefined ? {} : { gather_subset: this.play.gatherSubset }, keywords: { tags: ['always'] }, scope: this.play.scope, id: 0,
    };
    await this.runTask(this.factsTask, hosts.filter((h) => h.active), []);
  }

  private get stopped(): boolean {
    return this.endPlay !== undefined || this.breakPlay;
  }

  private async section(nodes: Node[], hosts: HostState[]): Promise<void> {
    if (this.stopped) return;
    await this.walk(nodes, hosts, []);
    // meta: end_play ends the play where it stands: notified handlers do not run
    if (!this.stopped) await this.flushHandlers(hosts);
  }

  private async walk(nodes: Node[], hosts: HostState[], frames: Frame[]): Promise<void> {
    for (const node of nodes) {
      if (this.stopped || this.run.interrupted) return;
      const active = hosts.filter((h) => h.active);
      if (active.length === 0) return;
      if (node.kind === 'block') await this.runBlock(node, active, frames);
      else await this.runTask(node, active, frames);
    }
  }

  private async runBlock(b: BlockNode, hosts: HostState[], frames: Frame[]): Promise<void> {
    const role = b.roleRun;
    let entered = hosts;
    if (role) {
      entered = hosts.filter((h) => !(role.completed.has(h.name) && !role.allowDuplicates));
      if (entered.length === 0) return;
    }
    const frame: Frame = { block: b, phase: 'block' };
    const inner = [...frames, frame];
    if (role?.validate) await this.runRoleValidation(role, entered, inner);
    await this.walk(b.block, entered, inner);
    const failedHere = entered.filter((h) => h.failed && !h.unreachable);
    // this block's rescue is the one that handles them (an inner block without one leaves them waiting)
    if (b.rescue.length) for (const h of entered) this.awaitingRescue.delete(h);
    if (b.rescue.length && failedHere.length) {
      for (const h of failedHere) h.failed = false;
      frame.phase = 'rescue';
      await this.walk(b.rescue, failedHere, inner);
    }
    if (b.always.length) {
      const alwaysHosts = entered.filter((h) => !h.unreachable && !h.ended);
      const wasFailed = new Map(alwaysHosts.map((h) => [h, h.failed]));
      for (const h of alwaysHosts) h.failed = false;
      frame.phase = 'always';
      await this.walk(b.always, alwaysHosts, inner);
      for (const h of alwaysHosts) h.failed = h.failed || (wasFailed.get(h) ?? false);
    }
    if (role) for (const h of entered) if (role.hadTaskRun.has(h.name)) role.completed.add(h.name);
  }

  /**
   * The task Ansible puts at the start of a role with argument specs. The verdict was already
   * given before the play started; this shows and counts it as Ansible does, and checks again
   * the values that could only be known now. Roles that --tags skips get no such task.
   */
  private async runRoleValidation(role: RoleInstance, hosts: HostState[], frames: Frame[]): Promise<void> {
    const found = await roleEntrySpec(role);
    if (!found || !roleWillRun(role, this.run.options)) return;
    const { spec, entry } = found;
    const scope = roleTaskScope(role);
    const description = spec.short_description ? ` - ${spec.short_description}` : '';
    const task: TaskNode = {
      kind: 'task', pos: role.callPos, file: role.callPos.file, name: `Validating arguments against arg spec '${entry}'${description}`,
      action: 'ansible.builtin.validate_argument_spec', resolved: 'ansible.builtin.validate_argument_spec',
      args: {
        argument_spec: spec.options ?? {},
        provided_arguments: role.params,
        validate_args_context: { type: 'role', name: role.name, argument_spec_name: entry, path: role.path },
      },
      keywords: { tags: ['always'] }, scope, id: -role.uid,
    };
    await this.runTask(task, hosts, frames);
  }

  private selected(task: TaskNode): boolean {
    const o = this.run.options;
    if (!this.run.startAtTaskReached) {
      const info = this.ctx.taskInfo(task);
      if (task.name === o.startAtTask || info.title === o.startAtTask) this.run.startAtTaskReached = true;
      else return false;
    }
    return shouldRunTags(effectiveTags(task), o.tags, o.skipTags);
  }

  private async runTask(task: TaskNode, hosts: HostState[], frames: Frame[]): Promise<void> {
    if (!this.selected(task)) return;
    const reporter = this.run.reporter;
    const strategy = this.strategy;
    const info = this.ctx.beginTask(task, !strategy.lockstep);
    let runOnce = toBool(this.templateKeyword(task, inherited(task, 'run_once'), hosts[0]) ?? false);
    if (runOnce && !strategy.lockstep) {
      reporter.warning('Using run_once with the free strategy is not currently supported. This task will still be executed for every host in the inventory list.');
      runOnce = false;
    }
    if (!strategy.lockstep && toBool(this.templateKeyword(task, inherited(task, 'any_errors_fatal'), hosts[0]) ?? false)) {
      reporter.warning('Using any_errors_fatal with the free strategy is not supported, as tasks are executed independently on each host');
    }
    const targets = runOnce ? hosts.slice(0, 1) : hosts;
    reporter.taskStart({ ...info, title: this.taskTitle(task, hosts[0]), hosts: targets.length, lockstep: strategy.lockstep });
    // throttle does not apply to a run_once task (Ansible ignores it there)
    const throttle = runOnce ? 0 : toInt(this.templateKeyword(task, inherited(task, 'throttle'), hosts[0]), task);
    // each host's result is counted and shown as soon as it is in; an interrupted task's results
    // (commands killed under it) are not the hosts' doing
    const outcomes = await strategy.fanOut(task, targets, throttle, (h) => this.runner.run(task, h), (h, outcome) => {
      if (!this.run.interrupted) this.record(task, h, outcome, frames);
    });
    if (this.run.interrupted) return;
    const includes: IncludeRequest[] = [];
    for (const outcome of outcomes) if (outcome.includes) includes.push(...outcome.includes);
    if (runOnce && task.register) {
      for (const h of hosts.slice(1)) h.setVar(task.register, registeredValue(outcomes[0].result));
    }
    if (runOnce && outcomes[0].result.ansible_facts && ['ansible.builtin.set_fact'].includes(task.resolved)) {
      for (const h of hosts.slice(1)) h.setVars(outcomes[0].result.ansible_facts as Vars);
    }
    if (outcomes.some((o) => o.result._tsplay_meta === 'end_play')) this.endPlay = 'play';
    else if (outcomes.some((o) => o.result._tsplay_meta === 'end_batch')) this.endPlay = 'batch';
    if (strategy.lockstep) this.applyFailurePolicy(task, hosts, targets, outcomes, frames, runOnce);
    if (this.stopped) return;
    const flushing = targets.filter((_, i) => outcomes[i].result._tsplay_meta === 'flush_handlers');
    if (flushing.length && !task.handler) await this.flushHandlers(flushing);
    if (includes.length) await this.runIncludes(includes, hosts, frames);
  }

  /** after a task has run on every host (linear only): any_errors_fatal, run_once, max_fail_percentage */
  private applyFailurePolicy(task: TaskNode, hosts: HostState[], targets: HostState[], outcomes: TaskOutcome[], frames: Frame[], runOnce: boolean): void {
    if (outcomes.length === 0) return;
    const verdict = applyTaskFailures({
      batch: this.hosts,
      hosts,
      failedNow: targets.filter((h, i) => (outcomes[i].result.failed && !outcomes[i].ignored && h.failed && !this.awaitingRescue.has(h) && !this.shielded.has(h)) || outcomes[i].unreachable),
      runOnce,
      anyErrorsFatal: toBool(this.templateKeyword(task, inherited(task, 'any_errors_fatal'), hosts[0]) ?? false),
      ignoreErrors: this.ignoresErrors(task, hosts[0]),
      inRescueOrAlways: frames.some((f) => f.phase !== 'block'),
      uncounted: new Set([...this.awaitingRescue, ...this.shielded]),
      maxFailPercentage: this.maxFailPercentage,
    });
    if (verdict.tooManyFailed) this.run.reporter.noHostsRemaining?.();
    if (verdict.breakPlay) this.breakPlay = true;
  }

  private taskTitle(task: TaskNode, host: HostState | undefined): string {
    const info = this.ctx.taskInfo(task);
    if (!task.name || !task.name.includes('{{') || !host) return info.title;
    try {
      const name = String(this.ctx.templar.template(task.name, this.ctx.varsFor(host, task), this.ctx.templateOptions(task)));
      return info.title.slice(0, info.title.length - task.name.length) + name;
    } catch {
      return info.title;
    }
  }

  /**
   * ignore_errors for a host's failed result. A value that is no boolean failed the task already
   * (task.ts); Ansible's strategy then reads the value as written, so a non-empty one ignores.
   */
  private ignoresErrors(task: TaskNode, host: HostState | undefined): boolean {
    const raw = inherited(task, 'ignore_errors');
    if (raw === undefined || raw === null) return false;
    const b = strictBool(this.templateKeyword(task, raw, host));
    return b.ok ? b.value : pyTruthy(raw);
  }

  private templateKeyword(task: TaskNode, value: unknown, host: HostState | undefined): unknown {
    if (value === undefined || value === null || !host) return value;
    return this.ctx.templar.template(value, this.ctx.varsFor(host, task), this.ctx.templateOptions(task));
  }

  /** counts, registers, notifies and reports one host's outcome */
  private record(task: TaskNode, host: HostState, outcome: TaskOutcome, frames: Frame[]): void {
    const reporter = this.run.reporter;
    const result = outcome.result;
    const info = this.ctx.taskInfo(task);
    if (result._tsplay_meta) return;
    if (task.resolved === 'ansible.builtin.meta') {
      // a meta task is never counted; one whose `when` is false still says it skipped
      if (result.skipped) reporter.hostResult({ host: host.name, task: info, status: 'skipped', result });
      return;
    }
    // a loop's items were reported as each finished (task.ts)
    let status: HostStatus = statusOf(result);
    const stats = host.stats;
    let ignored = false;
    if (outcome.unreachable) {
      status = 'unreachable';
      stats.unreachable++;
      host.unreachable = true;
    } else if (result.failed) {
      const ignoreErrors = this.ignoresErrors(task, host);
      if (ignoreErrors) {
        ignored = true;
        stats.ok++;
        stats.ignored++;
        if (result.changed) stats.changed++;
      } else {
        const rescuable = frames.some((f) => f.phase === 'block' && f.block.rescue.length > 0);
        if (rescuable) {
          stats.rescued++;
          this.awaitingRescue.add(host);
        } else {
          stats.failed++;
          if (frames.some((f) => f.phase !== 'always' && f.block.always.length > 0)) this.shielded.add(host);
        }
        host.failed = true;
        host.setVars({ ansible_failed_task: { name: task.name ?? task.action, action: task.action }, ansible_failed_result: result });
      }
    } else if (result.skipped) {
      stats.skipped++;
    } else if (task.resolved === 'ansible.builtin.include_role') {
      // Ansible does not count include_role itself, only what it runs
    } else if ((task.resolved === 'ansible.builtin.include_tasks' || task.resolved === 'ansible.builtin.include') && outcome.items) {
      // one `included:` per item, each counted
      stats.ok += outcome.items.filter((i) => !i.result.skipped && !i.result.failed).length;
    } else {
      stats.ok++;
      if (result.changed) stats.changed++;
    }
    if (!outcome.items || status !== 'skipped' || outcome.items.length === 0) {
      reporter.hostResult({ host: host.name, task: info, status, result, ignored, noLog: outcome.noLog, delegatedTo: outcome.delegatedTo, hasItem: false });
    } else if (outcome.items) {
      reporter.hostResult({ host: host.name, task: info, status, result, ignored, noLog: outcome.noLog, hasItem: false });
    }
    // a registered result is data from the host: never templated again, however it is reached
    if (task.register && !outcome.unreachable) host.setVar(task.register, registeredValue(result));
    const { role } = roleOf(task.scope);
    if (role && status !== 'skipped' && status !== 'unreachable') role.hadTaskRun.add(host.name);
    if (result.changed && !result.failed && task.notify) this.notify(task, host);
  }

  private notify(task: TaskNode, host: HostState): void {
    for (const raw of task.notify ?? []) {
      const name = String(this.templateKeyword(task, raw, host));
      // a name notifies one handler: the notifying task's role's (or its parents') first, else
      // the first in the play; `listen` topics notify every listener
      const named = this.play.handlers.filter((h) => handlerNamed(h, name, this));
      const { role: own, parents } = roleChain(task.scope);
      const byName =
        named.find((h) => own !== undefined && roleOf(h.scope).role === own) ??
        named.find((h) => parents.includes(roleOf(h.scope).role as RoleInstance)) ??
        named[0];
      const matches = [...(byName ? [byName] : []), ...this.play.handlers.filter((h) => (h.listen ?? []).includes(name) && h !== byName)];
      if (matches.length === 0) {
        throw new UserError(`The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list`, task.pos);
      }
      for (const h of matches) host.notified.add(h);
    }
  }

  handlerName(h: TaskNode, host?: HostState): string | undefined {
    if (h.name === undefined) return undefined;
    if (!h.name.includes('{{')) return h.name;
    try {
      return String(this.ctx.templar.template(h.name, this.ctx.varsFor(host ?? this.hosts[0], h), this.ctx.templateOptions(h)));
    } catch {
      return h.name;
    }
  }

  /** runs the notified handlers of `hosts` (all the play's hosts unless told) */
  private async flushHandlers(hosts: HostState[] = this.hosts): Promise<void> {
    for (let guard = 0; guard < 100; guard++) {
      let ranAny = false;
      for (const handler of this.play.handlers) {
        const force = this.run.options.forceHandlers || toBool(this.play.forceHandlers ?? false);
        const targets = hosts.filter((h) => h.notified.has(handler) && (h.active || (force && h.failed && !h.unreachable)));
        if (targets.length === 0) continue;
        for (const h of targets) h.notified.delete(handler);
        ranAny = true;
        const wasFailed = new Map(targets.map((h) => [h, h.failed]));
        if (force) for (const h of targets) h.failed = false;
        await this.runTask(handler, targets, []);
        if (force) for (const h of targets) h.failed = h.failed || (wasFailed.get(h) ?? false);
      }
      if (!ranAny || !hosts.some((h) => h.notified.size > 0)) return;
    }
  }

  private loadContext(): LoadContext {
    return {
      playbookDir: this.play.playbookDir,
      resolveAction: this.loaders.resolveAction,
      importRole: (spec, scope, pos) =>
        this.roles().load({ name: spec.name, params: spec.params, keywords: {}, callVars: {}, pos, tasksFrom: spec.tasksFrom, handlersFrom: spec.handlersFrom, fromInclude: true, allowDuplicates: spec.allowDuplicates, callKind: 'import_role' }, scope),
      renderStatic: (value) => String(this.ctx.templar.template(value, merged(this.play.keywords.vars, this.run.options.extraVars), {})),
      nextId: () => ++includeIds,
      importStack: [],
    };
  }

  private tasks(): TaskLoader {
    this.taskLoader ??= new TaskLoader(this.loadContext());
    return this.taskLoader;
  }

  private roles(): RoleLoader {
    this.roleLoader ??= new RoleLoader(this.play, () => this.tasks());
    return this.roleLoader;
  }

  /** dynamic includes: hosts that included the same thing with the same params run it together */
  private async runIncludes(requests: IncludeRequest[], hosts: HostState[], frames: Frame[]): Promise<void> {
    const groups = new Map<string, { req: IncludeRequest; hosts: HostState[] }>();
    for (const req of requests) {
      const key = JSON.stringify([req.kind, req.target, req.params, req.loopVars ?? null, req.tasksFrom ?? null]);
      const g = groups.get(key) ?? { req, hosts: [] };
      const h = hosts.find((x) => x.name === req.host);
      if (h && !g.hosts.includes(h)) g.hosts.push(h);
      groups.set(key, g);
    }
    for (const { req, hosts: groupHosts } of groups.values()) {
      const task = req.task;
      const includeParams = merged(req.params, task.keywords.vars, req.loopVars);
      const included = req.kind === 'tasks' ? req.target : `role ${req.target}`;
      const scope: Scope = { kind: 'include', parent: task.scope, keywords: req.apply, role: task.scope.role, includeParams, included };
      const loop = includeLoop(task.scope, included);
      if (loop) {
        for (const h of groupHosts) this.record(task, h, { result: { failed: true, msg: loop } }, frames);
        continue;
      }
      let nodes: Node[];
      try {
        if (req.kind === 'tasks') {
          nodes = this.tasks().loadList(loadYamlFile(req.target), req.target, scope, false, 'included tasks');
        } else {
          const role = this.roles().load(
            { name: req.target, params: {}, keywords: {}, callVars: {}, pos: task.pos, tasksFrom: req.tasksFrom, handlersFrom: req.handlersFrom, varsFrom: req.varsFrom, defaultsFrom: req.defaultsFrom, fromInclude: true, rolespecValidate: req.rolespecValidate, allowDuplicates: req.allowDuplicates, callKind: 'include_role' },
            scope,
          );
          for (const hd of role.handlers) if (!this.play.handlers.includes(hd)) this.play.handlers.push(hd);
          for (const dep of role.deps) for (const hd of dep.handlers) if (!this.play.handlers.includes(hd)) this.play.handlers.push(hd);
          // its argument validation is the role's own first task (runRoleValidation), as in Ansible:
          // the include's ignore_errors does not cover it, and a rescue sees its argument_errors
          nodes = roleBlocks(role);
        }
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        for (const h of groupHosts) {
          this.record(task, h, { result: { failed: true, msg: `${err.message}${err.pos ? ` (${formatPos(err.pos)})` : ''}` } }, frames);
        }
        continue;
      }
      await this.walk(nodes, groupHosts.filter((h) => h.active), frames);
    }
  }
}

/**
 * How many times one file (or role) may be included within itself. Ansible includes it again for
 * as long as the includes go on (forever when nothing stops them, printing as it goes); a
 * recursion that ends by a `when` needs far fewer levels than this.
 */
export const MAX_SELF_INCLUDES = 50;

/** the message when `included` is already included MAX_SELF_INCLUDES times around `scope` */
function includeLoop(scope: Scope | undefined, included: string): string | undefined {
  const chain: string[] = [];
  for (let s = scope; s; s = s.parent) if (s.included !== undefined) chain.unshift(s.included);
  if (chain.filter((c) => c === included).length < MAX_SELF_INCLUDES) return undefined;
  const cycle = [...chain.slice(chain.lastIndexOf(included)), included];
  return `include loop: ${included} includes itself (${cycle.join(' -> ')}), and is now included ${MAX_SELF_INCLUDES} times within itself; tsplay stops here instead of including it forever`;
}

function handlerNamed(h: TaskNode, name: string, runner: PlayRunner): boolean {
  const own = runner.handlerName(h);
  if (own === name) return true;
  const { role } = roleOf(h.scope);
  return role !== undefined && own !== undefined && `${role.name} : ${own}` === name;
}

function roleOf(scope: Scope | undefined) {
  for (let s = scope; s; s = s.parent) if (s.role) return { role: s.role };
  return { role: undefined };
}

/** what `register` stores: the result without internal keys, and (at the top only) without `invocation`, as Ansible's strategy does */
function registeredValue(result: ModuleResult): unknown {
  const value = stripInternal(result);
  delete value.invocation;
  return markUnsafe(value);
}

/** internal keys (tsplay's and Ansible's _ansible_*) are not part of a registered value */
export function stripInternal(result: ModuleResult): ModuleResult {
  const out: ModuleResult = {};
  for (const [k, v] of Object.entries(result)) {
    if (k.startsWith('_tsplay') || k.startsWith('_ansible')) continue;
    setOwn(out, k, k === 'results' && Array.isArray(v) ? v.map((r) => (r && typeof r === 'object' ? stripInternal(r as ModuleResult) : r)) : v);
  }
  if (out.failed === undefined && !out.skipped) out.failed = false;
  return out;
}

/** `throttle`: an integer (0 = no limit), as Ansible converts it */
function toInt(value: unknown, task: TaskNode): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n)) throw new UserError(`Failed to convert the throttle value to an integer.`, task.pos, 1);
  return n;
}
