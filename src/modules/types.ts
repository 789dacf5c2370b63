/**
 * A module is plain TypeScript run in-process on the controller. It receives arguments that are
 * already templated and validated against its own Ansible-format spec, and drives the target only
 * through ctx.conn. Idempotency is its job: read state, change only the difference, report
 * `changed` honestly, and in check mode report what would change without changing it.
 */
import type { Connection, BecomeOptions } from '../connection/types.js';
import type { EntryPointSpec } from '../argspec/types.js';
import type { FileOptions } from '../template/api.js';

export interface DiffEntry {
  before?: string | Record<string, unknown>;
  after?: string | Record<string, unknown>;
  before_header?: string;
  after_header?: string;
  prepared?: string;
}

/** Shape of Ansible's module result; extra keys are module-specific. */
export interface ModuleResult {
  changed?: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  rc?: number;
  stdout?: string;
  stderr?: string;
  stdout_lines?: string[];
  stderr_lines?: string[];
  diff?: DiffEntry | DiffEntry[];
  warnings?: string[];
  [key: string]: unknown;
}

export interface ModuleContext {
  conn: Connection;
  /** inventory hostname */
  host: string;
  check: boolean;
  diff: boolean;
  /** become settings of the task, to pass to conn calls that need privilege */
  become: BecomeOptions;
  /** environment of the task (play/block/task `environment:`) for commands */
  env: Record<string, string>;
  /** ansible_facts of the host (may be empty when facts were not gathered) */
  facts: Record<string, unknown>;
  /** all variables visible to the task, for modules like template that render with them */
  vars: Record<string, unknown>;
  /**
   * Finds a controller-side file as Ansible's action plugins do: relative names are looked up in
   * the role's `files/` (or `templates/`) dir, then next to the task file, then the playbook dir.
   * Returns an absolute path, or undefined when nothing matched.
   */
  findFile(kind: 'files' | 'templates' | 'vars', name: string): string | undefined;
  /** render a template string with the task's variables (Jinja2 semantics); `env`: the template module's Jinja options */
  renderTemplate(source: string, extraVars?: Record<string, unknown>, env?: FileOptions): string;
  /** a non-fatal warning, shown as Ansible's [WARNING] */
  warn(message: string): void;
  /** verbose output, shown at -v level `level` or higher */
  log(level: number, message: string): void;
  /** aborted when the run is interrupted or the task times out */
  signal?: AbortSignal;
}

export interface ModuleDefinition<Args = Record<string, unknown>> {
  /** the FQCN, e.g. 'ansible.builtin.file' */
  name: string;
  /** other names it answers to, e.g. ['file'] (short names are added automatically for ansible.builtin) */
  aliases?: string[];
  /** its arguments, in Ansible's argument spec format; validated by src/argspec before run */
  spec: EntryPointSpec;
  /** false: in check mode the task is skipped, as Ansible does for modules without check support */
  supportsCheckMode: boolean;
  /** the name of the free-form argument (`command: ls -l` → {_raw_params: 'ls -l'}) if the module takes one */
  freeForm?: boolean;
  /** the module checks its own arguments (Ansible's own modules run by the fallback): tsplay passes them through */
  validatesOwnArgs?: boolean;
  run(args: Args, ctx: ModuleContext): Promise<ModuleResult>;
}
