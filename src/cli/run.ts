/**
 * `tsplay run`: load everything first (so every load and validation error is reported before a
 * host is touched), then run each play, then print the recap. Exit codes as ansible-playbook:
 * 0 ok, 2 a host failed, 4 a host was unreachable; 3 when the input was rejected up front.
 */
import { relative } from 'node:path';
import { loadPlaybook } from '../load/playbook.js';
import type { Node, Playbook, PlayNode, TaskNode } from '../load/model.js';
import { inventoryWarnings, loadInventory, type Inventory } from '../inventory/inventory.js';
import { warningText } from '../report/plain.js';
import { matchHosts } from '../inventory/patterns.js';
import { findModule } from '../modules/registry.js';
import { ENGINE_ACTIONS } from '../execute/actions.js';
import { RunState, type HostState, type RunOptions } from '../execute/state.js';
import { PlayRunner } from '../execute/play-runner.js';
import { effectiveTags, shouldRunTags } from '../execute/keywords.js';
import { Templar, templar as sharedTemplar } from '../template/index.js';
import { EXIT, UserError, UserErrors } from '../util/errors.js';
import type { Reporter } from '../report/events.js';
import { playRoleBlocks } from '../load/playbook.js';
import { staticCheck } from '../execute/static-check.js';
import { watchInterrupts } from './interrupt.js';
import { flushReportOutput } from '../report/choose.js';
import { collectFallbackNames, resolveFallback, settleFallbackNames, stopFallbackHelper, warmFallbackModules } from '../modules/fallback/index.js';

const STATIC_ACTIONS = new Set(['ansible.builtin.import_tasks', 'ansible.builtin.import_role', 'ansible.builtin.validate_argument_spec']);

export function resolveAction(name: string): string | undefined {
  const m = /^ansible\.(builtin|legacy)\.(.+)$/.exec(name);
  const short = m ? m[2] : name;
  const fqcn = `ansible.builtin.${short}`;
  if (ENGINE_ACTIONS.has(fqcn) || STATIC_ACTIONS.has(fqcn)) return fqcn;
  const mod = findModule(name);
  // a name no native module answers to may still be one of Ansible's, run by the fallback
  return mod?.name ?? resolveFallback(name);
}

export interface RunRequest {
  playbooks: string[];
  inventory: string[];
  options: RunOptions;
  cwd: string;
  listTasks: boolean;
  listTags: boolean;
  listHosts: boolean;
  syntaxCheck: boolean;
  out: (line: string) => void;
  reporter: () => Reporter;
}

/**
 * Loads every playbook. Module names tsplay does not implement are settled in one batch at the
 * end (the fallback asks ansible-core about them): each unknown one is an error, all of them are
 * returned in `problems` when given, else thrown.
 */
export async function loadAll(req: Pick<RunRequest, 'playbooks' | 'options'>, problems?: UserError[]): Promise<Playbook[]> {
  const templar: Templar = sharedTemplar;
  const playbooks = collectFallbackNames(() =>
    req.playbooks.map((file) =>
      loadPlaybook(file, {
        resolveAction,
        extraVars: req.options.extraVars,
        renderStatic: (value, vars) => String(templar.template(value, vars, {})),
      }),
    ),
  );
  const unknown = await settleFallbackNames(playbooks);
  if (problems) problems.push(...unknown);
  else if (unknown.length) throw unknown.length === 1 ? unknown[0] : new UserErrors(unknown);
  return playbooks;
}

export async function runPlaybooks(req: RunRequest): Promise<number> {
  const listing = req.syntaxCheck || req.listTasks || req.listTags || req.listHosts;
  // while the playbook loads and is checked; a run without local commands costs one idle process
  const inventory = loadInventory(req.inventory, req.cwd);
  for (const warning of inventoryWarnings(inventory)) process.stderr.write(`${warningText(warning)}\n`);
  const playbooks = await loadAll(req);
  if (!listing) staticCheck(playbooks, inventory, req.options);
  if (!listing) warmFallbackModules();

  if (req.syntaxCheck) {
    for (const pb of playbooks) req.out(`\nplaybook: ${relative(req.cwd, pb.file) || pb.file}`);
    return EXIT.ok;
  }
  if (req.listTasks || req.listTags || req.listHosts) {
    for (const pb of playbooks) listPlaybook(pb, inventory, req);
    return EXIT.ok;
  }

  const reporter = req.reporter();
  const run = new RunState(req.options, inventory, reporter);
  // every role of every play is validated before the first play starts
  const runners = playbooks.map((pb) => pb.plays.map((play) => new PlayRunner(run, play, { resolveAction })));
  const problems: UserError[] = [];
  for (const list of runners) for (const r of list) problems.push(...(await r.validateUpfront()));
  if (problems.length) {
    await reporter.close();
    throw problems.length === 1 ? problems[0] : new UserErrors(problems);
  }
  let exit: number = EXIT.ok;
  const interrupts = watchInterrupts(run);
  try {
    const work = (async () => {
      for (const [i, pb] of playbooks.entries()) {
        reporter.playbookStart(pb.file);
        for (const runner of runners[i]) {
          if (run.interrupted) return;
          // false: a batch's hosts all failed, or any_errors_fatal/max_fail_percentage broke the play
          if (!(await runner.execute())) break;
        }
      }
    })();
    // once interrupted, the running task gets a moment to unwind (its commands are killed), no more
    await Promise.race([work, interrupts.stopped]).catch((err: unknown) => {
      if (!run.interrupted) throw err;
    });
    work.catch(() => undefined);
    if (run.interrupted) return await endInterrupted(run, reporter, interrupts.signal());
    reporter.recap(playedStats(run));
    await reporter.close();
  } catch (err) {
    if (err instanceof UserError && err.exitCode === EXIT.invalidInput) {
      // a problem found while running (a missing handler, a bad include): Ansible exits 1 here
      await reporter.close();
      throw new UserError(err.message, err.pos, EXIT.error, err.detail);
    }
    // a tsplay bug outside any task: what ran so far is still summed up before the error
    reporter.recap(playedStats(run));
    await reporter.close();
    throw err;
  } finally {
    interrupts.uninstall();
    // every way out closes every connection; one that does not close in time is left to the exit
    await Promise.race([run.connections.dispose(), new Promise((r) => setTimeout(r, 1000).unref())]);
    await stopFallbackHelper();
  }
  if ([...run.hosts.values()].some((h) => h.stats.unreachable > 0)) exit = EXIT.unreachable;
  else if ([...run.hosts.values()].some((h) => h.stats.failed > 0)) exit = EXIT.hostFailed;
  return exit;
}

/** an interrupted run: Ansible's error line and the recap so far (run's finally closes the connections); exit 99 */
async function endInterrupted(run: RunState, reporter: Reporter, signal: NodeJS.Signals | undefined): Promise<number> {
  flushReportOutput();
  process.stderr.write(` [ERROR]: ${signal === 'SIGTERM' ? 'Execution terminated (SIGTERM)' : 'User interrupted execution'}\n`);
  reporter.recap(playedStats(run));
  await reporter.close();
  return EXIT.interrupted;
}

/** the recap's rows: hosts that have been in a batch, as Ansible lists them */
function playedStats(run: RunState): Map<string, HostState['stats']> {
  return new Map([...run.hosts.values()].filter((h) => h.played).map((h) => [h.name, h.stats]));
}

function playTags(play: PlayNode): string[] {
  return play.keywords.tags ?? [];
}

function listPlaybook(pb: Playbook, inventory: Inventory, req: RunRequest): void {
  const o = req.options;
  req.out(`\nplaybook: ${relative(req.cwd, pb.file) || pb.file}`);
  pb.plays.forEach((play, i) => {
    const pattern = Array.isArray(play.hosts) ? play.hosts.join(',') : String(play.hosts);
    req.out(`\n  play #${i + 1} (${pattern}): ${play.name}\tTAGS: [${playTags(play).join(', ')}]`);
    if (req.listHosts) {
      let hosts = matchHosts(inventory, pattern);
      if (o.limit) {
        const allowed = new Set(matchHosts(inventory, o.limit));
        hosts = hosts.filter((h) => allowed.has(h));
      }
      req.out(`    pattern: ['${pattern}']`);
      req.out(`    hosts (${hosts.length}):`);
      for (const h of hosts) req.out(`      ${h}`);
    }
    const tasks = staticTasks([...play.preTasks, ...playRoleBlocks(play), ...play.tasks, ...play.postTasks]);
    const only = req.listTags && o.tags.length === 0 ? ['never', 'all'] : o.tags;
    const selected = tasks.filter((t) => shouldRunTags(effectiveTags(t), only, o.skipTags));
    if (req.listTasks) {
      req.out('    tasks:');
      for (const t of selected) {
        if (t.resolved === 'ansible.builtin.meta') continue;
        const role = roleName(t);
        // an include_role is listed by its own name, without the role it sits in (IncludeRole.get_name)
        const prefixed = role && t.resolved !== 'ansible.builtin.include_role';
        const name = t.name ? (prefixed ? `${role} : ${t.name}` : t.name) : t.action;
        req.out(`      ${name}\tTAGS: [${effectiveTags(t).sort().join(', ')}]`);
      }
    }
    if (req.listTags) {
      const all = new Set<string>();
      for (const t of selected) for (const tag of effectiveTags(t)) if (tag !== 'never' && tag !== 'always') all.add(tag);
      req.out(`      TASK TAGS: [${[...all].sort().join(', ')}]`);
    }
  });
}

function roleName(t: TaskNode): string | undefined {
  for (let s: TaskNode['scope'] | undefined = t.scope; s; s = s.parent) if (s.role) return s.role.name;
  return undefined;
}

function staticTasks(nodes: Node[]): TaskNode[] {
  const out: TaskNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'task') out.push(n);
    else out.push(...staticTasks(n.block), ...staticTasks(n.rescue), ...staticTasks(n.always));
  }
  return out;
}
