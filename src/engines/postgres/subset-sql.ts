import { downEdges, followsUp, hasKeptSet, nulledEdges, type PlanEdge, type PlanTable, type SubsetPlan } from '../subset-plan.js';

/**
 * The SQL of a subset in PostgreSQL. Kept rows are recorded by table (its index in the plan) and
 * ctid in one temporary table: a ctid names a row version, which stays put in the snapshot the
 * whole subset reads, and every table has one, with a primary key or not.
 */
export const KEEP = 'pg_temp.ditto_subset_keep';

export const CREATE_KEEP = `CREATE TEMPORARY TABLE IF NOT EXISTS ${KEEP} (node integer NOT NULL, row_id tid NOT NULL, PRIMARY KEY (node, row_id))`;

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function relation(t: PlanTable): string {
  return `ONLY ${q(t.schema)}.${q(t.name)}`;
}

/** Whether a row of `alias` (the referencing table) points at a row the dump has in table `to`, over `e`. */
function pointsAtKept(plan: SubsetPlan, e: PlanEdge, to: number, alias: string): string {
  const target = plan.tables[to]!;
  if (target.role === 'empty') return 'false';
  const match = e.columns.map((c, i) => `p.${q(e.toColumns[i]!)} = ${alias}.${q(c)}`).join(' AND ');
  const kept = target.role === 'full' ? '' : ` JOIN ${KEEP} k ON k.node = ${to} AND k.row_id = p.ctid`;
  return `EXISTS (SELECT 1 FROM ${relation(target)} p${kept} WHERE ${match})`;
}

/** A reference holds when a column of it is NULL (MATCH SIMPLE) or its row is in the dump. */
function holds(plan: SubsetPlan, e: PlanEdge, alias: string): string {
  const nulls = e.columns.map((c) => `${alias}.${q(c)} IS NULL`);
  return `(${[...nulls, ...e.to.map((t) => pointsAtKept(plan, e, t, alias))].join(' OR ')})`;
}

/** The start rows of a rule table (`$1`: its index). */
export function ruleSql(t: PlanTable): string {
  const from = relation(t);
  if (t.where !== null) return `INSERT INTO ${KEEP} SELECT $1::integer, ctid FROM ${from} WHERE (${t.where}) ON CONFLICT DO NOTHING`;
  const order = t.primaryKey.length > 0 ? t.primaryKey.map(q).join(', ') : 'ctid';
  return `INSERT INTO ${KEEP} SELECT $1::integer, ctid FROM ${from} ORDER BY ${order} LIMIT ceil((SELECT count(*) FROM ${from}) * ${t.percent} / 100.0) ON CONFLICT DO NOTHING`;
}

/** The rows of down table `i` whose every reference to a filtered table holds (`$1`: `i`). */
export function downSql(plan: SubsetPlan, i: number): string {
  const conditions = downEdges(plan, i).map((e) => holds(plan, e, 'c'));
  return `INSERT INTO ${KEEP} SELECT $1::integer, c.ctid FROM ${relation(plan.tables[i]!)} c WHERE ${conditions.join(' AND ')} ON CONFLICT DO NOTHING`;
}

/** The rows of `to` that rows of `e.from` in the dump reference (`$1`: `to`). */
export function upSql(plan: SubsetPlan, e: PlanEdge, to: number): string {
  const from = plan.tables[e.from]!;
  const kept = hasKeptSet(from) ? ` JOIN ${KEEP} k ON k.node = ${e.from} AND k.row_id = c.ctid` : '';
  const match = e.columns.map((c, i) => `c.${q(c)} = p.${q(e.toColumns[i]!)}`).join(' AND ');
  return `INSERT INTO ${KEEP} SELECT $1::integer, p.ctid FROM ${relation(plan.tables[to]!)} p WHERE EXISTS (SELECT 1 FROM ${relation(from)} c${kept} WHERE ${match}) ON CONFLICT DO NOTHING`;
}

/** Every statement of one round towards the fixed point, with its parameter: down tables, then up references. */
export function roundSql(plan: SubsetPlan): { sql: string; node: number }[] {
  const steps: { sql: string; node: number }[] = [];
  plan.tables.forEach((t, i) => {
    if (t.role === 'down') steps.push({ sql: downSql(plan, i), node: i });
  });
  for (const e of plan.edges) {
    if (!followsUp(plan, e)) continue;
    for (const to of e.to) if (hasKeptSet(plan.tables[to]!)) steps.push({ sql: upSql(plan, e, to), node: to });
  }
  return steps;
}

/** The query that streams table `i`'s rows in the dump: its kept ones, references `null_unreached` cuts set to NULL. */
export function rowsSql(plan: SubsetPlan, i: number, columns: string[]): string {
  const t = plan.tables[i]!;
  const nulled = new Map<string, string>();
  for (const e of nulledEdges(plan, i)) {
    const reached = e.to.map((to) => pointsAtKept(plan, e, to, 'c')).join(' OR ');
    for (const c of e.columns) nulled.set(c, `CASE WHEN ${reached} THEN c.${q(c)} END`);
  }
  const select = columns.map((c) => nulled.get(c) ?? `c.${q(c)}`).join(', ');
  const where = hasKeptSet(t) ? ` WHERE c.ctid IN (SELECT row_id FROM ${KEEP} WHERE node = ${i})` : '';
  return `COPY (SELECT ${select} FROM ${relation(t)} c${where}) TO STDOUT`;
}

/** The COPY line of a table's data in the dump (a psql script). */
export function copyHeader(t: PlanTable, columns: string[]): string {
  return `COPY ${q(t.schema)}.${q(t.name)} (${columns.map(q).join(', ')}) FROM stdin;\n`;
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
