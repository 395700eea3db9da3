import type { PlanTable } from '../subset-plan.js';
import type { SubsetDialect } from '../subset-sql.js';

/**
 * PostgreSQL's subset SQL. Kept rows are recorded by table (its index in the plan) and ctid in
 * one temporary table: a ctid names a row version, which stays put in the snapshot the whole
 * subset reads, and every table has one, with a primary key or not.
 */
export const KEEP = 'pg_temp.ditto_subset_keep';

export const CREATE_KEEP = `CREATE TEMPORARY TABLE IF NOT EXISTS ${KEEP} (node integer NOT NULL, row_id tid NOT NULL, PRIMARY KEY (node, row_id))`;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export const postgresSubsetDialect: SubsetDialect = {
  quote,
  relation: (t: PlanTable) => `ONLY ${quote(t.schema)}.${quote(t.name)}`,
  keptJoin: (_plan, i, alias) => ` JOIN ${KEEP} k ON k.node = ${i} AND k.row_id = ${alias}.ctid`,
  insertKept: (_plan, i, alias, fromWhere) => `INSERT INTO ${KEEP} SELECT ${i}, ${alias}.ctid ${fromWhere} ON CONFLICT DO NOTHING`,
  keptCount: (i) => `SELECT count(*) AS n FROM ${KEEP} WHERE node = ${i}`,
  isKept: (_plan, i, alias) => `${alias}.ctid IN (SELECT row_id FROM ${KEEP} WHERE node = ${i})`,
};

/** The COPY line of a table's data in the dump (a psql script). */
export function copyHeader(t: PlanTable, columns: string[]): string {
  return `COPY ${quote(t.schema)}.${quote(t.name)} (${columns.map(quote).join(', ')}) FROM stdin;\n`;
}

/** Each user sequence's position, as statements restoring it (the data section of a dump would). */
export const SEQUENCES = `
  SELECT format('SELECT pg_catalog.setval(%L, %s, true);', format('%I.%I', schemaname, sequencename), last_value) AS sql
    FROM pg_sequences
   WHERE last_value IS NOT NULL AND schemaname NOT IN ('pg_catalog', 'information_schema')
   ORDER BY schemaname, sequencename`;

/** The columns a table's COPY carries: all but generated ones, in the table's order. */
export const COPY_COLUMNS = `
  SELECT a.attname AS name FROM pg_attribute a
   WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
   ORDER BY a.attnum`;
