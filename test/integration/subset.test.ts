import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { pagilaSource } from '../helpers/dumps.js';
import { closeHome } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import type { ReferenceServer } from '../helpers/reference-pg.js';

const ADMIN = 'admin-token-abcdefabcdef';

/**
 * Besides pagila: a self-referencing table (employee.manager_id, a chain 1 <- 2 <- ... <- 20) and
 * a cycle (team.lead_id -> member, member.team_id -> team: team t's lead is a member of team t+1).
 */
const EXTRA = `
  CREATE TABLE employee (id int PRIMARY KEY, manager_id int REFERENCES employee);
  INSERT INTO employee SELECT g, NULLIF(g - 1, 0) FROM generate_series(1, 20) g;
  CREATE TABLE team (id int PRIMARY KEY, lead_id int);
  CREATE TABLE member (id int PRIMARY KEY, team_id int NOT NULL REFERENCES team);
  INSERT INTO team SELECT t, CASE WHEN t < 5 THEN 10 * (t + 1) + 1 ELSE 51 END FROM generate_series(1, 5) t;
  INSERT INTO member SELECT 10 * t + m, t FROM generate_series(1, 5) t, generate_series(1, 2) m;
  ALTER TABLE team ADD FOREIGN KEY (lead_id) REFERENCES member;`;

/** pagila declares no foreign keys on its last payment partition: the subset follows them as listed. */
const PAYMENT_07 = [
  { table: 'payment_p2022_07', columns: ['customer_id'], references: 'customer', to: ['customer_id'] },
  { table: 'payment_p2022_07', columns: ['rental_id'], references: 'rental', to: ['rental_id'] },
];

const ids = async (dsn: string, sql: string) => (await query<{ id: number }>(dsn, sql)).map((r) => Number(r.id));

describe('dump.subset of a live pagila source', () => {
  let home: TestHome;
  let source: ReferenceServer;
  let dump: string;
  let copy: string;

  const configure = (subset: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    home.writeConfig({ runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: source.dsn }, dump: { subset }, ...extra });

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 8 });
    source = await pagilaSource(home, { runtime: 'local' }, EXTRA);
    dump = path.join(home.dir, 'dumps', 'default.dump');
  });

  afterAll(() => closeHome(home, source));

  it('--dry-run prints what each table keeps, in the plan\'s order, and writes nothing', async () => {
    configure({ tables: [{ table: 'customer', percent: 10 }], relations: PAYMENT_07 });
    const result = await home.run(['reseed', '--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Subset of postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(nothing written\): \d+ of \d+ rows in \d+ tables, fixed point after \d+ rounds$/);
    expect(lines[1]).toMatch(/^#\s+TABLE\s+KEPT BY\s+ROWS\s+OF$/);
    expect(lines[2]).toMatch(/^1\s+customer\s+rule\s+60\s+599$/);
    expect(lines[3]).toMatch(/^2\s+rental\s+down\s+\d+\s+16044$/);
    expect(result.stdout).toMatch(/\s+payment_p2022_07\s+down\s+\d+\s+\d+\n/);
    expect(result.stdout).toMatch(/\s+address\s+up\s+\d+\s+603\n/);
    expect(fs.existsSync(dump)).toBe(false);
  });

  it('customer at 10%: the 60 customers, their rentals and payments and no other, everything they reference, restored with every foreign key', async () => {
    configure({ tables: [{ table: 'customer', percent: 10 }], relations: PAYMENT_07 });
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^1\s+customer\s+rule\s+60\s+599$/m);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    copy = up.stdout.trim();

    const customers = await ids(source.dsn, 'SELECT customer_id AS id FROM customer ORDER BY customer_id LIMIT 60');
    expect(await ids(copy, 'SELECT customer_id AS id FROM customer ORDER BY 1')).toEqual(customers);
    const theirs = `customer_id IN (${customers.join(',')})`;
    expect(await ids(copy, 'SELECT rental_id AS id FROM rental ORDER BY 1')).toEqual(await ids(source.dsn, `SELECT rental_id AS id FROM rental WHERE ${theirs} ORDER BY 1`));
    // Their payments, but for one of pagila's July payments whose rental is another customer's (a subset keeps a row whose every reference holds).
    const payments = await ids(source.dsn, `SELECT payment_id AS id FROM payment p WHERE p.${theirs} AND (SELECT r.${theirs} FROM rental r WHERE r.rental_id = p.rental_id) ORDER BY 1`);
    expect(payments.length).toBe((await ids(source.dsn, `SELECT payment_id AS id FROM payment WHERE ${theirs}`)).length - 1);
    expect(await ids(copy, 'SELECT payment_id AS id FROM payment ORDER BY 1')).toEqual(payments);
    // Every foreign key of the source is in the copy, validated when the restore added it after the rows.
    const keys = "SELECT conname AS name FROM pg_constraint WHERE contype = 'f' ORDER BY 1";
    expect(await query(copy, keys)).toEqual(await query(source.dsn, keys));
    // Up tables hold what kept rows reference and nothing more: the inventory of these rentals, not the whole stock.
    expect(await query(copy, 'SELECT count(*) AS n FROM inventory')).toEqual(await query(copy, 'SELECT count(DISTINCT inventory_id) AS n FROM rental'));
    expect(Number((await query(copy, 'SELECT count(*) AS n FROM address'))[0]!.n)).toBeLessThan(603);
    // Sequences go on from the source's values: a new row gets a fresh key.
    expect(await query(copy, "SELECT nextval('customer_customer_id_seq') > 599 AS fresh")).toEqual([{ fresh: true }]);
  });

  it('a self-reference and a cycle reach their fixed point', async () => {
    configure({ tables: [{ table: 'employee', where: 'id = 10' }, { table: 'team', where: 'id = 2' }], others: 'empty' });
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const dsn = up.stdout.trim();
    // Employee 10 and the managers above them, none below.
    expect(await ids(dsn, 'SELECT id FROM employee ORDER BY 1')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Team 2, its members, the member leading it (of team 3), that member's team, and so on to team 5.
    expect(await ids(dsn, 'SELECT id FROM team ORDER BY 1')).toEqual([2, 3, 4, 5]);
    expect(await ids(dsn, 'SELECT id FROM member ORDER BY 1')).toEqual([21, 22, 31, 32, 41, 42, 51, 52]);
    // others: empty
    expect(await query(dsn, 'SELECT count(*) AS n FROM customer')).toEqual([{ n: '0' }]);
  });

  it('null_unreached sets a nullable reference to NULL instead of pulling its row in', async () => {
    configure({ tables: [{ table: 'employee', where: 'id = 10' }], others: 'empty', null_unreached: true });
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await query(up.stdout.trim(), 'SELECT id, manager_id FROM employee')).toEqual([{ id: 10, manager_id: null }]);
  });

  it('takes every row from one snapshot: rows committed while the subset runs are in none of its tables', async () => {
    // The rule sleeps once, after the snapshot is taken: a customer, a rental and a payment are committed meanwhile.
    configure({ tables: [{ table: 'customer', where: 'customer_id % 10 = 0 AND (SELECT true FROM pg_sleep(4))' }], relations: PAYMENT_07 });
    const running = home.run(['reseed']);
    const sleeping = async () => (await query(source.dsn, "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid()")).length > 0;
    for (let i = 0; i < 200 && !(await sleeping()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sleeping()).toBe(true);
    await query(
      source.dsn,
      `WITH c AS (INSERT INTO customer (customer_id, store_id, first_name, last_name, address_id) VALUES (9990, 1, 'Late', 'Comer', 1) RETURNING customer_id),
            r AS (INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id) SELECT '2022-07-01', 1, customer_id, 1 FROM c RETURNING rental_id, customer_id)
       INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) SELECT customer_id, 1, rental_id, 1.00, '2022-07-02' FROM r`,
    );
    const result = await running;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^1\s+customer\s+rule\s+59\s+599$/m);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const dsn = up.stdout.trim();
    expect(await query(dsn, 'SELECT (SELECT count(*) FROM customer WHERE customer_id = 9990) AS c, (SELECT count(*) FROM rental WHERE customer_id = 9990) AS r, (SELECT count(*) FROM payment WHERE customer_id = 9990) AS p')).toEqual([{ c: '0', r: '0', p: '0' }]);
  });

  it('obfuscation runs on the subset', async () => {
    configure({ tables: [{ table: 'customer', percent: 10 }], relations: PAYMENT_07 }, { obfuscate: { rules: [{ table: 'customer', column: 'email', strategy: 'replace', type: 'email' }] } });
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP');
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const scrubbed = await query<{ email: string }>(up.stdout.trim(), 'SELECT email FROM customer');
    expect(scrubbed).toHaveLength(60);
    const raw = new Set((await query<{ email: string }>(source.dsn, 'SELECT email FROM customer')).map((r) => r.email));
    expect(scrubbed.filter((r) => raw.has(r.email))).toEqual([]);
  });

  it('strict columns: --classify prints the columns nobody decided on; a new source column stops the reseed, naming it, until keep or a rule covers it', async () => {
    const strict = (obfuscate: Record<string, unknown>) => home.writeConfig({ runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: source.dsn }, obfuscate: { columns: { policy: 'strict' }, ...obfuscate } });
    strict({});
    const classified = await home.run(['reseed', '--classify']);
    expect(classified.exitCode, classified.stderr).toBe(0);
    const keep = (parse(classified.stdout) as { obfuscate: { keep: string[] } }).obfuscate.keep;
    expect(keep).toEqual(expect.arrayContaining(['customer.email', 'film.title', 'employee.manager_id']));
    strict({ keep });
    expect((await home.run(['reseed'])).exitCode).toBe(0);
    const before = fs.readFileSync(dump);
    await source.psql('ALTER TABLE customer ADD COLUMN ssn text');
    try {
      expectOneLineError(await home.run(['reseed']), 78, /obfuscate\.columns is strict, and 1 source column is under no obfuscate rule and in no obfuscate\.keep pattern: customer\.ssn; /);
      expect(fs.readFileSync(dump).equals(before)).toBe(true);
      expect((await home.run(['reseed', '--classify'])).stdout).toBe('obfuscate:\n  keep:\n    - customer.ssn');
      strict({ keep, rules: [{ table: 'customer', column: 'ssn', strategy: 'nullify', warn_only: true }] });
      const fixed = await home.run(['reseed']);
      expect(fixed.exitCode, fixed.stderr).toBe(0);
    } finally {
      await source.psql('ALTER TABLE customer DROP COLUMN ssn');
    }
  });

  it('a rule naming a table the source lacks, or a dry run without a subset, is one clear error', async () => {
    configure({ tables: [{ table: 'clients', percent: 10 }] });
    expectOneLineError(await home.run(['reseed', '--dry-run']), 78, /dump\.subset\.tables names table clients, which the source does not have/);
    home.writeConfig({ runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: source.dsn } });
    expectOneLineError(await home.run(['reseed', '--dry-run']), 2, /ditto\.yaml has no dump\.subset/);
  });

  it('the reseed records what it kept with its dump: `status` reads it back; a whole dump records none', async () => {
    configure({ tables: [{ table: 'customer', percent: 10 }], relations: PAYMENT_07 });
    const reseeded = await home.run(['reseed', '--json']);
    expect(reseeded.exitCode, reseeded.stderr).toBe(0);
    const kept = (JSON.parse(reseeded.stdout) as { subset: { tables: { table: string; rows: number; total: number }[] } }).subset.tables;
    const status = async () => (JSON.parse((await home.run(['status', '--json'])).stdout) as { dump: { subset: unknown } }).dump.subset;
    expect(await status()).toEqual({ tables: kept.map(({ table, rows, total }) => ({ table, rows, total })) });
    // Earlier tests add customers to the source: some of them, whatever their number.
    expect(kept[0]!.table).toBe('customer');
    expect(kept[0]!.rows).toBeLessThan(kept[0]!.total);
    expect((await home.run(['status'])).stdout).toMatch(/^subset\s+\d+ of \d+ rows kept, in \d+ tables/m);

    home.writeConfig({ runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: source.dsn } });
    expect((await home.run(['reseed'])).exitCode).toBe(0);
    expect(await status()).toBeNull();
    expect((await home.run(['status'])).stdout).not.toMatch(/^subset/m);

    // A host's scheduled reseed (every second here) records the same, and /v2/status reads it back.
    configure({ tables: [{ table: 'customer', percent: 10 }], relations: PAYMENT_07 }, { host: { admin_tokens: [{ name: 'ops', token: ADMIN }], reseed_cron: '* * * * * *' } });
    const host = await HostProcess.start(home);
    try {
      const hostSubset = async () => ((await host.api('GET', '/v2/status', { token: ADMIN })).json as { dump: { subset: { tables: { table: string }[] } | null } }).dump.subset;
      const deadline = Date.now() + 60_000;
      let recorded = await hostSubset();
      while (recorded === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        recorded = await hostSubset();
      }
      expect(recorded?.tables.map((t) => t.table)).toEqual(kept.map((t) => t.table));
    } finally {
      await host.stop();
    }
  });
});
