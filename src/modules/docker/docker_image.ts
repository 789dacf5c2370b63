/**
 * community.docker.docker_image: make sure an image exists by building it from a directory,
 * loading it from an archive, pulling it, or insisting it is already local; tag it into another
 * repository; remove it. Results as community.docker 3.4: `image` (inspect data), `actions`,
 * and `stdout` for builds.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { ArgumentSpec } from '../../argspec/types.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import type { DockerClient } from '../../docker/client.js';
import type { Json } from '../../docker/api.js';
import { dial, findImage, inspectImage, isImageId, parseRepositoryTag, pullImage } from '../../docker/api.js';
import { DockerError } from '../../docker/errors.js';
import { clientForTask, dockerConnectionOptions, dockerFailure } from './common.js';

export const dockerImageSpec: ArgumentSpec = {
  ...dockerConnectionOptions,
  name: { type: 'str', required: true },
  tag: { type: 'str', default: 'latest' },
  source: { type: 'str', choices: ['build', 'load', 'pull', 'local'] },
  state: { type: 'str', default: 'present', choices: ['absent', 'present'] },
  build: {
    type: 'dict',
    options: {
      path: { type: 'path', required: true },
      dockerfile: { type: 'str' },
      args: { type: 'dict' },
      nocache: { type: 'bool', default: false },
      pull: { type: 'bool', default: false },
      rm: { type: 'bool', default: true },
      network: { type: 'str' },
      target: { type: 'str' },
      platform: { type: 'str' },
      http_timeout: { type: 'int' },
      cache_from: { type: 'list', elements: 'str' },
      etc_hosts: { type: 'dict' },
      use_config_proxy: { type: 'bool' },
      container_limits: { type: 'dict' },
    },
  },
  pull: { type: 'dict', options: { platform: { type: 'str' } } },
  load_path: { type: 'path' },
  archive_path: { type: 'path' },
  force_source: { type: 'bool', default: false },
  force_absent: { type: 'bool', default: false },
  force_tag: { type: 'bool', default: false },
  repository: { type: 'str' },
  push: { type: 'bool', default: false },
};

class Fail extends Error {
  constructor(readonly result: ModuleResult) {
    super(String(result.msg));
  }
}
const fail = (msg: string, extra: ModuleResult = {}): never => {
  throw new Fail({ ...extra, failed: true, msg });
};

interface StreamLine {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

async function followJsonStream(client: DockerClient, stream: NodeJS.ReadableStream): Promise<StreamLine[]> {
  return new Promise<StreamLine[]>((resolve, reject) => {
    client.api.modem.followProgress(stream, (err: Error | null, out: StreamLine[]) => (err ? reject(err) : resolve(out)));
  });
}

function outputLines(lines: StreamLine[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const text = line.stream || line.status || '';
    if (text) out.push(...text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1));
  }
  return out;
}

async function buildImage(client: DockerClient, name: string, tag: string, build: Json): Promise<{ stdout: string; image: Json | null }> {
  const path = String(build.path);
  const entries = await readdir(path);
  const query: Record<string, unknown> = {
    t: tag ? `${name}:${tag}` : name,
    q: false,
    nocache: Boolean(build.nocache),
    rm: build.rm !== false,
    forcerm: build.rm !== false,
    pull: Boolean(build.pull),
  };
  if (build.dockerfile) query.dockerfile = build.dockerfile;
  if (build.args) query.buildargs = JSON.stringify(Object.fromEntries(Object.entries(build.args as Json).map(([k, v]) => [k, String(v)])));
  if (build.target) query.target = build.target;
  if (build.network) query.networkmode = build.network;
  if (build.platform) query.platform = build.platform;
  if (Array.isArray(build.cache_from)) query.cachefrom = JSON.stringify(build.cache_from);
  if (build.etc_hosts) query.extrahosts = Object.entries(build.etc_hosts as Json).map(([h, ip]) => `${h}:${String(ip)}`).join(',');
  const stream = await client.call(`building ${name}`, (api) =>
    api.buildImage({ context: path, src: entries }, query as never) as unknown as Promise<NodeJS.ReadableStream>,
  );
  const lines = await followJsonStream(client, stream);
  const log = outputLines(lines);
  const failed = lines.find((l) => l.error);
  if (failed) {
    const detail = failed.errorDetail;
    fail(
      detail
        ? `Error building ${name} - code: ${detail.code ?? 'None'}, message: ${detail.message ?? failed.error}, logs: ${JSON.stringify(log)}`
        : `Error building ${name} - message: ${failed.error}, logs: ${JSON.stringify(log)}`,
    );
  }
  return { stdout: log.join('\n'), image: await findImage(client, name, tag) };
}

async function loadImage(client: DockerClient, name: string, tag: string, loadPath: string): Promise<Json | null> {
  const stream = await client.call(`loading image ${name} from ${loadPath}`, (api) =>
    api.loadImage(createReadStream(loadPath), { quiet: true } as never) as unknown as Promise<NodeJS.ReadableStream>,
  );
  const lines = await followJsonStream(client, stream);
  const log = outputLines(lines);
  const failed = lines.find((l) => l.error);
  if (failed) fail(`Error loading image ${name} - ${failed.error}`, { stdout: log.join('\n') });
  const loaded = new Set<string>();
  const loadedIds = new Set<string>();
  for (const line of log) {
    if (line.startsWith('Loaded image ID:')) loadedIds.add(line.slice('Loaded image ID:'.length).trim().toLowerCase());
    else if (line.startsWith('Loaded image:')) loaded.add(line.slice('Loaded image:'.length).trim());
  }
  if (!loaded.size && !loadedIds.size) fail('Detected no loaded images. Archive potentially corrupt?', { stdout: log.join('\n') });
  const expected = isImageId(name) ? name.toLowerCase() : `${name}:${tag}`;
  const found = isImageId(name) ? loadedIds.has(expected) : loaded.has(expected);
  if (!found) {
    const all = [...[...loaded].map((i) => `'${i}'`), ...loadedIds].sort().join(', ');
    fail(`The archive did not contain image '${expected}'. Instead, found ${all}.`, { stdout: log.join('\n') });
  }
  return isImageId(name) ? inspectImage(client, name) : findImage(client, name, tag);
}

export async function runDockerImage(args: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
  const results: ModuleResult & { actions: string[]; image: Json } = { changed: false, actions: [], image: {} };
  try {
    if (args.state === 'present' && !args.source) fail('state is present but all of the following are missing: source');
    if (args.source === 'build' && !args.build) fail('source is build but all of the following are missing: build');
    if (args.source === 'load' && !args.load_path) fail('source is load but all of the following are missing: load_path');
    if (args.push) fail('push is not supported by tsplay: no registry is reachable from here; tag the image locally instead');
    if (args.archive_path) fail('archive_path is not supported by tsplay yet; use `docker save` in a command task');
    const tagParam = String(args.tag ?? 'latest');
    if (!/^[\w][\w.-]{0,127}$/.test(tagParam) && tagParam !== '') fail(`"${tagParam}" is not a valid docker tag!`);

    let name = String(args.name);
    let tag = tagParam;
    if (!isImageId(name)) {
      const parsed = parseRepositoryTag(name);
      if (parsed.tag) {
        name = parsed.repository;
        tag = parsed.tag;
      }
    }
    const buildLocal = args.source === 'build' || args.source === 'load';
    // build.path and load_path are files on the target; tsplay reads them with node:fs, so only
    // where the connection says its target's files are this machine's
    if (buildLocal && !ctx.conn.targetIsController) {
      fail(`source=${String(args.source)} reads ${args.source === 'build' ? 'build.path' : 'load_path'} with the controller's file access; it is only supported on hosts whose files are the controller's so far (host ${ctx.host} uses ${ctx.conn.transport})`);
    }
    const client = await clientForTask(args, ctx);
    const image = isImageId(name) ? await inspectImage(client, name) : await findImage(client, name, tag);
    const fullName = isImageId(name) ? name : `${name}:${tag}`;

    if (args.state === 'absent') {
      if (image) {
        if (!ctx.check) {
          try {
            await dial(client, `removing image ${fullName}`, { method: 'DELETE', path: `/images/${encodeURIComponent(fullName)}`, query: { force: Boolean(args.force_absent) } });
          } catch (err) {
            if (!(err instanceof DockerError && err.statusCode === 404)) fail(`Error removing image ${fullName} - ${(err as Error).message}`);
          }
        }
        results.changed = true;
        results.actions.push(`Removed image ${fullName}`);
        results.image = { state: 'Deleted' };
      }
      return results;
    }

    if (!image || args.force_source) {
      if (args.source === 'build') {
        if (isImageId(name)) fail(`Image name must not be an image ID for source=build; got: ${name}`);
        const build = args.build as Json;
        const ok = await stat(String(build.path)).then((s) => s.isDirectory(), () => false);
        if (!ok) fail(`Requested build path ${String(build.path)} could not be found or you do not have access.`);
        results.actions.push(`Built image ${fullName} from ${String(build.path)}`);
        results.changed = true;
        if (!ctx.check) {
          const built = await buildImage(client, name, tag, build);
          results.stdout = built.stdout;
          results.image = built.image ?? {};
        }
      } else if (args.source === 'load') {
        const loadPath = String(args.load_path);
        const ok = await stat(loadPath).then((s) => s.isFile(), () => false);
        if (!ok) fail(`Error loading image ${name}. Specified path ${loadPath} does not exist.`);
        results.actions.push(`Loaded image ${fullName} from ${loadPath}`);
        results.changed = true;
        if (!ctx.check) results.image = (await loadImage(client, name, tag, loadPath)) ?? {};
      } else if (args.source === 'pull') {
        if (isImageId(name)) fail(`Image name must not be an image ID for source=pull; got: ${name}`);
        results.actions.push(`Pulled image ${name}:${tag}`);
        results.changed = true;
        if (!ctx.check) {
          try {
            const platform = (args.pull as Json | null)?.platform as string | undefined;
            results.image = (await pullImage(client, name, tag, platform)).image ?? {};
          } catch (err) {
            if (err instanceof DockerError && err.kind !== 'no-daemon' && err.kind !== 'permission') {
              fail(`Error pulling image ${name}:${tag} - ${err.message.replace(/^Error pulling image \S+ - /, '')} (is the registry reachable from the Docker daemon? Without one, build or load the image instead)`);
            }
            throw err;
          }
        }
      } else if (args.source === 'local' && !image) {
        fail(`Cannot find the image ${fullName} locally.`);
      }
      if (!ctx.check && image && image.Id === results.image.Id) results.changed = false;
    } else {
      results.image = image;
    }

    if (args.repository) await tagImage(client, ctx, results, name, tag, String(args.repository), Boolean(args.force_tag));
    return results;
  } catch (err) {
    if (err instanceof Fail) return { changed: false, ...err.result };
    return dockerFailure(err);
  }
}

async function tagImage(
  client: DockerClient,
  ctx: ModuleContext,
  results: ModuleResult & { actions: string[]; image: Json },
  name: string,
  tag: string,
  repository: string,
  force: boolean,
): Promise<void> {
  if (isImageId(repository)) fail(`\`repository\` must not be an image ID; got: ${repository}`);
  const parsed = parseRepositoryTag(repository);
  const repo = parsed.repository;
  const repoTag = parsed.tag ?? (tag || 'latest');
  const existing = await findImage(client, repo, repoTag);
  if (existing && !force) return;
  const source = isImageId(name) || !tag || name.endsWith(`:${tag}`) ? name : `${name}:${tag}`;
  results.changed = true;
  results.actions.push(`Tagged image ${source} to ${repo}:${repoTag}`);
  if (ctx.check) return;
  await dial(client, `tagging image ${source}`, {
    method: 'POST',
    path: `/images/${encodeURIComponent(source)}/tag`,
    query: { repo, tag: repoTag, force: true },
    ok: [200, 201],
  }).catch((err: unknown) => fail(`Error: failed to tag image - ${(err as Error).message}`));
  results.image = (await findImage(client, repo, repoTag)) ?? {};
  if (existing && existing.Id === results.image.Id) results.changed = false;
}

export const dockerImage: ModuleDefinition = {
  name: 'community.docker.docker_image',
  aliases: ['docker_image'],
  spec: {
    short_description: 'manage Docker images',
    options: dockerImageSpec,
    required_if: [
      ['state', 'present', ['source']],
      ['source', 'build', ['build']],
      ['source', 'load', ['load_path']],
    ],
  },
  supportsCheckMode: true,
  run: runDockerImage,
};
