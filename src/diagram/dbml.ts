import type { DbSchema, SchemaTable, TableName } from '../model/schema.js';
import { relationShape, summary, tablesByKey } from './relations.js';

/**
 * `schema` in DBML (dbdiagram.io's language): a `Table` per table with its columns' full SQL types
 * (quoted where they hold spaces or punctuation), `pk` and `not null`; a composite primary key as
 * an index; a `Ref` per foreign key under its constraint's name (`>` many-to-one, `-` one-to-one),
 * composite keys as `table.(a, b)`. Tables outside the default schema are `schema.table`. A
 * partition is a table of its own, with a Note naming its parent and bounds.
 */
export function renderDbml(schema: DbSchema): string {
  const tables = tablesByKey(schema);
  const out = [`// ditto erd: ${summary(schema)}`, ''];
  for (const table of schema.tables) out.push(...tableBlock(table, schema), '');
  for (const fk of schema.foreignKeys) {
    const shape = relationShape(fk, tables);
    out.push(`Ref ${identifier(fk.name)}: ${columnsOf(fk.from, fk.columns, schema)} ${shape.oneToOne ? '-' : '>'} ${columnsOf(fk.to, fk.toColumns, schema)}`);
  }
  return out.join('\n').trimEnd() + '\n';
}

function tableBlock(table: SchemaTable, schema: DbSchema): string[] {
  const single = table.primaryKey.length === 1;
  const lines = [`Table ${tableName(table, schema)} {`];
  for (const column of table.columns) {
    const settings = [single && column.pk ? 'pk' : null, !column.nullable && !(single && column.pk) ? 'not null' : null].filter(Boolean);
    lines.push(`  ${identifier(column.name)} ${dbmlType(column.type)}${settings.length ? ` [${settings.join(', ')}]` : ''}`);
  }
  if (table.primaryKey.length > 1) lines.push('', '  indexes {', `    (${table.primaryKey.map(identifier).join(', ')}) [pk]`, '  }');
  if (table.partitionOf) lines.push('', `  Note: ${text(`partition of ${tableName(table.partitionOf.table, schema)} ${table.partitionOf.bound}`)}`);
  lines.push('}');
  return lines;
}

function tableName(t: TableName, schema: DbSchema): string {
  return t.schema === schema.defaultSchema ? identifier(t.name) : `${identifier(t.schema)}.${identifier(t.name)}`;
}

function columnsOf(t: TableName, columns: string[], schema: DbSchema): string {
  return `${tableName(t, schema)}.${columns.length === 1 ? identifier(columns[0]!) : `(${columns.map(identifier).join(', ')})`}`;
}

/** Words DBML reads as its own inside a table or at the top level. */
const KEYWORDS = new Set(['table', 'ref', 'note', 'indexes', 'enum', 'project', 'tablegroup', 'as', 'tablepartial', 'records']);

/** A name as DBML takes it: bare when it is a plain word, else in double quotes. */
export function identifier(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toLowerCase()) ? name : `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A SQL type as a DBML column type: bare when it is a word with numeric parameters (`varchar(45)`, `int[]`), else quoted whole. */
export function dbmlType(sqlType: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*(\(\d+(,\s*\d+)*\))?(\[\])*$/.test(sqlType) ? sqlType : `"${sqlType.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function text(value: string): string {
  return `'${value.replace(/\s*[\r\n]+\s*/g, ' ').replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
