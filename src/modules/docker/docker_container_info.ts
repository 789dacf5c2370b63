/**
 * community.docker.docker_container_info: inspect data of one container, or `exists: false`.
 * Never changes anything.
 */
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { inspectContainer } from '../../docker/api.js';
import { clientForTask, dockerConnectionOptions, dockerFailure } from './common.js';

export async function runDockerContainerInfo(args: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
  try {
    const client = await clientForTask(args, ctx);
    const container = await inspectContainer(client, String(args.name));
    return { changed: false, exists: container !== null, container };
  } catch (err) {
    return dockerFailure(err, { changed: false });
  }
}

export const dockerContainerInfo: ModuleDefinition = {
  name: 'community.docker.docker_container_info',
  aliases: ['docker_container_info'],
  spec: {
    short_description: 'inspect a Docker container',
    options: { ...dockerConnectionOptions, name: { type: 'str', required: true } },
  },
  supportsCheckMode: true,
  run: runDockerContainerInfo,
};
