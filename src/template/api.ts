/**
 * The contract between the engine and the templating layer. The engine only imports from
 * src/template/index.ts, which must export everything declared here.
 *
 * Variables are passed as a plain null-prototype object whose prototype chain holds the
 * precedence layers (lowest at the root), so lookups are cheap and nothing is copied per render.
 * Values found there that are strings containing template markers are templated lazily, on
 * lookup, with the same variables (Ansible's recursive templating) unless they are unsafe.
 */

export type TemplateVars = Record<string, unknown>;

export interface TemplateOptions {
  /** directories searched by lookup('file'), lookup('template'), first_found … (role files/, templates/, playbook dir) */
  searchPath?: string[];
  /** default true: an undefined variable raises UndefinedError */
  failOnUndefined?: boolean;
}

/** The template module's Jinja environment options (renderFile). Unset ones keep Ansible's defaults. */
export interface FileOptions {
  path?: string;
  /** default true */
  trimBlocks?: boolean;
  /** default false */
  lstripBlocks?: boolean;
  /** the module's variable/block/comment start and end strings */
  delimiters?: Partial<Record<'variableStart' | 'variableEnd' | 'blockStart' | 'blockEnd' | 'commentStart' | 'commentEnd', string>>;
  /** newline_sequence: "\n" (default), "\r" or "\r\n" */
  newline?: string;
}

export interface TemplarApi {
  /** Recursively templates every string inside `value` (lists and dicts too); returns Ansible 2.14's types. */
  template(value: unknown, vars: TemplateVars, opts?: TemplateOptions): unknown;
  /** Evaluates a conditional as `when:`/`changed_when:`/`failed_when:`/`assert.that` do (bare expression). */
  evaluateConditional(condition: unknown, vars: TemplateVars, opts?: TemplateOptions): boolean;
  /** Renders a whole template file (the template module, lookup('template')) to a string. */
  renderFile(source: string, vars: TemplateVars, opts?: TemplateOptions & FileOptions): string;
}
