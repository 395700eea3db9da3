import type pg from 'pg';
import type { DbSchema, SchemaTable } from '../../model/schema.js';

/** Schemas that are PostgreSQL's own, never the user's. */
const USER_RELATIONS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

const TABLES = `
  SELECT c.oid, n.nspname AS schema, c.relname AS name, pn.nspname AS parent_schema, p.relname AS parent_name,
         CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
    LEFT JOIN pg_class p ON p.oid = i.inhparent
    LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
   WHERE c.relkind IN ('r', 'p') AND ${USER_RELATIONS}
   ORDER BY n.nspname, c.relname`;

const COLUMNS = `
  SELECT a.attrelid AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_RELATIONS}
   ORDER BY a.attrelid, a.attnum`;

/** Keys with their columns in key order (conkey's order, not the table's); tables and keys by name, so a subset's plan order is the same each time. */
const KEYS = `
  SELECT k.conname AS name, k.contype AS kind, k.conrelid AS oid, k.confrelid AS ref_oid,
         ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.ord) AS columns,
         ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                 JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.ord) AS ref_columns
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE k.contype IN ('p', 'u', 'f') AND k.conparentid = 0 AND ${USER_RELATIONS}
   ORDER BY n.nspname, c.relname, k.conname`;

interface TableRow {
  oid: number;
  schema: string;
  name: string;
  parent_schema: string | null;
  parent_name: string | null;
  bound: string | null;
}

interface KeyRow {
  name: string;
  kind: 'p' | 'u' | 'f';
  oid: number;
  ref_oid: number;
  columns: string[];
  ref_columns: string[];
}

/**
 * The tables of every user schema, from the catalogue. Partitions are tables here too (each has
 * keys of its own: pagila declares foreign keys on some partitions of `payment` and not on
 * others), marked with their parent. A key declared on a partitioned table is cloned onto each
 * partition (and, referencing one, onto each partition referenced): only the declared key is
 * taken (`conparentid = 0`), the clones being its copies.
 */
export async function readSchema(client: pg.Client): Promise<DbSchema> {
  const tables = (await client.query<TableRow>(TABLES)).rows;
  const byOid = new Map<number, SchemaTable>();
  for (const row of tables) {
    const partitionOf = row.parent_name !== null && row.bound !== null ? { table: { schema: row.parent_schema!, name: row.parent_name }, bound: row.bound } : null;
    byOid.set(Number(row.oid), { schema: row.schema, name: row.name, columns: [], primaryKey: [], uniqueKeys: [], partitionOf });
  }
  for (const column of (await client.query<{ oid: number; name: string; type: string; nullable: boolean }>(COLUMNS)).rows) {
    byOid.get(Number(column.oid))?.columns.push({ name: column.name, type: column.type, nullable: column.nullable, pk: false });
  }
  const foreignKeys: DbSchema['foreignKeys'] = [];
  for (const key of (await client.query<KeyRow>(KEYS)).rows) {
    const table = byOid.get(Number(key.oid));
    if (!table) continue;
    if (key.kind === 'p') {
      table.primaryKey = key.columns;
      for (const column of table.columns) column.pk = key.columns.includes(column.name);
    } else if (key.kind === 'u') {
      table.uniqueKeys.push(key.columns);
    } else {
      const to = byOid.get(Number(key.ref_oid));
      if (to) foreignKeys.push({ name: key.name, from: { schema: table.schema, name: table.name }, columns: key.columns, to: { schema: to.schema, name: to.name }, toColumns: key.ref_columns });
    }
  }
  return { defaultSchema: 'public', tables: [...byOid.values()], foreignKeys };
}
