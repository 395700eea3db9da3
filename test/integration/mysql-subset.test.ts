import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { leftovers } from '../helpers/leaks.js';
import { mysqlQuery } from '../helpers/mysql.js';
import { ReferenceMysql } from '../helpers/reference-mysql.js';

const ids = async (dsn: string, sql: string) => (await mysqlQuery<{ id: number }>(dsn, sql)).map((r) => Number(r.id));

/** dump.subset of a live Sakila source on MariaDB: the same slice as on PostgreSQL, from one consistent snapshot. */
describe('dump.subset of a live Sakila source', () => {
  const source = new ReferenceMysql();
  let home: TestHome;

  beforeAll(async () => {
    await source.start();
    await source.loadSakila();
    // A self-reference, and a column the schema declares no key on.
    await source.query('CREATE TABLE sakila.employee (id int PRIMARY KEY, manager_id int, FOREIGN KEY (manager_id) REFERENCES sakila.employee (id)); INSERT INTO sakila.employee SELECT seq, NULLIF(seq - 1, 0) FROM seq_1_to_20', [], 'sakila');
    await source.query('CREATE TABLE sakila.note (id int PRIMARY KEY, customer_ref smallint unsigned, body text); INSERT INTO sakila.note SELECT seq, seq, CONCAT(\'note \', seq) FROM seq_1_to_599', [], 'sakila');
    home = new TestHome({ runtime: 'local', engine: 'mysql' });
  });

  afterAll(async () => {
    await home.run(['down', '--all']);
    expect(await leftovers(home)).toEqual([]);
    await home.cleanup();
    await source.stop();
  });

  it('customer at 10%: the 60 customers, their rentals and payments, what they reference, a listed relation, restored with every foreign key', async () => {
    const url = source.dsn('sakila');
    home.writeConfig({
      runtime: 'local',
      engine: 'mysql',
      source: { url },
      dump: { subset: { tables: [{ table: 'customer', percent: 10 }, { table: 'employee', where: 'id = 10' }], relations: [{ table: 'note', columns: ['customer_ref'], references: 'customer', to: ['customer_id'] }] } },
    });
    const dry = await home.run(['reseed', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^1\s+customer\s+rule\s+60\s+599$/m);
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\s+note\s+down\s+60\s+599$/m);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const copy = up.stdout.trim();

    const customers = await ids(url, 'SELECT customer_id AS id FROM customer ORDER BY customer_id LIMIT 60');
    expect(await ids(copy, 'SELECT customer_id AS id FROM customer ORDER BY 1')).toEqual(customers);
    const theirs = `customer_id IN (${customers.join(',')})`;
    expect(await ids(copy, 'SELECT rental_id AS id FROM rental ORDER BY 1')).toEqual(await ids(url, `SELECT rental_id AS id FROM rental WHERE ${theirs} ORDER BY 1`));
    expect(await ids(copy, 'SELECT payment_id AS id FROM payment ORDER BY 1')).toEqual(await ids(url, `SELECT payment_id AS id FROM payment WHERE ${theirs} ORDER BY 1`));
    expect(await ids(copy, 'SELECT id FROM note ORDER BY 1')).toEqual(customers);
    expect(await ids(copy, 'SELECT id FROM employee ORDER BY 1')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Every reference holds: checked by the server over each declared foreign key.
    const broken = await mysqlQuery<{ n: number }>(
      copy,
      `SELECT (SELECT count(*) FROM rental r LEFT JOIN inventory i USING (inventory_id) WHERE i.inventory_id IS NULL)
            + (SELECT count(*) FROM inventory i LEFT JOIN film f USING (film_id) WHERE f.film_id IS NULL)
            + (SELECT count(*) FROM customer c LEFT JOIN address a USING (address_id) WHERE a.address_id IS NULL)
            + (SELECT count(*) FROM address a LEFT JOIN city c USING (city_id) WHERE c.city_id IS NULL)
            + (SELECT count(*) FROM city c LEFT JOIN country co USING (country_id) WHERE co.country_id IS NULL)
            + (SELECT count(*) FROM payment p LEFT JOIN staff s USING (staff_id) WHERE s.staff_id IS NULL) AS n`,
    );
    expect(Number(broken[0]!.n)).toBe(0);
    // Triggers come after the rows: loading film fired none (film_text holds what the source's does, once).
    expect(await ids(copy, 'SELECT count(*) AS id FROM film_text')).toEqual(await ids(url, 'SELECT count(*) AS id FROM film_text'));
    expect(await ids(copy, "SELECT count(*) AS id FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'sakila'")).toEqual(await ids(url, "SELECT count(*) AS id FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'sakila'"));
    // Values pass byte for byte: text, dates, decimals.
    const sample = "SELECT c.email, c.create_date, p.amount, p.payment_date FROM customer c JOIN payment p USING (customer_id) WHERE c.customer_id = 10 ORDER BY p.payment_id";
    expect(await mysqlQuery(copy, sample)).toEqual(await mysqlQuery(url, sample));
  });
});
