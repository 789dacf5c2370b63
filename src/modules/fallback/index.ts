/**
 * The fallback for modules tsplay does not implement: Ansible's own module, built into its
 * AnsiballZ payload by ansible-core on the controller (helper.ts), piped to the target's Python
 * through the task's connection (pipelining: no files on the target), and its output parsed as
 * Ansible parses it. The module does its own argument handling, check mode, diff and no_log, so
 * tsplay passes the arguments through unvalidated, with the `_ansible_*` settings Ansible sends.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { helper } from './helper.js';
import { targetPython } from './interpreter.js';
import { fallbackTarget, type FallbackTarget } from './resolve.js';

export { resolveFallback, fallbackRefusal, fallbackEnabled, collectFallbackNames, settleFallbackNames, warmFallbackModules } from './resolve.js';
export { stopFallbackHelper } from './helper.js';

/** what the task asked for that the module definition cannot see in its arguments */
export interface FallbackTaskInfo {
  /** the action as written in the task (Ansible sends it as _ansible_module_name) */
  action: string;
  noLog: boolean;
  verbosity: number;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function noPython(t: FallbackTarget, host: string, detail: string): ModuleResult {
  return {
    failed: true,
    msg: `${t.fqcn} is not implemented by tsplay and runs as Ansible's own module, which needs Python on the target: ${detail} on ${host}. Install python3 there or set ansible_python_interpreter.`,
  };
}

async function runFallback(t: FallbackTarget, info: FallbackTaskInfo, args: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
  const configured = ctx.vars.ansible_python_interpreter;
  const interp = await targetPython(ctx.conn, typeof configured === 'string' && configured.includes('{{') ? ctx.renderTemplate(configured) : configured);
  if (!interp.path) return noPython(t, ctx.host, 'no python3 (nor python) found');
  const built = await helper.request('build', {
    fqcn: t.fqcn,
    name: info.action,
    args,
    check: ctx.check,
    diff: ctx.diff,
    no_log: info.noLog,
    verbosity: info.verbosity,
    interpreter: interp.path,
    syslog_facility: typeof ctx.vars.ansible_syslog_facility === 'string' ? ctx.vars.ansible_syslog_facility : undefined,
  });
  if (typeof built.error === 'string') return { failed: true, msg: built.error };
  const payload = String(built.payload);
  ctx.log(3, `<${ctx.host}> running ${t.fqcn} (${t.path}) with ${interp.path} through the fallback, pipelined`);
  // through the shell, so a missing interpreter is the shell's "not found" on every transport
  const r = await ctx.conn.exec(`exec ${shellQuote(interp.path)}`, { stdin: payload, become: ctx.become, env: ctx.env, signal: ctx.signal });
  if ((r.rc === 127 || r.rc === 126) && r.stdout.trim() === '') {
    return { ...noPython(t, ctx.host, `${interp.path} cannot be run (rc ${r.rc})`), module_stderr: r.stderr, module_stdout: r.stdout, rc: r.rc };
  }
  const parsed = await helper.request('parse', { stdout: r.stdout, stderr: r.stderr, rc: r.rc, interpreter: interp.path });
  if (typeof parsed.error === 'string') return { failed: true, msg: `cannot read ${t.fqcn}'s result: ${parsed.error}` };
  const result = parsed.result as ModuleResult;
  // what Ansible's task executor fills in when a module leaves it out (rc is the old way to fail)
  const rc: unknown = result.rc;
  if (result.failed === undefined) result.failed = rc !== undefined && rc !== 0 && rc !== '0';
  if (result.changed === undefined) result.changed = false;
  for (const w of (parsed.warnings as string[] | undefined) ?? []) ctx.warn(w);
  // the module's own warnings are shown as Ansible's callback shows them (and stay in the result)
  if (Array.isArray(result.warnings)) for (const w of result.warnings) ctx.warn(String(w));
  if (interp.discovered && !result.failed) {
    // Ansible reports the interpreter it discovered as a fact, once per host
    const facts = (result.ansible_facts && typeof result.ansible_facts === 'object' ? result.ansible_facts : {}) as Record<string, unknown>;
    result.ansible_facts = { ...facts, discovered_interpreter_python: interp.path };
  }
  return result;
}

/**
 * The module definition for a name the fallback accepted up front (resolveFallback), or undefined.
 * Its spec is empty and marked as validated by the module itself: Ansible's module checks its
 * own arguments on the target, with its own messages.
 */
export function fallbackModule(fqcn: string, info: FallbackTaskInfo): ModuleDefinition | undefined {
  const t = fallbackTarget(fqcn);
  if (!t) return undefined;
  return {
    name: t.fqcn,
    spec: { options: {} },
    supportsCheckMode: true,
    validatesOwnArgs: true,
    run: (args, ctx) => runFallback(t, info, args, ctx),
  };
}
