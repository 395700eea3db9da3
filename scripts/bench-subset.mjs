// Subset benchmark (issue 25): a generated customers - orders - order_lines - products source of
// --gb gigabytes (default 5) on a plain PostgreSQL server; `ditto reseed` of the whole, of a 1%
// subset and of a 10% subset of the customers. Per reseed: wall time and ditto's peak memory
// (its resident set, from /usr/bin/time), the rows and bytes of the dump; then the time of a first
// copy of it (`ditto up`: the golden snapshot's restore and a clone), against a copy of the whole.
//
//   node scripts/bench-subset.mjs [--gb 5] [--port 5799]
//
// Results: bench/results/subset.json. A smoke run: --gb 0.05.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { benchHome, leftBehind, numberOption, printTable, removeHome, root, round, startReferenceServer, writeResult } from './bench-lib.mjs';

const gigabytes = numberOption('--gb', 5);
const port = numberOption('--port', 5799);
const cli = path.join(root, 'dist', 'ditto.cjs');
if (!fs.existsSync(cli)) {
  process.stderr.write('bench-subset: dist/ditto.cjs is missing; run `npm run build` first\n');
  process.exit(2);
}
// About 5.6 KB of table and index per customer: 10 orders of 3 lines each.
const customers = Math.max(1000, Math.round((gigabytes * 2 ** 30) / 5600));

async function sql(dsn, text) {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** The source: products, customers, 10 orders each, 3 lines an order, with their foreign keys. */
async function generate(dsn) {
  const steps = [
    `CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, description text)`,
    `INSERT INTO products SELECT g, 'product ' || g, (g % 1000) / 10.0 + 1, repeat(md5(g::text), 4) FROM generate_series(1, 10000) g`,
    `CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL, created timestamptz NOT NULL)`,
    `INSERT INTO customers SELECT g, 'c' || g || '@example.com', 'customer ' || g, now() - g * interval '1 minute' FROM generate_series(1, ${customers}) g`,
    `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, created timestamptz NOT NULL, status text NOT NULL, note text)`,
    `INSERT INTO orders SELECT g, 1 + (g - 1) / 10, now() - g * interval '1 second', 'shipped', md5(g::text) || md5((g + 1)::text) FROM generate_series(1, ${customers * 10}::bigint) g`,
    `CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders, product_id int NOT NULL REFERENCES products, quantity int NOT NULL, price numeric(10,2) NOT NULL, comment text)`,
    `INSERT INTO order_lines SELECT g, 1 + (g - 1) / 3, 1 + g % 10000, 1 + g % 5, (g % 1000) / 10.0 + 1, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, ${customers * 30}::bigint) g`,
    `CREATE INDEX ON orders (customer_id)`,
    `CREATE INDEX ON order_lines (order_id)`,
    `VACUUM ANALYZE`,
  ];
  for (const step of steps) await sql(dsn, step);
  return Number((await sql(dsn, 'SELECT pg_database_size(current_database()) AS n'))[0].n);
}

/** One `ditto reseed` under /usr/bin/time, then a first copy of its dump; everything removed after. */
function measure(label, dsn, subset) {
  const yaml = [`runtime: local`, `ports: { min: ${port + 1}, max: ${port + 20} }`, `source: { url: "${dsn}" }`, ...(subset ? [`dump: { subset: { tables: [{ table: customers, percent: ${subset} }] } }`] : [])].join('\n');
  const { dir, env } = benchHome(yaml + '\n');
  const argv = [process.execPath, cli];
  try {
    const started = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', ...argv, 'reseed', '--json'], { env, cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
    const reseedMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`reseed (${label}) failed: ${r.stderr}`);
    const result = JSON.parse(r.stdout);
    const peakMb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
    const rows = result.subset ? result.subset.tables.reduce((sum, t) => sum + t.rows, 0) : null;
    const upStarted = process.hrtime.bigint();
    const up = spawnSync(argv[0], [...argv.slice(1), 'up'], { env, cwd: dir, encoding: 'utf8' });
    const upMs = Number(process.hrtime.bigint() - upStarted) / 1e6;
    if (up.status !== 0) throw new Error(`up (${label}) failed: ${up.stderr}`);
    const run = { label, reseed_s: round(reseedMs / 1000, 2), peak_rss_mb: round(peakMb, 1), rows, dump_bytes: result.size, first_copy_s: round(upMs / 1000, 2) };
    // Each run as it ends: a run of a large source takes long, and one cut short still tells this much.
    process.stderr.write(`${JSON.stringify(run)}\n`);
    return run;
  } finally {
    removeHome(dir, env, argv);
    const problems = leftBehind(dir);
    if (problems.length) throw new Error(`bench-subset (${label}) left things behind: ${problems.join('; ')}`);
  }
}

const server = startReferenceServer(port);
try {
  const sourceBytes = await generate(server.dsn());
  process.stderr.write(`source: ${round(sourceBytes / 2 ** 30, 2)} GiB, ${customers} customers\n`);
  const runs = [measure('whole', server.dsn(), null), measure('1%', server.dsn(), 1), measure('10%', server.dsn(), 10)];
  printTable(
    `Subsets of a ${round(sourceBytes / 2 ** 30, 2)} GiB source (${customers} customers)`,
    ['dump', 'reseed s', 'peak RSS MB', 'rows', 'dump MB', 'first copy s'],
    runs.map((r) => [r.label, r.reseed_s, r.peak_rss_mb, r.rows ?? 'all', round(r.dump_bytes / 2 ** 20, 1), r.first_copy_s]),
  );
  writeResult('subset', { source_bytes: sourceBytes, customers, runs });
} finally {
  server.stop();
}
