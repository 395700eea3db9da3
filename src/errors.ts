/**
 * The one error type ditto raises on purpose. Each code maps once, here, to a process exit code
 * and an HTTP status, so the CLI and the host agree on what a failure means.
 */
export const ERROR_CODES = {
  BAD_INPUT: { exit: 2, http: 400 },
  /** A known path asked with a method it does not serve (the answer names those it does, in Allow). */
  METHOD_NOT_ALLOWED: { exit: 2, http: 405 },
  /** A request body over the host's limit. */
  TOO_LARGE: { exit: 2, http: 413 },
  CONFIG: { exit: 78, http: 500 },
  UNAUTHORIZED: { exit: 77, http: 401 },
  FORBIDDEN: { exit: 77, http: 403 },
  NOT_FOUND: { exit: 4, http: 404 },
  CONFLICT: { exit: 5, http: 409 },
  NO_CAPACITY: { exit: 75, http: 503 },
  /** A caller holds as many copies as a shared host allows it (host.max_copies_per_owner). */
  QUOTA: { exit: 75, http: 429 },
  /** A disk ditto writes to is full: a capacity problem of a named directory, not a bad dump. */
  NO_SPACE: { exit: 75, http: 507 },
  RUNTIME_UNAVAILABLE: { exit: 69, http: 503 },
  DUMP_INVALID: { exit: 65, http: 400 },
  PROVISION_FAILED: { exit: 70, http: 500 },
  /** The state file is damaged or cannot be opened. */
  STATE: { exit: 74, http: 500 },
  REMOTE: { exit: 69, http: 502 },
  /** `ditto run`'s command could not be started: the shell's own code for it. */
  COMMAND_NOT_FOUND: { exit: 127, http: 400 },
  /** The database refused a statement a caller sent it (`sql`): its message is the server's own. */
  SQL_ERROR: { exit: 1, http: 422 },
  INTERRUPTED: { exit: 130, http: 499 },
  INTERNAL: { exit: 70, http: 500 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DittoError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it; printed after the message. */
  readonly hint: string | undefined;
  /** When trying again may succeed, in seconds (a host sends it as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DittoError';
    this.code = code;
    this.hint = options.hint;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  /** The single line a user sees. */
  toLine(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

/** Anything thrown, as a DittoError (unexpected errors become INTERNAL with their message). */
export function asDittoError(err: unknown): DittoError {
  if (err instanceof DittoError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DittoError('INTERNAL', message, { cause: err });
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
