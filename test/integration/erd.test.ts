import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, writeSakilaSql } from '../helpers/ditto.js';
import { dbmlParts, invalidMermaidLines, mermaidParts } from '../helpers/diagrams.js';
import { pagilaSource } from '../helpers/dumps.js';
import { closeHome, leftovers } from '../helpers/leaks.js';
import { mysqlQuery } from '../helpers/mysql.js';
import { query } from '../helpers/pg.js';
import type { ReferenceServer } from '../helpers/reference-pg.js';

/**
 * Beside pagila: a schema of its own with odd names, a composite foreign key, and a partitioned
 * table whose key is declared on the parent (PostgreSQL clones it onto the partition).
 */
const EXTRA_SQL = `
  CREATE SCHEMA sales;
  CREATE TABLE sales.orders (region text, order_no int, customer_id int NOT NULL REFERENCES public.customer, clerk character varying(45), amount numeric(10,2), PRIMARY KEY (region, order_no));
  CREATE TABLE sales."order lines" (region text, order_no int, line int, film_id int REFERENCES public.film, PRIMARY KEY (region, order_no, line),
    CONSTRAINT "lines of an order" FOREIGN KEY (region, order_no) REFERENCES sales.orders);
  CREATE TABLE sales.events (id int, at date NOT NULL, film_id int REFERENCES public.film) PARTITION BY RANGE (at);
  CREATE TABLE sales.events_2022 PARTITION OF sales.events FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');`;

/** What the catalogue says a diagram must show: every table, and every foreign key as declared (a clone as its root). */
async function pgCatalogue(dsn: string): Promise<{ tables: string[]; relations: string[]; constraints: number }> {
  const shown = (schema: string, name: string) => (schema === 'public' ? name : `${schema}.${name}`);
  const tables = await query<{ nspname: string; relname: string }>(dsn, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`);
  const fks = await query<{ oid: number; parent: number; conname: string; child_ns: string; child: string; parent_ns: string; ref: string }>(dsn, `
    SELECT k.oid::int, k.conparentid::int AS parent, k.conname, cn.nspname AS child_ns, c.relname AS child, rn.nspname AS parent_ns, r.relname AS ref
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
      JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE k.contype = 'f'`);
  const byOid = new Map(fks.map((f) => [f.oid, f]));
  const rootOf = (f: (typeof fks)[number]): (typeof fks)[number] => (f.parent === 0 ? f : rootOf(byOid.get(f.parent)!));
  const relations = [...new Set(fks.map(rootOf).map((f) => `${shown(f.parent_ns, f.ref)} -> ${shown(f.child_ns, f.child)}: ${f.conname}`))].sort();
  return { tables: tables.map((t) => shown(t.nspname, t.relname)).sort(), relations, constraints: fks.length };
}

describe('ditto erd of pagila (PostgreSQL)', () => {
  let home: TestHome;
  let source: ReferenceServer;
  let catalogue: Awaited<ReturnType<typeof pgCatalogue>>;
  let fromSource: string;
  const password = 'never-shown-pw';

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 12 });
    source = await pagilaSource(home, { runtime: 'local' }, EXTRA_SQL);
    catalogue = await pgCatalogue(source.dsn);
  });

  afterAll(() => closeHome(home, source));

  it('--source: every table and every foreign key of the catalogue, in valid Mermaid', async () => {
    const result = await home.run(['erd', '--source', source.dsn.replace('postgres@', `postgres:${password}@`)]);
    expect(result.exitCode, result.stderr).toBe(0);
    fromSource = result.stdout;
    expect(invalidMermaidLines(fromSource)).toEqual([]);
    const { entities, relations } = mermaidParts(fromSource);
    expect(entities).toEqual(catalogue.tables);
    expect(relations).toEqual(catalogue.relations);
    // Pagila declares its payment keys on six of seven partitions; the partitioned table has none.
    expect(catalogue.relations.filter((r) => / -> payment_p2022_\d\d: /.test(r))).toHaveLength(18);
    expect(entities).toEqual(expect.arrayContaining(['payment', 'payment_p2022_07', 'sales.order lines', 'sales.events_2022']));
    // The key declared on sales.events is cloned onto its partition in the catalogue, drawn once.
    expect(catalogue.constraints).toBeGreaterThan(catalogue.relations.length);
    expect(fromSource).toContain(`%% payment_p2022_01 is a partition of payment: FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00')`);
    expect(fromSource).toMatch(/^ {8}varchar_45 clerk "character varying\(45\)"$/m);
    expect(fromSource).toMatch(/^ {8}timestamptz last_update "timestamp with time zone; not null"$/m);
    expect(fromSource).toMatch(/^ {8}numeric_5_2 amount "numeric\(5,2\); not null"$/m);
    expect(fromSource).toContain('"sales.orders" ||--o{ "sales.order lines" : "lines of an order"');
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it('--format dbml --output FILE: the same tables and keys, full types, in the file', async () => {
    const file = path.join(home.dir, 'pagila.dbml');
    // sslmode as libpq means it (node-postgres alone would take `require` as `verify-full`).
    const result = await home.run(['erd', '--source', `${source.dsn}?sslmode=disable`, '--format', 'dbml', '--output', file]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/pagila\.dbml: dbml diagram of postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable \(\d+ tables, \d+ foreign keys\)/);
    const text = fs.readFileSync(file, 'utf8');
    const { tables, refs } = dbmlParts(text);
    const dbmlName = (shown: string) => shown.split('.').map((part) => (/^[A-Za-z_]\w*$/.test(part) ? part : `"${part}"`)).join('.');
    expect(tables).toEqual(catalogue.tables.map(dbmlName).sort());
    expect(refs.map((r) => r.replace(/^.*: /, '').replace(/^"|"$/g, '')).sort()).toEqual(catalogue.relations.map((r) => r.replace(/^.*: /, '')).sort());
    expect(text).toContain('  clerk "character varying(45)"\n');
    expect(text).toContain('  amount numeric(5,2) [not null]');
    expect(text).toContain('Ref "lines of an order": sales."order lines".(region, order_no) > sales.orders.(region, order_no)');
  });

  it('of the current dump (default): through a scratch copy, destroyed after; the same diagram', async () => {
    expect((await home.run(['reseed', '--source', source.dsn])).exitCode).toBe(0);
    const result = await home.run(['erd']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(fromSource);
    const scratch = (await home.ls(true)).filter((c) => c.label === 'reseed scratch');
    expect(scratch.length).toBeGreaterThanOrEqual(1);
    expect(scratch.every((c) => c.status === 'destroyed')).toBe(true);
  });

  it('of a copy, by id: the same diagram', async () => {
    const copy = await home.upJson();
    const result = await home.run(['erd', copy.id.slice(0, 6)]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(fromSource);
  });

  it('bad input is one line and a non-zero exit, never a password', async () => {
    expectOneLineError(await home.run(['erd', '--format', 'svg']), 2, /--format is mermaid or dbml, not 'svg'/);
    expectOneLineError(await home.run(['erd', 'nosuchcopy']), 4, /nosuchcopy/);
    expectOneLineError(await home.run(['erd', 'abc', '--source', source.dsn]), 2, /not both/);
    const unreachable = await home.run(['erd', '--source', `postgresql://postgres:${password}@127.0.0.1:1/postgres`]);
    expectOneLineError(unreachable, 69, /could not read the schema of postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres/);
    expect(unreachable.stderr).not.toContain(password);
    expectOneLineError(await home.run(['erd', '--source', 'oracle://x@127.0.0.1/db']), 2, /no database URL ditto knows/);
  });

  it('with no dump anywhere, says how to get one', async () => {
    const empty = new TestHome({}, { portCount: 2 });
    try {
      expectOneLineError(await empty.run(['erd']), 65, /no dump to draw.*ditto reseed/);
    } finally {
      await empty.cleanup();
    }
  });
});

describe('ditto erd of Sakila (MySQL)', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ engine: 'mysql' }, { portCount: 6 });
    home.writeConfig({ engine: 'mysql', dump: { path: writeSakilaSql(path.join(home.dir, 'sakila.sql')) } });
  });

  afterAll(async () => {
    await home.run(['down', '--all']);
    expect(await leftovers(home)).toEqual([]);
    await home.cleanup();
  });

  it('names every base table and foreign key of the catalogue, unqualified, for the dump and for a copy alike', async () => {
    const fromDump = await home.run(['erd']);
    expect(fromDump.exitCode, fromDump.stderr).toBe(0);
    const copy = await home.upJson();
    const dsn = copy.connection_string!;
    const tables = (await mysqlQuery<{ n: string }>(dsn, "SELECT table_name AS n FROM information_schema.tables WHERE table_schema = 'sakila' AND table_type = 'BASE TABLE'")).map((r) => r.n).sort();
    const fks = await mysqlQuery<{ name: string; child: string; parent: string }>(
      dsn,
      "SELECT constraint_name AS name, table_name AS child, referenced_table_name AS parent FROM information_schema.referential_constraints WHERE constraint_schema = 'sakila'",
    );
    expect(tables).toHaveLength(16);
    expect(fks.length).toBeGreaterThan(20);
    const { entities, relations } = mermaidParts(fromDump.stdout);
    expect(invalidMermaidLines(fromDump.stdout)).toEqual([]);
    expect(entities).toEqual(tables);
    expect(relations).toEqual(fks.map((f) => `${f.parent} -> ${f.child}: ${f.name}`).sort());
    expect(fromDump.stdout).toMatch(/^ {8}smallint_5_unsigned actor_id PK "smallint\(5\) unsigned"$/m);
    expect(fromDump.stdout).toMatch(/^ {8}enum rating "enum\('G','PG','PG-13','R','NC-17'\)"$/m);

    const ofCopy = await home.run(['erd', copy.id]);
    expect(ofCopy.exitCode, ofCopy.stderr).toBe(0);
    expect(ofCopy.stdout).toBe(fromDump.stdout);
    const dbml = await home.run(['erd', copy.id, '--format', 'dbml']);
    expect(dbmlParts(dbml.stdout).tables).toEqual(tables);
    expect(dbmlParts(dbml.stdout).refs).toHaveLength(fks.length);
  });
});
