import { DittoError } from '../../errors.js';
import type { SqlRequest, SqlResultSet } from '../../model/sql.js';
import { RowCaps, withDeadline } from '../sql-caps.js';

type ConnectionOptions = import('mysql2').ConnectionOptions;
type Connection = import('mysql2').Connection;

/**
 * Runs a statement or a script (several statements in one call) with the session's statement
 * time capped (MariaDB's max_statement_time; MySQL's max_execution_time, which caps only SELECT),
 * and KILL QUERY from a second connection when it outruns the deadline anyway.
 */
export async function runMysqlSql(options: ConnectionOptions, request: SqlRequest, signal?: AbortSignal): Promise<SqlResultSet[]> {
  const mysql = await import('mysql2');
  const { timeoutMs } = request.limits;
  // Dates as the server writes them, big numbers as text: JSON keeps what the server said.
  const conn = mysql.createConnection({ ...options, multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  conn.on('error', () => {});
  const run = (sql: string) => new Promise<unknown>((resolve, reject) => conn.query(sql, (err, rows) => (err ? reject(err) : resolve(rows))));
  try {
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    await run(`SET SESSION max_statement_time = ${timeoutMs / 1000}`).catch(() => run(`SET SESSION max_execution_time = ${timeoutMs}`));
    const cancel = async () => {
      const killer = mysql.createConnection(options);
      killer.on('error', () => {});
      await new Promise<void>((resolve) => killer.query(`KILL QUERY ${Number(conn.threadId)}`, () => resolve()));
      killer.destroy();
    };
    return await withDeadline(timeoutMs, signal, cancel, () => stream(conn, request));
  } catch (err) {
    throw serverError(err);
  } finally {
    conn.destroy();
  }
}

/** The script's result sets, rows kept within the caps as they arrive. */
function stream(conn: Connection, request: SqlRequest): Promise<SqlResultSet[]> {
  const caps = new RowCaps(request.limits);
  const sets: SqlResultSet[] = [];
  return new Promise((resolve, reject) => {
    const query = conn.query({ sql: request.sql, rowsAsArray: true });
    // Each statement's answer starts with its fields: none for one that returns no rows (its OK packet follows).
    query.on('fields', (fields?: { name: string }[]) => void sets.push(caps.open(fields?.map((f) => f.name) ?? [])));
    query.on('result', (row: unknown) => {
      const set = sets[sets.length - 1]!;
      if (Array.isArray(row)) {
        caps.add(set, row);
        set.rowCount = set.rows.length + set.rowsOmitted;
      } else {
        set.rowCount = (row as { affectedRows?: number }).affectedRows ?? null;
      }
    });
    query.on('error', reject);
    query.on('end', () => resolve(sets.map((set) => (set.columns.length && set.rowCount === null ? { ...set, rowCount: 0 } : set))));
  });
}

/** An error the server sent, as its own client prints it; anything else as it is. */
function serverError(err: unknown): unknown {
  const e = err as { sqlState?: string; errno?: number; sqlMessage?: string };
  if (err instanceof DittoError || typeof e.sqlState !== 'string') return err;
  return new DittoError('SQL_ERROR', `ERROR ${e.errno} (${e.sqlState}): ${e.sqlMessage}`);
}
