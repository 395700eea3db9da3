// A database per test on MariaDB (issue 27; DESIGN section 11): Sakila, the local runtime,
// dist/ditto.cjs, loopback only, copies on ports 41300-41319, bounded in count and time.
//  - POST /v2/copies/{id}/databases on `ditto host`, paced as a suite runs them (--n, 20, in
//    blocks of the stock's size, each starting with the stock full; each test runs a query and
//    --test-ms, 100, of its own work), with how many came from the stock; then back to back
//    (--n), so the stock drains and the rest are cloned on demand (the clone's own cost).
//  - What suites do today, in the same copy (--runs, 3): Sakila's dump restored into a new
//    database per test (the `mariadb` client), and TRUNCATE of its 16 tables + its data reloaded.
// Results: bench/results/mysql-speed.json. Target: per-test database p50 <= 25 ms at the API from the stock.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import { benchHome, ensureBuilt, leftBehind, median, printTable, quantile, removeHome, root, round, startHost, stopHost, writeResult } from './bench-lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback, cap) => Math.min(cap, args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback);
const n = option('--n', 20, 200);
const runs = option('--runs', 3, 20);
const testMs = option('--test-ms', 100, 5000);
const STOCK = 4;
const MAX_SECONDS = 900;
const deadline = performance.now() + MAX_SECONDS * 1000;
const inTime = () => performance.now() < deadline;
const TOKEN = 'bench-mysql-speed-token';
const cli = ensureBuilt('ditto.cjs', 'build.mjs');
const argv = [process.execPath, cli];
const sakilaDir = path.join(root, '../shared/fixtures/sakila');
const schemaSql = fs.readFileSync(path.join(sakilaDir, 'sakila-schema.sql'), 'utf8');
const dataSql = fs.readFileSync(path.join(sakilaDir, 'sakila-data.sql'), 'utf8');
const log = (line) => process.stdout.write(`${line}\n`);
const stat = (xs) => ({ n: xs.length, p50: xs.length ? round(median(xs)) : null, p95: xs.length ? round(quantile(xs, 0.95)) : null, max: xs.length ? round(Math.max(...xs)) : null });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const timed = async (fn, t = performance.now()) => ({ value: await fn(), ms: performance.now() - t });

const { dir, env } = benchHome(`runtime: local\nengine: mysql\npool:\n  size: 0\nports:\n  min: 41300\n  max: 41319\ndump:\n  path: ./sakila.sql\ntest_databases:\n  stock: ${STOCK}\nhost:\n  listen: 127.0.0.1\n  port: 0\n  tokens:\n    - name: bench\n      token: ${TOKEN}\n`);
fs.writeFileSync(path.join(dir, 'sakila.sql'), `${schemaSql}\n${dataSql}`);
const res = {};
const problems = [];
let host = null;
try {
  host = await startHost(cli, dir, env);
  const api = async (method, pathname) => {
    const body = method === 'POST' ? { body: '{}' } : {};
    const r = await fetch(host.url + pathname, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, signal: AbortSignal.timeout(120_000), ...body });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${pathname}: ${r.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
  log('making a copy of Sakila...');
  const copy = await api('POST', '/v2/copies');
  const conn = await mysql.createConnection({ uri: copy.connection_string, multipleStatements: true });
  const stockCount = async () => Number((await conn.query('SELECT count(*) AS n FROM ditto_stock.clones'))[0][0].n);
  const fullStock = async () => {
    for (const until = performance.now() + 120_000; performance.now() < until; await sleep(50)) if ((await stockCount()) >= STOCK) return;
    throw new Error(`the copy's stock did not refill to ${STOCK} within 120 s`);
  };
  const made = { paced: [], back_to_back: [] };
  const times = { paced: [], back_to_back: [] };
  const create = async (way, paced) => {
    const t = await timed(() => api('POST', `/v2/copies/${copy.id}/databases`));
    times[way].push(t.ms);
    made[way].push(t.value.database);
    if (paced) {
      const test = await mysql.createConnection({ uri: t.value.connection_string });
      await test.query('SELECT count(*) FROM rental');
      await test.end();
      await sleep(testMs);
    }
    await api('DELETE', `/v2/copies/${copy.id}/databases/${t.value.database}`);
  };
  // The first starts the stock.
  await api('DELETE', `/v2/copies/${copy.id}/databases/${(await api('POST', `/v2/copies/${copy.id}/databases`)).database}`);
  log(`paced: ${n} per-test databases in blocks of ${STOCK}, each test ${testMs} ms...`);
  for (let i = 0; i < n && inTime(); i += STOCK) {
    await fullStock();
    for (let j = i; j < Math.min(n, i + STOCK); j++) await create('paced', true);
  }
  log(`back to back: ${n}...`);
  await fullStock();
  for (let i = 0; i < n && inTime(); i++) await create('back_to_back', false);
  const events = await api('GET', `/v2/copies/${copy.id}/events`);
  const fromStock = new Map(events.filter((e) => e.action === 'database_created').map((e) => [e.metadata.database, e.metadata.from_stock]));
  for (const way of Object.keys(times)) {
    const stocked = times[way].filter((_, i) => fromStock.get(made[way][i]));
    const cloned = times[way].filter((_, i) => !fromStock.get(made[way][i]));
    res[way] = { ...stat(times[way]), from_stock: `${stocked.length} of ${times[way].length}`, stock: stat(stocked), on_demand: stat(cloned) };
  }

  log(`what suites do today: restore per test and TRUNCATE-and-reload, ${runs} each...`);
  const url = new URL(copy.connection_string);
  const client = (sql) => {
    const r = spawnSync('mariadb', ['--protocol=TCP', '--host=127.0.0.1', `--port=${url.port}`, '--user=root', '--default-character-set=utf8mb4'], { input: sql, env: { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) }, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`mariadb failed: ${r.stderr}`);
  };
  const restoreMs = [];
  for (let i = 0; i < runs && inTime(); i++) {
    const sql = `${schemaSql}\n${dataSql}`.replace(/\bsakila\b/g, `restored_${i}`);
    restoreMs.push((await timed(async () => client(sql))).ms);
    await conn.query(`DROP DATABASE restored_${i}`);
  }
  const tables = (await conn.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sakila' AND TABLE_TYPE = 'BASE TABLE'"))[0].map((r) => r.t);
  const truncateMs = [];
  for (let i = 0; i < runs && inTime(); i++) {
    // Sakila's data file makes the triggers it loads without again: they go first, as with the tables' rows.
    const triggers = [...dataSql.matchAll(/CREATE TRIGGER (\w+)/g)].map((m) => `DROP TRIGGER IF EXISTS \`${m[1]}\`;`).join(' ');
    const sql = `USE sakila; SET FOREIGN_KEY_CHECKS = 0; ${tables.map((t) => `TRUNCATE TABLE \`${t}\`;`).join(' ')} ${triggers}\n${dataSql}`;
    truncateMs.push((await timed(async () => client(sql))).ms);
  }
  res.restore_per_test = stat(restoreMs);
  res.truncate_and_reload = stat(truncateMs);
  await conn.end();
} catch (err) {
  res.error = err.message;
} finally {
  if (host) await stopHost(host.child);
  removeHome(dir, env, argv);
  problems.push(...leftBehind(dir));
}

const fmt = (x) => (x === null || x === undefined ? '-' : String(x));
const row = (name, s, note = '') => [name, fmt(s?.n), fmt(s?.p50), fmt(s?.p95), fmt(s?.max), note];
printTable(
  `A database per test on MariaDB ${spawnSync('mariadb', ['--version'], { encoding: 'utf8' }).stdout.match(/\d+\.\d+\.\d+/)?.[0] ?? '?'} (Sakila, local runtime; ms; target: p50 <= 25 from the stock)`,
  ['way', 'n', 'p50', 'p95', 'max', ''],
  [
    row('ditto, API, paced: POST /v2/copies/{id}/databases', res.paced, res.paced ? `from the stock: ${res.paced.from_stock}` : ''),
    row('  of which from the stock', res.paced?.stock),
    row('ditto, API, back to back', res.back_to_back, res.back_to_back ? `from the stock: ${res.back_to_back.from_stock}` : ''),
    row('  of which cloned on demand', res.back_to_back?.on_demand),
    row("Sakila's dump restored per test (mariadb client)", res.restore_per_test),
    row('TRUNCATE of 16 tables + data reloaded', res.truncate_and_reload),
  ],
);
if (res.error) log(`error: ${res.error}`);
for (const p of problems) log(`left behind: ${p}`);
writeResult('mysql-speed', { n, runs, test_ms: testMs, stock: STOCK, results: res, problems, per_test_db_api_p50_le_25ms: res.paced ? res.paced.stock.p50 <= 25 : null });
if (res.error || problems.length) process.exit(1);
