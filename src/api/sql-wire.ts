import { DittoError } from '../errors.js';
import type { DbSchema, SchemaTable, TableName } from '../model/schema.js';
import type { SqlLimits, SqlResult } from '../model/sql.js';
import type { SchemaWire, SqlResultWire } from './sql-wire-schemas.js';

/**
 * POST /v2/copies/{id}/sql and GET /v2/copies/{id}/schema on the wire, both ways (snake_case, as
 * the rest of /v2): also what the `sql` and `schema` tools of `ditto mcp` answer an agent with.
 */

type Wire = Record<string, unknown>;

export function sqlRequestWire(sql: string, database: string | undefined, limits: SqlLimits): Wire {
  return { sql, database, max_rows: limits.maxRows, max_bytes: limits.maxBytes, timeout_ms: limits.timeoutMs };
}

export function sqlResultWire(result: SqlResult): SqlResultWire {
  return {
    copy_id: result.copyId,
    database: result.database,
    ms: result.ms,
    results: result.results.map((r) => ({ command: r.command, row_count: r.rowCount, columns: r.columns, rows: r.rows, rows_omitted: r.rowsOmitted })),
  };
}

export function sqlResultFromWire(w: Wire): SqlResult {
  if (typeof w.copy_id !== 'string' || typeof w.database !== 'string' || !Array.isArray(w.results)) throw new DittoError('REMOTE', 'the host answered without the results of the SQL');
  return {
    copyId: w.copy_id,
    database: w.database,
    ms: Number(w.ms ?? 0),
    results: (w.results as Wire[]).map((r) => ({
      command: typeof r.command === 'string' ? r.command : null,
      rowCount: typeof r.row_count === 'number' ? r.row_count : null,
      columns: Array.isArray(r.columns) ? r.columns.map(String) : [],
      rows: Array.isArray(r.rows) ? (r.rows as unknown[][]) : [],
      rowsOmitted: Number(r.rows_omitted ?? 0),
    })),
  };
}

const tableWire = (t: TableName) => ({ schema: t.schema, name: t.name });

export function schemaWire(schema: DbSchema): SchemaWire {
  return {
    default_schema: schema.defaultSchema,
    tables: schema.tables.map((t) => ({
      ...tableWire(t),
      columns: t.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, primary_key: c.pk })),
      primary_key: t.primaryKey,
      unique_keys: t.uniqueKeys,
      partition_of: t.partitionOf ? { table: tableWire(t.partitionOf.table), bound: t.partitionOf.bound } : null,
    })),
    foreign_keys: schema.foreignKeys.map((fk) => ({ name: fk.name, from: tableWire(fk.from), columns: fk.columns, to: tableWire(fk.to), to_columns: fk.toColumns })),
  };
}

export function schemaFromWire(w: Wire): DbSchema {
  if (typeof w.default_schema !== 'string' || !Array.isArray(w.tables) || !Array.isArray(w.foreign_keys)) throw new DittoError('REMOTE', 'the host answered without a schema');
  const table = (t: Wire): TableName => ({ schema: String(t.schema), name: String(t.name) });
  return {
    defaultSchema: w.default_schema,
    tables: (w.tables as Wire[]).map(
      (t): SchemaTable => ({
        ...table(t),
        columns: (t.columns as Wire[]).map((c) => ({ name: String(c.name), type: String(c.type), nullable: c.nullable === true, pk: c.primary_key === true })),
        primaryKey: (t.primary_key as string[]) ?? [],
        uniqueKeys: (t.unique_keys as string[][]) ?? [],
        partitionOf: t.partition_of ? { table: table((t.partition_of as Wire).table as Wire), bound: String((t.partition_of as Wire).bound) } : null,
      }),
    ),
    foreignKeys: (w.foreign_keys as Wire[]).map((fk) => ({ name: String(fk.name), from: table(fk.from as Wire), columns: fk.columns as string[], to: table(fk.to as Wire), toColumns: fk.to_columns as string[] })),
  };
}
