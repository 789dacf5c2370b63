/**
 * The few Engine API operations the docker modules and the docker_api connection share, each
 * returning plain JSON (inspect data as the Engine gives it) and failing with a DockerError.
 */
import type { DockerClient } from './client.js';
import { DockerError } from './errors.js';

export type Json = Record<string, unknown>;

export interface DialRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** status codes that mean success */
  ok?: number[];
}

/**
 * One raw Engine API call through docker-modem (dockerode's own helpers put the whole create
 * body into the query string, and hide status codes we need to tell apart).
 */
export function dial<T>(client: DockerClient, doing: string, req: DialRequest): Promise<T> {
  const ok = req.ok ?? [200, 201, 204];
  const statusCodes: Record<number, boolean | string> = {};
  for (const code of ok) statusCodes[code] = true;
  const query: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = v;
  return client.call(doing, (api) => {
    const modem = api.modem as unknown as {
      dial(opts: Record<string, unknown>, cb: (err: unknown, data: unknown) => void): void;
    };
    return new Promise<T>((resolve, reject) => {
      modem.dial(
        {
          // the '?' makes docker-modem append _query; _body is only sent for POST, and '{}' not at all
          path: `${req.path}?`,
          method: req.method,
          options: { _query: query, _body: req.body ?? {} },
          allowEmpty: req.body !== undefined,
          statusCodes,
        },
        (err, data) => (err ? reject(err) : resolve(data as T)),
      );
    });
  });
}

/** GET /containers/{name}/json, or null when no such container exists. */
export async function inspectContainer(client: DockerClient, nameOrId: string): Promise<Json | null> {
  try {
    return await dial<Json>(client, `inspecting container ${nameOrId}`, {
      method: 'GET',
      path: `/containers/${encodeURIComponent(nameOrId)}/json`,
    });
  } catch (err) {
    if (err instanceof DockerError && err.statusCode === 404) return null;
    throw err;
  }
}

export async function inspectImage(client: DockerClient, nameOrId: string): Promise<Json | null> {
  try {
    return await dial<Json>(client, `inspecting image ${nameOrId}`, {
      method: 'GET',
      path: `/images/${encodeURIComponent(nameOrId)}/json`,
    });
  } catch (err) {
    if (err instanceof DockerError && err.statusCode === 404) return null;
    throw err;
  }
}

/** An image ID as docker_container accepts it: sha256:<64 hex> or a bare 64-hex string. */
export function isImageId(name: string): boolean {
  return /^sha256:[0-9a-f]{64}$/i.test(name) || /^[0-9a-f]{64}$/i.test(name);
}

/** Splits `repo[:tag][@digest]` the way Docker does: a colon after the last slash starts the tag. */
export function parseRepositoryTag(name: string): { repository: string; tag?: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: name.slice(at + 1) };
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name };
}

/**
 * Finds a local image by `repository:tag` (tag defaults to latest), by exact RepoTags match as
 * community.docker does, so `debian` never matches `debian:bookworm`.
 */
export async function findImage(client: DockerClient, repository: string, tag = 'latest'): Promise<Json | null> {
  if (isImageId(repository)) return inspectImage(client, repository);
  const wanted = tag.startsWith('sha256:') ? `${repository}@${tag}` : `${repository}:${tag}`;
  const candidates = [wanted];
  // Images from Docker Hub may be listed as docker.io/library/x or just x.
  if (!repository.includes('/')) candidates.push(`docker.io/library/${wanted}`, `library/${wanted}`);
  else if (repository.startsWith('docker.io/')) candidates.push(wanted.slice('docker.io/'.length));
  for (const ref of candidates) {
    const image = await inspectImage(client, ref);
    if (!image) continue;
    const tags = (image.RepoTags as string[] | null) ?? [];
    const digests = (image.RepoDigests as string[] | null) ?? [];
    if (tags.includes(ref) || digests.includes(ref) || tags.includes(wanted)) return image;
  }
  return null;
}

interface PullEvent {
  status?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/**
 * Pulls `repository:tag`, following the progress stream to its end and failing on an `error`
 * event (docker-modem reports success for those). Returns whether the image changed.
 */
export async function pullImage(
  client: DockerClient,
  repository: string,
  tag: string,
  platform?: string,
): Promise<{ image: Json | null; changed: boolean }> {
  const before = await findImage(client, repository, tag);
  const doing = `pulling image ${repository}:${tag}`;
  const stream = await client.call(doing, (api) =>
    api.pull(`${repository}:${tag}`, platform ? { platform } : {}) as Promise<NodeJS.ReadableStream>,
  );
  const events = await new Promise<PullEvent[]>((resolve, reject) => {
    client.api.modem.followProgress(stream, (err: Error | null, out: PullEvent[]) => (err ? reject(err) : resolve(out)));
  }).catch((err: unknown) => {
    throw new DockerError('api', `Error pulling image ${repository}:${tag} - ${err instanceof Error ? err.message : String(err)}`);
  });
  const failed = events.find((e) => e.error);
  if (failed) {
    const detail = failed.errorDetail;
    throw new DockerError(
      'api',
      detail
        ? `Error pulling ${repository} - code: ${detail.code ?? 'None'} message: ${detail.message ?? failed.error}`
        : `Error pulling ${repository} - ${failed.error}`,
    );
  }
  const after = await findImage(client, repository, tag);
  return { image: after, changed: !before || !after || before.Id !== after.Id };
}

/**
 * Splits a non-TTY Docker log/attach payload (8-byte frame headers: stream, 0,0,0, size) into
 * its text, keeping stdout and stderr interleaved in the order Docker recorded them.
 */
export function demuxFrames(payload: Buffer): { combined: Buffer; stdout: Buffer; stderr: Buffer } {
  const all: Buffer[] = [];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= payload.length) {
    const kind = payload[offset];
    const size = payload.readUInt32BE(offset + 4);
    if (kind > 2 || payload[offset + 1] !== 0 || payload[offset + 2] !== 0 || payload[offset + 3] !== 0) {
      // Not framed (a TTY container): the rest is raw output.
      const rest = payload.subarray(offset);
      return { combined: Buffer.concat([...all, rest]), stdout: Buffer.concat([...out, rest]), stderr: Buffer.concat(err) };
    }
    const chunk = payload.subarray(offset + 8, offset + 8 + size);
    all.push(chunk);
    (kind === 2 ? err : out).push(chunk);
    offset += 8 + size;
  }
  return { combined: Buffer.concat(all), stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}
