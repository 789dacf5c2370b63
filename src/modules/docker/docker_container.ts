/**
 * community.docker.docker_container on dockerode: find the container, compare only the options
 * the task gave, recreate on a difference, then bring it to the wanted state. For `detach: false`
 * it waits for the exit, returns `status` and `container.Output`, and fails on a non-zero exit
 * with the output as msg, as community.docker 3.4 does.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import type { DockerClient } from '../../docker/client.js';
import type { Json } from '../../docker/api.js';
import { demuxFrames, dial, findImage, inspectContainer, inspectImage, isImageId, parseRepositoryTag, pullImage } from '../../docker/api.js';
import { DockerError } from '../../docker/errors.js';
import { clientForTask, dockerFailure } from './common.js';
import { dockerContainerSpec, pullPolicy } from './container/spec.js';
import { DifferenceTracker, compareGeneric, type Comparison } from './container/compare.js';
import type { CreateBody, OptionModel, Params } from './container/options.js';
import { ParamError, attachFields, containerOptions, givenOptionNames } from './container/options.js';

/** Ends a run early with a failed result (Ansible's fail_json). */
class TaskFailure extends Error {
  constructor(readonly result: ModuleResult) {
    super(String(result.msg));
  }
}

const COMPAT_DEFAULTS: Params = {
  auto_remove: false,
  detach: true,
  init: false,
  interactive: false,
  memory: '0',
  paused: false,
  privileged: false,
  read_only: false,
  tty: false,
};

/** Exit statuses that mean the process died of a signal (128 + n), with the signal's name. */
const SIGNAL_NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 15: 'SIGTERM' };

class ContainerRun {
  readonly results: ModuleResult & { actions: Json[] } = { changed: false, actions: [] };
  private readonly diff = new DifferenceTracker();
  private legacyDifferences: unknown;
  private imageDifferent = false;
  private facts: Json | null = null;
  private readonly options: OptionModel[];
  /** the image is compared by Id, outside the option table */
  private imageComparison: Comparison = 'strict';

  constructor(
    private readonly client: DockerClient,
    private readonly params: Params,
    private readonly ctx: ModuleContext,
  ) {
    this.options = containerOptions();
    // every given option is normalised once up front, so a bad value fails before anything happens
    const given = givenOptionNames(params);
    for (const option of this.options) if (given.has(option.name)) option.expected(params[option.name], null, params);
    this.applyComparisons();
  }

  private get check(): boolean {
    return this.ctx.check;
  }
  private get name(): string {
    return String(this.params.name);
  }

  private fail(msg: string, extra: ModuleResult = {}): never {
    throw new TaskFailure({ ...extra, failed: true, msg });
  }

  private applyComparisons(): void {
    const comparisons = this.params.comparisons as Record<string, unknown> | null | undefined;
    if (!comparisons) return;
    const byName = new Map(this.options.map((o) => [o.name, o]));
    const aliases: Record<string, string> = { ports: 'published_ports', exposed: 'exposed_ports', expose: 'exposed_ports', log_opt: 'log_options' };
    if ('*' in comparisons) {
      const v = comparisons['*'];
      if (v !== 'strict' && v !== 'ignore') this.fail("The wildcard can only be used with comparison modes 'strict' and 'ignore'!");
      for (const o of this.options) o.comparison = v;
      this.imageComparison = v;
    }
    for (const [key, value] of Object.entries(comparisons)) {
      if (key === '*') continue;
      if (key === 'image') {
        if (value !== 'strict' && value !== 'ignore') this.fail(`Option 'image' is a value and not a set/list/dict, so its comparison cannot be ${String(value)}`);
        this.imageComparison = value;
        continue;
      }
      const option = byName.get(aliases[key] ?? key);
      if (!option) this.fail(`Unknown module option '${key}' in comparisons dict!`);
      if (value === 'strict' || value === 'ignore') option.comparison = value;
      else if (value === 'allow_more_present') {
        if (option.type === 'value') this.fail(`Option '${key}' is a value and not a set/list/dict, so its comparison cannot be ${value}`);
        option.comparison = value;
      } else this.fail(`Unknown comparison mode '${String(value)}'!`);
    }
    // volume_binds follows volumes, as in community.docker
    const volumes = byName.get('volumes');
    const binds = byName.get('volume_binds');
    if (volumes && binds) binds.comparison = volumes.comparison;
  }

  async run(): Promise<ModuleResult> {
    if (this.params.state === 'absent') await this.absent();
    else await this.present(String(this.params.state));
    const out: ModuleResult = { ...this.results };
    if (!this.check && !this.params.debug) delete out.actions;
    if (this.ctx.diff || this.params.debug) {
      const { before, after } = this.diff.beforeAfter();
      const diff: Record<string, unknown> = { before, after };
      if (this.legacyDifferences) diff.differences = this.legacyDifferences;
      if (this.imageDifferent) diff.image_different = true;
      out.diff = diff as ModuleResult['diff'];
    }
    if (this.facts) out.container = this.facts;
    return out;
  }

  private isRunning(c: Json | null): boolean {
    const state = c?.State as Json | undefined;
    return Boolean(state?.Running) && !state?.Ghost;
  }

  private isRemoving(c: Json | null): boolean {
    return (c?.State as Json | undefined)?.Status === 'removing';
  }

  private async present(state: string): Promise<void> {
    let container = await inspectContainer(this.client, this.name);
    const wasRunning = this.isRunning(container);
    const { image, comparisonImage } = await this.resolveImage(container);

    if (!container || this.isRemoving(container)) {
      if (!this.params.image) this.fail('Cannot create container when image is not specified!');
      this.diff.add('exists', true, false);
      if (container && !this.check) await this.waitForRemoval(String(container.Id));
      container = await this.create(String(this.params.image), null);
    } else {
      const { different, differences } = this.differences(container, comparisonImage);
      const imageDifferent = this.imageIsDifferent(image, container);
      let nameMismatch = false;
      if (
        this.params.image_name_mismatch === 'recreate' &&
        this.params.image &&
        this.params.image !== (container.Config as Json | undefined)?.Image
      ) {
        nameMismatch = true;
        this.diff.add('image_name', this.params.image, (container.Config as Json | undefined)?.Image);
      }
      if (imageDifferent || different || nameMismatch || this.params.recreate) {
        this.diff.merge(differences);
        this.legacyDifferences = differences.legacy();
        this.imageDifferent = imageDifferent;
        const imageToUse = (this.params.image as string | null) ?? (container.Image as string | undefined);
        if (!imageToUse) this.fail('Cannot recreate container when image is not specified or cannot be extracted from current container!');
        const oldId = String(container.Id);
        if (this.isRunning(container)) await this.stop(oldId);
        await this.remove(oldId, false);
        if (!this.check) await this.waitForRemoval(oldId);
        // in check mode nothing was created: keep reporting the existing container
        container = (await this.create(imageToUse, container)) ?? container;
        }
    }

    if (container) {
      container = await this.updateLimits(container, comparisonImage);
      const running = this.isRunning(container);
      const id = String(container.Id);
      if (state === 'started' && !running) {
        this.diff.add('running', true, wasRunning);
        container = await this.start(id, container);
      } else if (state === 'started' && this.params.restart) {
        this.diff.add('running', true, wasRunning);
        this.diff.add('restarted', true, false);
        container = await this.restart(id, container);
      } else if (state === 'stopped' && running) {
        this.diff.add('running', false, wasRunning);
        await this.stop(id);
        container = this.check ? container : await inspectContainer(this.client, id);
      }
      if (container && state === 'started' && this.params.paused !== null && this.params.paused !== undefined) {
        const paused = Boolean((container.State as Json | undefined)?.Paused);
        if (paused !== this.params.paused) {
          this.diff.add('paused', this.params.paused, paused);
          if (!this.check) {
            await dial(this.client, `${this.params.paused ? 'pausing' : 'unpausing'} container ${id}`, {
              method: 'POST',
              path: `/containers/${id}/${this.params.paused ? 'pause' : 'unpause'}`,
            });
            container = await inspectContainer(this.client, id);
          }
          this.results.changed = true;
          this.results.actions.push({ set_paused: this.params.paused });
        }
      }
    }
    this.facts = container;
  }

  private async absent(): Promise<void> {
    const container = await inspectContainer(this.client, this.name);
    if (!container) return;
    const id = String(container.Id);
    if (this.isRunning(container)) {
      this.diff.add('running', false, true);
      await this.stop(id);
    }
    this.diff.add('exists', false, true);
    await this.remove(id, false);
  }

  private async resolveImage(container: Json | null): Promise<{ image: Json | null; comparisonImage: Json | null }> {
    const param = this.params.image as string | null | undefined;
    if (!param) {
      return { image: null, comparisonImage: container ? await this.containerImage(container) : null };
    }
    const policy = pullPolicy(this.params.pull);
    let image: Json | null;
    if (isImageId(param)) {
      image = await inspectImage(this.client, param);
      if (!image) this.fail(`Error inspecting image ID ${param} - no such image`);
    } else {
      const { repository, tag = 'latest' } = parseRepositoryTag(param);
      image = await findImage(this.client, repository, tag);
      if (!image && policy === 'never') {
        this.fail(`Cannot find image with name ${repository}:${tag}, and pull=never (the image must exist locally: build, load or tag it first)`);
      }
      if ((!image && policy !== 'never') || policy === 'always') {
        if (!this.check) {
          try {
            const pulled = await pullImage(this.client, repository, tag, (this.params.platform as string | null) ?? undefined);
            image = pulled.image;
            if (pulled.changed) {
              this.results.changed = true;
              this.results.actions.push({ pulled_image: `${repository}:${tag}` });
            } else this.results.changed = false;
          } catch (err) {
            if (err instanceof DockerError && err.kind !== 'no-daemon' && err.kind !== 'permission') {
              const reason = err.message.replace(/^Error pulling image [^ ]+ via [^:]+: /, '');
              this.fail(
                `${reason.startsWith('Error pulling') ? reason : `Error pulling image ${repository}:${tag} - ${reason}`}` +
                  ` (the image is not available locally and could not be pulled; build or load it first, or check the registry is reachable)`,
              );
            }
            throw err;
          }
        } else if (!image) {
          this.results.changed = true;
          this.results.actions.push({ pulled_image: `${repository}:${tag}` });
        }
      }
    }
    let comparisonImage = image;
    if (this.params.image_comparison === 'current-image' && container) {
      comparisonImage = (await this.containerImage(container)) ?? image;
    }
    return { image, comparisonImage };
  }

  private async containerImage(container: Json): Promise<Json | null> {
    if (this.isRemoving(container)) return null;
    const id = container.Image as string | undefined;
    return id ? inspectImage(this.client, id) : null;
  }

  private imageIsDifferent(image: Json | null, container: Json): boolean {
    if (this.imageComparison === 'ignore') return false;
    if (image?.Id && container.Image && image.Id !== container.Image) {
      this.diff.add('image', image.Id, container.Image);
      return true;
    }
    return false;
  }

  /** non-updatable differences decide recreation; updatable ones join in only then */
  private differences(container: Json, image: Json | null): { different: boolean; differences: DifferenceTracker } {
    const fixed = this.recordDifferences(container, image, false);
    if (!fixed.empty) fixed.merge(this.recordDifferences(container, image, true));
    return { different: !fixed.empty, differences: fixed };
  }

  private recordDifferences(container: Json, image: Json | null, updatable: boolean): DifferenceTracker {
    const tracker = new DifferenceTracker();
    const given = givenOptionNames(this.params);
    for (const option of this.options) {
      if (Boolean(option.updatable) !== updatable || !given.has(option.name)) continue;
      const expected = option.expected(this.params[option.name], image, this.params);
      const current = option.current(container);
      if (!compareGeneric(expected, current, option.comparison as Comparison, option.type)) {
        const sortIfSet = (v: unknown): unknown =>
          option.type === 'set' && Array.isArray(v) ? [...v].sort() : v;
        tracker.add(option.name, sortIfSet(expected), sortIfSet(current));
      }
    }
    return tracker;
  }

  private async updateLimits(container: Json, image: Json | null): Promise<Json> {
    const limits = this.recordDifferences(container, image, true);
    if (limits.empty) return container;
    this.diff.merge(limits);
    if (this.check) return container; // community.docker reports nothing for these in check mode
    const body: Record<string, unknown> = {};
    const given = givenOptionNames(this.params);
    for (const option of this.options) {
      if (option.updatable && option.update && given.has(option.name)) option.update(body, this.params[option.name], this.params);
    }
    const id = String(container.Id);
    this.results.actions.push({ updated: id, update_parameters: body });
    this.results.changed = true;
    await dial(this.client, `updating container ${id}`, { method: 'POST', path: `/containers/${id}/update`, body });
    return (await inspectContainer(this.client, id)) ?? container;
  }

  private createBody(image: string): CreateBody {
    const body: CreateBody = { HostConfig: {} };
    const given = givenOptionNames(this.params);
    for (const option of this.options) {
      if (given.has(option.name)) option.set(body, this.params[option.name], this.params);
    }
    Object.assign(body, attachFields(this.params));
    body.Image = image;
    return body;
  }

  private async create(image: string, previous: Json | null): Promise<Json | null> {
    const body = this.createBody(image);
    this.results.actions.push({ created: 'Created container', create_parameters: body });
    this.results.changed = true;
    if (this.check) return null;
    const query: Record<string, string> = { name: this.name };
    if (typeof this.params.platform === 'string') query.platform = this.params.platform;
    let created: Json;
    try {
      created = await dial<Json>(this.client, `creating container ${this.name}`, { method: 'POST', path: '/containers/create', query, body });
    } catch (err) {
      if (err instanceof DockerError && err.kind === 'name-conflict') {
        this.fail(
          `Error creating container: ${err.message.replace(/^Error creating container [^:]+: /, '')}. ` +
            `Another container took the name "${this.name}" ${previous ? 'while the old one was being replaced' : 'after tsplay looked it up'}; ` +
            'remove it (docker rm -f) or choose another name.',
        );
      }
      if (err instanceof DockerError && err.kind !== 'no-daemon' && err.kind !== 'permission') {
        this.fail(`Error creating container: ${err.message.replace(/^Error creating container [^:]+: /, '')}`);
      }
      throw err;
    }
    for (const w of (created.Warnings as string[] | null) ?? []) this.ctx.warn(`Docker warning: ${w}`);
    return inspectContainer(this.client, String(created.Id));
  }

  private async start(id: string, container: Json): Promise<Json | null> {
    this.results.actions.push({ started: id });
    this.results.changed = true;
    if (this.check) return container;
    const runToExit = this.params.detach === false;
    // Registered before start so the exit cannot be missed, even with auto_remove. With auto_remove
    // it waits for the removal too: inspecting right after the exit raced the daemon's removal, so
    // the result held the dying container or nothing; Ansible, slower to ask, reports nothing.
    // (without the answer timeout: the daemon answers when the container exits, as community.docker waits)
    const waited = runToExit
      ? this.client.untimed().then((untimed) =>
          dial<{ StatusCode: number; Error?: { Message?: string } | null }>(untimed, `waiting for container ${this.name}`, {
            method: 'POST',
            path: `/containers/${id}/wait`,
            query: { condition: this.params.auto_remove ? 'removed' : 'next-exit' },
          }),
        )
      : undefined;
    waited?.catch(() => undefined); // handled below; avoid an unhandled rejection if start fails first
    try {
      await dial(this.client, `starting container ${id}`, { method: 'POST', path: `/containers/${id}/start` });
    } catch (err) {
      if (err instanceof DockerError && err.kind !== 'no-daemon' && err.kind !== 'permission') {
        this.fail(`Error starting container ${id}: ${err.message.replace(/^Error starting container [^:]+: /, '')}`);
      }
      throw err;
    }
    if (!waited) return inspectContainer(this.client, id);

    let status: number;
    try {
      status = (await waited).StatusCode;
    } catch (err) {
      if (err instanceof DockerError && err.statusCode === 404) {
        this.fail(`Container "${this.name}" vanished while running (it was removed by something else before it exited)`);
      }
      throw err;
    }
    this.results.status = status;
    let output: string;
    let after = await inspectContainer(this.client, id);
    if (this.params.auto_remove) {
      output = 'Cannot retrieve result as auto_remove is enabled';
      if (this.params.output_logs) this.ctx.warn('Cannot output_logs if auto_remove is enabled!');
    } else if (!after) {
      this.fail(`Container "${this.name}" vanished before its output could be read (exit status ${status}): something removed it while the task ran`, { status });
    } else {
      try {
        output = await this.output(id, after);
      } catch (err) {
        // 404: gone; 409: "dead or marked for removal" — someone removed it under us
        if (err instanceof DockerError && (err.statusCode === 404 || err.statusCode === 409)) {
          this.fail(`Container "${this.name}" vanished before its output could be read (exit status ${status}): something removed it while the task ran`, { status });
        }
        throw err;
      }
    }
    if (this.params.cleanup) {
      await this.remove(id, true);
      after = null;
    }
    const facts: Json = after ? { ...after, Output: output } : { Output: output };
    if (status !== 0) {
      this.results.failed = true;
      this.results.msg = output;
      const signal = status > 128 ? SIGNAL_NAMES[status - 128] : undefined;
      const oom = Boolean((after?.State as Json | undefined)?.OOMKilled);
      if ((signal || oom) && output.trim() === '') {
        this.results.msg = `Container "${this.name}" was killed${oom ? ' (out of memory)' : ''} before it finished: exit status ${status}${signal ? ` (${signal})` : ''}, no output`;
      }
    }
    return facts;
  }

  private async output(id: string, container: Json): Promise<string> {
    const driver = ((container.HostConfig as Json | undefined)?.LogConfig as Json | undefined)?.Type as string | undefined;
    if (driver && !['json-file', 'journald', 'local'].includes(driver)) return `Result logged using \`${driver}\` driver`;
    const raw = await this.client.call(`reading the output of container ${this.name}`, (api) =>
      api.getContainer(id).logs({ stdout: true, stderr: true, follow: false, timestamps: false, tail: 'all' } as never) as unknown as Promise<Buffer>,
    );
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
    const tty = Boolean((container.Config as Json | undefined)?.Tty);
    const text = (tty ? buf : demuxFrames(buf).combined).toString('utf8');
    // community.docker sends these to the target's syslog, not the play output: show them only at -vvv
    if (this.params.output_logs) for (const line of text.split('\n')) if (line) this.ctx.log(3, line);
    return text;
  }

  private async restart(id: string, container: Json): Promise<Json | null> {
    this.results.actions.push({ restarted: id, timeout: this.params.stop_timeout ?? null });
    this.results.changed = true;
    if (this.check) return container;
    await dial(this.client, `restarting container ${id}`, {
      method: 'POST',
      path: `/containers/${id}/restart`,
      query: { t: (this.params.stop_timeout as number | null) ?? 10 },
    });
    return inspectContainer(this.client, id);
  }

  private async stop(id: string): Promise<void> {
    if (this.params.force_kill) {
      this.results.actions.push({ killed: id, signal: this.params.kill_signal ?? null });
      this.results.changed = true;
      if (this.check) return;
      await dial(this.client, `killing container ${id}`, {
        method: 'POST',
        path: `/containers/${id}/kill`,
        query: { signal: (this.params.kill_signal as string | null) ?? undefined },
      });
      return;
    }
    this.results.actions.push({ stopped: id, timeout: this.params.stop_timeout ?? null });
    this.results.changed = true;
    if (this.check) return;
    await dial(this.client, `stopping container ${id}`, {
      method: 'POST',
      path: `/containers/${id}/stop`,
      query: { t: (this.params.stop_timeout as number | null) ?? undefined },
      ok: [204, 304],
    });
  }

  private async remove(id: string, force: boolean): Promise<void> {
    const removeVolumes = !this.params.keep_volumes;
    this.results.actions.push({ removed: id, volume_state: removeVolumes, link: false, force });
    this.results.changed = true;
    if (this.check) return;
    try {
      await dial(this.client, `removing container ${id}`, {
        method: 'DELETE',
        path: `/containers/${id}`,
        query: { v: removeVolumes, link: false, force },
      });
    } catch (err) {
      if (err instanceof DockerError && err.statusCode === 404) return;
      if (err instanceof DockerError && /removal of container .* is already in progress/.test(err.message)) return;
      throw err;
    }
  }

  private async waitForRemoval(id: string): Promise<void> {
    const limitMs = typeof this.params.removal_wait_timeout === 'number' ? this.params.removal_wait_timeout * 1000 : undefined;
    const started = Date.now();
    let delay = 100;
    for (;;) {
      const c = await inspectContainer(this.client, id);
      if (!c) return;
      const status = (c.State as Json | undefined)?.Status;
      if (status !== 'removing') this.fail(`Encontered unexpected state "${String(status)}" while waiting for container "${id}"`);
      if (limitMs !== undefined && Date.now() - started > limitMs) {
        this.fail(`Timeout of ${this.params.removal_wait_timeout} seconds exceeded while waiting for container "${id}"`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 2000);
    }
  }
}

function applyDefaultBehavior(args: Params): Params {
  const params: Params = { ...args };
  if (params.container_default_behavior === 'compatibility') {
    for (const [k, v] of Object.entries(COMPAT_DEFAULTS)) if (params[k] === null || params[k] === undefined) params[k] = v;
  }
  return params;
}

export { dockerContainerSpec, pullPolicy };

export async function runDockerContainer(args: Params, ctx: ModuleContext): Promise<ModuleResult> {
  if (args.state === 'present' && !args.image) {
    return { failed: true, msg: 'state is present but all of the following are missing: image' };
  }
  let run: ContainerRun | undefined;
  try {
    const params = applyDefaultBehavior(args);
    pullPolicy(params.pull);
    if (typeof params.env_file === 'string' && params.env_file !== '') {
      // read on the target, as the module would; the task's env wins over the file
      const envFile = params.env_file;
      const text = await ctx.conn.readFile(envFile, { become: ctx.become }).catch((err: unknown) => {
        throw new ParamError(`Cannot read env_file ${envFile}: ${err instanceof Error ? err.message : String(err)}`);
      });
      const fromFile = parseEnvFile(envFile, text.toString('utf8'));
      params.env = { ...fromFile, ...((params.env as Record<string, unknown> | null) ?? {}) };
    }
    const client = await clientForTask(args, ctx);
    run = new ContainerRun(client, params, ctx);
    return await run.run();
  } catch (err) {
    if (err instanceof TaskFailure) return { ...(run ? pickStatus(run.results) : {}), ...err.result };
    if (err instanceof ParamError) return { failed: true, msg: err.message };
    return dockerFailure(err, { changed: run?.results.changed ?? false });
  }
}

/** KEY=VALUE lines; `#` comments and blank lines skipped, as community.docker reads env files */
export function parseEnvFile(path: string, text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue;
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new ParamError(`Invalid line in environment file ${path}:\n${line}`);
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** keep what already happened (changed, status) in a failed result, as fail_json does with fail_results */
function pickStatus(results: ModuleResult): ModuleResult {
  const out: ModuleResult = { changed: results.changed ?? false };
  if (results.status !== undefined) out.status = results.status;
  return out;
}

export const dockerContainer: ModuleDefinition = {
  name: 'community.docker.docker_container',
  aliases: ['docker_container'],
  spec: {
    short_description: 'manage Docker containers',
    options: dockerContainerSpec,
    required_if: [['state', 'present', ['image']]],
  },
  supportsCheckMode: true,
  run: runDockerContainer,
};
