/**
 * Runs one task on one host: `when`, loops, templated arguments, the action or module, `until`,
 * `changed_when`/`failed_when`, and the result shape Ansible registers.
 */
import type { Connection, BecomeOptions } from '../connection/types.js';
import { BecomeProgramMissing, UnreachableError } from '../connection/types.js';
import { becomeMethodProblem } from './become-check.js';
import type { TaskNode } from '../load/model.js';
import type { ModuleResult, ModuleContext } from '../modules/types.js';
import { findModule } from '../modules/registry.js';
import { targetEnvironment, wantsExpansion } from '../modules/target-env.js';
import { planCommand, type CommandArgs } from '../modules/builtin/command-core.js';
import { startCommandOnTarget } from './async-target.js';
import { intKeyword, invalidFieldMessage, isTemplated, KeywordTypeError, strictBool } from '../load/keyword-types.js';

/** modules whose async jobs run detached on the target: name → uses a shell */
const ON_TARGET_ASYNC = new Map([
  ['ansible.builtin.command', false],
  ['ansible.builtin.shell', true],
]);
import { fallbackModule } from '../modules/fallback/index.js';
import { compileArgSpec } from '../argspec/index.js';
import { OMIT_TOKEN, TemplateError, UndefinedError, VaultValueError, isUnsafe, markUnsafe, stripUnsafe } from '../template/index.js';
import { isDict, pyStr } from '../template/values.js';
import { UserError, formatPos } from '../util/errors.js';
import { allConditions, environments, inherited } from './keywords.js';
import { layer, type Vars } from '../vars/layers.js';
import { statusOf } from '../report/events.js';
import type { HostState } from './state.js';
import type { PlayContext } from './play-context.js';
import { moduleFailure, unexpectedFailure } from './fault.js';
import { maskText, removeValues } from './secrets.js';
import { runAction, ENGINE_ACTIONS, type ActionOutcome, type IncludeRequest } from './actions.js';
import { assignOwn, setOwn } from '../util/dict.js';

export interface ItemOutcome {
  item: unknown;
  label: unknown;
  result: ModuleResult;
}

export interface TaskOutcome {
  /** the result as registered (for loops: {results, changed, msg, skipped}) */
  result: ModuleResult;
  items?: ItemOutcome[];
  includes?: IncludeRequest[];
  unreachable?: boolean;
  /** the task failed and ignore_errors made it count as ok+ignored */
  ignored?: boolean;
  noLog?: boolean;
  delegatedTo?: string;
}

const FACT_ACTIONS = new Set(['ansible.builtin.set_fact', 'ansible.builtin.include_vars']);

const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export class TaskRunner {
  constructor(private readonly play: PlayContext) {}

  /**
   * The fault boundary of a task on a host: whatever is thrown while it runs becomes this host's
   * result (failed, or unreachable for transport errors), so ignore_errors, rescue and the other
   * hosts carry on as Ansible's do.
   */
  async run(task: TaskNode, host: HostState): Promise<TaskOutcome> {
    try {
      return await this.runGuarded(task, host);
    } catch (err) {
      if (err instanceof UnreachableError) return { result: { unreachable: true, msg: err.message, changed: false }, unreachable: true };
      let noLog = false;
      try {
        noLog = this.bool(inherited(task, 'no_log'), this.play.varsFor(host, task), task, false);
      } catch {
        // an unreadable no_log hides the result: the safe side
        noLog = true;
      }
      if (err instanceof TemplateError || err instanceof UserError || err instanceof KeywordTypeError) {
        return { result: { failed: true, msg: taskErrorMessage(task, err as Error) }, noLog };
      }
      if (err instanceof BecomeProgramMissing) return { result: moduleFailure(err), noLog };
      return { result: unexpectedFailure(err), noLog };
    }
  }

  private async runGuarded(task: TaskNode, host: HostState): Promise<TaskOutcome> {
    const baseVars = this.play.varsFor(host, task);
    const t = this.play.templar;
    const opts = this.play.templateOptions(task);
    const noLog = this.bool(inherited(task, 'no_log'), baseVars, task, false);
    if (!task.loop) {
      if (!this.conditionsHold(task, baseVars)) return { result: skippedResult(task, this.falseCondition), noLog };
      const once = await this.runOnce(task, host, baseVars);
      return { ...once, noLog: noLog || once.noLog };
    }
    let items: unknown[];
    try {
      items = this.loopItems(task, baseVars);
    } catch (err) {
      // Ansible keeps a loop it cannot evaluate for an undefined variable and checks `when` first,
      // without the loop variable: a false condition skips the task (a role looping over a
      // registered result of a task that was itself skipped); otherwise the loop's error stands
      if (!(err instanceof UndefinedError)) throw err;
      let holds = true;
      try {
        holds = this.conditionsHold(task, baseVars);
      } catch {
        throw err;
      }
      if (!holds) return { result: skippedResult(task, this.falseCondition), noLog };
      throw err;
    }
    // label is templated per item; the other loop_control options once
    const { label: _label, ...lcRaw } = task.loopControl ?? {};
    const lc = stripUnsafe(t.template(lcRaw, baseVars, opts)) as Record<string, unknown>;
    const hasLabel = task.loopControl !== undefined && 'label' in task.loopControl;
    let loopVars = baseVars;
    const loopFacts: Vars = Object.create(null) as Vars;
    const loopVar = typeof lc.loop_var === 'string' ? lc.loop_var : 'item';
    const indexVar = typeof lc.index_var === 'string' ? lc.index_var : undefined;
    const pauseMs = typeof lc.pause === 'number' ? lc.pause * 1000 : 0;
    const outcomes: ItemOutcome[] = [];
    const includes: IncludeRequest[] = [];
    const info = this.play.taskInfo(task);
    let anyUnreachable = false;
    for (let i = 0; i < items.length; i++) {
      if (this.play.run.interrupted) break;
      const item = items[i];
      const itemVars: Vars = { [loopVar]: item, ansible_loop_var: loopVar };
      if (indexVar) {
        itemVars[indexVar] = i;
        itemVars.ansible_index_var = indexVar;
      }
      if (lc.extended) {
        const loopInfo: Record<string, unknown> = {
          allitems: items, index: i + 1, index0: i, revindex: items.length - i, revindex0: items.length - i - 1,
          first: i === 0, last: i === items.length - 1, length: items.length,
        };
        // at the edges Ansible leaves previtem/nextitem out, so they are undefined, not None
        if (i > 0) loopInfo.previtem = items[i - 1];
        if (i < items.length - 1) loopInfo.nextitem = items[i + 1];
        itemVars.ansible_loop = loopInfo;
      }
      const vars = layer(loopVars, itemVars);
      const label = hasLabel ? t.template(task.loopControl?.label, vars, opts) : item;
      let result: ModuleResult;
      let itemDelegate: string | undefined;
      if (!this.conditionsHold(task, vars)) {
        result = skippedResult(task, this.falseCondition);
      } else {
        const once = await this.runOnce(task, host, vars);
        result = once.result;
        itemDelegate = once.delegatedTo;
        // set_fact/include_vars results are visible to the next items, as in Ansible
        const facts = result.ansible_facts;
        // (one layer holding every fact set so far, not a layer per item: a prototype chain that
        // grew with each item made every lookup, and so the whole loop, quadratic)
        if (facts && typeof facts === 'object' && FACT_ACTIONS.has(task.resolved)) {
          assignOwn(loopFacts, facts as Vars);
          loopVars = layer(baseVars, loopFacts);
        }
        if (once.includes) includes.push(...once.includes);
        if (once.unreachable) anyUnreachable = true;
      }
      const shaped: ModuleResult = { ...result, [loopVar]: item, ansible_loop_var: loopVar };
      if (indexVar) {
        shaped[indexVar] = i;
        shaped.ansible_index_var = indexVar;
      }
      if (hasLabel) shaped._ansible_item_label = label;
      outcomes.push({ item, label, result: shaped });
      // each item is shown as it finishes, as Ansible does: a long loop shows its progress
      this.play.run.reporter.hostResult({
        host: host.name, task: info, status: statusOf(shaped), result: shaped, item: label, hasItem: true, noLog, delegatedTo: itemDelegate,
      });
      if (anyUnreachable) break;
      if (pauseMs && i < items.length - 1) await new Promise((r) => setTimeout(r, pauseMs));
    }
    const results = outcomes.map((o) => o.result);
    const allSkipped = results.length === 0 || results.every((r) => r.skipped);
    const anyFailed = results.some((r) => r.failed && !r._ansible_ignored);
    // key order matters: to_json shows it
    const aggregate: ModuleResult =
      results.length === 0
        ? { changed: false, skipped: true, skipped_reason: 'No items in the list', results }
        : { changed: results.some((r) => r.changed === true), msg: anyFailed ? 'One or more items failed' : 'All items completed', results, skipped: allSkipped };
    if (anyFailed) aggregate.failed = true;
    return { result: aggregate, items: outcomes, includes, unreachable: anyUnreachable, noLog };
  }

  private falseCondition: unknown;

  private conditionsHold(task: TaskNode, vars: Vars): boolean {
    for (const cond of allConditions(task)) {
      if (!this.play.templar.evaluateConditional(cond, vars, this.play.templateOptions(task))) {
        this.falseCondition = cond;
        return false;
      }
    }
    return true;
  }

  private loopItems(task: TaskNode, vars: Vars): unknown[] {
    const loop = task.loop!;
    const t = this.play.templar;
    const opts = this.play.templateOptions(task);
    const value = t.template(loop.value, vars, opts);
    if (loop.kind === 'loop') {
      if (!Array.isArray(value)) {
        throw new UserError(
          `Invalid data passed to 'loop', it requires a list, got this instead: ${pyRepr(value)}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.`,
          task.pos,
        );
      }
      return value;
    }
    switch (loop.lookup) {
      case 'items':
        // a mapping is iterated as Python iterates it: its keys
        if (isPlainMapping(value)) return Object.keys(value);
        return (Array.isArray(value) ? value : [value]).flatMap((v) => (Array.isArray(v) ? v : [v]));
      case 'list':
        return Array.isArray(value) ? value : [value];
      case 'dict':
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new UserError(`with_dict expects a dict`, task.pos);
        }
        return Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, value: v }));
      case 'indexed_items':
        return (Array.isArray(value) ? value : [value]).map((v, i) => [i, v]);
      case 'together': {
        const lists = (Array.isArray(value) ? value : [value]) as unknown[][];
        const n = Math.max(0, ...lists.map((l) => (Array.isArray(l) ? l.length : 0)));
        return Array.from({ length: n }, (_, i) => lists.map((l) => (Array.isArray(l) ? l[i] ?? null : null)));
      }
      case 'nested': {
        const lists = (Array.isArray(value) ? value : [value]) as unknown[][];
        return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => (Array.isArray(l) ? l : [l]).map((x) => [...a, x])), [[]]);
      }
      default:
        return this.play.templar.runLookup(loop.lookup, Array.isArray(value) ? value : [value], vars, opts);
    }
  }

  private bool(value: unknown, vars: Vars, task: TaskNode, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    const v = this.play.templar.template(value, vars, this.play.templateOptions(task));
    return toBool(v);
  }

  /** one execution of the task (one loop item), including until/retries and changed_when/failed_when */
  private async runOnce(task: TaskNode, host: HostState, vars: Vars): Promise<TaskOutcome> {
    const t = this.play.templar;
    const opts = this.play.templateOptions(task);
    const untilConds = task.until;
    // ansible-core 2.14 (TaskExecutor._execute): with `until`, `retries: N` (default 3) means N + 1
    // attempts, a retry line after each failed attempt but the last, and `attempts: N` when all
    // fail; N <= 0 means one attempt and `until` is never evaluated
    let attemptsAllowed = 1;
    const render = (v: unknown) => t.template(v, vars, opts);
    // a templated ignore_errors must render to a boolean (a literal one was checked when loaded)
    const ignoreErrors = inherited(task, 'ignore_errors');
    if (isTemplated(ignoreErrors)) {
      const b = strictBool(render(ignoreErrors));
      if (!b.ok) throw new KeywordTypeError(invalidFieldMessage('ignore_errors', ignoreErrors, 'bool', b.error));
    }
    // both are converted (and may fail the task) with or without `until`, as in Ansible
    const retries = task.retries === undefined || task.retries === null ? task.retries : intKeyword('retries', task.retries, render);
    const delayValue = task.delay === undefined || task.delay === null ? 5 : intKeyword('delay', task.delay, render);
    if (untilConds) {
      // `retries: null` (Ansible's None) means 3 attempts in all, not 3 retries
      const n = retries === null ? 2 : retries ?? 3;
      attemptsAllowed = n > 0 ? n + 1 : 1;
    }
    // Ansible waits 1 s when delay is negative
    const delay = !untilConds ? 0 : delayValue < 0 ? 1 : delayValue;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.executeAction(task, host, vars);
      if (outcome.unreachable || outcome.includes) return outcome;
      const result = outcome.result;
      // set before changed_when/failed_when, which may read it
      if (untilConds) result.attempts = attempt;
      this.applyConditions(task, result, vars);
      if (attemptsAllowed === 1) return outcome;
      const withResult = task.register ? layer(vars, { [task.register]: result }) : vars;
      if (untilConds!.every((c) => t.evaluateConditional(c, withResult, opts))) return outcome;
      if (attempt === attemptsAllowed) {
        result.attempts = attemptsAllowed - 1;
        result.failed = true;
        return outcome;
      }
      // the retry line names a task by its own name, without the role; an unnamed one by its title
      const info = this.play.taskInfo(task);
      const shown = task.name ? { ...info, title: this.ownName(task.name, vars, opts) } : info;
      this.play.run.reporter.hostResult({
        host: host.name, task: shown, status: 'failed', result: { ...result, retries: attemptsAllowed - attempt }, verbosity: -1,
      });
      if (delay > 0) await new Promise((r) => setTimeout(r, delay * 1000));
    }
  }

  private ownName(name: string, vars: Vars, opts: ReturnType<PlayContext['templateOptions']>): string {
    if (!name.includes('{{')) return name;
    try {
      return String(this.play.templar.template(name, vars, opts));
    } catch {
      return name;
    }
  }

  /** the task with `args: "{{ a_dict }}"` rendered and merged under its own args, as Ansible does */
  private withVariableArgs(task: TaskNode, vars: Vars, opts: ReturnType<PlayContext['templateOptions']>): TaskNode | string {
    const value = this.play.templar.template(task.variableArgs, vars, opts);
    // Ansible's message for a value that is no dict (the host fails, the run goes on)
    if (!isDict(value)) return `invalid or malformed argument: '${pyStr(value)}'`;
    this.play.run.reporter.warning(
      "Using a variable for a task's 'args' is unsafe in some situations (see https://docs.ansible.com/ansible/devel/reference_appendices/faq.html#argsplat-unsafe)",
    );
    const args: Record<string, unknown> = {};
    assignOwn(args, value, task.args);
    return { ...task, args, variableArgs: undefined };
  }

  private applyConditions(task: TaskNode, result: ModuleResult, vars: Vars): void {
    if (result.skipped) return;
    const t = this.play.templar;
    const opts = this.play.templateOptions(task);
    const withResult = task.register ? layer(vars, { [task.register]: result }) : vars;
    if (task.changedWhen && task.changedWhen.length) {
      result.changed = task.changedWhen.every((c) => t.evaluateConditional(c, withResult, opts));
    }
    if (task.failedWhen && task.failedWhen.length) {
      const failed = task.failedWhen.every((c) => t.evaluateConditional(c, withResult, opts));
      result.failed_when_result = failed;
      result.failed = failed;
    }
  }

  private async executeAction(task: TaskNode, host: HostState, vars: Vars): Promise<TaskOutcome> {
    const t = this.play.templar;
    const opts = this.play.templateOptions(task);
    if (task.variableArgs !== undefined) {
      const merged = this.withVariableArgs(task, vars, opts);
      if (typeof merged === 'string') return { result: { failed: true, msg: merged } };
      task = merged;
    }
    const check = this.bool(inherited(task, 'check_mode'), vars, task, this.play.run.options.check);
    const diff = this.bool(inherited(task, 'diff'), vars, task, this.play.run.options.diff);
    // Ansible's magic variables are the run's --check/--diff; a task's check_mode/diff keywords change what the task does, not them
    const taskVars = layer(vars, { ansible_check_mode: this.play.run.options.check, ansible_diff_mode: this.play.run.options.diff });

    if (ENGINE_ACTIONS.has(task.resolved)) {
      const outcome: ActionOutcome = await runAction(task, { play: this.play, host, vars: taskVars, check, diff, runner: this });
      return outcome;
    }
    const mod =
      findModule(task.resolved) ??
      fallbackModule(task.resolved, { action: task.action, noLog: this.bool(inherited(task, 'no_log'), vars, task, false), verbosity: this.play.run.options.verbosity });
    if (!mod) throw new UserError(`couldn't resolve module/action '${task.action}'`, task.pos);

    // modules get plain values: unsafe marking only matters while a value can still be templated
    const rawArgs = stripUnsafe(t.template(task.args, taskVars, opts)) as Record<string, unknown>;
    const args = dropOmitted(rawArgs);
    if (check && !mod.supportsCheckMode) {
      // Ansible's module names itself as the task wrote it (_ansible_module_name): `tempfile`, `ansible.builtin.tempfile`
      return { result: { changed: false, skipped: true, msg: `remote module (${task.action}) does not support check mode` } };
    }
    const delegateTo = inherited(task, 'delegate_to');
    const delegated = delegateTo === undefined || delegateTo === null ? undefined : String(t.template(delegateTo, taskVars, opts));
    const conn = await this.play.connectionFor(host, delegated);
    const become = this.becomeFor(task, taskVars);
    const env = this.environmentFor(task, taskVars);
    // `~` and `$VAR` in path options mean what they mean on the target, where Ansible's module runs
    // (a default counts too: known_hosts' path is ~/.ssh/known_hosts unless the task says otherwise)
    const defaultsExpand = Object.values(mod.spec.options ?? {}).some((o) => o.type === 'path' && wantsExpansion(o.default));
    const paths = wantsExpansion(args) || defaultsExpand ? await targetEnvironment(conn, become, env) : undefined;
    // a fallback module (Ansible's own) checks its arguments itself, on the target
    const validated = mod.validatesOwnArgs
      ? { params: args, errors: [], crash: undefined, message: undefined, noLogValues: undefined }
      : compileArgSpec(mod.spec, 'module').validate(args, { moduleName: task.action.split('.').pop(), paths });
    if (validated.errors.length) {
      return { result: { failed: true, msg: validated.crash ?? validated.message ?? moduleArgsMessage(task.action.split('.').pop() ?? mod.name, validated.errors) } };
    }
    // values of the module's no_log options: hidden in whatever it says (result, warnings, lines)
    const secrets = validated.noLogValues ?? [];
    const ctx: ModuleContext = {
      conn,
      host: host.name,
      check,
      diff,
      become,
      env,
      facts: (taskVars.ansible_facts as Record<string, unknown>) ?? {},
      vars: taskVars,
      findFile: (kind, name) => this.play.findFile(task, kind, name),
      renderTemplate: (source, extra, jinja) => t.renderFile(source, extra ? layer(taskVars, extra) : taskVars, jinja ? { ...opts, ...jinja } : opts),
      warn: (m) => this.play.run.reporter.warning(maskText(m, secrets)),
      log: (level, m) => this.play.run.reporter.verbose(level, maskText(m, secrets)),
      signal: this.play.run.stop.signal,
    };
    const renderTask = (v: unknown) => t.template(v, taskVars, opts);
    const asyncSeconds = task.async === undefined || task.async === null ? 0 : intKeyword('async', task.async, renderTask);
    const poll = task.poll === undefined || task.poll === null ? 10 : intKeyword('poll', task.poll, renderTask);
    if (asyncSeconds > 0 && poll === 0) {
      // command and shell are started detached on the target, as Ansible's async_wrapper does;
      // other modules run here as in-process jobs (they live as long as this run)
      const useShell = ON_TARGET_ASYNC.get(mod.name);
      if (useShell !== undefined) {
        const plan = await planCommand(validated.params as CommandArgs, ctx, useShell);
        if ('toRun' in plan) {
          const started = await startCommandOnTarget(conn, plan, { become, env, asyncSeconds, moduleArgs: validated.params });
          return { result: started, delegatedTo: delegated };
        }
        const job = this.play.startAsyncJob(host.name, async () => plan.done);
        return { result: { ansible_job_id: job.id, started: 1, finished: 0, changed: false, results_file: `tsplay-async:${job.id}` }, delegatedTo: delegated };
      }
      const job = this.play.startAsyncJob(host.name, () => runModule(mod.run.bind(mod), validated.params, ctx, asyncSeconds).then((r) => hideSecrets(r, secrets)));
      return { result: { ansible_job_id: job.id, started: 1, finished: 0, changed: false, results_file: `tsplay-async:${job.id}` }, delegatedTo: delegated };
    }
    const result = await runModule(mod.run.bind(mod), validated.params, ctx, asyncSeconds);
    if (result.invocation === undefined && !mod.validatesOwnArgs) result.invocation = { module_args: validated.params };
    // a module's facts become the host's facts, as Ansible adds them (a failed result's are dropped)
    if (!result.failed && result.ansible_facts && typeof result.ansible_facts === 'object') host.addModuleFacts(result.ansible_facts as Vars);
    return { result: hideSecrets(result, secrets), delegatedTo: delegated };
  }

  becomeFor(task: TaskNode, vars: Vars): BecomeOptions {
    const t = this.play.templar;
    const opts = this.play.templateOptions(task);
    const o = this.play.run.options;
    const become = this.bool(inherited(task, 'become') ?? vars.ansible_become, vars, task, o.become ?? false);
    const user = inherited(task, 'become_user') ?? vars.ansible_become_user ?? o.becomeUser;
    const method = inherited(task, 'become_method') ?? vars.ansible_become_method ?? o.becomeMethod;
    const flags = inherited(task, 'become_flags') ?? vars.ansible_become_flags;
    const exe = inherited(task, 'become_exe') ?? vars.ansible_become_exe;
    // Ansible's become plugin reads the last of these that is set; then -K / --become-password-file
    const password = vars.ansible_sudo_pass ?? vars.ansible_become_pass ?? vars.ansible_become_password;
    const str = (v: unknown) => (v === undefined || v === null ? undefined : String(stripUnsafe(t.template(v, vars, opts))));
    const methodName = str(method);
    const problem = become && methodName !== undefined ? becomeMethodProblem(methodName) : undefined;
    if (problem) throw new UserError(problem, task.pos);
    return {
      become,
      user: str(user),
      method: methodName,
      flags: str(flags),
      exe: str(exe),
      password: str(password) ?? o.becomePassword,
    };
  }

  environmentFor(task: TaskNode, vars: Vars): Record<string, string> {
    const env: Record<string, string> = {};
    const t = this.play.templar;
    for (const e of environments(task)) {
      const v = t.template(e, vars, this.play.templateOptions(task));
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, val] of Object.entries(v)) if (val !== OMIT_TOKEN) env[k] = val === null ? '' : String(val);
      } else if (v !== null && v !== undefined && v !== '') {
        // Ansible skips an entry that is not a mapping, with a warning, and runs the task
        this.play.run.reporter.warning(`could not parse environment value, skipping: ${pyRepr([v])}`);
      }
    }
    return env;
  }
}

async function runModule(
  run: (args: Record<string, unknown>, ctx: ModuleContext) => Promise<ModuleResult>,
  args: Record<string, unknown>,
  ctx: ModuleContext,
  timeoutSeconds: number,
): Promise<ModuleResult> {
  // a module's own failure (a write that meets ENOTDIR, EACCES, EROFS...) is its host's MODULE
  // FAILURE; errors the engine gives meaning to (unreachable, template, user errors) pass on
  const work = Promise.resolve()
    .then(() => run(args, ctx))
    .then(
      (r) => markHostData(withLines({ ...r })),
      (err: unknown) => {
        if (err instanceof UnreachableError || err instanceof TemplateError || err instanceof UserError) throw err;
        return moduleFailure(err);
      },
    );
  if (!timeoutSeconds) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ModuleResult>((resolve) => {
    timer = setTimeout(() => resolve({ failed: true, msg: `async task did not complete within the requested time - ${timeoutSeconds}s` }), timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * A module result as AnsibleModule returns it: no_log values removed everywhere, invocation
 * included. The diff is left alone: Ansible's copy and template compute it on the controller,
 * outside the module's masking (a no_log task hides it whole).
 */
function hideSecrets(result: ModuleResult, secrets: readonly string[]): ModuleResult {
  if (secrets.length === 0) return result;
  const masked = removeValues(result, secrets);
  if (result.diff !== undefined) masked.diff = result.diff;
  return masked;
}

/** Ansible's executor adds stdout_lines/stderr_lines to every result that has stdout/stderr */
function withLines(result: ModuleResult): ModuleResult {
  if (typeof result.stdout === 'string' && result.stdout_lines === undefined) result.stdout_lines = result.stdout.split(/\r?\n/).filter((l, i, a) => !(l === '' && i === a.length - 1));
  if (typeof result.stderr === 'string' && result.stderr_lines === undefined) result.stderr_lines = result.stderr.split(/\r?\n/).filter((l, i, a) => !(l === '' && i === a.length - 1));
  return result;
}

/** strings a module read from a host are data: they must never be templated again */
function markHostData(result: ModuleResult): ModuleResult {
  for (const key of ['stdout', 'stderr', 'content', 'msg'] as const) {
    const v = result[key];
    if (typeof v === 'string' && !isUnsafe(v)) setOwn(result, key, markUnsafe(v));
  }
  return result;
}

export function dropOmitted(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== OMIT_TOKEN) setOwn(out, k, v);
  return out;
}

/** AnsibleModule fails with the first validation error, naming the module for unsupported parameters */
function moduleArgsMessage(name: string, errors: string[]): string {
  const first = errors[0] ?? 'invalid module arguments';
  if (/Supported parameters include/.test(first) && !first.startsWith('Unsupported parameters')) {
    return `Unsupported parameters for (${name}) module: ${first}`;
  }
  return first;
}

export function skippedResult(task: TaskNode, cond: unknown): ModuleResult {
  const r: ModuleResult = { changed: false, skip_reason: 'Conditional result was False', skipped: true };
  void task;
  void cond;
  return r;
}

export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 't', 'y'].includes(v.trim().toLowerCase());
  return Boolean(v);
}

export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

export function taskErrorMessage(task: TaskNode, err: Error): string {
  if (err instanceof VaultValueError) return err.message;
  // a user error found in another file (an included one) names that file
  const p = err instanceof UserError && err.pos ? err.pos : { ...task.pos, file: task.file };
  return `${err.message}\n\nThe error appears to be in '${p.file}': line ${p.line}, column ${p.col}, but may\nbe elsewhere in the file depending on the exact syntax problem.`;
}

export { NO_LOG_MSG };
export type { Connection };

function isPlainMapping(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
