/** The community.docker modules tsplay implements, for the engine's module registry. */
import type { ModuleDefinition } from '../types.js';
import { dockerContainer } from './docker_container.js';
import { dockerContainerInfo } from './docker_container_info.js';
import { dockerImage } from './docker_image.js';

export const modules: ModuleDefinition[] = [dockerContainer, dockerImage, dockerContainerInfo] as ModuleDefinition[];
