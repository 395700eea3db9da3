/**
 * A database's tables and the keys between them, as every engine reports it (`Engine.schemaOf`)
 * and the diagram renderers draw it: names as the catalogue spells them, types in the engine's
 * own words.
 */

/** A table by name: its schema (PostgreSQL) or database (MySQL), and its own name. */
export interface TableName {
  schema: string;
  name: string;
}

export interface SchemaColumn {
  name: string;
  /** The type as the engine writes it: `character varying(45)`, `numeric(5,2)`, `enum('a','b')`. */
  type: string;
  nullable: boolean;
  /** Part of the table's primary key. */
  pk: boolean;
}

export interface SchemaTable extends TableName {
  columns: SchemaColumn[];
  /** The primary key's columns, in key order; empty when there is none. */
  primaryKey: string[];
  /** Column sets under a unique constraint, besides the primary key. */
  uniqueKeys: string[][];
  /** For a partition: the partitioned table it belongs to, and its bounds (`FOR VALUES FROM (...) TO (...)`). */
  partitionOf: { table: TableName; bound: string } | null;
}

/** A foreign key as declared: `columns` of `from` reference `toColumns` of `to`, pairwise. */
export interface SchemaForeignKey {
  name: string;
  from: TableName;
  columns: string[];
  to: TableName;
  toColumns: string[];
}

export interface DbSchema {
  /** The schema names are relative to (`public`, the connected MySQL database): its tables are drawn unqualified. */
  defaultSchema: string;
  tables: SchemaTable[];
  foreignKeys: SchemaForeignKey[];
}

export function sameTable(a: TableName, b: TableName): boolean {
  return a.schema === b.schema && a.name === b.name;
}

/** Tables by schema and name, foreign keys by their table and name: the same database always reads the same. */
export function sortedSchema(schema: DbSchema): DbSchema {
  const byName = (a: TableName, b: TableName) => (a.schema === b.schema ? cmp(a.name, b.name) : cmp(a.schema, b.schema));
  return {
    defaultSchema: schema.defaultSchema,
    tables: [...schema.tables].sort(byName),
    foreignKeys: [...schema.foreignKeys].sort((a, b) => byName(a.from, b.from) || cmp(a.name, b.name)),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
