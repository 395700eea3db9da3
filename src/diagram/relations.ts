import { sameTable, type DbSchema, type SchemaForeignKey, type SchemaTable, type TableName } from '../model/schema.js';

/** What a foreign key says about the rows it joins, for the ends of its line. */
export interface RelationShape {
  /** Each referencing row has at most one partner the other way too: its columns are unique. */
  oneToOne: boolean;
  /** A referencing row may reference nothing: a column of the key is nullable. */
  optional: boolean;
  /** The key is part of the referencing table's primary key (a join table's): the child cannot exist without its parent. */
  identifying: boolean;
}

export function relationShape(fk: SchemaForeignKey, tables: Map<string, SchemaTable>): RelationShape {
  const from = tables.get(tableKey(fk.from));
  if (!from) return { oneToOne: false, optional: true, identifying: false };
  const keys = from.primaryKey.length ? [from.primaryKey, ...from.uniqueKeys] : from.uniqueKeys;
  const cols = new Set(fk.columns);
  return {
    oneToOne: keys.some((key) => key.length === cols.size && key.every((c) => cols.has(c))),
    optional: fk.columns.some((name) => from.columns.find((c) => c.name === name)?.nullable ?? true),
    identifying: fk.columns.every((c) => from.primaryKey.includes(c)),
  };
}

export function tableKey(t: TableName): string {
  return JSON.stringify([t.schema, t.name]);
}

export function tablesByKey(schema: DbSchema): Map<string, SchemaTable> {
  return new Map(schema.tables.map((t) => [tableKey(t), t]));
}

/** A table's name as a reader knows it: unqualified in the default schema, `schema.table` elsewhere. */
export function displayName(t: TableName, schema: DbSchema): string {
  return t.schema === schema.defaultSchema ? t.name : `${t.schema}.${t.name}`;
}

/** The columns of `table` that some foreign key of it holds. */
export function foreignKeyColumns(table: SchemaTable, schema: DbSchema): Set<string> {
  return new Set(schema.foreignKeys.filter((fk) => sameTable(fk.from, table)).flatMap((fk) => fk.columns));
}

/** What the diagram's header says about its size. */
export function summary(schema: DbSchema): string {
  const partitions = schema.tables.filter((t) => t.partitionOf).length;
  const tables = `${schema.tables.length} table${schema.tables.length === 1 ? '' : 's'}${partitions ? ` (${partitions} of them partitions)` : ''}`;
  return `${tables}, ${schema.foreignKeys.length} foreign key${schema.foreignKeys.length === 1 ? '' : 's'}`;
}

/** `name`, or `name_2`, `name_3`... when an earlier one took it: names made safe for a format can meet. */
export function uniqueNamer(): (name: string) => string {
  const taken = new Set<string>();
  return (name) => {
    let candidate = name;
    for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${name}_${i}`;
    taken.add(candidate.toLowerCase());
    return candidate;
  };
}
