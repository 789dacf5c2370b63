/**
 * What the command and shell modules share (in Ansible, shell is the command module with
 * _uses_shell set): creates/removes guards, chdir, stdin, and the result Ansible reports.
 */
import type { ModuleContext, ModuleResult } from '../types.js';
import type { EntryPointSpec } from '../../argspec/types.js';
import type { ExecOptions } from '../../connection/types.js';
import { glob } from './support/glob.js';
import { shlexQuote, shlexSplit, ShlexError } from '../../util/shlex.js';
import { preciseNow, pyDatetime, pyTimedelta } from './support/pytime.js';
import { errnoNumber } from './support/failure.js';
import { expandUser, expandVars, targetEnvironment, type TargetEnvironment } from '../target-env.js';
import { splitLines } from './support/lines.js';

export interface CommandArgs {
  _raw_params?: string | null;
  argv?: string[] | null;
  chdir?: string | null;
  executable?: string | null;
  creates?: string | null;
  removes?: string | null;
  stdin?: string | null;
  stdin_add_newline?: boolean | null;
  strip_empty_ends?: boolean | null;
}

/** the options both modules accept, in Ansible's spec format */
export function commandSpec(shortDescription: string): EntryPointSpec {
  return {
    short_description: shortDescription,
    options: {
      _raw_params: { type: 'str', aliases: ['cmd'] },
      argv: { type: 'list', elements: 'str' },
      chdir: { type: 'path' },
      executable: { type: 'str' },
      creates: { type: 'path' },
      removes: { type: 'path' },
      stdin: { type: 'str' },
      stdin_add_newline: { type: 'bool', default: true },
      strip_empty_ends: { type: 'bool', default: true },
    },
  };
}

function withLines(r: ModuleResult): ModuleResult {
  r.stdout_lines = splitLines(String(r.stdout ?? ''));
  r.stderr_lines = splitLines(String(r.stderr ?? ''));
  return r;
}

/** what is left to do once the checks passed: run `toRun` there and report into `result` */
export interface CommandPlan {
  toRun: string | string[];
  cwd?: string;
  stdin?: string;
  /** the result so far (cmd set, rc/start/end/delta still empty) */
  result: ModuleResult;
  stripEmptyEnds: boolean;
  finish(res: ModuleResult): ModuleResult;
}

export async function runCommand(args: CommandArgs, ctx: ModuleContext, useShell: boolean): Promise<ModuleResult> {
  const plan = await planCommand(args, ctx, useShell);
  if (!('toRun' in plan)) return plan.done;
  return executePlan(plan, ctx);
}

/**
 * Everything the module decides before the command runs (argument checks, chdir, creates/removes,
 * check mode, `~`/`$VAR` in argv): either the final result, or the command to run. Async jobs
 * started on the target use the same plan, so both report alike.
 */
export async function planCommand(args: CommandArgs, ctx: ModuleContext, useShell: boolean): Promise<CommandPlan | { done: ModuleResult }> {
  const r: ModuleResult = {
    changed: false,
    stdout: '',
    stderr: '',
    rc: null as unknown as number,
    cmd: null,
    start: null,
    end: null,
    delta: null,
    msg: '',
  };
  const warnings: string[] = [];
  let executable = args.executable ?? undefined;
  if (!useShell && executable) {
    warnings.push(
      `As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${executable}'.`,
    );
    executable = undefined;
  }
  const finish = (res: ModuleResult): ModuleResult => {
    if (warnings.length) res.warnings = warnings;
    return withLines(res);
  };
  const raw = args._raw_params ?? undefined;
  const argv = args.argv ?? undefined;
  if ((!raw || raw.trim() === '') && !(argv && argv.length)) {
    return { done: finish({ ...r, rc: 256, msg: 'no command given', failed: true }) };
  }
  if (raw && argv && argv.length) {
    return { done: finish({ ...r, rc: 256, msg: 'only command or argv can be given, not both', failed: true }) };
  }

  let command: string | string[];
  if (!useShell && raw) {
    try {
      command = shlexSplit(raw);
    } catch (err) {
      if (err instanceof ShlexError) return { done: finish({ ...r, rc: 257, msg: err.message, failed: true }) };
      throw err;
    }
  } else {
    command = raw ? raw : argv!.map(String);
  }
  r.cmd = command;

  const cwd = args.chdir ?? undefined;
  if (cwd) {
    const info = await ctx.conn.stat(cwd, { follow: true, become: ctx.become });
    if (!info || info.type !== 'directory') {
      const why = info ? `[Errno 20] Not a directory: b'${cwd}'` : `[Errno 2] No such file or directory: b'${cwd}'`;
      return { done: finish({ ...r, msg: `Unable to change directory before execution: ${why}`, failed: true }) };
    }
  }
  // relative creates/removes are taken from the module's working directory on the target
  const globBase = cwd ?? (args.creates || args.removes ? (await ctx.conn.targetInfo()).cwd ?? '/' : '/');
  const verb = ctx.check ? 'Would' : 'Did';
  if (args.creates && (await glob(ctx.conn, args.creates, globBase, ctx.become)).length > 0) {
    r.msg = `${verb} not run command since '${args.creates}' exists`;
    r.stdout = `skipped, since ${args.creates} exists`;
    r.rc = 0;
  }
  if (!r.msg && args.removes && (await glob(ctx.conn, args.removes, globBase, ctx.become)).length === 0) {
    r.msg = `${verb} not run command since '${args.removes}' does not exist`;
    r.stdout = `skipped, since ${args.removes} does not exist`;
    r.rc = 0;
  }
  if (r.msg) return { done: finish(r) };

  r.changed = true;
  if (ctx.check) {
    r.rc = 0;
    r.msg = 'Command would have run if not in check mode';
    if (args.creates == null && args.removes == null) {
      r.skipped = true;
      r.changed = false;
    }
    return { done: finish(r) };
  }

  let toRun: string | string[];
  if (useShell) {
    const script = Array.isArray(command) ? command.map(shlexQuote).join(' ') : command;
    toRun = executable ? [executable, '-c', script] : script;
  } else {
    const words: string[] = [];
    // copying the environment costs more than most commands take to run: only when a word needs it
    let target: TargetEnvironment | undefined;
    for (const word of command as string[]) {
      if (word.includes('$') || word.startsWith('~')) {
        // the target's environment and home, as the command module there expands them
        target ??= await targetEnvironment(ctx.conn, ctx.become, ctx.env);
        words.push(await expandUser(expandVars(word, target.env), target));
      } else {
        words.push(word);
      }
    }
    toRun = words;
  }
  let stdin: string | undefined;
  if (args.stdin) stdin = args.stdin + (args.stdin_add_newline === false ? '' : '\n');
  return { toRun, cwd, stdin, result: r, stripEmptyEnds: args.strip_empty_ends !== false, finish };
}

async function executePlan(plan: CommandPlan, ctx: ModuleContext): Promise<ModuleResult> {
  const { toRun, cwd, stdin, result: r, finish } = plan;
  const started = preciseNow();
  let outcome;
  try {
    // signal is honoured by connections that support it (LocalConnection) and ignored by others
    const execOptions: ExecOptions & { signal?: AbortSignal } = { cwd, stdin, env: ctx.env, become: ctx.become, signal: ctx.signal };
    outcome = await ctx.conn.exec(toRun, execOptions);
  } catch (err) {
    const errno = errnoNumber(err);
    if (errno === undefined) throw err;
    const shown = Array.isArray(toRun) ? toRun.map(shlexQuote).join(' ') : toRun;
    const name = Array.isArray(toRun) ? toRun[0] : toRun;
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : 'Permission denied';
    return finish({
      changed: false,
      failed: true,
      rc: errno,
      cmd: shown,
      msg: `[Errno ${errno}] ${reason}: b'${name}'`,
      stdout: '',
      stderr: '',
    });
  }
  const ended = preciseNow();
  r.start = pyDatetime(started.epochMicros);
  r.end = pyDatetime(ended.epochMicros);
  r.delta = pyTimedelta(ended.epochMicros - started.epochMicros);
  r.rc = outcome.rc;
  r.stdout = outcome.stdout;
  r.stderr = outcome.stderr;
  if (plan.stripEmptyEnds) {
    r.stdout = outcome.stdout.replace(/[\r\n]+$/, '');
    r.stderr = outcome.stderr.replace(/[\r\n]+$/, '');
  }
  if (r.rc !== 0) {
    r.msg = 'non-zero return code';
    r.failed = true;
  }
  return finish(r);
}
