/**
 * Errors the user caused (bad YAML, unknown module, failed validation…) travel as values of
 * UserError and are rendered once, at the CLI edge, as an Ansible-style paragraph without a
 * stack trace. Anything else reaching the edge is a tsplay bug and is shown as such.
 */

export interface SourcePos {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : '';
}

/** Exit codes, documented in docs/cli.md. 0/2/4 match ansible-playbook. */
export const EXIT = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  /** tsplay's own: the input was rejected before anything ran (Ansible reuses 4 or 1 here) */
  invalidInput: 3,
  unreachable: 4,
  usage: 5,
  interrupted: 99,
  bug: 250,
} as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly pos?: SourcePos,
    readonly exitCode: number = EXIT.invalidInput,
    /** extra lines shown under the message (hints, the offending source line) */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Several user errors found at once (e.g. every failing role validation of a plan). */
export class UserErrors extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'UserErrors';
  }
}
