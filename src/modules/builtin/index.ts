/**
 * The builtin module catalog: every module here is registered by src/modules/registry.ts under
 * its FQCN and, for ansible.builtin, its short name.
 */
import type { ModuleDefinition } from '../types.js';
import { commandModule } from './command.js';
import { shellModule } from './shell.js';
import { fileModule } from './file.js';
import { copyModule } from './copy.js';
import { statModule } from './stat.js';
import { lineinfileModule } from './lineinfile.js';
import { templateModule } from './template.js';
import { findModule } from './find.js';
import { replaceModule } from './replace.js';
import { blockinfileModule } from './blockinfile.js';
import { slurpModule } from './slurp.js';
import { fetchModule } from './fetch.js';
import { tempfileModule } from './tempfile.js';
import { getentModule } from './getent.js';
import { iniFileModule } from './ini_file.js';
import { assembleModule } from './assemble.js';

export const modules: ModuleDefinition[] = [commandModule, shellModule, fileModule, copyModule, statModule, lineinfileModule, templateModule, findModule, replaceModule, blockinfileModule, slurpModule, fetchModule, tempfileModule, getentModule, iniFileModule, assembleModule];
