import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, writePagilaSql, writeSakilaSql } from '../helpers/ditto.js';
import { leftovers } from '../helpers/leaks.js';
import { mysqlFingerprint, mysqlQuery } from '../helpers/mysql.js';
import { processesWhere } from '../helpers/processes.js';
import { MYSQL_RUNTIME_CASES } from '../helpers/runtimes.js';
import { readCopies } from '../helpers/state.js';

/** What a direct load of Sakila holds (its README, checked on MariaDB 10.11). */
const SAKILA_SHAPE = { tables: 16, views: 7, triggers: 6, routines: 6, rentals: 16044 };

function shapeOf(fingerprint: Record<string, unknown>): typeof SAKILA_SHAPE {
  const tables = fingerprint.tables as Record<string, number>;
  return {
    tables: Object.keys(tables).length,
    views: (fingerprint.views as string[]).length,
    triggers: (fingerprint.triggers as string[]).length,
    routines: (fingerprint.routines as string[]).length,
    rentals: tables.rental!,
  };
}

/** Servers of a MariaDB installation working for this home: none may outlive its copies. */
function mariadbdUnder(home: TestHome): number[] {
  return processesWhere((p) => /mariadbd|mysqld/.test(path.basename(p.args[0] ?? '')) && p.args.some((a) => a.includes(home.dir) || a.includes(path.basename(home.dir))));
}

describe.each(MYSQL_RUNTIME_CASES)('MySQL copies of Sakila on the $name runtime', ({ config }) => {
  let home: TestHome;
  const up = () => home.upJson();

  beforeAll(() => {
    home = new TestHome(config);
    const dump = writeSakilaSql(path.join(home.dir, 'sakila.sql'));
    home.writeConfig({ ...config, dump: { path: dump } });
  });

  afterAll(async () => {
    await home.cleanup();
  });

  it('a copy has what a direct load has: tables and rows, views, triggers and routines; its DSN names the database the dump made', async () => {
    const copy = await up();
    expect(copy.connection_string).toMatch(/^mysql:\/\/root:[\w-]{24}@127\.0\.0\.1:\d+\/sakila$/);
    expect(shapeOf(await mysqlFingerprint(copy.connection_string!, 'sakila'))).toEqual(SAKILA_SHAPE);
    // Routines and triggers work, not only exist.
    await expect(mysqlQuery(copy.connection_string!, 'SELECT inventory_in_stock(1) AS ok')).resolves.toEqual([{ ok: 1 }]);
  });

  it('later copies are clones of one golden snapshot: the dump was restored once', async () => {
    const copy = await up();
    expect(shapeOf(await mysqlFingerprint(copy.connection_string!, 'sakila'))).toEqual(SAKILA_SHAPE);
    expect(readCopies(home, { builders: true }).filter((c) => c.purpose === 'golden')).toHaveLength(1);
  });

  it('two copies are isolated, each with its own password', async () => {
    const [a, b] = [await up(), await up()];
    expect(new URL(a.connection_string!).password).not.toBe(new URL(b.connection_string!).password);
    await mysqlQuery(a.connection_string!, 'DELETE FROM payment; CREATE TABLE only_here (x int)');
    await expect(mysqlQuery(b.connection_string!, 'SELECT count(*) AS n FROM payment')).resolves.toEqual([{ n: 16044 }]);
    await expect(mysqlQuery(b.connection_string!, 'SELECT 1 FROM only_here')).rejects.toThrow(/doesn't exist/);
    // A copy's password opens only that copy.
    const cross = new URL(b.connection_string!);
    cross.password = new URL(a.connection_string!).password;
    await expect(mysqlQuery(cross.toString(), 'SELECT 1')).rejects.toThrow(/Access denied/);
  });

  it('down --all leaves no server, mount, container, port or lease; prune removes the snapshot', async () => {
    const copies = await home.ls();
    const ports = copies.map((c) => c.port!);
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, ports)).toEqual([]);
    expect(mariadbdUnder(home)).toEqual([]);
    expect((await home.run(['prune'])).stderr).toContain('removed 1 golden snapshot');
  });
});

describe('MySQL: bad input is one line and leaves nothing', () => {
  const homes: TestHome[] = [];
  const newHome = (config: Record<string, unknown>) => {
    const home = new TestHome({ runtime: 'local', engine: 'mysql', ...config });
    homes.push(home);
    return home;
  };
  afterAll(async () => {
    for (const home of homes) await home.cleanup();
  });

  it('no MariaDB binaries where local.bin_dir points', async () => {
    const home = newHome({});
    const empty = path.join(home.dir, 'no-binaries');
    fs.mkdirSync(empty);
    home.writeConfig({ runtime: 'local', engine: 'mysql', local: { bin_dir: empty } });
    expectOneLineError(await home.run(['up']), 78, /local\.bin_dir .*no-binaries lacks one of mariadb-install-db, mariadb/);
    expect(readCopies(home, { builders: true })).toEqual([]);
  });

  it('a PostgreSQL dump given to a MySQL copy', async () => {
    const home = newHome({});
    const archive = path.join(home.dir, 'pg.dump');
    fs.writeFileSync(archive, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(64, 1)]));
    home.writeConfig({ runtime: 'local', engine: 'mysql', dump: { path: archive } });
    expectOneLineError(await home.run(['up']), 65, /is a PostgreSQL archive \(pg_dump\), not a MySQL dump; give a mariadb-dump/);
    expect(readCopies(home, { builders: true })).toEqual([]);
  });

  it('a corrupt dump: the restore fails with the client’s line, and nothing is left', async () => {
    const home = newHome({});
    const dump = path.join(home.dir, 'corrupt.sql');
    fs.writeFileSync(dump, 'CREATE TABLE t (x int);\nINSERT INTO t VALUES (1;\n');
    home.writeConfig({ runtime: 'local', engine: 'mysql', dump: { path: dump } });
    expectOneLineError(await home.run(['up']), 65, /restoring .*corrupt\.sql failed: mariadb exited with 1: ERROR 1064 .*syntax/);
    expect(readCopies(home, { builders: true }).map((c) => c.status)).toEqual(['failed']);
    expect(await leftovers(home, [home.ports.min])).toEqual([]);
  });

  it('a dump whose engine is inferred: pagila given with no engine set is PostgreSQL’s', async () => {
    const home = new TestHome({ runtime: 'local' });
    homes.push(home);
    const dump = writePagilaSql(path.join(home.dir, 'pagila.sql'));
    home.writeConfig({ runtime: 'local', dump: { path: dump } });
    const result = await home.run(['up']);
    expect(result.stdout).toMatch(/^postgresql:\/\//);
  });
});

describe('MySQL: more than one engine, gzip dumps, doctor', () => {
  const homes: TestHome[] = [];
  afterAll(async () => {
    for (const home of homes) await home.cleanup();
  });

  it('a gzip-compressed dump is restored as the SQL it holds', async () => {
    const home = new TestHome({ runtime: 'local', engine: 'mysql' });
    homes.push(home);
    const sql = writeSakilaSql(path.join(home.dir, 'sakila.sql'));
    const gz = path.join(home.dir, 'sakila.sql.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(sql)));
    home.writeConfig({ runtime: 'local', engine: 'mariadb', dump: { path: gz, golden: false } });
    const copy = await home.upJson();
    expect(shapeOf(await mysqlFingerprint(copy.connection_string!, 'sakila'))).toEqual(SAKILA_SHAPE);
    // A truncated gzip file fails as one line, with what the decompressor said.
    fs.writeFileSync(gz, fs.readFileSync(gz).subarray(0, 20_000));
    expectOneLineError(await home.run(['up']), 65, /restoring .*sakila\.sql\.gz failed: mariadb stopped: error reading its input: unexpected end of file/);
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, [])).toEqual([]);
  });

  it('one home holds copies of both engines; down --all removes them all', async () => {
    const home = new TestHome({ runtime: 'local' });
    homes.push(home);
    const pgUrl = (await home.run(['up'])).stdout;
    expect(pgUrl).toMatch(/^postgresql:\/\//);
    home.writeConfig({ runtime: 'local', engine: 'mysql' });
    const myUrl = (await home.run(['up'])).stdout;
    expect(myUrl).toMatch(/^mysql:\/\/root:[\w-]+@127\.0\.0\.1:\d+\/ditto$/);
    await expect(mysqlQuery(myUrl, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    const listed = await home.ls();
    expect(listed).toHaveLength(2);
    const ports = listed.map((c) => c.port!);
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, ports)).toEqual([]);
    expect(mariadbdUnder(home)).toEqual([]);
  });

  it('doctor checks the MariaDB binaries and a MySQL source', async () => {
    const home = new TestHome({ runtime: 'local', engine: 'mysql', source: { url: 'mysql://root:pw@127.0.0.1:1/nothing' } });
    homes.push(home);
    const report = JSON.parse((await home.run(['doctor', '--json'])).stdout) as { checks: { name: string; status: string; detail: string }[] };
    expect(report.checks.find((c) => c.name === 'mysql binaries')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^found in \//) });
    expect(report.checks.find((c) => c.name === 'runtime')).toMatchObject({ status: 'ok', detail: expect.stringContaining('mysql binaries in') });
    expect(report.checks.find((c) => c.name === 'source')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/nothing does not answer: /) });
  });
});
