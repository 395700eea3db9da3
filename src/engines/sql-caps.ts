import { DittoError } from '../errors.js';
import type { SqlLimits, SqlResultSet } from '../model/sql.js';

/**
 * What every engine's SQL runner shares: rows kept within the caps as they stream in (the rest
 * counted, never held), values made JSON, and the deadline past which a call is cancelled on the
 * server from a second connection, for the statements the server's own timeout does not stop (a
 * script that sets it off, or many statements each under it).
 */
export class RowCaps {
  private bytes = 0;

  constructor(private readonly limits: SqlLimits) {}

  /** A new, empty result set, which rows are then added to. */
  open(columns: string[]): SqlResultSet {
    return { command: null, rowCount: null, columns, rows: [], rowsOmitted: 0 };
  }

  add(set: SqlResultSet, row: unknown[]): void {
    const values = row.map(jsonValue);
    const size = Buffer.byteLength(JSON.stringify(values));
    if (set.rows.length >= this.limits.maxRows || this.bytes + size > this.limits.maxBytes) {
      set.rowsOmitted++;
      return;
    }
    this.bytes += size;
    set.rows.push(values);
  }
}

/** A value as JSON carries it: bytes as `\x` hex (PostgreSQL's bytea output), dates as ISO text, big integers as text. */
export function jsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** How long past the timeout the server's own cancellation is given before ditto cancels the call itself. */
export const CANCEL_GRACE_MS = 1000;

/**
 * Runs `work`, and past `timeoutMs` (plus the grace the server's own timeout gets) or on `signal`
 * calls `cancel`, which stops it on the server; the error `work` then ends with is the timeout's.
 */
export async function withDeadline<T>(timeoutMs: number, signal: AbortSignal | undefined, cancel: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  let cancelled: DittoError | null = null;
  const stop = (reason: DittoError) => {
    cancelled ??= reason;
    void cancel().catch(() => {});
  };
  const timer = setTimeout(() => stop(timedOut(timeoutMs)), timeoutMs + CANCEL_GRACE_MS);
  const onAbort = () => stop(new DittoError('INTERRUPTED', 'the call was interrupted; its statement was cancelled on the server'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await work();
    // Some statements end without an error when cancelled (MariaDB's SLEEP returns 1).
    if (cancelled) throw cancelled;
    return result;
  } catch (err) {
    throw cancelled ?? err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

export function timedOut(timeoutMs: number): DittoError {
  return new DittoError('SQL_ERROR', `cancelled on the server: the statement ran past the timeout of ${timeoutMs / 1000}s`, {
    hint: 'make it cheaper (a LIMIT, an index), or split the script; the operator sets mcp.statement_timeout',
  });
}
