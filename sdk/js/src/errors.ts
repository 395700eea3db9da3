/**
 * ditto's error codes, and for each the CLI's exit code and the host's HTTP status (as ditto's
 * own `errors.ts` maps them), so a failure reads the same in local and remote mode.
 */
const CODES = {
  BAD_INPUT: [2, 400],
  TOO_LARGE: [2, 413],
  CONFIG: [78, 500],
  UNAUTHORIZED: [77, 401],
  FORBIDDEN: [77, 403],
  NOT_FOUND: [4, 404],
  CONFLICT: [5, 409],
  NO_CAPACITY: [75, 503],
  QUOTA: [75, 429],
  NO_SPACE: [75, 507],
  RUNTIME_UNAVAILABLE: [69, 503],
  DUMP_INVALID: [65, 400],
  PROVISION_FAILED: [70, 500],
  STATE: [74, 500],
  REMOTE: [69, 502],
  COMMAND_NOT_FOUND: [127, 400],
  SQL_ERROR: [1, 422],
  INTERRUPTED: [130, 499],
  INTERNAL: [70, 500],
} as const satisfies Record<string, readonly [exit: number, http: number]>;

export type ErrorCode = keyof typeof CODES;

const CODE_NAMES = Object.keys(CODES) as ErrorCode[];

/**
 * A failure ditto reported, or one the SDK met on the way (a host it cannot reach, bad input).
 *
 * - `code`: ditto's code (`UNAUTHORIZED`, `NOT_FOUND`, `REMOTE`, ...).
 * - `status`: the host's HTTP status in remote mode, the `ditto` executable's exit code in local
 *   mode; when no answer came at all (an unreachable host, input refused before asking), the exit
 *   code the CLI gives for the same failure (69 for REMOTE, 2 for BAD_INPUT, ...).
 * - `hint`: what to do about it, when ditto says.
 *
 * Messages never carry a token or a password.
 */
export class DittoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { status?: number; hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DittoError';
    this.code = code;
    this.status = options.status ?? CODES[code][0];
    this.hint = options.hint;
  }

  /** The line the CLI would print: the message, then the hint. */
  toLine(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}

/** The code an exit status of the CLI stands for (the first code that exits with it). */
export function codeForExit(exit: number): ErrorCode {
  return CODE_NAMES.find((code) => CODES[code][0] === exit) ?? 'INTERNAL';
}

/** The code an HTTP status stands for, when the answer names none (a proxy's page). */
export function codeForStatus(status: number): ErrorCode {
  if (status === 500) return 'INTERNAL';
  return CODE_NAMES.find((code) => CODES[code][1] === status) ?? 'REMOTE';
}
