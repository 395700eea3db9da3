import type { DbSchema, SchemaTable } from '../../model/schema.js';

/** Runs one statement with bound parameters and returns its rows. */
type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

interface KeyColumnRow {
  schema: string;
  tableName: string;
  name: string;
  kind: string;
  columnName: string;
  refSchema: string | null;
  refTable: string | null;
  refColumn: string | null;
}

const KEY_COLUMNS = `
  SELECT k.TABLE_SCHEMA AS \`schema\`, k.TABLE_NAME AS tableName, k.CONSTRAINT_NAME AS name, t.CONSTRAINT_TYPE AS kind,
         k.COLUMN_NAME AS columnName, k.REFERENCED_TABLE_SCHEMA AS refSchema, k.REFERENCED_TABLE_NAME AS refTable,
         k.REFERENCED_COLUMN_NAME AS refColumn
    FROM information_schema.KEY_COLUMN_USAGE k
    JOIN information_schema.TABLE_CONSTRAINTS t
      ON t.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND t.TABLE_NAME = k.TABLE_NAME AND t.CONSTRAINT_NAME = k.CONSTRAINT_NAME
   WHERE k.TABLE_SCHEMA IN (?) AND t.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
   ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`;

/**
 * The base tables of the connected database (views are no entities), from information_schema,
 * with those of another database that a foreign key of it references, so that every key has both
 * ends. Keys' columns are in key order.
 */
export async function readMysqlSchema(query: Query, database: string): Promise<DbSchema> {
  const referenced = await query<{ refSchema: string }>(
    `SELECT DISTINCT REFERENCED_TABLE_SCHEMA AS refSchema FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_SCHEMA IS NOT NULL`,
    [database],
  );
  const schemas = [...new Set([database, ...referenced.map((r) => r.refSchema)])];
  const tables = new Map<string, SchemaTable>();
  const key = (schema: string, name: string) => JSON.stringify([schema, name]);
  const tableRows = await query<{ schema: string; name: string }>(
    `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'BASE TABLE'`,
    [schemas],
  );
  for (const t of tableRows) tables.set(key(t.schema, t.name), { schema: t.schema, name: t.name, columns: [], primaryKey: [], uniqueKeys: [], partitionOf: null });
  const columns = await query<{ schema: string; tableName: string; name: string; type: string; nullable: string }>(
    `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS tableName, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    [schemas],
  );
  for (const c of columns) tables.get(key(c.schema, c.tableName))?.columns.push({ name: c.name, type: c.type, nullable: c.nullable === 'YES', pk: false });

  const keys = new Map<string, { table: SchemaTable; kind: string; name: string; columns: string[]; refSchema: string | null; refTable: string | null; refColumns: string[] }>();
  for (const row of await query<KeyColumnRow>(KEY_COLUMNS, [schemas])) {
    const table = tables.get(key(row.schema, row.tableName));
    if (!table) continue;
    const id = JSON.stringify([row.schema, row.tableName, row.name]);
    const k = keys.get(id) ?? { table, kind: row.kind, name: row.name, columns: [], refSchema: row.refSchema, refTable: row.refTable, refColumns: [] };
    k.columns.push(row.columnName);
    if (row.refColumn !== null) k.refColumns.push(row.refColumn);
    keys.set(id, k);
  }
  const foreignKeys: DbSchema['foreignKeys'] = [];
  for (const k of keys.values()) {
    if (k.kind === 'PRIMARY KEY') {
      k.table.primaryKey = k.columns;
      for (const column of k.table.columns) column.pk = k.columns.includes(column.name);
    } else if (k.kind === 'UNIQUE') {
      k.table.uniqueKeys.push(k.columns);
    } else if (k.table.schema === database && k.refSchema !== null && k.refTable !== null) {
      foreignKeys.push({ name: k.name, from: { schema: k.table.schema, name: k.table.name }, columns: k.columns, to: { schema: k.refSchema, name: k.refTable }, toColumns: k.refColumns });
    }
  }
  return { defaultSchema: database, tables: [...tables.values()], foreignKeys };
}
