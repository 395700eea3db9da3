// Shared host benchmark (issue 7), on loopback only, bounded in count and time:
//  1. GET /v2/copies latency (p50, p99) and requests per second: idle, then during a burst of
//     creates and deletes (--writes pairs, two writers), with --readers concurrent readers.
//     After every write that returned, the next read must show it: stale reads are counted.
//  2. The state mirror against direct reads of state.db: the same list query through the mirror
//     (change check + in-memory read) vs a fresh read-only connection to the file per read, on a
//     state of --rows copies; and what one reload costs.
// Results: bench/results/host.json. Target: p99 < 20 ms, no stale reads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { benchHome, dataRootOf, ensureBuilt, hostHandling, median, numberOption, printTable, quantile, root, round, startHost, stopHost, writeResult } from './bench-lib.mjs';

const writes = numberOption('--writes', 30);
const readers = numberOption('--readers', 2);
const idleReads = numberOption('--idle-reads', 2000);
const rows = numberOption('--rows', 2000);
/** Hard bounds on the load generator: it stops at whichever comes first. */
const MAX_REQUESTS = 50_000;
const MAX_SECONDS = 120;

const TOKEN = 'bench-host-token';
const cli = ensureBuilt('ditto.cjs', 'build.mjs');
const { dir, env } = benchHome(
  `runtime: local\npool:\n  size: 0\nports:\n  min: 39600\n  max: 39640\nhost:\n  listen: 127.0.0.1\n  port: 0\n  tokens:\n    - name: bench\n      token: ${TOKEN}\n`,
);
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
// The home and its data root go however the run ends (a failure left a golden snapshot behind);
// the host is stopped before, in the finally around its part.
process.once('exit', () => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(dataRootOf(dir), { recursive: true, force: true });
});


async function api(url, method, pathname, body) {
  const res = await fetch(url + pathname, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** GET /v2/copies from `concurrency` loops until `until()` or the bounds; latencies in ms. */
async function readLoad(url, concurrency, until) {
  const latencies = [];
  const started = performance.now();
  const loop = async () => {
    while (!until() && latencies.length < MAX_REQUESTS && performance.now() - started < MAX_SECONDS * 1000) {
      const t = performance.now();
      await api(url, 'GET', '/v2/copies');
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

const hostSide = (from, to) => hostHandling(path.join(dir, 'host.log'), 'list_copies', from, to);

function summary(latencies, seconds) {
  return { requests: latencies.length, p50_ms: round(median(latencies), 2), p99_ms: round(quantile(latencies, 0.99), 2), max_ms: round(Math.max(...latencies), 2), rps: Math.round(latencies.length / seconds) };
}

const result = { writes, readers, rows, bounds: { max_requests: MAX_REQUESTS, max_seconds: MAX_SECONDS } };
const { child, url } = await startHost(cli, dir, env);
try {
  // 1a. Idle: reads only.
  let done = 0;
  let from = Date.now();
  const idle = await readLoad(url, readers, () => ++done > idleReads);
  result.idle = { ...summary(idle.latencies, idle.seconds), ...hostSide(from, Date.now()) };

  // 1b. Reads during a burst of creates and deletes; each write is followed by a read that must show it.
  let writing = true;
  let stale = 0;
  const writeTimes = [];
  const writer = async (count) => {
    for (let i = 0; i < count; i++) {
      let t = performance.now();
      const copy = await api(url, 'POST', '/v2/copies', { ttl_seconds: 600, run_id: 'bench' });
      writeTimes.push(performance.now() - t);
      if (!(await api(url, 'GET', '/v2/copies')).some((c) => c.id === copy.id)) stale++;
      t = performance.now();
      await api(url, 'DELETE', `/v2/copies/${copy.id}`);
      writeTimes.push(performance.now() - t);
      if ((await api(url, 'GET', '/v2/copies')).some((c) => c.id === copy.id)) stale++;
    }
  };
  from = Date.now();
  const writers = Promise.all([writer(Math.ceil(writes / 2)), writer(Math.floor(writes / 2))]).finally(() => (writing = false));
  const burst = await readLoad(url, readers, () => !writing);
  await writers;
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const loop = (q) => round(Number(new RegExp(`^ditto_event_loop_delay_seconds\\{quantile="${q}"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN) * 1000, 1);
  result.event_loop_delay_ms = { p50: loop('0.5'), p99: loop('0.99'), max: loop('1') };
  result.burst = { ...summary(burst.latencies, burst.seconds), ...hostSide(from, Date.now()), writes: writes * 2, write_p50_ms: round(median(writeTimes)), stale_reads: stale };

  printTable(`GET /v2/copies on loopback, ${readers} concurrent readers (target: p99 < 20 ms, no stale reads)`, ['phase', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'req/s', 'host p50', 'host p99'], [
    ['idle', result.idle.requests, result.idle.p50_ms, result.idle.p99_ms, result.idle.max_ms, result.idle.rps, result.idle.host_p50_ms, result.idle.host_p99_ms],
    [`${writes} creates + ${writes} deletes`, result.burst.requests, result.burst.p50_ms, result.burst.p99_ms, result.burst.max_ms, result.burst.rps, result.burst.host_p50_ms, result.burst.host_p99_ms],
  ]);
  process.stdout.write('(p50/p99/max/req/s: as the load generator sees them; host p50/p99: the handling time in the host, from its request log)\n');
  process.stdout.write(`host event loop delay over the run: p50 ${result.event_loop_delay_ms.p50} ms, p99 ${result.event_loop_delay_ms.p99} ms, max ${result.event_loop_delay_ms.max} ms\n`);
  process.stdout.write(`writes: p50 ${result.burst.write_p50_ms} ms; stale reads after a write returned: ${stale} of ${writes * 2}\n`);
} finally {
  await stopHost(child);
}

// 2. The mirror against the file, in this process, on a state of `rows` copies with events.
// Bundled next to dist/ so it resolves better-sqlite3 from the project's node_modules.
const bundle = path.join(root, 'dist', `bench-mirror-${process.pid}.mjs`);
await build({
  stdin: {
    contents: "export { StateMirror } from './src/state/mirror.ts'; export { openState } from './src/state/store.ts'; export { CopiesRepo } from './src/state/copies-repo.ts'; export { SqlDb } from './src/state/sqlite.ts';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  external: ['better-sqlite3'],
  banner: { js: "import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);" },
  logLevel: 'warning',
});
const { StateMirror, openState, CopiesRepo, SqlDb } = await import(bundle);
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-state-'));
try {
  const writer = openState(stateDir);
  const insert = writer.prepare(
    `INSERT INTO copies (id, status, warm, runtime, engine, host, port, user, password, database, owner, ttl_seconds, created_at, ready_at, expires_at, destroyed_at, purpose)
     VALUES (?, ?, 0, 'local', 'postgres', '127.0.0.1', ?, 'postgres', 'x', 'postgres', 'bench', 600, ?, ?, ?, ?, 'copy')`,
  );
  const event = writer.prepare("INSERT INTO events (copy_id, action, actor, metadata, created_at) VALUES (?, ?, 'bench', '{}', ?)");
  writer.transaction(() => {
    for (let i = 0; i < rows; i++) {
      const id = `bench${String(i).padStart(7, '0')}`;
      const now = Date.now() - (rows - i) * 1000;
      const live = i >= rows - 40;
      insert.run(id, live ? 'ready' : 'destroyed', live ? 39600 + (i % 40) : null, now, now + 300, now + 600_000, live ? null : now + 5000);
      for (const action of ['created', 'creating', 'ready', ...(live ? [] : ['destroying', 'destroyed'])]) event.run(id, action, now);
    }
  });
  const file = path.join(stateDir, 'state.db');
  const mirror = await StateMirror.open(writer);
  const listQuery = (db) => new CopiesRepo(db).list({ owner: 'bench', usersOnly: true }).length;
  const allQuery = (db) => new CopiesRepo(db).list({ includeFinal: true, owner: 'bench', usersOnly: true }).length;
  const time = async (n, fn) => {
    const xs = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      xs.push(performance.now() - t);
    }
    return xs;
  };
  const fresh = (query) => () => {
    const db = SqlDb.open(file, { timeoutMs: 1000 });
    try {
      return query(db);
    } finally {
      db.close();
    }
  };
  const cases = [
    ['active copies (GET /v2/copies)', listQuery],
    [`all ${rows} copies (?all=true)`, allQuery],
  ];
  result.mirror = { rows, state_bytes: Number(writer.pragma('page_count')) * Number(writer.pragma('page_size')), cases: [] };
  const table = [];
  for (const [name, query] of cases) {
    const viaMirror = await time(2000, async () => query(await mirror.snapshot()));
    const viaFile = await time(500, fresh(query));
    const entry = { query: name, mirror_p50_ms: round(median(viaMirror), 3), mirror_p99_ms: round(quantile(viaMirror, 0.99), 3), file_p50_ms: round(median(viaFile), 3), file_p99_ms: round(quantile(viaFile, 0.99), 3) };
    result.mirror.cases.push(entry);
    table.push([name, entry.mirror_p50_ms, entry.mirror_p99_ms, entry.file_p50_ms, entry.file_p99_ms, round(entry.file_p50_ms / entry.mirror_p50_ms, 1)]);
  }
  // A reload after each write: what a write through the host adds before its answer goes out.
  const reloads = await time(200, async () => {
    writer.prepare("UPDATE meta SET value = value WHERE key = 'x'").run();
    writer.prepare("INSERT INTO meta (key, value) VALUES ('bench', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(Math.random()));
    await mirror.reload();
  });
  result.mirror.reload_p50_ms = round(median(reloads), 3);
  result.mirror.reload_p99_ms = round(quantile(reloads, 0.99), 3);
  printTable(`state mirror vs a fresh read of state.db (${rows} copies, ${Math.round(result.mirror.state_bytes / 1024)} KiB)`, ['query', 'mirror p50', 'mirror p99', 'file p50', 'file p99', 'file/mirror'], table);
  process.stdout.write(`one reload (serialize + open in memory): p50 ${result.mirror.reload_p50_ms} ms, p99 ${result.mirror.reload_p99_ms} ms\n`);
  await mirror.close();
  writer.close();
} finally {
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(bundle, { force: true });
}

result.targets = { p99_under_20ms: result.burst.p99_ms < 20, no_stale_reads: result.burst.stale_reads === 0 };
writeResult('host', result);
