import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, writeSakilaSql } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { mysqlQuery } from '../helpers/mysql.js';
import { MYSQL_RUNTIME_CASES } from '../helpers/runtimes.js';

/** A database per test inside one MariaDB copy of Sakila: a clone of the copy's sealed template schema. */
const TOKEN = 'per-test-token-0123456789';
const OTHER = 'per-test-other-9876543210';

interface Made {
  id: string;
  port: number;
  connection_string: string;
}

const count = async (dsn: string, table: string) => Number((await mysqlQuery<{ n: number }>(dsn, `SELECT count(*) AS n FROM ${table}`))[0]!.n);
const inSchema = (dsn: string, database: string) => Object.assign(new URL(dsn), { pathname: `/${database}` }).toString();

describe.each(MYSQL_RUNTIME_CASES)('per-test databases on MariaDB, $name runtime', ({ config }) => {
  let home: TestHome;
  let host: HostProcess;
  let copy: Made;
  const stockOf = async () => (await mysqlQuery<{ name: string }>(copy.connection_string, 'SELECT name FROM ditto_stock.clones')).map((r) => r.name).sort();

  beforeAll(async () => {
    home = new TestHome(config, { portCount: 4 });
    home.writeConfig({
      ...config,
      dump: { path: writeSakilaSql(path.join(home.dir, 'sakila.sql')) },
      test_databases: { stock: 2 },
      obfuscate: { seed: 'test-seed', rules: [{ table: 'customer', column: 'email', strategy: 'replace', type: 'email' }] },
      host: { tokens: [{ name: 'suite', token: TOKEN }, { name: 'other', token: OTHER }] },
    });
    host = await HostProcess.start(home);
    const made = await host.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600 } });
    expect(made.status, made.text).toBe(201);
    copy = made.json;
  }, 180_000);

  afterAll(async () => {
    if (host?.child.exitCode === null) await host.stop();
    await home.cleanup();
  });

  async function newDatabase(of = copy): Promise<{ database: string; connection_string: string }> {
    const made = await host.api('POST', `/v2/copies/${of.id}/databases`, { token: TOKEN });
    expect(made.status, made.text).toBe(201);
    return made.json;
  }

  it('20 made in parallel are distinct, carry Sakila whole (rows, views, triggers, routines), and are isolated', async () => {
    const dbs = await Promise.all(Array.from({ length: 20 }, () => newDatabase()));
    expect(new Set(dbs.map((d) => d.database)).size).toBe(20);
    const copyUrl = new URL(copy.connection_string);
    for (const db of dbs) {
      const url = new URL(db.connection_string);
      expect(url.pathname).toBe(`/${db.database}`);
      expect(`${url.host}|${url.username}|${url.password}`).toBe(`${copyUrl.host}|root|${copyUrl.password}`);
    }
    expect(await Promise.all(dbs.map((d) => count(d.connection_string, 'rental')))).toEqual(Array(20).fill(16044));
    const [a, b, c] = dbs.map((d) => d.connection_string) as [string, string, string];
    // Views, a routine and a trigger of each clone work on its own tables.
    expect(await count(a, 'customer_list')).toBe(599);
    await expect(mysqlQuery(a, 'SELECT inventory_in_stock(1) AS ok')).resolves.toEqual([{ ok: 1 }]);
    expect((await mysqlQuery<unknown[]>(a, 'CALL film_in_stock(1, 1, @n); SELECT @n AS n')).at(-1)).toEqual([{ n: 4 }]);
    await mysqlQuery(a, "INSERT INTO film (title, language_id) VALUES ('ONLY HERE', 1)");
    expect(await count(a, 'film_text')).toBe(1001);
    expect(await count(b, 'film_text')).toBe(1000);
    // Character sets and collations as the dump made them.
    const collation = "SELECT DEFAULT_COLLATION_NAME AS c FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()";
    expect(await mysqlQuery(a, collation)).toEqual(await mysqlQuery(copy.connection_string, collation));
    await mysqlQuery(a, 'SET foreign_key_checks = 0; DELETE FROM rental; DELETE FROM staff');
    // Views read their own database's tables (Sakila's actor_info names its schema: the clone's, not the copy's).
    expect(await count(a, 'staff_list')).toBe(0);
    expect(await count(c, 'staff_list')).toBe(2);
    const views = "SELECT count(*) AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() AND (VIEW_DEFINITION LIKE '%`sakila`.%' OR VIEW_DEFINITION LIKE '%`ditto_template`.%')";
    expect(await mysqlQuery(a, views)).toEqual([{ n: 0 }]);
    await mysqlQuery(b, 'CREATE TABLE only_here (x int)');
    expect(await count(a, 'rental')).toBe(0);
    expect(await count(c, 'rental')).toBe(16044);
    expect(await count(copy.connection_string, 'rental')).toBe(16044);
    await expect(mysqlQuery(c, 'SELECT * FROM only_here')).rejects.toThrow(/doesn't exist/);
    // The template takes no writes; a database cloned after a write to the copy starts from its starting data.
    await expect(mysqlQuery(inSchema(copy.connection_string, 'ditto_template'), 'DELETE FROM rental')).rejects.toThrow(/ditto_template is sealed/);
    await mysqlQuery(copy.connection_string, 'CREATE TABLE written_later (x int)');
    const later = await newDatabase();
    await expect(mysqlQuery(later.connection_string, 'SELECT * FROM written_later')).rejects.toThrow(/doesn't exist/);
  }, 240_000);

  it('dropping one leaves the others; a dropped, foreign or stocked name is refused; another caller gets 403', async () => {
    const [a, b] = [await newDatabase(), await newDatabase()];
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/${a.database}`, { token: TOKEN })).status).toBe(204);
    await expect(mysqlQuery(a.connection_string, 'SELECT 1')).rejects.toThrow(/Unknown database/);
    expect(await count(b.connection_string, 'rental')).toBe(16044);
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/${a.database}`, { token: TOKEN })).status).toBe(404);
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/test_000000000000`, { token: TOKEN })).status).toBe(404);
    const main = await host.api('DELETE', `/v2/copies/${copy.id}/databases/sakila`, { token: TOKEN });
    expect(main.status).toBe(400);
    expect(main.json.error).toMatch(/'sakila' is not a per-test database/);
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/ditto_template`, { token: TOKEN })).status).toBe(400);
    expect((await host.api('POST', `/v2/copies/${copy.id}/databases`, { token: OTHER })).status).toBe(403);
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/${b.database}`, { token: OTHER })).status).toBe(403);
    expect(await count(b.connection_string, 'rental')).toBe(16044);
    // The CLI, remote, as a suite's script calls it.
    const env = { DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN, DITTO_COPY_ID: copy.id };
    const made = await home.run(['db', 'new'], { env });
    expect(made.exitCode, made.stderr).toBe(0);
    const name = new URL(made.stdout.trim()).pathname.slice(1);
    expect(await count(made.stdout.trim(), 'rental')).toBe(16044);
    expect((await home.run(['db', 'drop', copy.id, name], { env })).stdout.trim()).toBe(`dropped ${name}`);
  }, 120_000);

  it('the stock: a clone made ahead is handed out under its own name, the event says so, and the maintainer refills it', async () => {
    const fullStock = async () => {
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        const names = await stockOf();
        expect(names.length).toBeLessThanOrEqual(2);
        if (names.length === 2) return names;
      }
      throw new Error('the stock was not refilled to two clones within 90 s');
    };
    const before = await fullStock();
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/${before[0]}`, { token: TOKEN })).status).toBe(404);
    const db = await newDatabase();
    expect(before).toContain(db.database);
    expect(await count(db.connection_string, 'rental')).toBe(16044);
    const events = (await host.api('GET', `/v2/copies/${copy.id}/events`, { token: TOKEN })).json as { action: string; metadata: unknown }[];
    expect(events.filter((e) => e.action === 'database_created').at(-1)!.metadata).toEqual({ database: db.database, from_stock: true });
    const after = await fullStock();
    expect(after).not.toContain(db.database);
    expect(after.filter((n) => before.includes(n))).toHaveLength(1);
  }, 180_000);

  it("an obfuscated copy's per-test databases hold the scrubbed rows", async () => {
    const made = await host.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600, obfuscate: true } });
    expect(made.status, made.text).toBe(201);
    const scrubbed: Made = made.json;
    const db = await newDatabase(scrubbed);
    const emails = "SELECT email FROM customer WHERE customer_id = 1";
    const raw = await mysqlQuery<{ email: string }>(copy.connection_string, emails);
    expect(raw).toEqual([{ email: 'MARY.SMITH@sakilacustomer.org' }]);
    const fake = await mysqlQuery<{ email: string }>(db.connection_string, emails);
    expect(fake).toEqual(await mysqlQuery(scrubbed.connection_string, emails));
    expect(fake[0]!.email).not.toBe(raw[0]!.email);
    const template = await mysqlQuery<{ n: number }>(inSchema(scrubbed.connection_string, 'ditto_template'), "SELECT count(*) AS n FROM customer WHERE email LIKE '%@sakilacustomer.org'");
    expect(template).toEqual([{ n: 0 }]);
    expect((await host.api('DELETE', `/v2/copies/${scrubbed.id}`, { token: TOKEN })).status).toBe(204);
  }, 180_000);

  it('destroying the copy removes them all with its server', async () => {
    const db = await newDatabase();
    expect((await host.api('DELETE', `/v2/copies/${copy.id}`, { token: TOKEN })).status).toBe(204);
    await expect(mysqlQuery(db.connection_string, 'SELECT 1')).rejects.toThrow();
    expect(await leftovers(home, [copy.port])).toEqual([]);
  }, 120_000);
});
