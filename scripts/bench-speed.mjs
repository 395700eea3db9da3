// Speed tiers benchmark (issue 16; DESIGN sections 8 and 11): PostgreSQL on the local runtime, the
// pagila dump (schema + data, as test/helpers/ditto.ts writes it), dist/ditto.cjs, loopback only,
// copies on ports 41100-41199, bounded in count and time. Each part runs in its own home (pool size 0,
// so a new copy is a cold clone of the golden snapshot), emptied, removed and checked afterwards:
//  1. A database per test in one copy (each dropped afterwards, untimed), --n (100) of each way, in
//     alternating blocks of 10, each block starting with the copy's stock of clones full:
//     POST /v2/copies/{id}/databases on `ditto host` and the SDK's createDatabase, paced (each test
//     runs a query and then --test-ms, 100, of its own work before the next asks) and back to back
//     (the stock drains); the in-server floor on one open connection, CREATE DATABASE ... TEMPLATE
//     ditto_template STRATEGY FILE_COPY (ditto's clone), vs the default WAL_LOG strategy
//     (pgtestdb's and testcontainers' snapshot way); FILE_COPY on a new connection, as the host
//     clones when its stock is empty. Then a burst of 20 at once, `ditto db new --remote` (--cli-n,
//     20; process start included) and a new server per test (`ditto up`, --cold, 5).
//  2. `ditto reset ID` vs `ditto down ID` + `ditto up`, alternated (--resets, 10), whole processes;
//     then POST /v2/copies/{id}/reset vs DELETE + POST /v2/copies through the host. After every
//     reset the DSN must be unchanged and a table made just before it gone.
//  3. `ditto up` with a migration baked in (prepare:) vs `ditto up` + the migration run per copy
//     (--ups, 5). The migration (~2 s) makes and indexes a 200k-row table, then sleeps 1.5 s
//     (pg_sleep: a stand-in for a longer migration set, and said so in the output).
// Results: bench/results/speed.json. Targets: per-test database median <= 25 ms at the API;
// reset <= 1.5x a cold clone, DSN unchanged. Ratios are of medians taken in this one run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { benchHome, ensureBuilt, leftBehind, median, pgBinDir, printTable, quantile, removeHome, root, round, startHost, stopHost, timeAsync, timeOnce, writeResult } from './bench-lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback, cap) => Math.min(cap, args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback);
const n = option('--n', 100, 1000);
const cliN = option('--cli-n', 20, 200);
const coldN = option('--cold', 5, 20);
const resets = option('--resets', 10, 50);
const ups = option('--ups', 5, 20);
/** A test's own work in the paced runs, after its query: what the stock has to refill in. */
const testMs = option('--test-ms', 100, 5000);
const BURST = 20;
/** test_databases.stock, as the config has it by default. */
const STOCK = 4;
/** Hard bound on the whole run: every loop stops once it is past (or on SIGINT/SIGTERM), and cleans up. */
const MAX_SECONDS = 900;
const deadline = performance.now() + MAX_SECONDS * 1000;
let stopped = null;
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (stopped = signal));
const inTime = () => !stopped && performance.now() < deadline;

const TOKEN = 'bench-speed-token';
const cli = ensureBuilt('ditto.cjs', 'build.mjs');
// The JS SDK as its users get it (sdk/js/dist, built from its sources).
if (spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'sdk/js')], { stdio: 'inherit' }).status !== 0) throw new Error('building sdk/js failed');
const { createClient } = await import(path.join(root, 'sdk/js/dist/index.js'));
const argv = [process.execPath, cli];
const psql = path.join(pgBinDir(), 'psql');
const pagila = ['pagila-schema.sql', 'pagila-data.sql'].map((f) => fs.readFileSync(path.join(root, '../shared/fixtures/pagila', f), 'utf8')).join('');
const HOST = `host:\n  listen: 127.0.0.1\n  port: 0\n  tokens:\n    - name: bench\n      token: ${TOKEN}\n`;
const MIGRATION = `CREATE TABLE bench_orders AS SELECT g AS id, md5(g::text) AS ref, now() - g * interval '1 minute' AS at FROM generate_series(1, 200000) g;
ALTER TABLE bench_orders ADD PRIMARY KEY (id);
CREATE INDEX ON bench_orders (ref);
SELECT pg_sleep(1.5); -- stands in for the rest of a migration set
`;
const log = (line) => process.stdout.write(`${line}\n`);
const stat = (xs) => ({ n: xs.length, p50: xs.length ? round(median(xs)) : null, p95: xs.length ? round(quantile(xs, 0.95)) : null, max: xs.length ? round(Math.max(...xs)) : null });
const stats = (named) => Object.fromEntries(Object.entries(named).map(([k, xs]) => [k, stat(xs)]));
const ratio = (a, b) => (a && b ? round(a / b, 2) : null);
const p50 = (s) => s?.p50 ?? null;
const failures = [];
const problems = [];
let homes = 0;
const load = () => os.loadavg().map((x) => round(x, 2)).join(' ');
const loadAtStart = load();

const api = (url) => async (method, pathname, body) => {
  const res = await fetch(url + pathname, {
    method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, signal: AbortSignal.timeout(120_000), ...(body ? { body: JSON.stringify(body) } : {}),
  }).catch((err) => Promise.reject(new Error(`${method} ${pathname}: ${err.message}${err.cause ? ` (${err.cause.code ?? ''} ${err.cause.message})` : ''}`)));
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const timed = async (fn, t = performance.now()) => ({ value: await fn(), ms: performance.now() - t });
/** Queries (each its own statement) on a fresh connection to `dsn`; the last one's rows. */
async function query(dsn, ...sqls) {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    for (const sql of sqls.slice(0, -1)) await client.query(sql);
    return (await client.query(sqls.at(-1))).rows;
  } finally {
    await client.end();
  }
}

/** Runs `work(h, res)` in a new home; whatever happens, its hosts stop and it is emptied, removed and checked. */
async function inHome(name, ports, extra, work) {
  if (!inTime()) return { skipped: stopped ?? `past ${MAX_SECONDS} s` };
  const { dir, env } = benchHome(`runtime: local\nengine: postgres\npool:\n  size: 0\nports:\n  min: ${ports[0]}\n  max: ${ports[1]}\ndump:\n  path: ./pagila.sql\n${extra}`);
  fs.writeFileSync(path.join(dir, 'pagila.sql'), pagila);
  homes++;
  const hosts = [];
  const res = {};
  const h = {
    dir, env,
    // Asynchronous, so that the event loop sees a keep-alive socket the host closed meanwhile.
    run: async (...a) => {
      const r = await timeAsync([...argv, ...a], { env: { ...env, DITTO_TOKEN: TOKEN }, cwd: dir });
      if (r.code !== 0) throw new Error(`ditto ${a.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
      return r;
    },
    host: async () => {
      const started = await startHost(cli, dir, env);
      hosts.push(started);
      return { ...started, api: api(started.url) };
    },
  };
  try {
    await work(h, res);
    if (!inTime()) res.truncated = stopped ?? `past ${MAX_SECONDS} s`;
  } catch (err) {
    res.error = err.message.trim().split('\n').slice(0, 2).join(' | ');
    failures.push(`${name}: ${res.error}`);
  } finally {
    for (const s of hosts) {
      const how = await stopHost(s.child);
      if (how.killed) problems.push(`${name}: ditto host did not exit within 30 s of SIGTERM (killed)`);
      if (res.error) log(`${name}: host.log errors:\n${fs.readFileSync(s.log, 'utf8').split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-10).join('\n')}`);
    }
    removeHome(dir, env, argv);
    problems.push(...leftBehind(dir).map((p) => `${name}: ${p}`));
  }
  return res;
}

/** `ditto up --json` in h's home: the copy, the process's wall time and record -> ready in the process. */
async function up(h) {
  const { ms, stdout } = await h.run('up', '--json', '--ttl', '30m');
  const copy = JSON.parse(stdout);
  return { copy, ms, inside: Date.parse(copy.ready_at) - Date.parse(copy.created_at) };
}

// 1. A database per test.
log(`1. per-test databases: ${n} of each way at the API, the SDK and in the server, a burst of ${BURST}, ${cliN} through the CLI, ${coldN} new servers...`);
const perTest = await inHome('per-test', [41100, 41129], HOST, async (h, res) => {
  const host = await h.host();
  const copy = await host.api('POST', '/v2/copies', { ttl_seconds: 1800, run_id: 'bench-speed' }); // builds the golden snapshot: untimed
  const sdk = createClient({ server: host.url, token: TOKEN });
  // Each way in blocks of 10 in a row (as its users run it), the blocks in turn so that load on the
  // machine drifts alike for all. Before each block, untimed: the copy's stock is full again and a
  // CHECKPOINT is done, so no block pays for another's leftovers. Every database is dropped after,
  // untimed. "Paced": each test does its own work (a query, then --test-ms) before the next one
  // asks, as a suite does; "back to back": the next asks at once, so the stock drains.
  const client = new pg.Client({ connectionString: copy.connection_string });
  await client.connect();
  const stockCount = async () => Number((await client.query("SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'ditto\\_stock\\_%'")).rows[0].n);
  const fullStock = async () => {
    for (const until = performance.now() + 60_000; performance.now() < until; await sleep(20)) if ((await stockCount()) >= STOCK) return;
    throw new Error(`the copy's stock did not refill to ${STOCK} within 60 s`);
  };
  const madeBy = { api_paced: [], sdk_paced: [], api_back_to_back: [], burst: [] };
  const aTest = async (dsn) => {
    await query(dsn, 'SELECT count(*) FROM rental');
    await sleep(testMs);
  };
  const viaApi = (way, paced) => async () => {
    const made = await timed(() => host.api('POST', `/v2/copies/${copy.id}/databases`));
    madeBy[way].push(made.value.database);
    if (paced) await aTest(made.value.connection_string);
    await host.api('DELETE', `/v2/copies/${copy.id}/databases/${made.value.database}`);
    return made.ms;
  };
  const times = { api_paced: [], sdk_paced: [], api_back_to_back: [], file_copy: [], wal_log: [], fresh: [] };
  const ways = {
    api_paced: viaApi('api_paced', true),
    sdk_paced: async () => {
      const made = await timed(() => sdk.createDatabase(copy.id));
      madeBy.sdk_paced.push(made.value.database);
      await aTest(made.value.connectionString);
      await sdk.dropDatabase(copy.id, made.value.database);
      return made.ms;
    },
    api_back_to_back: viaApi('api_back_to_back', false),
    file_copy: (db) => client.query(`CREATE DATABASE ${db} TEMPLATE ditto_template STRATEGY FILE_COPY`),
    wal_log: (db) => client.query(`CREATE DATABASE ${db} TEMPLATE ditto_template`),
    // What the host does per request when the stock is empty: a new connection (password auth), the version, the clone.
    fresh: (db) => query(copy.connection_string, 'SHOW server_version_num', `CREATE DATABASE ${db} TEMPLATE ditto_template STRATEGY FILE_COPY`),
  };
  try {
    res.server_version = (await client.query('SHOW server_version')).rows[0].server_version;
    await host.api('DELETE', `/v2/copies/${copy.id}/databases/${(await host.api('POST', `/v2/copies/${copy.id}/databases`)).database}`); // the first one starts the stock
    for (let i = 0; i < n && inTime(); i += 10) {
      for (const [way, make] of Object.entries(ways)) {
        await fullStock();
        await client.query('CHECKPOINT');
        for (let k = i; k < Math.min(n, i + 10); k++) {
          if (way in madeBy) {
            times[way].push(await make());
            continue;
          }
          times[way].push((await timed(() => make(`bench_${way}_${k}`))).ms);
          await client.query(`DROP DATABASE bench_${way}_${k}`);
        }
      }
    }
    // A test runner's workers all asking at once: the stock serves the first, the rest are cloned.
    await fullStock();
    const burst = await Promise.all(Array.from({ length: BURST }, () => timed(() => host.api('POST', `/v2/copies/${copy.id}/databases`))));
    res.burst = stat(burst.map((b) => b.ms));
    for (const b of burst) {
      madeBy.burst.push(b.value.database);
      await host.api('DELETE', `/v2/copies/${copy.id}/databases/${b.value.database}`);
    }
  } finally {
    await client.end();
  }
  const fromStock = new Map((await host.api('GET', `/v2/copies/${copy.id}/events`)).filter((e) => e.action === 'database_created').map((e) => [e.metadata.database, e.metadata.from_stock]));
  const stocked = (way) => `${madeBy[way].filter((d) => fromStock.get(d)).length} of ${madeBy[way].length}`;
  const hostMs = fs.readFileSync(host.log, 'utf8').split('\n').filter((l) => l.includes('"route":"create_database"')).map((l) => JSON.parse(l).ms);
  for (const way of Object.keys(madeBy)) res[way] = { ...(res[way] ?? stat(times[way])), from_stock: stocked(way) };
  res.api_paced.host_p50 = round(median(hostMs)); // every POST .../databases the host served, all ways
  res.floor_file_copy = stat(times.file_copy);
  res.floor_wal_log = stat(times.wal_log);
  res.fresh_connection_file_copy = stat(times.fresh);
  const cliMs = [];
  for (let i = 0; i < cliN && inTime(); i++) {
    const { ms, stdout } = await h.run('db', 'new', copy.id, '--json', '--remote', host.url);
    cliMs.push(ms);
    await host.api('DELETE', `/v2/copies/${copy.id}/databases/${JSON.parse(stdout).database}`);
  }
  res.cli = stat(cliMs);
  const cold = [];
  for (let i = 0; i < coldN && inTime(); i++) {
    const made = await up(h);
    cold.push(made);
    await h.run('down', made.copy.id);
  }
  res.new_server = { wall: stat(cold.map((c) => c.ms)), inside: stat(cold.map((c) => c.inside)) };
  await host.api('DELETE', `/v2/copies/${copy.id}`);
});
const row = (label, s, extra = '') => [label, s?.n ?? 0, s?.p50 ?? '-', s?.p95 ?? '-', s?.max ?? '-', extra];
printTable(`\n1. a new database per test, pagila, PostgreSQL ${perTest.server_version ?? '?'}, ms (target: API median <= 25 ms)`, ['how', 'n', 'p50', 'p95', 'max', 'note'], [
  row('ditto, API, paced: POST /v2/copies/{id}/databases', perTest.api_paced, perTest.api_paced ? `from the stock: ${perTest.api_paced.from_stock}; host's own p50, all ways: ${perTest.api_paced.host_p50}` : ''),
  row('ditto, SDK, paced: createDatabase (remote)', perTest.sdk_paced, perTest.sdk_paced ? `from the stock: ${perTest.sdk_paced.from_stock}` : ''),
  row('ditto, API, back to back (no test between)', perTest.api_back_to_back, perTest.api_back_to_back ? `from the stock: ${perTest.api_back_to_back.from_stock}` : ''),
  row(`ditto, API, a burst of ${BURST} at once`, perTest.burst, perTest.burst ? `from the stock: ${perTest.burst.from_stock}` : ''),
  row('ditto, CLI: ditto db new --remote', perTest.cli, 'CLI: process start included'),
  row('floor: CREATE DATABASE .. STRATEGY FILE_COPY', perTest.floor_file_copy, 'one open connection (ditto\'s way)'),
  row('CREATE DATABASE .. TEMPLATE (WAL_LOG, default)', perTest.floor_wal_log, 'pgtestdb / testcontainers snapshot'),
  row('new connection + SHOW + FILE_COPY clone', perTest.fresh_connection_file_copy, 'what the host does per request'),
  row('new server per test: ditto up (pool 0), wall', perTest.new_server?.wall, 'testcontainers without snapshot'),
  row('new server per test: record -> ready', perTest.new_server?.inside, 'in the ditto process'),
]);

// 2. Reset vs down + up.
log(`\n2. reset vs down + up, ${resets} of each, alternated...`);
const reset = await inHome('reset', [41130, 41159], HOST, async (h, res) => {
  const check = { dsn_changed: 0, marker_left: 0 };
  /** A table made before the reset must be gone after it, and the DSN the same. */
  const around = async (dsn, doReset) => {
    await query(dsn, 'CREATE TABLE bench_marker (x int)');
    const { ms, value } = await timed(doReset);
    if (value.connection_string !== dsn) check.dsn_changed++;
    if ((await query(dsn, "SELECT to_regclass('bench_marker') AS t"))[0].t !== null) check.marker_left++;
    return ms;
  };
  let copy = (await up(h)).copy; // builds the golden snapshot: untimed
  const cli = { reset: [], down: [], up: [], down_up: [] };
  for (let i = 0; i < resets && inTime(); i++) {
    cli.reset.push(await around(copy.connection_string, async () => JSON.parse((await h.run('reset', copy.id, '--json')).stdout)));
    const down = (await h.run('down', copy.id)).ms;
    const made = await up(h);
    cli.down.push(down), cli.up.push(made.ms), cli.down_up.push(down + made.ms);
    copy = made.copy;
  }
  await h.run('down', copy.id);
  res.cli = stats(cli);
  const host = await h.host();
  const http = { reset: [], delete: [], post: [], delete_post: [] };
  copy = await host.api('POST', '/v2/copies', { ttl_seconds: 1800, run_id: 'bench-speed' });
  for (let i = 0; i < resets && inTime(); i++) {
    http.reset.push(await around(copy.connection_string, () => host.api('POST', `/v2/copies/${copy.id}/reset`)));
    const del = (await timed(() => host.api('DELETE', `/v2/copies/${copy.id}`))).ms;
    const made = await timed(() => host.api('POST', '/v2/copies', { ttl_seconds: 1800, run_id: 'bench-speed' }));
    http.delete.push(del), http.post.push(made.ms), http.delete_post.push(del + made.ms);
    copy = made.value;
  }
  await host.api('DELETE', `/v2/copies/${copy.id}`);
  res.api = stats(http);
  res.checks = { ...check, resets: cli.reset.length + http.reset.length };
});
reset.ratios = {
  cli_reset_over_up: ratio(p50(reset.cli?.reset), p50(reset.cli?.up)), cli_reset_over_down_up: ratio(p50(reset.cli?.reset), p50(reset.cli?.down_up)),
  api_reset_over_post: ratio(p50(reset.api?.reset), p50(reset.api?.post)), api_reset_over_delete_post: ratio(p50(reset.api?.reset), p50(reset.api?.delete_post)),
};
printTable(`\n2. reset vs a cold clone (pool 0), pagila, medians in ms (target: reset <= 1.5x a cold clone, DSN unchanged)`, ['how', 'n', 'reset', 'cold clone (up / POST)', 'down / DELETE', 'down+up', 'reset / clone', 'reset / (down+up)'], [
  ['CLI, whole processes', reset.cli?.reset.n ?? 0, p50(reset.cli?.reset) ?? '-', p50(reset.cli?.up) ?? '-', p50(reset.cli?.down) ?? '-', p50(reset.cli?.down_up) ?? '-', reset.ratios.cli_reset_over_up ?? '-', reset.ratios.cli_reset_over_down_up ?? '-'],
  ['API, through ditto host', reset.api?.reset.n ?? 0, p50(reset.api?.reset) ?? '-', p50(reset.api?.post) ?? '-', p50(reset.api?.delete) ?? '-', p50(reset.api?.delete_post) ?? '-', reset.ratios.api_reset_over_post ?? '-', reset.ratios.api_reset_over_delete_post ?? '-'],
]);
if (reset.checks) log(`after ${reset.checks.resets} resets: DSN changed ${reset.checks.dsn_changed} times, the table made before a reset still there ${reset.checks.marker_left} times`);

// 3. Migrations baked in vs run per copy.
log(`\n3. prepared up vs up + migration, ${ups} of each...`);
const migrate = `${psql} "$DATABASE_URL" -X -q -o /dev/null -v ON_ERROR_STOP=1 -f migrations/001.sql`;
const migrated = async (copy) => {
  if (Number((await query(copy.connection_string, 'SELECT count(*) AS n FROM bench_orders'))[0].n) !== 200000) throw new Error(`copy ${copy.id} lacks the migration's rows`);
};
const withMigrations = (h) => (fs.mkdirSync(path.join(h.dir, 'migrations')), fs.writeFileSync(path.join(h.dir, 'migrations/001.sql'), MIGRATION));
const prepared = await inHome('prepared', [41160, 41179], `prepare:\n  command: '${migrate}'\n  inputs: ['migrations/*.sql']\n`, async (h, res) => {
  withMigrations(h);
  const first = await up(h); // restores the dump, runs the migration, keeps the snapshot
  res.build = { wall: round(first.ms), inside: round(first.inside) };
  await migrated(first.copy);
  await h.run('down', first.copy.id);
  const made = [];
  for (let i = 0; i < ups && inTime(); i++) {
    made.push(await up(h));
    await migrated(made.at(-1).copy);
    await h.run('down', made.at(-1).copy.id);
  }
  res.up = stat(made.map((m) => m.ms));
});
const perCopy = await inHome('per-copy', [41180, 41199], '', async (h, res) => {
  withMigrations(h);
  await h.run('down', (await up(h)).copy.id); // builds the plain golden snapshot: untimed
  const times = { up: [], migration: [], total: [] };
  for (let i = 0; i < ups && inTime(); i++) {
    const made = await up(h);
    const ran = timeOnce(['/bin/sh', '-c', migrate], { cwd: h.dir, env: { ...process.env, DATABASE_URL: made.copy.connection_string } });
    times.up.push(made.ms), times.migration.push(ran.ms), times.total.push(made.ms + ran.ms);
    await migrated(made.copy);
    await h.run('down', made.copy.id);
  }
  res.times = stats(times);
});
const migrationRatio = ratio(p50(perCopy.times?.total), p50(prepared.up));
printTable(`\n3. a migrated copy, pagila + a ~2 s migration (200k-row table and index, then pg_sleep(1.5) standing in for more), ms`, ['how', 'n', 'p50', 'p95', 'max', 'note'], [
  row('prepared: ditto up (migration in the snapshot)', prepared.up, 'whole process'),
  row('prepared: first ditto up (builds the snapshot)', prepared.build && { n: 1, p50: prepared.build.wall }, 'paid once per change of migrations'),
  row('per copy: ditto up + psql migration', perCopy.times?.total, `up ${p50(perCopy.times?.up)} + migration ${p50(perCopy.times?.migration)}`),
]);
log(`per copy / prepared: x${migrationRatio ?? '-'}`);
log(`\nratios are of medians taken in this one run; ${stopped ? `stopped by ${stopped}` : `bound ${MAX_SECONDS} s`}; load average (1/5/15 min, ${os.cpus().length} CPUs) at start ${loadAtStart}, at end ${load()}`);
log(problems.length ? `left behind: ${problems.length} problems (below)` : `${homes} homes emptied and removed: no server, mount or data directory left`);

writeResult('speed', {
  runner: 'node dist/ditto.cjs', dump: 'pagila (schema + data, plain SQL)', runtime: 'local', pool: 0, bounds: { max_seconds: MAX_SECONDS, ports: '41100-41199' },
  per_test_database: perTest, reset, prepare: { migration: 'CREATE TABLE AS 200k rows, primary key, index, then SELECT pg_sleep(1.5) standing in for a longer migration set', prepared, per_copy: perCopy, per_copy_over_prepared: migrationRatio },
  ratios_note: 'medians taken in one run of this script', load_average: { start: loadAtStart, end: load() },
  targets: {
    per_test_db_api_median_le_25ms: perTest.api_paced ? perTest.api_paced.p50 <= 25 : null,
    reset_le_1_5x_cold_clone: reset.ratios.cli_reset_over_up === null ? null : reset.ratios.cli_reset_over_up <= 1.5 && (reset.ratios.api_reset_over_post ?? 0) <= 1.5,
    dsn_unchanged_after_reset: reset.checks ? reset.checks.dsn_changed === 0 && reset.checks.marker_left === 0 : null,
  },
  failures, problems,
});
if (failures.length || problems.length) {
  process.stderr.write(`bench-speed: ${[...failures, ...problems].join('\n')}\n`);
  process.exitCode = 1;
}
