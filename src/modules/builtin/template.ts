/**
 * ansible.builtin.template: render a controller-side template (found in the role's templates/)
 * with the task's variables, then put it on the target with copy's semantics.
 */
import { promises as fsp } from 'node:fs';
import { decryptIfVaulted } from '../../vault/index.js';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';
import { defineModule } from './support/define.js';
import { withStatCache } from './support/statcache.js';
import { fileCommonOptions } from './support/specs.js';
import { runCopy } from './copy.js';
import type { CopyArgs } from './copy-core.js';
import { TemplateError } from '../../template/values.js';

export interface TemplateArgs extends CopyArgs {
  src: string;
  newline_sequence?: string | null;
  trim_blocks?: boolean | null;
  lstrip_blocks?: boolean | null;
  output_encoding?: string | null;
  state?: unknown;
  block_start_string?: string | null;
  block_end_string?: string | null;
  variable_start_string?: string | null;
  variable_end_string?: string | null;
  comment_start_string?: string | null;
  comment_end_string?: string | null;
}

const NEWLINES: Record<string, string> = { '\\n': '\n', '\\r': '\r', '\\r\\n': '\r\n', '\n': '\n', '\r': '\r', '\r\n': '\r\n' };

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** the template_* variables Ansible adds while rendering (generate_ansible_template_vars) */
async function templateVars(ctx: ModuleContext, givenSrc: string, fullPath: string, dest: string): Promise<Record<string, unknown>> {
  const st = await fsp.stat(fullPath);
  let owner = String(st.uid);
  try {
    const passwd = await fsp.readFile('/etc/passwd', 'utf8');
    owner = passwd.split('\n').find((l) => l.split(':')[2] === String(st.uid))?.split(':')[0] ?? owner;
  } catch {
    // keep the numeric uid, as Ansible does when the user is unknown
  }
  const mtime = new Date(st.mtimeMs);
  const managed = typeof ctx.vars.ansible_managed === 'string' ? ctx.vars.ansible_managed : 'Ansible managed';
  return {
    template_host: os.hostname(),
    template_path: givenSrc,
    template_mtime: `${mtime.getFullYear()}-${pad(mtime.getMonth() + 1)}-${pad(mtime.getDate())} ${pad(mtime.getHours())}:${pad(mtime.getMinutes())}:${pad(mtime.getSeconds())}`,
    template_uid: owner,
    template_run_date: new Date().toISOString(),
    template_destpath: dest,
    template_fullpath: fullPath,
    ansible_managed: managed,
  };
}

export async function runTemplate(args: TemplateArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const failed = (msg: string): ModuleResult => ({ changed: false, failed: true, msg });
  if (args.state != null) return failed("'state' cannot be specified on a template");
  if (args.src == null || args.dest == null) return failed('src and dest are required');
  const newline = NEWLINES[args.newline_sequence ?? '\n'];
  if (newline === undefined) return failed('newline_sequence needs to be one of: \n, \r or \r\n');
  const found = ctx.findFile('templates', args.src);
  if (!found) return failed(`Could not find or access '${args.src}'`);
  let mode = args.mode;
  let source: string;
  let sourceMode: number;
  try {
    const [raw, st] = await Promise.all([fsp.readFile(found), fsp.stat(found)]);
    sourceMode = st.mode & 0o7777;
    source = new TextDecoder('utf-8', { fatal: true }).decode(decryptIfVaulted(raw, found));
  } catch (err) {
    if (err instanceof TypeError) return failed('Template source files must be utf-8 encoded');
    return failed(`could not find src=${found}, ${(err as Error).message}`);
  }
  if (mode === 'preserve') mode = '0' + sourceMode.toString(8).padStart(3, '0');
  const delimiters = {
    variableStart: args.variable_start_string ?? undefined,
    variableEnd: args.variable_end_string ?? undefined,
    blockStart: args.block_start_string ?? undefined,
    blockEnd: args.block_end_string ?? undefined,
    commentStart: args.comment_start_string ?? undefined,
    commentEnd: args.comment_end_string ?? undefined,
  };
  for (const k of Object.keys(delimiters) as (keyof typeof delimiters)[]) if (delimiters[k] === undefined) delete delimiters[k];
  let rendered: string;
  try {
    // the renderer applies newline_sequence as Jinja does: to the template's own newlines (not to
    // variable values) and to the trailing newlines Ansible restores
    rendered = ctx.renderTemplate(source, await templateVars(ctx, args.src, found, args.dest), {
      trimBlocks: args.trim_blocks ?? true,
      lstripBlocks: args.lstrip_blocks ?? false,
      newline,
      ...(Object.keys(delimiters).length ? { delimiters } : {}),
    });
  } catch (err) {
    const e = err as Error;
    // where in the template file, which Ansible does not say (its message quotes the whole file)
    const at = e instanceof TemplateError && e.line !== undefined ? ` (at ${found}:${e.line}:${e.column ?? 1})` : '';
    return failed(`${e.name && e.name !== 'Error' ? e.name : 'AnsibleError'}: ${e.message}${at}`);
  }
  const resultFile = nodePath.join(os.tmpdir(), `tsplay-template-${process.pid}`, nodePath.basename(found));
  return runCopy(
    { ...args, src: resultFile, content: null, mode, follow: args.follow ?? false },
    ctx,
    { data: Buffer.from(rendered, 'utf8'), rel: nodePath.basename(found), header: resultFile, mode: sourceMode },
  );
}

export const templateModule: ModuleDefinition = defineModule<TemplateArgs>({
  name: 'ansible.builtin.template',
  spec: {
    short_description: 'Template a file out to a target host',
    options: {
      src: { type: 'path', required: true },
      dest: { type: 'path', required: true },
      backup: { type: 'bool', default: false },
      force: { type: 'bool', default: true },
      follow: { type: 'bool', default: false },
      validate: { type: 'str' },
      newline_sequence: { type: 'str', default: '\\n', choices: ['\\n', '\\r', '\\r\\n'] },
      trim_blocks: { type: 'bool', default: true },
      lstrip_blocks: { type: 'bool', default: false },
      output_encoding: { type: 'str', default: 'utf-8' },
      block_start_string: { type: 'str', default: '{%' },
      block_end_string: { type: 'str', default: '%}' },
      variable_start_string: { type: 'str', default: '{{' },
      variable_end_string: { type: 'str', default: '}}' },
      comment_start_string: { type: 'str' },
      comment_end_string: { type: 'str' },
      ...fileCommonOptions,
      // not an option: accepted so that giving it gets the template action's own refusal
      state: { type: 'raw' },
    },
  },
  supportsCheckMode: true,
  run: (args, ctx) => runTemplate(args, withStatCache(ctx)),
});
