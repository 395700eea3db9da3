/**
 * SQL run on a copy for its caller (the `sql` tool of `ditto mcp`): what is asked, within which
 * caps, and what comes back: rows as JSON values, as many as the caps let through.
 */

export interface SqlLimits {
  /** The most rows returned of one result set; the rest are counted. */
  maxRows: number;
  /** The most bytes of rows (as JSON) returned in all. */
  maxBytes: number;
  /** The longest the call may run; the server cancels what runs past it. */
  timeoutMs: number;
}

export interface SqlRequest {
  /** One statement, or a script of several. */
  sql: string;
  /** A database in the copy other than its own (a per-test database); the copy's own when absent. */
  database?: string | undefined;
  limits: SqlLimits;
}

/** One statement's answer. */
export interface SqlResultSet {
  /** The statement's kind as the server names it (`SELECT`, `INSERT`, `CREATE TABLE`); null where it does not say. */
  command: string | null;
  /** Rows returned or changed; null where the server does not say. */
  rowCount: number | null;
  columns: string[];
  /** The rows returned, each a list of values in `columns`' order, within the caps. */
  rows: unknown[][];
  /** Rows left out by the caps. */
  rowsOmitted: number;
}

export interface SqlResult {
  /** The copy it ran on, and the database. */
  copyId: string;
  database: string;
  results: SqlResultSet[];
  ms: number;
}

/** The caps of `a` no looser than those of `b`: a host's own limits over what a client asks. */
export function tighter(a: SqlLimits, b: SqlLimits): SqlLimits {
  return { maxRows: Math.min(a.maxRows, b.maxRows), maxBytes: Math.min(a.maxBytes, b.maxBytes), timeoutMs: Math.min(a.timeoutMs, b.timeoutMs) };
}
