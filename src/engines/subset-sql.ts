import { DittoError } from '../errors.js';
import type { SubsetRun } from './engine.js';
import { downEdges, followsUp, hasKeptSet, nulledEdges, shownTable, type PlanEdge, type PlanTable, type SubsetPlan, type SubsetReport } from './subset-plan.js';

/**
 * How an engine names tables and records kept rows: the rest of a subset's SQL (down and up
 * passes, the rows streamed out) is the same in every engine.
 */
export interface SubsetDialect {
  quote(name: string): string;
  /** The table `t` alone (not its inheritors). */
  relation(t: PlanTable): string;
  /** ` JOIN ... ON ...`: restricts rows `alias` of table `i` to kept ones. */
  keptJoin(plan: SubsetPlan, i: number, alias: string): string;
  /** Wraps `SELECT <key of alias> FROM ... WHERE ...` (given as its FROM clause onwards) into the insert of kept rows of table `i`. */
  insertKept(plan: SubsetPlan, i: number, alias: string, fromWhere: string): string;
  /** How many rows of table `i` are kept. */
  keptCount(i: number): string;
  /** A condition on `alias` (table `i`) that holds for its kept rows. */
  isKept(plan: SubsetPlan, i: number, alias: string): string;
}

/** Whether a row of `alias` (the referencing table) points at a row the dump has in table `to`, over `e`. */
function pointsAtKept(d: SubsetDialect, plan: SubsetPlan, e: PlanEdge, to: number, alias: string): string {
  const target = plan.tables[to]!;
  if (target.role === 'empty') return 'false';
  const match = e.columns.map((c, i) => `p.${d.quote(e.toColumns[i]!)} = ${alias}.${d.quote(c)}`).join(' AND ');
  const kept = target.role === 'full' ? '' : d.keptJoin(plan, to, 'p');
  return `EXISTS (SELECT 1 FROM ${d.relation(target)} p${kept} WHERE ${match})`;
}

/** A reference holds when a column of it is NULL (MATCH SIMPLE) or its row is in the dump. */
function holds(d: SubsetDialect, plan: SubsetPlan, e: PlanEdge, alias: string): string {
  const nulls = e.columns.map((c) => `${alias}.${d.quote(c)} IS NULL`);
  return `(${[...nulls, ...e.to.map((t) => pointsAtKept(d, plan, e, t, alias))].join(' OR ')})`;
}

/** The start rows of rule table `i`; `limit`: how many rows its `percent` is (counted in the source). */
export function ruleSql(d: SubsetDialect, plan: SubsetPlan, i: number, limit: number): string {
  const t = plan.tables[i]!;
  const from = d.relation(t);
  if (t.where !== null) return d.insertKept(plan, i, 'c', `FROM ${from} c WHERE (${t.where})`);
  // The first rows by primary key (a table without one: in the order the source reads them).
  const order = t.primaryKey.length > 0 ? t.primaryKey.map((c) => `c.${d.quote(c)}`).join(', ') : '1';
  return d.insertKept(plan, i, 'c', `FROM ${from} c ORDER BY ${order} LIMIT ${limit}`);
}

/** The rows of down table `i` whose every reference to a filtered table holds. */
export function downSql(d: SubsetDialect, plan: SubsetPlan, i: number): string {
  const conditions = downEdges(plan, i).map((e) => holds(d, plan, e, 'c'));
  return d.insertKept(plan, i, 'c', `FROM ${d.relation(plan.tables[i]!)} c WHERE ${conditions.join(' AND ')}`);
}

/** The rows of `to` that rows of `e.from` in the dump reference. */
export function upSql(d: SubsetDialect, plan: SubsetPlan, e: PlanEdge, to: number): string {
  const from = plan.tables[e.from]!;
  const kept = hasKeptSet(from) ? d.keptJoin(plan, e.from, 'c') : '';
  const match = e.columns.map((c, i) => `c.${d.quote(c)} = p.${d.quote(e.toColumns[i]!)}`).join(' AND ');
  return d.insertKept(plan, to, 'p', `FROM ${d.relation(plan.tables[to]!)} p WHERE EXISTS (SELECT 1 FROM ${d.relation(from)} c${kept} WHERE ${match})`);
}

/** Every statement of one round towards the fixed point: down tables, then up references. */
export function roundSql(d: SubsetDialect, plan: SubsetPlan): string[] {
  const steps: string[] = [];
  plan.tables.forEach((t, i) => {
    if (t.role === 'down') steps.push(downSql(d, plan, i));
  });
  for (const e of plan.edges) {
    if (!followsUp(plan, e)) continue;
    for (const to of e.to) if (hasKeptSet(plan.tables[to]!)) steps.push(upSql(d, plan, e, to));
  }
  return steps;
}

/** The SELECT of table `i`'s rows in the dump: its kept ones, references `null_unreached` cuts set to NULL. */
export function rowsSql(d: SubsetDialect, plan: SubsetPlan, i: number, columns: string[]): string {
  const t = plan.tables[i]!;
  const nulled = new Map<string, string>();
  for (const e of nulledEdges(plan, i)) {
    const reached = e.to.map((to) => pointsAtKept(d, plan, e, to, 'c')).join(' OR ');
    for (const c of e.columns) nulled.set(c, `CASE WHEN ${reached} THEN c.${d.quote(c)} END`);
  }
  const select = columns.map((c) => nulled.get(c) ?? `c.${d.quote(c)}`).join(', ');
  const where = hasKeptSet(t) ? ` WHERE ${d.isKept(plan, i, 'c')}` : '';
  return `SELECT ${select} FROM ${d.relation(t)} c${where}`;
}

/** A connection in the subset's transaction: runs a statement and says how many rows it changed, or counts. */
export interface SubsetSession {
  run(sql: string): Promise<number>;
  count(sql: string): Promise<number>;
}

/** Starts the rule tables, then runs rounds of down and up passes until one adds nothing; how many rounds. */
export async function keepToFixedPoint(s: SubsetSession, d: SubsetDialect, plan: SubsetPlan, signal?: AbortSignal): Promise<number> {
  for (const [i, t] of plan.tables.entries()) {
    if (t.role !== 'rule') continue;
    const limit = t.percent === null ? 0 : Math.ceil(((await s.count(`SELECT count(*) AS n FROM ${d.relation(t)}`)) * t.percent) / 100);
    await s.run(ruleSql(d, plan, i, limit));
  }
  const steps = roundSql(d, plan);
  for (let rounds = 1; ; rounds++) {
    let added = 0;
    for (const step of steps) {
      signal?.throwIfAborted();
      added += await s.run(step);
    }
    if (added === 0) return rounds;
  }
}

/** What the subset keeps of each table, and of how many. */
export async function countSubset(s: SubsetSession, d: SubsetDialect, plan: SubsetPlan, defaultSchema: string, rounds: number): Promise<SubsetReport> {
  const tables: SubsetReport['tables'] = [];
  for (const [i, t] of plan.tables.entries()) {
    const total = await s.count(`SELECT count(*) AS n FROM ${d.relation(t)}`);
    const rows = t.role === 'full' ? total : t.role === 'empty' ? 0 : await s.count(d.keptCount(i));
    tables.push({ table: shownTable(t, defaultSchema), role: t.role, rows, total });
  }
  return { tables, rounds };
}

/**
 * A subset over an engine's session, inside its snapshot transaction: the kept rows to a fixed
 * point, their counts, and (when `run.out` asks for a dump) `writeDump`, given the tables whose
 * rows dump.exclude_table_data leaves out.
 */
export async function takeSubset(run: SubsetRun, s: SubsetSession, d: SubsetDialect, plan: SubsetPlan, defaultSchema: string, writeDump: (excluded: Set<number>) => Promise<void>): Promise<SubsetReport> {
  const rounds = await keepToFixedPoint(s, d, plan, run.signal);
  const report = await countSubset(s, d, plan, defaultSchema, rounds);
  if (run.out) {
    const excluded = new Set(plan.tables.flatMap((t, i) => (run.excludeTableData.some((n) => n === t.name || n === `${t.schema}.${t.name}`) ? [i] : [])));
    await writeDump(excluded);
    for (const i of excluded) report.tables[i]!.rows = 0;
  }
  return report;
}

/** A failed subset in ditto's words: interrupted, ditto's own error, or the source's. */
export function subsetFailure(err: unknown, signal?: AbortSignal): DittoError {
  if (signal?.aborted) return new DittoError('INTERRUPTED', 'interrupted while taking the subset');
  if (err instanceof DittoError) return err;
  return new DittoError('REMOTE', `could not take the subset of the source: ${(err as Error).message}`, { hint: 'check dump.subset in ditto.yaml (a `where` is SQL run in the source)' });
}
