// Warm pool benchmark (issue 5):
//  1. `ditto up` claiming a warm copy vs the runtime's own empty start (`node -e 0`), interleaved,
//     medians of --runs (default 25); every timed up is checked to have claimed a warm copy.
//  2. --concurrent (default 50) `ditto up` at once: errors, distinct copies, p50/p95, and leaks
//     after `down --all`.
// Results: bench/results/pool.json.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { benchHome, dittoArgv, median, numberOption, printTable, quantile, removeHome, round, timeAsync, timeOnce, writeResult } from './bench-lib.mjs';

const runs = numberOption('--runs', 25);
const concurrent = numberOption('--concurrent', 50);

const ditto = dittoArgv();

const { dir, env } = benchHome(`runtime: local\npool:\n  size: 2\nports:\n  min: 39000\n  max: ${39000 + concurrent + 20}\n`);
const state = () => new Database(path.join(dir, 'state.db'), { readonly: true });
const warmReady = () => {
  const db = state();
  try {
    return db.prepare("SELECT id FROM copies WHERE status = 'ready' AND warm = 1").all().map((r) => r.id);
  } finally {
    db.close();
  }
};
// Where the local runtime keeps this home's copies (src/runtimes/registry.ts: defaultDataRoot).
const dataRoot = path.join(process.getuid() === 0 ? `/var/tmp/ditto-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}` : path.join(dir, 'local'), 'copies');
const run = (...a) => timeOnce([...ditto.argv, ...a], { env, cwd: dir });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitWarm() {
  const deadline = Date.now() + 60_000;
  while (warmReady().length === 0) {
    if (Date.now() > deadline) throw new Error('the pool did not refill within 60s');
    await sleep(50);
  }
}

const result = { runner: ditto.label, runs, concurrent };
try {
  // 1. Warm claims.
  run('pool', 'fill');
  const upTimes = [];
  const nodeTimes = [];
  let warmHits = 0;
  for (let i = 0; i < 3; i++) timeOnce([process.execPath, '-e', '0'], {});
  for (let i = 0; i < runs; i++) {
    await waitWarm();
    const warm = warmReady();
    nodeTimes.push(timeOnce([process.execPath, '-e', '0'], {}).ms);
    const up = run('up', '--json', '--ttl', '5m');
    upTimes.push(up.ms);
    const copy = JSON.parse(up.stdout);
    if (warm.includes(copy.id)) warmHits++;
    run('down', copy.id); // keep the number of servers flat; not timed
  }
  const up = median(upTimes);
  const node = median(nodeTimes);
  result.warm_up = {
    median_ms: round(up),
    p90_ms: round(quantile(upTimes, 0.9)),
    node_e0_median_ms: round(node),
    ratio_vs_node: round(up / node, 2),
    warm_hits: warmHits,
  };
  printTable(`warm \`ditto up\` (${ditto.label}), ${runs} interleaved runs (target <= 1.3x the runtime's empty start)`, ['case', 'median ms', 'p90 ms', 'x node -e 0'], [
    ['node -e 0', round(node).toFixed(1), round(quantile(nodeTimes, 0.9)).toFixed(1), '1.00'],
    ['ditto up (warm)', round(up).toFixed(1), round(quantile(upTimes, 0.9)).toFixed(1), (up / node).toFixed(2)],
  ]);
  process.stdout.write(`${warmHits}/${runs} ups claimed a warm copy\n`);

  // 2. A burst of concurrent ups.
  run('pool', 'drain');
  run('pool', 'fill');
  const started = Date.now();
  const burst = await Promise.all(Array.from({ length: concurrent }, () => timeAsync([...ditto.argv, 'up', '--json', '--ttl', '10m'], { env, cwd: dir })));
  const wall = Date.now() - started;
  const ok = burst.filter((b) => b.code === 0);
  const copies = ok.map((b) => JSON.parse(b.stdout));
  const errors = burst.filter((b) => b.code !== 0).map((b) => b.stderr.trim());
  const lat = ok.map((b) => b.ms);
  // Every copy answers: a real connection to each.
  const pg = (await import('pg')).default;
  let connectable = 0;
  for (const c of copies) {
    const client = new pg.Client({ connectionString: c.connection_string });
    try {
      await client.connect();
      await client.query('SELECT 1');
      connectable++;
    } catch {
      // counted as not connectable
    } finally {
      await client.end().catch(() => {});
    }
  }
  run('pool', 'drain');
  run('down', '--all');
  await sleep(1500);
  const leaks = leftovers();
  result.burst = {
    count: concurrent,
    errors: errors.length,
    error_samples: errors.slice(0, 3),
    distinct_ids: new Set(copies.map((c) => c.id)).size,
    distinct_ports: new Set(copies.map((c) => c.port)).size,
    connectable,
    p50_ms: round(quantile(lat, 0.5)),
    p95_ms: round(quantile(lat, 0.95)),
    max_ms: round(Math.max(...lat)),
    wall_ms: wall,
    leaks,
  };
  printTable(`${concurrent} concurrent \`ditto up\` (pool of 2 filled first)`, ['errors', 'distinct', 'ports', 'connectable', 'p50 ms', 'p95 ms', 'wall ms', 'leaks'], [
    [errors.length, result.burst.distinct_ids, result.burst.distinct_ports, connectable, result.burst.p50_ms, result.burst.p95_ms, wall, leaks.length],
  ]);
  if (leaks.length) process.stdout.write(`leaks: ${leaks.join('; ')}\n`);
} finally {
  writeResult('pool', result);
  removeHome(dir, env, ditto.argv);
}

/** Servers of this home still running, copy directories, port leases, live records. */
function leftovers() {
  const found = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('postgres') && cmd.includes(`\0-D\0${dataRoot}/`)) found.push(`server ${pid}`);
    } catch {
      // gone
    }
  }
  if (fs.existsSync(dataRoot) && fs.readdirSync(dataRoot).length) found.push(`copy directories in ${dataRoot}`);
  const db = state();
  try {
    const leases = db.prepare('SELECT count(*) AS n FROM port_leases').get().n;
    const live = db.prepare("SELECT count(*) AS n FROM copies WHERE status NOT IN ('destroyed','failed')").get().n;
    if (leases) found.push(`${leases} port leases`);
    if (live) found.push(`${live} live records`);
  } finally {
    db.close();
  }
  return found;
}

