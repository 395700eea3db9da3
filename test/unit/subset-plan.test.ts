import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subsetSchema } from '../../src/config/subset-schema.js';
import { downEdges, followsUp, nulledEdges, planSubset, type SubsetPlan } from '../../src/engines/subset-plan.js';
import type { DbSchema, SchemaTable } from '../../src/model/schema.js';

function table(name: string, columns: string[], nullable: string[] = [], partitionOf: string | null = null): SchemaTable {
  return {
    schema: 'public',
    name,
    columns: columns.map((c) => ({ name: c, type: 'integer', nullable: nullable.includes(c), pk: c === 'id' })),
    primaryKey: ['id'],
    uniqueKeys: [],
    partitionOf: partitionOf ? { table: { schema: 'public', name: partitionOf }, bound: '' } : null,
  };
}

function fk(from: string, column: string, to: string): DbSchema['foreignKeys'][number] {
  return { name: `${from}_${column}_fkey`, from: { schema: 'public', name: from }, columns: [column], to: { schema: 'public', name: to }, toColumns: ['id'] };
}

/** A pagila-shaped schema: payment is partitioned, store and staff reference each other. */
const SHOP: DbSchema = {
  defaultSchema: 'public',
  tables: [
    table('country', ['id']),
    table('address', ['id', 'country_id']),
    table('store', ['id', 'address_id', 'manager_id'], ['manager_id']),
    table('staff', ['id', 'store_id', 'address_id']),
    table('customer', ['id', 'store_id', 'address_id']),
    table('film', ['id']),
    table('actor', ['id']),
    table('film_actor', ['id', 'film_id', 'actor_id']),
    table('inventory', ['id', 'film_id', 'store_id']),
    table('rental', ['id', 'customer_id', 'inventory_id', 'staff_id']),
    table('payment', ['id', 'customer_id', 'rental_id', 'staff_id']),
    table('payment_a', ['id', 'customer_id', 'rental_id', 'staff_id'], [], 'payment'),
    table('payment_b', ['id', 'customer_id', 'rental_id', 'staff_id'], [], 'payment'),
    table('audit', ['id', 'customer_ref']),
  ],
  foreignKeys: [
    fk('address', 'country_id', 'country'),
    fk('store', 'address_id', 'address'),
    fk('store', 'manager_id', 'staff'),
    fk('staff', 'store_id', 'store'),
    fk('staff', 'address_id', 'address'),
    fk('customer', 'store_id', 'store'),
    fk('customer', 'address_id', 'address'),
    fk('film_actor', 'film_id', 'film'),
    fk('film_actor', 'actor_id', 'actor'),
    fk('inventory', 'film_id', 'film'),
    fk('inventory', 'store_id', 'store'),
    fk('rental', 'customer_id', 'customer'),
    fk('rental', 'inventory_id', 'inventory'),
    fk('rental', 'staff_id', 'staff'),
    fk('payment', 'customer_id', 'customer'),
    fk('payment', 'rental_id', 'rental'),
    fk('payment', 'staff_id', 'staff'),
  ],
};

const config = (input: unknown) => subsetSchema.parse(input)!;
const roles = (plan: SubsetPlan) => Object.fromEntries(plan.tables.map((t) => [t.name, t.role]));
const names = (plan: SubsetPlan) => plan.tables.map((t) => t.name);

describe('the subset planner', () => {
  it('goes down from the rule table, then up from every kept table, and leaves the rest to `others`', () => {
    const plan = planSubset(SHOP, config({ tables: [{ table: 'customer', percent: 10 }] }));
    expect(roles(plan)).toEqual({
      customer: 'rule',
      rental: 'down',
      payment_a: 'down',
      payment_b: 'down',
      store: 'up',
      address: 'up',
      staff: 'up',
      inventory: 'up',
      country: 'up',
      film: 'up',
      actor: 'full',
      audit: 'full',
      film_actor: 'full',
    });
    // Down tables after the tables they reference; partitions in place of their partitioned table.
    expect(names(plan).slice(0, 4)).toEqual(['customer', 'rental', 'payment_a', 'payment_b']);
    expect(plan.tables[0]).toMatchObject({ percent: 10, where: null });
  });

  it('a payment partition keeps the rows whose customer and rental are kept (both, not either)', () => {
    const plan = planSubset(SHOP, config({ tables: [{ table: 'customer', where: 'id % 10 = 0' }] }));
    const payment = names(plan).indexOf('payment_a');
    expect(downEdges(plan, payment).map((e) => e.columns[0])).toEqual(['customer_id', 'rental_id']);
  });

  it('follows a listed relation like a foreign key', () => {
    const without = planSubset(SHOP, config({ tables: [{ table: 'customer', percent: 10 }] }));
    expect(roles(without).audit).toBe('full');
    const plan = planSubset(SHOP, config({ tables: [{ table: 'customer', percent: 10 }], relations: [{ table: 'audit', columns: ['customer_ref'], references: 'customer', to: ['id'] }], others: 'empty' }));
    expect(roles(plan).audit).toBe('down');
    expect(roles(plan).actor).toBe('empty');
  });

  it('a rule on a partitioned table applies to each of its partitions', () => {
    const plan = planSubset(SHOP, config({ tables: [{ table: 'payment', where: 'id < 5' }] }));
    expect(roles(plan)).toMatchObject({ payment_a: 'rule', payment_b: 'rule', rental: 'up', customer: 'up' });
    expect(names(plan)).not.toContain('payment');
  });

  it('null_unreached leaves a nullable reference unfollowed, and nulls it where it points outside the subset', () => {
    const plan = planSubset(SHOP, config({ tables: [{ table: 'store', where: 'id = 1' }], null_unreached: true, others: 'empty' }));
    const store = names(plan).indexOf('store');
    // store.manager_id is nullable: staff is reached down (it references store), not up.
    expect(roles(plan)).toMatchObject({ store: 'rule', staff: 'down', customer: 'down' });
    expect(nulledEdges(plan, store).map((e) => e.columns)).toEqual([['manager_id']]);
    expect(plan.edges.filter((e) => e.from === store && !followsUp(plan, e)).map((e) => e.columns)).toEqual([['manager_id']]);
  });

  it('a self-reference and a cycle are planned once each', () => {
    const schema: DbSchema = {
      defaultSchema: 'public',
      tables: [table('employee', ['id', 'manager_id'], ['manager_id']), table('team', ['id', 'lead_id']), table('member', ['id', 'team_id'])],
      foreignKeys: [fk('employee', 'manager_id', 'employee'), fk('team', 'lead_id', 'member'), fk('member', 'team_id', 'team')],
    };
    const plan = planSubset(schema, config({ tables: [{ table: 'employee', where: 'id = 5' }, { table: 'team', where: 'id = 1' }] }));
    expect(roles(plan)).toEqual({ employee: 'rule', team: 'rule', member: 'down' });
    expect(plan.edges).toHaveLength(3);
  });

  it('names what it cannot find', () => {
    expect(() => planSubset(SHOP, config({ tables: [{ table: 'clients', percent: 1 }] }))).toThrow('dump.subset.tables names table clients, which the source does not have');
    expect(() => planSubset(SHOP, config({ tables: [{ table: 'customer', percent: 1 }], relations: [{ table: 'audit', columns: ['cust'], references: 'customer', to: ['id'] }] }))).toThrow(
      'dump.subset.relations names column audit.cust, which the source does not have',
    );
    expect(() => planSubset(SHOP, config({ tables: [{ table: 'payment', percent: 1 }, { table: 'payment_a', percent: 2 }] }))).toThrow('two rules for payment_a');
    expect(() => config({ tables: [{ table: 'customer', percent: 1, where: 'true' }] })).toThrow('give where or percent, not both');
  });

  it('on any schema, every followed reference from a table in the dump lands on a table in the dump, and every down table references a filtered one', () => {
    const graph = fc.record({
      size: fc.integer({ min: 1, max: 8 }),
      links: fc.array(fc.tuple(fc.nat(7), fc.nat(7), fc.boolean()), { maxLength: 16 }),
      rules: fc.uniqueArray(fc.nat(7), { minLength: 1, maxLength: 3 }),
      others: fc.constantFrom('full', 'empty'),
      nullUnreached: fc.boolean(),
    });
    fc.assert(
      fc.property(graph, ({ size, links, rules, others, nullUnreached }) => {
        const tables = Array.from({ length: size }, (_, i) => table(`t${i}`, ['id', ...links.map((_, j) => `c${j}`)], links.flatMap(([, , n], j) => (n ? [`c${j}`] : []))));
        const schema: DbSchema = {
          defaultSchema: 'public',
          tables,
          foreignKeys: links.flatMap(([a, b], j) => (a < size && b < size ? [fk(`t${a}`, `c${j}`, `t${b}`)] : [])),
        };
        const picked = [...new Set(rules.map((r) => r % size))];
        const plan = planSubset(schema, config({ tables: picked.map((r) => ({ table: `t${r}`, where: 'true' })), others, null_unreached: nullUnreached }));
        expect(plan.tables.filter((t) => t.role === 'rule').map((t) => t.name).sort()).toEqual(picked.map((r) => `t${r}`).sort());
        for (const e of plan.edges) {
          if (!followsUp(plan, e)) continue;
          for (const t of e.to) expect(plan.tables[t]!.role).not.toBe('empty');
        }
        plan.tables.forEach((t, i) => {
          if (t.role === 'down') expect(downEdges(plan, i).length).toBeGreaterThan(0);
        });
      }),
      { numRuns: 300 },
    );
  });
});
