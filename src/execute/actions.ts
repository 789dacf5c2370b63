/**
 * Actions that belong to the engine rather than to a target: they read or change variables,
 * handlers, includes and the run itself (debug, set_fact, assert, fail, pause, meta, include_*,
 * include_vars, setup, async_status, ping).
 */
import { isAbsolute, join } from 'node:path';
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Keywords, TaskNode } from '../load/model.js';
import type { ModuleResult } from '../modules/types.js';
import { UserError } from '../util/errors.js';
import { LOCAL_NAMES } from '../connection/index.js';
import type { Connection } from '../connection/types.js';
import { isMapping, loadYamlFile } from '../load/yaml.js';
import { readKeywords } from '../load/tasks.js';
import { roleChain, type Vars } from '../vars/layers.js';
import type { HostState } from './state.js';
import type { PlayContext } from './play-context.js';
import type { TaskRunner } from './task.js';
import { pyRepr, toBool, dropOmitted } from './task.js';
import { markUnsafe, stripUnsafe } from '../template/index.js';
import { floatRepr } from '../template/values.js';
import type { GatherOptions } from '../facts/index.js';
import { targetJobStatus } from './async-target.js';
import { assignOwn, setOwn } from '../util/dict.js';

export const ENGINE_ACTIONS = new Set(
  ['debug', 'set_fact', 'assert', 'fail', 'pause', 'meta', 'include_tasks', 'include_role', 'include_vars', 'include', 'setup', 'gather_facts', 'async_status', 'ping'].map(
    (n) => `ansible.builtin.${n}`,
  ),
);

export interface IncludeRequest {
  kind: 'tasks' | 'role';
  host: string;
  /** tasks: absolute file; role: role name */
  target: string;
  /** include params (become a variable layer above task vars) */
  params: Record<string, unknown>;
  /** `apply:` keywords for the included tasks */
  apply: Keywords;
  task: TaskNode;
  /** include_role options */
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  isPublic?: boolean;
  rolespecValidate?: boolean;
  allowDuplicates?: boolean;
  /** the loop item vars that were in effect (included tasks see them) */
  loopVars?: Record<string, unknown>;
}

export interface ActionOutcome {
  result: ModuleResult;
  includes?: IncludeRequest[];
  noLog?: boolean;
}

export interface ActionContext {
  play: PlayContext;
  host: HostState;
  vars: Vars;
  check: boolean;
  diff: boolean;
  runner: TaskRunner;
}

const VALID_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function runAction(task: TaskNode, ctx: ActionContext): Promise<ActionOutcome> {
  const name = task.resolved.slice('ansible.builtin.'.length);
  const t = ctx.play.templar;
  const opts = ctx.play.templateOptions(task);
  const tpl = (v: unknown) => t.template(v, ctx.vars, opts);

  switch (name) {
    case 'debug': {
      const verbosity = Number(tpl(task.args.verbosity ?? 0));
      if (verbosity > ctx.play.run.options.verbosity) {
        return { result: { skipped_reason: 'Verbosity threshold not met.', skipped: true, changed: false } };
      }
      if ('msg' in task.args && 'var' in task.args) return { result: { failed: true, msg: "'msg' and 'var' are incompatible options" } };
      if ('var' in task.args) {
        const expr = String(task.args.var);
        let value: unknown;
        try {
          value = t.template(expr.includes('{{') ? expr : `{{ ${expr} }}`, ctx.vars, opts);
          if (value === expr || value === `{{ ${expr} }}`) value = 'VARIABLE IS NOT DEFINED!';
        } catch {
          value = 'VARIABLE IS NOT DEFINED!';
        }
        return { result: { [expr]: value, changed: false, failed: false } };
      }
      const msg = 'msg' in task.args ? tpl(task.args.msg) : 'Hello world!';
      return { result: anyMsg({ changed: false, failed: false, msg }) };
    }
    case 'set_fact': {
      const args = dropOmitted(tpl(task.args) as Record<string, unknown>);
      const cacheable = toBool(args.cacheable ?? false);
      delete args.cacheable;
      if (Object.keys(args).length === 0) {
        return { result: { failed: true, msg: 'No key/value pairs provided, at least one is required for this action to succeed' } };
      }
      for (const k of Object.keys(args)) {
        if (!VALID_VAR_NAME.test(k)) {
          return { result: { failed: true, msg: `The variable name '${k}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.` } };
        }
      }
      const facts: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(args)) setOwn(facts, k, typeof v === 'string' ? convertBoolString(v) : v);
      ctx.host.setVars(facts);
      if (cacheable) ctx.host.addModuleFacts(facts);
      return { result: { ansible_facts: facts, changed: false, failed: false } };
    }
    case 'assert': {
      const that = task.args.that;
      if (that === undefined) return { result: { failed: true, msg: 'conditional required in "that" string' } };
      const conds = Array.isArray(that) ? that : [that];
      const quiet = toBool(tpl(task.args.quiet ?? false));
      for (const cond of conds) {
        if (!t.evaluateConditional(cond, ctx.vars, opts)) {
          const failMsg = task.args.fail_msg ?? task.args.msg;
          return {
            result: anyMsg({
              failed: true,
              evaluated_to: false,
              assertion: cond,
              msg: failMsg !== undefined ? tpl(failMsg) : 'Assertion failed',
              changed: false,
            }),
          };
        }
      }
      const success = task.args.success_msg !== undefined ? tpl(task.args.success_msg) : 'All assertions passed';
      // Ansible's assert shows its result unless quiet
      return { result: anyMsg(quiet ? { changed: false, failed: false, msg: success } : { changed: false, failed: false, msg: success, _ansible_verbose_always: true }) };
    }
    case 'fail': {
      const msg = task.args.msg !== undefined ? tpl(task.args.msg) : 'Failed as requested from task';
      return { result: anyMsg({ failed: true, msg, changed: false }) };
    }
    case 'pause': {
      const minutes = task.args.minutes !== undefined;
      const requested = task.args.seconds !== undefined ? Number(tpl(task.args.seconds)) : minutes ? Number(tpl(task.args.minutes)) * 60 : undefined;
      if (requested === undefined || Number.isNaN(requested)) {
        return { result: { failed: true, msg: 'tsplay supports pause with seconds or minutes only (no interactive prompt)' } };
      }
      // ansible-core 2.14: whole seconds (int()), at least one, announced before the wait
      const seconds = Math.max(1, Math.trunc(requested));
      const reporter = ctx.play.run.reporter;
      reporter.verbose(0, `Pausing for ${seconds} seconds`);
      reporter.verbose(0, "(ctrl+C then 'C' = continue early, ctrl+C then 'A' = abort)\r");
      const start = new Date();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const stop = new Date();
      const elapsed = (stop.getTime() - start.getTime()) / 1000;
      const shown = Math.round((minutes ? elapsed / 60 : elapsed) * 100) / 100;
      return {
        result: {
          changed: false, rc: 0, stderr: '', stdout: `Paused for ${floatRepr(shown)} ${minutes ? 'minutes' : 'seconds'}`,
          start: pyDate(start), stop: pyDate(stop), delta: Math.trunc(elapsed), echo: true, user_input: '',
        },
      };
    }
    case 'ping': {
      // ping answers from the target, as Ansible's module runs there: an unreachable host, or one
      // where become fails, does not say pong
      const conn = await ctx.play.connectionFor(ctx.host);
      const res = await conn.exec(['/bin/sh', '-c', ':'], { become: ctx.runner.becomeFor(task, ctx.vars) });
      if (res.rc !== 0) return { result: { failed: true, changed: false, msg: res.stderr.trim() || `ping failed on the target (rc=${res.rc})`, rc: res.rc } };
      const data = tpl(task.args.data ?? 'pong');
      // the module raises, and Ansible reports a module failure with its traceback
      if (data === 'crash') {
        return { result: { failed: true, changed: false, msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error', rc: 1, module_stdout: '', module_stderr: 'Exception: boom\n' } };
      }
      return { result: { ping: data, changed: false } };
    }
    case 'meta':
      return runMeta(task, ctx, String(tpl(task.args._raw_params ?? task.args.free_form ?? '')));
    case 'include_tasks':
    case 'include':
      return includeTasks(task, ctx);
    case 'include_role':
      return includeRole(task, ctx);
    case 'include_vars':
      return includeVars(task, ctx);
    case 'setup':
    case 'gather_facts': {
      const args = stripUnsafe(tpl(task.args)) as Record<string, unknown>;
      const listOf = (v: unknown): string[] | undefined =>
        v === undefined || v === null ? undefined : (Array.isArray(v) ? v : String(v).split(',')).map((x) => String(x).trim());
      const conn = await ctx.play.connectionFor(ctx.host);
      // facts describe the user the play's tasks run as: gathered with the play's become
      const become = ctx.runner.becomeFor(task, ctx.vars);
      let facts: Record<string, unknown>;
      try {
        facts = await gatherFacts(conn, { become, gatherSubset: listOf(args.gather_subset), filter: listOf(args.filter) });
      } catch (err) {
        if (err instanceof Error && err.name === 'GatherSubsetError') return { result: { failed: true, msg: err.message, changed: false } };
        throw err;
      }
      ctx.host.addFacts(facts);
      ctx.host.factsGathered = true;
      return { result: { ansible_facts: facts, changed: false } };
    }
    case 'async_status': {
      const jid = String(tpl(task.args.jid));
      const job = ctx.play.run.jobs.get(jid);
      if (!job) {
        // not one of this run's in-process jobs: a job detached on the target (command/shell)
        const mode = tpl(task.args.mode ?? 'status') === 'cleanup' ? 'cleanup' : 'status';
        const conn = await ctx.play.connectionFor(ctx.host);
        const become = ctx.runner.becomeFor(task, ctx.vars);
        const env = ctx.runner.environmentFor(task, ctx.vars);
        return { result: await targetJobStatus(conn, jid, mode, become, env) };
      }
      if (tpl(task.args.mode) === 'cleanup') {
        ctx.play.run.jobs.delete(jid);
        return { result: { ansible_job_id: jid, erased: jid, changed: false } };
      }
      if (!job.done) return { result: { ansible_job_id: jid, started: 1, finished: 0, changed: false } };
      return { result: { ...(job.result ?? {}), ansible_job_id: jid, started: 1, finished: 1 } };
    }
    default:
      throw new UserError(`action ${task.resolved} is not implemented`, task.pos);
  }
}

/** debug/assert/fail may carry any value as msg (a list, a dict…), exactly as Ansible does; modules only strings */
function anyMsg(result: Record<string, unknown>): ModuleResult {
  return result as ModuleResult;
}

/** Python's str(datetime) */
function pyDate(d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds() * 1000, 6)}`;
}

/** set_fact turns the strings true/false/yes/no into booleans (Ansible 2.14 without jinja2_native) */
function convertBoolString(v: string): unknown {
  const l = v.toLowerCase();
  if (l === 'true' || l === 'yes') return true;
  if (l === 'false' || l === 'no') return false;
  return v;
}

async function runMeta(task: TaskNode, ctx: ActionContext, action: string): Promise<ActionOutcome> {
  switch (action) {
    case 'noop':
    case 'flush_handlers':
    case 'refresh_inventory':
    case 'role_complete':
      return { result: { changed: false, _tsplay_meta: action } };
    case 'clear_facts':
      ctx.host.clearFacts();
      return { result: { changed: false, _tsplay_meta: action } };
    case 'clear_host_errors':
      return { result: { changed: false, _tsplay_meta: action } };
    case 'end_host':
      ctx.host.ended = true;
      return { result: { changed: false, _tsplay_meta: action, msg: `end_host conditional evaluated to True, ending play for ${ctx.host.name}` } };
    case 'end_play':
    case 'end_batch':
      return { result: { changed: false, _tsplay_meta: action } };
    case 'reset_connection': {
      const open = ctx.play.run.connections.peek(ctx.host.name);
      const conn = open ? await open.catch(() => undefined) : undefined;
      // the local connection has nothing to reset; Ansible says so
      const name = conn?.transport ?? ctx.play.connectionName(ctx.host) ?? 'ssh';
      if (LOCAL_NAMES.has(name)) {
        ctx.play.run.reporter.warning('Reset is not implemented for this connection');
        return { result: { changed: false, _tsplay_meta: action } };
      }
      // a transport that can reset in place does (the next command reconnects); others are closed and reopened on next use
      const resettable = conn as (Connection & { reset?: () => Promise<void> }) | undefined;
      if (resettable && typeof resettable.reset === 'function') await resettable.reset();
      else {
        ctx.host.conn = undefined;
        await ctx.play.run.connections.close(ctx.host.name);
      }
      return { result: { changed: false, _tsplay_meta: action } };
    }
    default:
      throw new UserError(`invalid meta action requested: ${action}`, task.pos);
  }
}

function applyKeywords(task: TaskNode, ctx: ActionContext): Keywords {
  const apply = task.args.apply;
  if (apply === undefined || apply === null) return {};
  if (!isMapping(apply)) throw new UserError(`Invalid options for ${task.action}: apply must be a dictionary`, task.pos);
  return readKeywords(apply, task.pos);
}

function includeTasks(task: TaskNode, ctx: ActionContext): ActionOutcome {
  const t = ctx.play.templar;
  const opts = ctx.play.templateOptions(task);
  const args = stripUnsafe(t.template(task.args, ctx.vars, opts)) as Record<string, unknown>;
  const file = args.file ?? args._raw_params;
  if (typeof file !== 'string' || file === '') return { result: { failed: true, msg: 'No file specified for include_tasks' } };
  const { role } = roleChain(task.scope);
  const candidates = isAbsolute(file)
    ? [file]
    : [
        ...(role ? [join(role.path, 'tasks', file), join(role.path, file)] : []),
        join(task.file, '..', file),
        join(ctx.play.play.playbookDir, file),
      ];
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    return { result: { failed: true, msg: `Could not find or access '${file}' on the Ansible Controller.` } };
  }
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(task.args)) if (!['file', '_raw_params', 'apply'].includes(k)) setOwn(params, k, v);
  return {
    result: { include: path, include_args: params, changed: false },
    includes: [{ kind: 'tasks', host: ctx.host.name, target: path, params, apply: applyKeywords(task, ctx), task, loopVars: loopVarsOf(ctx.vars) }],
  };
}

function includeRole(task: TaskNode, ctx: ActionContext): ActionOutcome {
  const t = ctx.play.templar;
  const opts = ctx.play.templateOptions(task);
  const raw = task.args;
  const name = stripUnsafe(t.template(raw.name ?? raw._raw_params, ctx.vars, opts));
  if (typeof name !== 'string' || name === '') return { result: { failed: true, msg: "'name' is a required field for include_role." } };
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(t.template(v, ctx.vars, opts)));
  const allowed = new Set(['name', '_raw_params', 'apply', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public', 'allow_duplicates', 'rolespec_validate']);
  for (const k of Object.keys(raw)) {
    if (!allowed.has(k)) return { result: { failed: true, msg: `Invalid options for include_role: ${k}` } };
  }
  return {
    result: { changed: false, include_role: name },
    includes: [
      {
        kind: 'role', host: ctx.host.name, target: name, params: {}, apply: applyKeywords(task, ctx), task,
        tasksFrom: str(raw.tasks_from), varsFrom: str(raw.vars_from), defaultsFrom: str(raw.defaults_from), handlersFrom: str(raw.handlers_from),
        isPublic: raw.public === undefined ? false : toBool(t.template(raw.public, ctx.vars, opts)),
        rolespecValidate: raw.rolespec_validate === undefined ? true : toBool(t.template(raw.rolespec_validate, ctx.vars, opts)),
        allowDuplicates: raw.allow_duplicates === undefined ? true : toBool(t.template(raw.allow_duplicates, ctx.vars, opts)),
        loopVars: loopVarsOf(ctx.vars),
      },
    ],
  };
}

function loopVarsOf(vars: Vars): Record<string, unknown> | undefined {
  const loopVar = vars.ansible_loop_var;
  if (typeof loopVar !== 'string') return undefined;
  const out: Record<string, unknown> = { [loopVar]: vars[loopVar], ansible_loop_var: loopVar };
  const idx = vars.ansible_index_var;
  if (typeof idx === 'string') {
    out[idx] = vars[idx];
    out.ansible_index_var = idx;
  }
  if ('ansible_loop' in vars) out.ansible_loop = vars.ansible_loop;
  return out;
}

function includeVars(task: TaskNode, ctx: ActionContext): ActionOutcome {
  const t = ctx.play.templar;
  const opts = ctx.play.templateOptions(task);
  const args = stripUnsafe(t.template(task.args, ctx.vars, opts)) as Record<string, unknown>;
  const target = args.file ?? args._raw_params ?? args.dir;
  if (typeof target !== 'string') return { result: { failed: true, msg: 'include_vars needs a file or dir' } };
  const files: string[] = [];
  const found = ctx.play.findFile(task, 'vars', target);
  if (!found) return { result: { failed: true, msg: `Could not find or access '${target}'` } };
  if (statSync(found).isDirectory()) {
    for (const f of readdirSync(found).sort()) if (/\.(ya?ml|json)$/.test(f)) files.push(join(found, f));
  } else files.push(found);
  const data: Record<string, unknown> = {};
  for (const f of files) {
    let v: unknown;
    try {
      v = loadYamlFile(f);
    } catch (err) {
      if (!(err instanceof UserError) || !err.pos) throw err;
      // as Ansible's include_vars: the file's own line and column, under `message`
      return { result: { ansible_facts: {}, ansible_included_var_files: [], changed: false, failed: true, message: located(err) } };
    }
    if (v === null || v === undefined) continue;
    if (!isMapping(v)) return { result: { failed: true, msg: `${f} must be stored as a dictionary/hash` } };
    assignOwn(data, v);
  }
  const facts = typeof args.name === 'string' ? { [args.name]: data } : data;
  ctx.host.addIncludeVars(facts);
  return { result: { ansible_facts: facts, ansible_included_var_files: files, changed: false } };
}

/** a load error in Ansible's words: the message, where it is, and the offending line */
function located(err: UserError): string {
  const p = err.pos!;
  const where = `The error appears to be in '${p.file}': line ${p.line}, column ${p.col}, but may\nbe elsewhere in the file depending on the exact syntax problem.`;
  return `${err.message}\n\n${where}${err.detail ? `\n\n${err.detail}` : ''}`;
}

/** facts through src/facts' one-round-trip script */
async function gatherFacts(conn: import('../connection/types.js').Connection, opts: GatherOptions): Promise<Record<string, unknown>> {
  const { gatherFacts: probe } = await import('../facts/index.js');
  const facts = await probe(conn, opts);
  for (const [k, v] of Object.entries(facts)) setOwn(facts, k, markUnsafe(v));
  return facts;
}

export { pyRepr };
