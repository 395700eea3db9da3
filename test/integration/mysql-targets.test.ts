import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, writeSakilaSql } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { closeHome } from '../helpers/leaks.js';
import { processesWhere } from '../helpers/processes.js';
import { ReferenceMysql } from '../helpers/reference-mysql.js';

const RULES = [
  { table: 'customer', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'customer', column: 'last_name', strategy: 'hash' },
];

/**
 * `ditto target refresh` against a second live MariaDB (the target, "staging"): the dump restored
 * beside it and swapped in with one RENAME TABLE, scrubbed; a corrupt dump and a refresh killed
 * half-way leave it as it was.
 */
describe('ditto target refresh (MariaDB)', () => {
  let home: TestHome;
  let target: ReferenceMysql;
  let rawDump: string;
  let config: Record<string, unknown>;
  const env = () => ({ STAGING_URL: target.dsn('staging') });
  const names = async (sql: string) => (await target.query<{ n: string }>(sql)).map((r) => r.n).sort();
  /** What the target holds: its objects, a sample that tells old from new and raw from scrubbed, and ditto's schemas beside it. */
  const contents = async () => ({
    tables: await names("SELECT CONCAT(TABLE_TYPE, ' ', TABLE_NAME) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'staging'"),
    triggers: await names("SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'staging'"),
    routines: await names("SELECT ROUTINE_NAME AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'staging'"),
    schemas: await names("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'ditto%'"),
    orders: await target.query('SELECT id FROM staging.old_orders ORDER BY id').catch(() => null),
  });
  /** The `mariadb` clients a killed ditto left restoring; waited for (bounded), so none outlives the test. */
  const orphanClients = () => processesWhere((p) => path.basename(p.args[0] ?? '') === 'mariadb' && p.args.some((a) => a.startsWith('ditto_refresh_')));

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 6 });
    target = new ReferenceMysql();
    await target.start();
    await target.query(`CREATE DATABASE staging; USE staging;
      CREATE TABLE old_orders (id int PRIMARY KEY); INSERT INTO old_orders VALUES (1), (2), (3);
      CREATE TABLE audit (id int); CREATE VIEW recent_orders AS SELECT id FROM old_orders WHERE id > 1;
      CREATE TRIGGER old_orders_audit AFTER INSERT ON old_orders FOR EACH ROW INSERT INTO audit VALUES (NEW.id);
      CREATE PROCEDURE old_report() SELECT count(*) FROM old_orders;`);
    rawDump = writeSakilaSql(path.join(home.dir, 'sakila.sql'));
    config = { engine: 'mysql', runtime: 'local', dump: { path: rawDump }, targets: { staging: { url: 'env:STAGING_URL' } }, obfuscate: { seed: 'fixed-seed', rules: RULES } };
    home.writeConfig(config);
  }, 120_000);

  afterAll(() => closeHome(home, target));

  it('--dry-run and a refusal without --confirm change nothing; the plan says how the target is kept whole', async () => {
    const before = await contents();
    expect(before.tables).toEqual(['BASE TABLE audit', 'BASE TABLE old_orders', 'VIEW recent_orders']);
    expectOneLineError(await home.run(['target', 'refresh', 'staging'], { env: env() }), 2, /not done without confirmation; add --confirm/);
    const dry = await home.run(['target', 'refresh', 'staging', '--dry-run', '--confirm'], { env: env() });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing changed');
    expect(dry.stdout).toContain(`replace everything in target staging (mysql://root:***@127.0.0.1:${target.port}/staging)`);
    expect(dry.stdout).toContain("restored into a schema beside the target's, then swapped in with one RENAME TABLE");
    expect(dry.stdout + dry.stderr).not.toContain(':reference@');
    expect(await contents()).toEqual(before);
  });

  it('a corrupt dump never touches the target', async () => {
    const before = await contents();
    const corrupt = path.join(home.dir, 'corrupt.sql');
    const bytes = fs.readFileSync(rawDump);
    fs.writeFileSync(corrupt, Buffer.concat([bytes.subarray(0, Math.floor(bytes.length / 2)), Buffer.from("\nINSERT INTO rental VALUES ('broken\n")]));
    try {
      home.writeConfig({ ...config, dump: { path: corrupt } });
      expectOneLineError(await home.run(['target', 'refresh', 'staging', '--confirm'], { env: env() }), 65, /corrupt\.sql/);
    } finally {
      home.writeConfig(config);
    }
    expect(await contents()).toEqual(before);
  }, 180_000);

  it('killed with SIGKILL while restoring beside the target, ditto leaves the target as it was', async () => {
    const before = await contents();
    const refresh = home.spawn(['target', 'refresh', 'staging', '--confirm'], env());
    let restoring = false;
    for (const deadline = Date.now() + 240_000; !restoring && refresh.exitCode === null && Date.now() < deadline; ) {
      const [row] = await target.query<{ n: number }>("SELECT count(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE 'ditto\\_refresh\\_%'");
      restoring = Number(row!.n) >= 3;
      if (!restoring) await new Promise((r) => setTimeout(r, 25));
    }
    refresh.kill('SIGKILL');
    await refresh;
    expect(restoring, 'the refresh ended before it was seen restoring').toBe(true);
    for (const deadline = Date.now() + 60_000; orphanClients().length > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
    expect(orphanClients()).toEqual([]);
    const after = await contents();
    expect({ ...after, schemas: [] }).toEqual({ ...before, schemas: [] });
  }, 300_000);

  it('--confirm swaps Sakila in, scrubbed, with its views, triggers and routines; the old objects and ditto\'s schemas are gone', async () => {
    const result = await home.run(['target', 'refresh', 'staging', '--confirm'], { env: env() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^target staging \(mysql:\/\/root:\*\*\*@127\.0\.0\.1:\d+\/staging\) refreshed from .*sakila\.sql, 2 column\(s\) in 1 table\(s\) obfuscated$/);
    const after = await contents();
    expect(after.orders).toBeNull();
    expect(after.schemas).toEqual([]);
    expect(after.tables.filter((t) => t.startsWith('BASE'))).toHaveLength(16);
    expect(after.tables.filter((t) => t.startsWith('VIEW'))).toHaveLength(7);
    expect(after.triggers).toEqual(['customer_create_date', 'del_film', 'ins_film', 'payment_date', 'rental_date', 'upd_film']);
    expect(after.routines).toHaveLength(6);
    const staging = (sql: string) => target.query<Record<string, unknown>>(sql, [], 'staging');
    expect(await staging('SELECT count(*) AS n FROM rental')).toEqual([{ n: 16044 }]);
    expect(await staging('SELECT count(*) AS n FROM customer_list')).toEqual([{ n: 599 }]);
    expect(await staging('SELECT inventory_in_stock(1) AS ok')).toEqual([{ ok: 1 }]);
    await staging("INSERT INTO film (title, language_id) VALUES ('NEW', 1)");
    expect(await staging('SELECT count(*) AS n FROM film_text')).toEqual([{ n: 1001 }]);
    const customers = await staging('SELECT email, last_name FROM customer WHERE customer_id = 1');
    expect(customers[0]!.email).not.toBe('MARY.SMITH@sakilacustomer.org');
    expect(customers[0]!.last_name).not.toBe('SMITH');
    expect(await staging("SELECT count(*) AS n FROM customer WHERE email LIKE '%@sakilacustomer.org'")).toEqual([{ n: 0 }]);
  }, 300_000);

  it('the host route is for admins: 403 for a caller; an admin gets the dry run', async () => {
    home.writeConfig({ ...config, host: { tokens: [{ name: 'dev', token: 'dev-token-123' }], admin_tokens: [{ name: 'ops', token: 'ops-token-123' }] } });
    const host = await HostProcess.start(home, env());
    try {
      expect((await host.api('POST', '/v2/targets/staging/refresh', { token: 'dev-token-123', body: {} })).status).toBe(403);
      const dry = await host.api('POST', '/v2/targets/staging/refresh', { token: 'ops-token-123', body: { dry_run: true } });
      expect(dry.status, dry.text).toBe(200);
      expect(dry.json).toMatchObject({ target: 'staging', dry_run: true, obfuscated: null });
    } finally {
      await host.stop();
      home.writeConfig(config);
    }
  }, 120_000);
});
