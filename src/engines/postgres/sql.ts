import type pg from 'pg';
import { DittoError } from '../../errors.js';
import type { SqlRequest, SqlResultSet } from '../../model/sql.js';
import { RowCaps, withDeadline } from '../sql-caps.js';

type ClientConfig = pg.ClientConfig;

/** Types whose text is parsed into JSON numbers, booleans or objects; every other value stays the text the server wrote (bigint and numeric keep their digits). */
const PARSED_TYPES: Record<number, (text: string) => unknown> = {
  16: (t) => t === 't', // bool
  21: Number, // int2
  23: Number, // int4
  26: Number, // oid
  700: Number, // float4
  701: Number, // float8
  114: (t) => JSON.parse(t), // json
  3802: (t) => JSON.parse(t), // jsonb
};

const TYPES = { getTypeParser: (oid: number) => PARSED_TYPES[oid] ?? ((text: string) => text) } as unknown as pg.CustomTypesConfig;

/**
 * Runs a statement or a script (the simple query protocol: several statements in one call, one
 * transaction unless the script says otherwise) with `statement_timeout` set for the session, and
 * cancels it with pg_cancel_backend from a second connection when it outruns the deadline anyway.
 */
export async function runPostgresSql(config: ClientConfig, request: SqlRequest, signal?: AbortSignal): Promise<SqlResultSet[]> {
  const { default: pg } = await import('pg');
  const { timeoutMs } = request.limits;
  const client = new pg.Client({ ...config, statement_timeout: timeoutMs });
  client.on('error', () => {}); // a dropped connection also rejects the query under way
  const caps = new RowCaps(request.limits);
  const sets = new Map<pg.QueryResult, SqlResultSet>();
  const setOf = (result: pg.QueryResult) => {
    let set = sets.get(result);
    if (!set) sets.set(result, (set = caps.open(result.fields.map((f) => f.name))));
    return set;
  };
  const cancel = async (pid: number) => {
    const other = new pg.Client(config);
    other.on('error', () => {});
    try {
      await other.connect();
      await other.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await other.end().catch(() => {});
    }
  };
  try {
    await client.connect();
    const pid = (client as unknown as { processID: number }).processID;
    const ended = await withDeadline(timeoutMs, signal, () => cancel(pid), () => {
      // Rows as arrays: a result may name two columns alike (`SELECT 1, 1`).
      const query = new pg.Query({ text: request.sql, rowMode: 'array', types: TYPES } as pg.QueryConfig);
      return new Promise<pg.QueryResult | pg.QueryResult[]>((resolve, reject) => {
        query.on('row', (row: unknown[], result?: pg.QueryResult) => caps.add(setOf(result!), row));
        query.on('end', resolve);
        query.on('error', reject);
        void client.query(query);
      });
    });
    return (Array.isArray(ended) ? ended : [ended]).map((result) => ({ ...setOf(result), command: result.command ?? null, rowCount: result.rowCount ?? null }));
  } catch (err) {
    throw serverError(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/** An error the server sent, in its own words (with its detail and hint); anything else as it is. */
function serverError(err: unknown): unknown {
  const e = err as { severity?: string; message?: string; detail?: string; hint?: string; position?: string };
  if (err instanceof DittoError || typeof e.severity !== 'string') return err;
  const hint = [e.detail, e.hint, e.position ? `at character ${e.position}` : undefined].filter(Boolean).join('; ');
  return new DittoError('SQL_ERROR', `${e.severity}: ${e.message}`, hint ? { hint } : {});
}
