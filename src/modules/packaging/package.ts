/**
 * ansible.builtin.package: the portable front for the OS package manager. Like Ansible's action
 * plugin it picks the backend from `use` or ansible_facts.pkg_mgr (probing the target when facts
 * were not gathered) and hands every other argument to that backend unchanged; only apt exists
 * here so far.
 */
import type { ModuleDefinition, ModuleResult } from '../types.js';
import { aptOptions, runApt, type AptArgs } from './apt.js';
import { detectPkgMgr } from '../../facts/distribution.js';
import { fail } from './common.js';

/** package's own options plus the backend's, since Ansible passes them straight through */
const { package: _aptPackage, state: _aptState, ...backendOptions } = aptOptions;
void _aptPackage;
void _aptState;

export const packageModule: ModuleDefinition<AptArgs> = {
  name: 'ansible.builtin.package',
  supportsCheckMode: true,
  spec: {
    short_description: 'Generic OS package manager',
    options: {
      name: { type: 'list', elements: 'str', required: true, aliases: ['pkg', 'package'] },
      state: { type: 'str', default: 'present', choices: ['absent', 'build-dep', 'fixed', 'latest', 'present'] },
      use: { type: 'str', default: 'auto' },
      // the backend applies its own defaults: package itself sets none for them
      ...Object.fromEntries(Object.entries(backendOptions).map(([key, spec]) => {
        const { default: _default, ...rest } = spec;
        void _default;
        return [key, rest];
      })),
    },
  },

  async run(args, ctx): Promise<ModuleResult> {
    const { use = 'auto', ...backendArgs } = args;
    let manager = typeof use === 'string' ? use : 'auto';
    if (manager === 'auto' && typeof ctx.facts.pkg_mgr === 'string') manager = ctx.facts.pkg_mgr;
    if (manager === 'auto') manager = await detectPkgMgr(ctx.conn, ctx.become);
    const backend = manager.replace(/^ansible\.(builtin|legacy)\./, '');
    if (backend === 'apt') {
      const aptArgs: AptArgs = { ...backendArgs };
      if (aptArgs.package === undefined) aptArgs.package = aptArgs.name ?? aptArgs.pkg;
      delete aptArgs.name;
      delete aptArgs.pkg;
      for (const key of Object.keys(aptArgs)) if (aptArgs[key] === undefined) delete aptArgs[key];
      return runApt(aptArgs, ctx);
    }
    if (manager === 'unknown') {
      return fail('Could not detect which package manager to use. Try gathering facts or setting the "use" option.');
    }
    return fail(`Could not find a module for ${manager}.`);
  },
};
