/**
 * `tsplay check`: everything `run` verifies before touching a host (YAML, keywords, modules,
 * roles, dependencies, role arguments), without running anything. Exit 0 when clean, 3 otherwise.
 */
import { loadAll } from './run.js';
import { parseExtraVars } from './extra-vars.js';
import { loadInventory } from '../inventory/inventory.js';
import { RunState } from '../execute/state.js';
import { PlayContext } from '../execute/play-context.js';
import { validateRoleCall } from '../execute/role-validation.js';
import { matchHosts } from '../inventory/patterns.js';
import { EXIT, UserError, UserErrors } from '../util/errors.js';
import { staticCheck } from '../execute/static-check.js';
import { stopFallbackHelper } from '../modules/fallback/index.js';
import { PlainReporter } from '../report/plain.js';

export async function checkPlaybooks(files: string[], flags: { extraVars: string[]; inventory: string[]; tags: string[]; skipTags: string[] }): Promise<number> {
  const cwd = process.cwd();
  const options = {
    check: true, diff: false, forks: 5, verbosity: 0, forceHandlers: false,
    tags: flags.tags.flatMap((t) => t.split(',')), skipTags: flags.skipTags.flatMap((t) => t.split(',')),
    extraVars: parseExtraVars(flags.extraVars, cwd),
  };
  const inventory = loadInventory(flags.inventory, cwd);
  // every problem is listed, not the first: unknown modules, the host-free static checks, role arguments
  const errors: UserError[] = [];
  const playbooks = await loadAll({ playbooks: files, options }, errors);
  try {
    staticCheck(playbooks, inventory, options);
  } catch (err) {
    if (err instanceof UserErrors) errors.push(...err.errors);
    else if (err instanceof UserError) errors.push(err);
    else throw err;
  }
  const reporter = new PlainReporter(() => undefined, () => undefined, 0, true);
  const run = new RunState(options, inventory, reporter);
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      const ctx = new PlayContext(run, play);
      const names = matchHosts(inventory, Array.isArray(play.hosts) ? play.hosts.map(String) : String(play.hosts));
      const hosts = (names.length ? names : ['localhost']).map((n) => run.host(n));
      for (const h of hosts) ctx.playVars.set(h.name, { ...(play.keywords.vars ?? {}) });
      for (const role of play.allRoles) {
        const errs = await validateRoleCall(role, ctx, hosts, options);
        if (errs) errors.push(...errs);
      }
    }
  }
  await stopFallbackHelper();
  if (errors.length) throw new UserErrors(errors);
  for (const pb of playbooks) process.stdout.write(`${pb.file}: OK (${pb.plays.length} play${pb.plays.length === 1 ? '' : 's'})\n`);
  return EXIT.ok;
}
