import type { SubsetConfig } from '../config/subset-schema.js';
import { DittoError } from '../errors.js';
import { sameTable, type DbSchema, type SchemaColumn, type SchemaTable, type TableName } from '../model/schema.js';

/**
 * How a table takes part in a subset:
 * - `rule`: its start rows are the rule's (`where`/`percent`), plus rows pulled in up;
 * - `down`: it references a rule table, directly or through other `down` tables: it keeps the rows
 *   whose every reference to a `rule`/`down` table points at a kept row, plus rows pulled in up;
 * - `up`: only the rows that kept rows reference;
 * - `full` / `empty`: no rule reaches it (`others`): all its rows, or none.
 */
export type SubsetRole = 'rule' | 'down' | 'up' | 'full' | 'empty';

export interface PlanTable extends TableName {
  role: SubsetRole;
  where: string | null;
  percent: number | null;
  columns: SchemaColumn[];
  primaryKey: string[];
}

/**
 * A reference (a foreign key or a listed relation) between tables of the plan, by index into
 * `SubsetPlan.tables`. One declared on or aimed at a partitioned table is one per partition that
 * holds rows; a referenced row is in any one of `to`.
 */
export interface PlanEdge {
  from: number;
  columns: string[];
  to: number[];
  toColumns: string[];
  /** Every referencing column may be NULL. */
  nullable: boolean;
}

export interface SubsetPlan {
  /** In the plan's order: rule tables, down tables parents first, up tables as they are reached, then the others. */
  tables: PlanTable[];
  edges: PlanEdge[];
  nullUnreached: boolean;
}

const KEPT: ReadonlySet<SubsetRole> = new Set(['rule', 'down', 'up']);
const FILTERED: ReadonlySet<SubsetRole> = new Set(['rule', 'down']);

/** Whether the plan keeps a chosen set of the table's rows (computed in the source) rather than all or none. */
export function hasKeptSet(t: PlanTable): boolean {
  return KEPT.has(t.role);
}

/** Edges a `down` table's rows must satisfy: its references to `rule` and `down` tables. */
export function downEdges(plan: SubsetPlan, table: number): PlanEdge[] {
  return plan.edges.filter((e) => e.from === table && e.to.some((t) => FILTERED.has(plan.tables[t]!.role)));
}

/** Whether the up pass follows an edge: its rows are in the dump and it is not one `null_unreached` cuts. */
export function followsUp(plan: SubsetPlan, e: PlanEdge): boolean {
  const role = plan.tables[e.from]!.role;
  return role !== 'empty' && !(plan.nullUnreached && e.nullable);
}

/** Edges whose values the dump sets to NULL where the referenced row is not kept (`null_unreached`). */
export function nulledEdges(plan: SubsetPlan, table: number): PlanEdge[] {
  return plan.nullUnreached ? plan.edges.filter((e) => e.from === table && e.nullable && e.to.some((t) => plan.tables[t]!.role !== 'full')) : [];
}

/** The plan of a subset of `schema`: which tables keep which rows, and the references that bind them. */
export function planSubset(schema: DbSchema, config: NonNullable<SubsetConfig>): SubsetPlan {
  const leaves = schema.tables.filter((t) => !schema.tables.some((c) => c.partitionOf && sameTable(c.partitionOf.table, t)));
  const leafIndex = (t: TableName) => leaves.findIndex((l) => sameTable(l, t));
  /** The tables holding the rows of `t`: itself, or its partitions' (at any depth). */
  const rowsOf = (t: SchemaTable): number[] => {
    const own = leafIndex(t);
    if (own >= 0) return [own];
    return schema.tables.filter((c) => c.partitionOf && sameTable(c.partitionOf.table, t)).flatMap(rowsOf);
  };
  const resolve = (name: string, what: string): SchemaTable => {
    const dot = name.indexOf('.');
    const wanted = dot < 0 ? { schema: schema.defaultSchema, name } : { schema: name.slice(0, dot), name: name.slice(dot + 1) };
    const found = schema.tables.find((t) => sameTable(t, wanted));
    if (!found) throw new DittoError('CONFIG', `${what} names table ${name}, which the source does not have`, { hint: 'check dump.subset in ditto.yaml' });
    return found;
  };
  const checkColumns = (t: SchemaTable, columns: string[], what: string) => {
    for (const c of columns) {
      if (!t.columns.some((col) => col.name === c)) throw new DittoError('CONFIG', `${what} names column ${t.name}.${c}, which the source does not have`, { hint: 'check dump.subset.relations in ditto.yaml' });
    }
  };

  const roles: (SubsetRole | null)[] = leaves.map(() => null);
  const rules = new Map<number, { where: string | null; percent: number | null }>();
  const ruleOrder: number[] = [];
  for (const rule of config.tables) {
    for (const leaf of rowsOf(resolve(rule.table, 'dump.subset.tables'))) {
      if (rules.has(leaf)) throw new DittoError('CONFIG', `dump.subset.tables has two rules for ${leaves[leaf]!.name}`, { hint: 'give each table one rule' });
      rules.set(leaf, { where: rule.where ?? null, percent: rule.percent ?? null });
      roles[leaf] = 'rule';
      ruleOrder.push(leaf);
    }
  }

  const edges: PlanEdge[] = [];
  const addEdge = (from: SchemaTable, columns: string[], to: SchemaTable, toColumns: string[]) => {
    const targets = rowsOf(to);
    const nullable = columns.every((c) => from.columns.find((col) => col.name === c)?.nullable ?? false);
    for (const leaf of rowsOf(from)) edges.push({ from: leaf, columns, to: targets, toColumns, nullable });
  };
  const byName = (t: TableName) => schema.tables.find((s) => sameTable(s, t))!;
  for (const fk of schema.foreignKeys) addEdge(byName(fk.from), fk.columns, byName(fk.to), fk.toColumns);
  for (const r of config.relations) {
    const from = resolve(r.table, 'dump.subset.relations');
    const to = resolve(r.references, 'dump.subset.relations');
    checkColumns(from, r.columns, 'dump.subset.relations');
    checkColumns(to, r.to, 'dump.subset.relations');
    addEdge(from, r.columns, to, r.to);
  }

  // Down: a table referencing a rule or down table is a down table, to a fixed point.
  for (let changed = true; changed; ) {
    changed = false;
    for (const e of edges) {
      if (roles[e.from] === null && e.to.some((t) => roles[t] === 'rule' || roles[t] === 'down')) {
        roles[e.from] = 'down';
        changed = true;
      }
    }
  }
  const downOrder = parentsFirst(
    leaves.map((_, i) => i).filter((i) => roles[i] === 'down'),
    edges,
  );
  // Up: every table a kept table references, breadth first. `null_unreached` leaves nullable references unfollowed.
  const upOrder: number[] = [];
  const queue = [...ruleOrder, ...downOrder];
  while (queue.length > 0) {
    const t = queue.shift()!;
    for (const e of edges) {
      if (e.from !== t || (config.null_unreached && e.nullable)) continue;
      for (const target of e.to) {
        if (roles[target] !== null) continue;
        roles[target] = 'up';
        upOrder.push(target);
        queue.push(target);
      }
    }
  }
  const others = leaves.map((_, i) => i).filter((i) => roles[i] === null);
  for (const i of others) roles[i] = config.others;
  const order = [...ruleOrder, ...downOrder, ...upOrder, ...others.sort((a, b) => compareNames(leaves[a]!, leaves[b]!))];
  const position = new Map(order.map((leaf, i) => [leaf, i]));
  const tables = order.map((leaf): PlanTable => {
    const t = leaves[leaf]!;
    const rule = rules.get(leaf);
    return { schema: t.schema, name: t.name, role: roles[leaf]!, where: rule?.where ?? null, percent: rule?.percent ?? null, columns: t.columns, primaryKey: t.primaryKey };
  });
  return {
    tables,
    edges: edges.map((e) => ({ ...e, from: position.get(e.from)!, to: e.to.map((t) => position.get(t)!) })),
    nullUnreached: config.null_unreached,
  };
}

/** `tables` with each after the tables it references among them; a cycle is broken where it is met. */
function parentsFirst(tables: number[], edges: PlanEdge[]): number[] {
  const set = new Set(tables);
  const done = new Set<number>();
  const visiting = new Set<number>();
  const out: number[] = [];
  const visit = (t: number) => {
    if (done.has(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const e of edges) if (e.from === t) for (const p of e.to) if (set.has(p)) visit(p);
    visiting.delete(t);
    done.add(t);
    out.push(t);
  };
  for (const t of tables) visit(t);
  return out;
}

function compareNames(a: TableName, b: TableName): number {
  return a.schema === b.schema ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.schema < b.schema ? -1 : 1;
}

/** A table's name as the plan prints it: unqualified in the default schema. */
export function shownTable(t: TableName, defaultSchema: string): string {
  return t.schema === defaultSchema ? t.name : `${t.schema}.${t.name}`;
}

/** What a subset kept of one table: `rows` of its `total`, in the plan's order. */
export interface SubsetTableCount {
  table: string;
  role: SubsetRole;
  rows: number;
  total: number;
}

export interface SubsetReport {
  tables: SubsetTableCount[];
  /** The rounds of down and up passes it took to reach the fixed point. */
  rounds: number;
}
