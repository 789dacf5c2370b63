/** Ansible's argument spec format, exactly as it appears in meta/argument_specs and module docs. */

export type ArgType =
  | 'str'
  | 'list'
  | 'dict'
  | 'bool'
  | 'int'
  | 'float'
  | 'path'
  | 'raw'
  | 'jsonarg'
  | 'json'
  | 'bytes'
  | 'bits';

export interface OptionSpec {
  type?: ArgType;
  required?: boolean;
  default?: unknown;
  choices?: unknown[];
  elements?: ArgType;
  options?: ArgumentSpec;
  aliases?: string[];
  no_log?: boolean;
  apply_defaults?: boolean;
  deprecated_aliases?: Array<{ name: string; version?: string; date?: string; collection_name?: string }>;
  mutually_exclusive?: string[][];
  required_together?: string[][];
  required_one_of?: string[][];
  required_if?: Array<[string, unknown, string[]] | [string, unknown, string[], boolean]>;
  required_by?: Record<string, string | string[]>;
  description?: string | string[];
  version_added?: string;
}

/** option name → its spec */
export type ArgumentSpec = Record<string, OptionSpec>;

/** the top level of one entry point (e.g. argument_specs.main) */
export interface EntryPointSpec {
  short_description?: string;
  description?: string | string[];
  author?: string | string[];
  options?: ArgumentSpec;
  mutually_exclusive?: string[][];
  required_together?: string[][];
  required_one_of?: string[][];
  required_if?: Array<[string, unknown, string[]] | [string, unknown, string[], boolean]>;
  required_by?: Record<string, string | string[]>;
}

export interface ValidationOutcome {
  /** Ansible's error lines, in Ansible's wording (without the "Validation of arguments failed:" header) */
  errors: string[];
  /** the parameters after aliases, coercion and (for modules) defaults */
  params: Record<string, unknown>;
  warnings: string[];
  /**
   * The failure text Ansible would show, when validation failed: for a module the first error
   * (prefixed "Unsupported parameters for (name) module: " when it is about unknown names), for
   * a role "Validation of arguments failed:" followed by every error line.
   */
  message?: string;
  /**
   * Set when ansible-core itself raises on these inputs (an uncaught Python exception inside its
   * validator): the task fails with this exception text instead of a list of errors.
   */
  crash?: string;
  /** deprecation notices Ansible would show for a module (e.g. a deprecated alias in use) */
  deprecations?: string[];
  /** values of no_log options, to mask in output */
  noLogValues?: string[];
}
