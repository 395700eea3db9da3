import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { countRows, query } from '../helpers/engines.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { writePagilaSql } from '../helpers/ditto.js';

/** A database per test inside one copy: cloned from a template of the copy's starting data. */
const TOKEN = 'per-test-token-0123456789';
const OTHER = 'per-test-other-9876543210';

let home: TestHome;
let host: HostProcess;
let copy: { id: string; port: number; connection_string: string };

beforeAll(async () => {
  home = new TestHome({}, { portCount: 4 });
  home.writeConfig({
    dump: { path: writePagilaSql(path.join(home.dir, 'pagila.sql')) },
    // Three asked for, but 40 MB holds only two of pagila's 16.6 MB.
    test_databases: { stock: 3, stock_max_bytes: '40MB' },
    host: { tokens: [{ name: 'suite', token: TOKEN }, { name: 'other', token: OTHER }] },
  });
  host = await HostProcess.start(home);
  const made = await host.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600 } });
  expect(made.status, made.text).toBe(201);
  copy = made.json;
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await home.cleanup();
});

async function newDatabase(): Promise<{ database: string; connection_string: string }> {
  const made = await host.api('POST', `/v2/copies/${copy.id}/databases`, { token: TOKEN });
  expect(made.status, made.text).toBe(201);
  return made.json;
}

describe('per-test databases (PostgreSQL)', () => {
  it('20 made in parallel are distinct, carry pagila, and are isolated from each other and from the copy', async () => {
    const dbs = await Promise.all(Array.from({ length: 20 }, () => newDatabase()));
    expect(new Set(dbs.map((d) => d.database)).size).toBe(20);
    for (const db of dbs) {
      const url = new URL(db.connection_string);
      expect(url.pathname).toBe(`/${db.database}`);
      expect(`${url.host}|${url.username}|${url.password}`).toBe(`${new URL(copy.connection_string).host}|postgres|${new URL(copy.connection_string).password}`);
    }
    expect(await Promise.all(dbs.map((d) => countRows(d.connection_string, 'rental')))).toEqual(Array(20).fill(16044));
    await query(dbs[0]!.connection_string, 'SET session_replication_role = replica; DELETE FROM rental');
    await query(dbs[1]!.connection_string, 'CREATE TABLE only_here (x int)');
    expect(await countRows(dbs[0]!.connection_string, 'rental')).toBe(0);
    expect(await countRows(dbs[2]!.connection_string, 'rental')).toBe(16044);
    expect(await countRows(copy.connection_string, 'rental')).toBe(16044);
    await expect(query(dbs[2]!.connection_string, 'SELECT * FROM only_here')).rejects.toThrow(/does not exist/);
    // A database cloned after a write to the copy still starts from the copy's starting data.
    await query(copy.connection_string, 'CREATE TABLE written_later (x int)');
    const later = await newDatabase();
    await expect(query(later.connection_string, 'SELECT * FROM written_later')).rejects.toThrow(/does not exist/);
  });

  it('dropping one leaves the others; a dropped or foreign name is refused; another caller cannot touch the copy', async () => {
    const [a, b] = [await newDatabase(), await newDatabase()];
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/${a.database}`, { token: TOKEN })).status).toBe(204);
    await expect(query(a.connection_string, 'SELECT 1')).rejects.toThrow(/does not exist/);
    expect(await countRows(b.connection_string, 'rental')).toBe(16044);
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/${a.database}`, { token: TOKEN })).status).toBe(404);
    const main = await host.api('DELETE', `/v2/copies/${copy.id}/databases/postgres`, { token: TOKEN });
    expect(main.status).toBe(400);
    expect(main.json.error).toMatch(/'postgres' is not a per-test database/);
    expect((await host.api('POST', `/v2/copies/${copy.id}/databases`, { token: OTHER })).status).toBe(403);
    expect((await host.api('POST', '/v2/copies/nosuchcopy12/databases', { token: TOKEN })).status).toBe(404);
  });

  it('the CLI: db new prints a DSN (default copy: DITTO_COPY_ID), db drop drops it', async () => {
    const env = { DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN, DITTO_COPY_ID: copy.id };
    const made = await home.run(['db', 'new'], { env });
    expect(made.exitCode, made.stderr).toBe(0);
    const dsn = made.stdout.trim();
    expect(await countRows(dsn, 'rental')).toBe(16044);
    const name = new URL(dsn).pathname.slice(1);
    const dropped = await home.run(['db', 'drop', copy.id, name], { env });
    expect(dropped.stdout.trim()).toBe(`dropped ${name}`);
    expectOneLineError(await home.run(['db', 'new'], { env: { ...env, DITTO_COPY_ID: '' } }), 2, /name a copy/);
  });

  it('a stock of clones waits, sealed, within stock_max_bytes: db new renames one, and the maintainer tops it up', async () => {
    const stockOf = () => query<{ datname: string; datallowconn: boolean }>(copy.connection_string, "SELECT datname, datallowconn FROM pg_database WHERE datname LIKE 'ditto\\_stock\\_%'");
    const fullStock = async () => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        const rows = await stockOf();
        expect(rows.length).toBeLessThanOrEqual(2);
        if (rows.length === 2) return rows;
      }
      throw new Error('the stock was not refilled to two clones within 30 s');
    };
    const before = await fullStock();
    expect(before.map((r) => r.datallowconn)).toEqual([false, false]);
    const stocked = new URL(copy.connection_string);
    stocked.pathname = `/${before[0]!.datname}`;
    await expect(query(stocked.toString(), 'SELECT 1')).rejects.toThrow(/not currently accepting connections/);
    expect((await host.api('DELETE', `/v2/copies/${copy.id}/databases/${before[0]!.datname}`, { token: TOKEN })).status).toBe(400);

    const db = await newDatabase();
    expect(await countRows(db.connection_string, 'rental')).toBe(16044);
    const events = (await host.api('GET', `/v2/copies/${copy.id}/events`, { token: TOKEN })).json as { action: string; metadata: unknown }[];
    expect(events.filter((e) => e.action === 'database_created').at(-1)!.metadata).toEqual({ database: db.database, from_stock: true });
    const after = await fullStock();
    // One of the two was renamed to the test's database, and a new one made in its place.
    expect(after.filter((r) => before.some((b) => b.datname === r.datname))).toHaveLength(1);
  });

  it('destroying the copy removes them all with its server', async () => {
    const db = await newDatabase();
    expect((await host.api('DELETE', `/v2/copies/${copy.id}`, { token: TOKEN })).status).toBe(204);
    await expect(query(db.connection_string, 'SELECT 1')).rejects.toThrow();
    expect(await leftovers(home, [copy.port], [copy.id])).toEqual([]);
  });
});
