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
}
