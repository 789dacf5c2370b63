/**
 * ansible.builtin.apt: installs, upgrades and removes Debian packages by driving apt-get,
 * dpkg-query and apt-cache on the target (no python-apt needed there). The decisions and the
 * result keys follow Ansible 2.14's apt module: packages already in the requested state are left
 * alone (changed: false), a package to install is pinned to the version APT picked, check mode
 * runs apt-get with --simulate, and diff mode shows the part of apt-get's output that lists
 * what would change.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import type { ArgumentSpec } from '../../argspec/types.js';
import { APT_ENV, installPythonApt, updateAptCache } from './apt-cache.js';
import { asBool, asInt, asList, asOptionalBool, fail, run, sleep, withLines } from './common.js';
import { type PackageStatus, type TargetAptState, fnmatch, probeAptState, providersOf, splitPackageSpec, statusOf } from './apt-status.js';
import { shlexSplit } from '../../util/shlex.js';

const DPKG_OPTIONS = 'force-confdef,force-confold';
const APT_GET_ZERO = '\n0 upgraded, 0 newly installed';

export const aptOptions: ArgumentSpec = {
  state: { type: 'str', default: 'present', choices: ['absent', 'build-dep', 'fixed', 'latest', 'present'] },
  update_cache: { type: 'bool', aliases: ['update-cache'] },
  update_cache_retries: { type: 'int', default: 5 },
  update_cache_retry_max_delay: { type: 'int', default: 12 },
  cache_valid_time: { type: 'int', default: 0 },
  purge: { type: 'bool', default: false },
  package: { type: 'list', elements: 'str', aliases: ['pkg', 'name'] },
  deb: { type: 'path' },
  default_release: { type: 'str', aliases: ['default-release'] },
  install_recommends: { type: 'bool', aliases: ['install-recommends'] },
  force: { type: 'bool', default: false },
  upgrade: { type: 'str', choices: ['dist', 'full', 'no', 'safe', 'yes'], default: 'no' },
  dpkg_options: { type: 'str', default: DPKG_OPTIONS },
  autoremove: { type: 'bool', default: false },
  autoclean: { type: 'bool', default: false },
  fail_on_autoremove: { type: 'bool', default: false },
  policy_rc_d: { type: 'int' },
  only_upgrade: { type: 'bool', default: false },
  force_apt_get: { type: 'bool', default: false },
  clean: { type: 'bool', default: false },
  allow_unauthenticated: { type: 'bool', default: false, aliases: ['allow-unauthenticated'] },
  allow_downgrade: { type: 'bool', default: false, aliases: ['allow-downgrade', 'allow_downgrades', 'allow-downgrades'] },
  allow_change_held_packages: { type: 'bool', default: false },
  lock_timeout: { type: 'int', default: 60 },
};

export type AptArgs = Record<string, unknown>;

/** Options after defaults, read defensively so run() also works on unvalidated input. */
interface AptOptions {
  state: string;
  packages: string[];
  updateCache: boolean | undefined;
  retries: number;
  retryMaxDelay: number;
  cacheValidTime: number;
  purge: boolean;
  defaultRelease: string | undefined;
  installRecommends: boolean | undefined;
  force: boolean;
  upgrade: string | undefined;
  dpkgOptions: string;
  autoremove: boolean;
  autoclean: boolean;
  failOnAutoremove: boolean;
  onlyUpgrade: boolean;
  clean: boolean;
  allowUnauthenticated: boolean;
  allowDowngrade: boolean;
  allowChangeHeld: boolean;
  lockTimeout: number;
}

function readOptions(args: AptArgs): AptOptions {
  const upgrade = typeof args.upgrade === 'string' ? args.upgrade : args.upgrade === true ? 'yes' : 'no';
  return {
    state: typeof args.state === 'string' ? args.state : 'present',
    packages: asList(args.package ?? args.name ?? args.pkg),
    updateCache: asOptionalBool(args.update_cache ?? args['update-cache']),
    retries: asInt(args.update_cache_retries, 5),
    retryMaxDelay: asInt(args.update_cache_retry_max_delay, 12),
    cacheValidTime: asInt(args.cache_valid_time, 0),
    purge: asBool(args.purge, false),
    defaultRelease: typeof args.default_release === 'string' ? args.default_release : undefined,
    installRecommends: asOptionalBool(args.install_recommends),
    force: asBool(args.force, false),
    upgrade: upgrade === 'no' ? undefined : upgrade,
    dpkgOptions: typeof args.dpkg_options === 'string' ? args.dpkg_options : DPKG_OPTIONS,
    autoremove: asBool(args.autoremove, false),
    autoclean: asBool(args.autoclean, false),
    failOnAutoremove: asBool(args.fail_on_autoremove, false),
    onlyUpgrade: asBool(args.only_upgrade, false),
    clean: asBool(args.clean, false),
    allowUnauthenticated: asBool(args.allow_unauthenticated, false),
    allowDowngrade: asBool(args.allow_downgrade, false),
    allowChangeHeld: asBool(args.allow_change_held_packages, false),
    lockTimeout: asInt(args.lock_timeout, 60),
  };
}

/** `force-confdef,force-confold` → `-o "Dpkg::Options::=--force-confdef" -o ...` */
function expandDpkgOptions(compressed: string): string {
  return compressed
    .split(',')
    .map((option) => `-o "Dpkg::Options::=--${option}"`)
    .join(' ');
}

/** The part of apt-get's output that says what changes, as Ansible's diff shows it. */
export function parseAptDiff(output: string): { prepared: string } {
  const lines = output.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  let start = lines.indexOf('Resolving dependencies...');
  if (start < 0) start = lines.indexOf('Reading state information...');
  let end = lines.findIndex((line) => /^[0-9]+ (packages )?upgraded/.test(line));
  if (end < 0) end = lines.length;
  return { prepared: lines.slice(start + 1, end + 1).join('\n') };
}

class AptRun {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly opts: AptOptions,
    private readonly aptGet: string,
    private readonly autoInstalled: Set<string> = new Set(),
  ) {}

  /** runs an Ansible-style command line without a shell; waits out a held dpkg lock */
  async command(line: string) {
    const deadline = Date.now() + this.opts.lockTimeout * 1000;
    for (;;) {
      const result = await run(this.ctx, shlexSplit(line), APT_ENV);
      const locked = result.rc !== 0 && /Could not get lock|Unable to acquire the dpkg frontend lock/.test(result.stderr);
      if (!locked || Date.now() >= deadline) return result;
      await sleep(1000, this.ctx.signal);
      if (this.ctx.signal?.aborted) return result;
    }
  }

  private get dpkg(): string {
    return expandDpkgOptions(this.opts.dpkgOptions);
  }

  private get simulate(): string {
    return this.ctx.check ? '--simulate' : '';
  }

  private diffOf(out: string) {
    return this.ctx.diff ? parseAptDiff(out) : {};
  }

  async install(
    specs: string[],
    statuses: Map<string, PackageStatus>,
    how: { upgrade: boolean; buildDep: boolean; fixed: boolean },
  ): Promise<ModuleResult> {
    const o = this.opts;
    const pkgList: string[] = [];
    const names: string[] = [];
    for (const spec of specs) {
      if (how.buildDep) {
        pkgList.push(`'${spec}'`);
        continue;
      }
      const { name, cmp, version } = splitPackageSpec(spec);
      names.push(name);
      const st = statuses.get(spec);
      if (!st) continue;
      if (!st.installed && o.onlyUpgrade) continue;
      if (!st.versionInstalled && !st.installable) {
        return { failed: true, changed: false, msg: `no available installation candidate for ${spec}` };
      }
      if (st.installable && ((!st.installed && !o.onlyUpgrade) || how.upgrade || !st.versionInstalled)) {
        if (st.installable !== true) pkgList.push(`'${name}=${st.installable}'`);
        else if (version) pkgList.push(`'${name}=${version}'`);
        else pkgList.push(`'${name}'`);
      } else if (st.versionInstalled && st.installable && cmp === '=') {
        pkgList.push(`'${name}=${version}'`);
      }
    }
    let result: ModuleResult;
    if (pkgList.length > 0) {
      const packages = pkgList.join(' ');
      const forceYes = o.force ? '--force-yes' : '';
      const autoremove = o.autoremove ? '--auto-remove' : '';
      const noRemove = o.failOnAutoremove ? '--no-remove' : '';
      const onlyUpgrade = o.onlyUpgrade ? '--only-upgrade' : '';
      const fixed = how.fixed ? '--fix-broken' : '';
      let cmd = how.buildDep
        ? `${this.aptGet} -y ${this.dpkg} ${onlyUpgrade} ${fixed} ${forceYes} ${noRemove} ${this.simulate} build-dep ${packages}`
        : `${this.aptGet} -y ${this.dpkg} ${onlyUpgrade} ${fixed} ${forceYes} ${autoremove} ${noRemove} ${this.simulate} install ${packages}`;
      if (o.defaultRelease) cmd += ` -t '${o.defaultRelease}'`;
      if (o.installRecommends === false) cmd += ' -o APT::Install-Recommends=no';
      else if (o.installRecommends === true) cmd += ' -o APT::Install-Recommends=yes';
      if (o.allowUnauthenticated) cmd += ' --allow-unauthenticated';
      if (o.allowDowngrade) cmd += ' --allow-downgrades';
      if (o.allowChangeHeld) cmd += ' --allow-change-held-packages';
      const out = await this.command(cmd);
      if (out.rc !== 0) {
        result = { failed: true, changed: false, msg: `'${cmd}' failed: ${out.stderr}`, stdout: out.stdout, stderr: out.stderr, rc: out.rc };
      } else {
        const changed = how.buildDep ? !out.stdout.includes(APT_GET_ZERO) : true;
        result = { changed, stdout: out.stdout, stderr: out.stderr, diff: this.diffOf(out.stdout) };
      }
    } else {
      result = { changed: false };
    }
    // Ansible marks every requested package manual; that only changes something for a package
    // apt-get did not just install on request and that APT holds as automatically installed
    const needsMark = pkgList.length > 0 || names.some((name) => this.autoInstalled.has(name));
    if (!how.buildDep && !this.ctx.check && names.length > 0 && needsMark) {
      const markCmd = `apt-mark manual ${names.join(' ')}`;
      const marked = await run(this.ctx, ['apt-mark', 'manual', ...names], APT_ENV);
      if (marked.rc !== 0) {
        return { failed: true, changed: false, msg: `'${markCmd}' failed: ${marked.stderr}`, stdout: marked.stdout, stderr: marked.stderr, rc: marked.rc };
      }
    }
    return result;
  }

  async remove(specs: string[], statuses: Map<string, PackageStatus>): Promise<ModuleResult> {
    const o = this.opts;
    const pkgList = specs.filter((spec) => {
      const st = statuses.get(spec);
      return st !== undefined && (st.versionInstalled || (st.hasFiles && o.purge));
    }).map((spec) => `'${spec}'`);
    if (pkgList.length === 0) return { changed: false };
    const packages = pkgList.join(' ');
    const cmd = `${this.aptGet} -q -y ${this.dpkg} ${o.purge ? '--purge' : ''} ${o.force ? '--force-yes' : ''} ${o.autoremove ? '--auto-remove' : ''} ${this.simulate} remove ${packages}`;
    const out = await this.command(cmd);
    if (out.rc !== 0) {
      return { failed: true, changed: false, msg: `'apt-get remove ${packages}' failed: ${out.stderr}`, stdout: out.stdout, stderr: out.stderr, rc: out.rc };
    }
    return { changed: true, stdout: out.stdout, stderr: out.stderr, diff: this.diffOf(out.stdout) };
  }

  async cleanup(operation: 'autoremove' | 'autoclean'): Promise<ModuleResult> {
    const o = this.opts;
    const cmd = `${this.aptGet} -y ${this.dpkg} ${o.purge ? '--purge' : ''} ${o.force ? '--force-yes' : ''} ${operation} ${this.simulate}`;
    const out = await this.command(cmd);
    if (out.rc !== 0) {
      return { failed: true, changed: false, msg: `'apt-get ${operation}' failed: ${out.stderr}`, stdout: out.stdout, stderr: out.stderr, rc: out.rc };
    }
    const marker = operation === 'autoremove' ? 'The following packages will be REMOVED' : 'Del ';
    return { changed: out.stdout.includes(marker), stdout: out.stdout, stderr: out.stderr, diff: this.diffOf(out.stdout) };
  }

  /** Upgrades with apt-get (the `upgrade` option, or state=latest with name='*'). */
  async upgrade(mode: string): Promise<ModuleResult> {
    const o = this.opts;
    const autoremove = o.autoremove ? '--auto-remove' : '';
    const command = mode === 'dist' || mode === 'full' ? `dist-upgrade ${autoremove}` : `upgrade --with-new-pkgs ${autoremove}`;
    let cmd = `${this.aptGet} -y ${this.dpkg} ${o.force ? '--force-yes' : ''} ${o.failOnAutoremove ? '--no-remove' : ''} ${o.allowUnauthenticated ? '--allow-unauthenticated' : ''} ${o.allowDowngrade ? '--allow-downgrades' : ''} ${this.simulate} ${command}`;
    if (o.defaultRelease) cmd += ` -t '${o.defaultRelease}'`;
    const out = await this.command(cmd);
    if (out.rc !== 0) {
      return { failed: true, changed: false, msg: `'${this.aptGet} ${command}' failed: ${out.stderr}`, stdout: out.stdout, rc: out.rc };
    }
    if (out.stdout.includes(APT_GET_ZERO)) return { changed: false, msg: out.stdout, stdout: out.stdout, stderr: out.stderr };
    return { changed: true, msg: out.stdout, stdout: out.stdout, stderr: out.stderr, diff: this.diffOf(out.stdout) };
  }
}

/** Ansible's package_status over a probe, following a virtual name to its only provider. */
async function statusesFor(
  ctx: ModuleContext,
  state: TargetAptState,
  specs: string[],
  forInstall: boolean,
  defaultRelease: string | undefined,
): Promise<Map<string, PackageStatus> | ModuleResult> {
  const statuses = new Map<string, PackageStatus>();
  for (const spec of specs) {
    const { name, cmp, version } = splitPackageSpec(spec);
    const record = state.packages.get(name);
    const hasVersions = record !== undefined && record.versions.length > 0;
    if (hasVersions) {
      statuses.set(spec, statusOf(record, cmp, version));
      continue;
    }
    if (!forInstall) {
      statuses.set(spec, { installed: false, versionInstalled: false, installable: undefined, hasFiles: false });
      continue;
    }
    const providers = await providersOf(ctx, name);
    if (providers.length === 0) return fail(`No package matching '${name}' is available`);
    if (providers.length === 1) {
      const providerState = await probeAptState(ctx, providers, defaultRelease);
      const providerRecord = providerState.packages.get(providers[0]);
      if (providerRecord && providerRecord.versions.length > 0) {
        const st = statusOf(providerRecord, cmp, version);
        if (st.installed) {
          statuses.set(spec, st);
          continue;
        }
      }
    }
    statuses.set(spec, { installed: false, versionInstalled: false, installable: true, hasFiles: false });
  }
  return statuses;
}

/** Package names may be globs: expanded against every package name APT knows. */
async function expandGlobs(ctx: ModuleContext, specs: string[]): Promise<string[] | ModuleResult> {
  if (!specs.some((spec) => /[*?[\]!]/.test(splitPackageSpec(spec).name))) return specs;
  const listing = await run(ctx, ['apt-cache', 'pkgnames'], APT_ENV);
  const all = listing.stdout.split('\n').filter(Boolean).sort();
  const out: string[] = [];
  for (const spec of specs) {
    const { name } = splitPackageSpec(spec);
    if (!/[*?[\]!]/.test(name)) {
      out.push(spec);
      continue;
    }
    const candidates = name.includes(':') ? all : all.filter((n) => !n.includes(':'));
    const matches = candidates.filter((n) => fnmatch(n, name));
    if (matches.length === 0) return fail(`No package(s) matching '${name}' available`);
    out.push(...matches);
  }
  return out;
}

export async function runApt(args: AptArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const o = readOptions(args);
  if (args.deb !== undefined && args.deb !== null) {
    return fail("tsplay's apt module does not install local .deb files (deb=); use a command task with 'apt-get install ./file.deb'");
  }
  if (args.policy_rc_d !== undefined && args.policy_rc_d !== null) {
    return fail("tsplay's apt module does not support policy_rc_d yet");
  }

  const rawPackages = o.packages;
  const packages = rawPackages.filter((p) => p !== '*').map((p) => p.trim());
  const allInstalled = rawPackages.includes('*');
  for (const spec of packages) {
    if ((spec.match(/=/g) ?? []).length > 1) return fail(`invalid package spec: ${spec}`);
  }
  const names = [...new Set(packages.map((spec) => splitPackageSpec(spec).name))].filter((n) => !/[*?[\]!]/.test(n));

  let state = await probeAptState(ctx, names, o.defaultRelease);
  const aptGet = state.aptGet;
  if (!aptGet) return fail('apt-get was not found on the target: the apt module needs a Debian-family host');
  if (state.lacksPythonApt) {
    if (ctx.check) {
      return fail('python3-apt must be installed to use check mode. If run normally this module can auto-install it.');
    }
    // Ansible's module warns here, but the warning is lost when it re-executes itself under the
    // interpreter that now has python3-apt, so a user never sees it: keep it to verbose output
    ctx.log(3, o.updateCache === false
      ? 'Auto-installing missing dependency without updating cache: python3-apt'
      : 'Updating cache and auto-installing missing dependency: python3-apt');
    const installed = await installPythonApt(ctx, { update: o.updateCache !== false, noRecommends: true });
    if (!installed.ok) return withLines(installed.result);
    state = await probeAptState(ctx, names, o.defaultRelease);
  }
  let apt = new AptRun(ctx, o, aptGet, state.autoInstalled);

  if (o.clean) {
    const cleaned = await run(ctx, ['apt-get', 'clean'], APT_ENV);
    if (cleaned.rc !== 0) return withLines(fail('apt-get clean failed', { stdout: cleaned.stdout, rc: cleaned.rc }));
    if (cleaned.stderr) return withLines(fail(`apt-get clean failed: ${cleaned.stderr}`, { stdout: cleaned.stdout, rc: cleaned.rc }));
    if (packages.length === 0 && !allInstalled && !o.upgrade) {
      return withLines({ changed: true, msg: cleaned.stdout, stdout: cleaned.stdout, stderr: cleaned.stderr });
    }
  }

  let cacheUpdated = false;
  let cacheUpdateTime = state.cacheMtime;
  if (o.updateCache || o.cacheValidTime) {
    if (!(state.cacheMtime + o.cacheValidTime >= state.now)) {
      if (!ctx.check) {
        const update = await updateAptCache(ctx, o.retries, o.retryMaxDelay);
        if (!update.ok) return fail(`Failed to update apt cache: ${update.error || 'unknown reason'}`);
        state = await probeAptState(ctx, names, o.defaultRelease);
      }
      cacheUpdated = ctx.check || state.cacheMtime !== cacheUpdateTime;
      cacheUpdateTime = state.cacheMtime;
    }
    if (rawPackages.length === 0 && !o.upgrade) {
      return { changed: cacheUpdated, cache_updated: cacheUpdated, cache_update_time: cacheUpdateTime };
    }
  }

  if (o.upgrade) return withLines(await apt.upgrade(o.upgrade));
  if (o.state === 'latest' && allInstalled) {
    if (packages.length > 0) return fail('unable to install additional packages when upgrading all installed packages');
    return withLines(await apt.upgrade('yes'));
  }
  if (packages.length === 0) {
    if (o.autoclean) return withLines(await apt.cleanup('autoclean'));
    if (o.autoremove) return withLines(await apt.cleanup('autoremove'));
  }

  const expanded = await expandGlobs(ctx, packages);
  if (!Array.isArray(expanded)) return expanded;
  if (expanded.length !== packages.length || expanded.some((spec, i) => spec !== packages[i])) {
    state = await probeAptState(ctx, expanded.map((spec) => splitPackageSpec(spec).name), o.defaultRelease);
  }

  apt = new AptRun(ctx, o, aptGet, state.autoInstalled);
  if (o.state === 'absent') {
    const statuses = await statusesFor(ctx, state, expanded, false, o.defaultRelease);
    if (!(statuses instanceof Map)) return statuses;
    return withLines(await apt.remove(expanded, statuses));
  }

  const statuses = await statusesFor(ctx, state, o.state === 'build-dep' ? [] : expanded, true, o.defaultRelease);
  if (!(statuses instanceof Map)) return statuses;
  const result = await apt.install(expanded, statuses, {
    upgrade: o.state === 'latest',
    buildDep: o.state === 'build-dep',
    fixed: o.state === 'fixed',
  });
  return withLines({ ...result, cache_updated: cacheUpdated, cache_update_time: cacheUpdateTime });
}

export const apt: ModuleDefinition<AptArgs> = {
  name: 'ansible.builtin.apt',
  supportsCheckMode: true,
  spec: {
    short_description: 'Manages apt-packages',
    options: aptOptions,
    mutually_exclusive: [['deb', 'package', 'upgrade']],
    required_one_of: [['autoremove', 'deb', 'package', 'update_cache', 'upgrade']],
  },
  run: runApt,
};
