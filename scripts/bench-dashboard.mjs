// Dashboard benchmark (issue 26), on loopback only, bounded in count and time, against a real
// `ditto host` whose state holds --copies copy records:
//  1. First load in Debian's Chromium (playwright-core), signed in, in a fresh profile each time:
//     the bytes the page and its API calls carry, and the time from navigation to the copy list
//     showing every copy (median of --loads).
//  2. GET /v2/copies latency (p50, p99) as another client sees it, alone and while --dashboards
//     dashboards refresh (each: the page's own requests at its own cadence: copies and status
//     every 2 s, sizes every 30 s, with the session cookie), for --seconds each.
// SYNTHETIC STATE: the copies are records written straight into state.db, not servers (500 real
// copies would not fit the machine). Each is `creating`, driven by this benchmark's own process,
// so the host's maintenance leaves them be (their driver lives); the list, the mirror and the
// page do the same work for them as for ready copies. Results: bench/results/dashboard.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { benchHome, dataRootOf, ensureBuilt, hostHandling, median, numberOption, printTable, quantile, round, startHost, stopHost, writeResult } from './bench-lib.mjs';

const copies = numberOption('--copies', 500);
const loads = numberOption('--loads', 5);
const dashboards = numberOption('--dashboards', 20);
const seconds = numberOption('--seconds', 20);
const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'bench-dashboard-admin-token';
/** Hard bound on the measuring client: it stops at whichever comes first. */
const MAX_REQUESTS = 20_000;

if (!fs.existsSync(CHROMIUM)) {
  process.stderr.write(`bench-dashboard: ${CHROMIUM} is missing (apt package chromium, scripts/setup-test-machine.sh)\n`);
  process.exit(1);
}
const { chromium } = await import('playwright-core');
const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');

const cli = ensureBuilt('ditto.cjs', 'build.mjs');
const owners = Array.from({ length: 10 }, (_, i) => `dev${i}`);
const tokens = owners.map((name) => `    - name: ${name}\n      token: bench-dashboard-${name}\n`).join('');
const { dir, env } = benchHome(
  `runtime: local\npool:\n  size: 0\nports:\n  min: 39700\n  max: 39740\nhost:\n  listen: 127.0.0.1\n  port: 0\n  tokens:\n${tokens}  admin_tokens:\n    - name: ops\n      token: ${ADMIN}\n`,
);
process.once('exit', () => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(dataRootOf(dir), { recursive: true, force: true });
});

/** This process as ditto names a driver ("pid:start-time", see src/model/process-identity.ts). */
function selfDriver() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  return `${process.pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

// The state: made by ditto itself (its migrations), then the synthetic records.
const made = (await import('node:child_process')).spawnSync(process.execPath, [cli, 'ls'], { env, cwd: dir, stdio: 'ignore' });
if (made.status !== 0) throw new Error('ditto ls failed to make the state');
const db = new Database(path.join(dir, 'state.db'));
const insert = db.prepare(
  `INSERT INTO copies (id, status, warm, runtime, engine, host, port, user, password, database, label, owner, run_id, job_name, ttl_seconds, created_at, driver, driver_host, purpose)
   VALUES (?, 'creating', 0, 'local', 'postgres', '127.0.0.1', NULL, 'postgres', 'x', 'postgres', ?, ?, ?, ?, 3600, ?, ?, ?, 'copy')`,
);
const driver = selfDriver();
db.transaction(() => {
  for (let i = 0; i < copies; i++) {
    insert.run(`bench${String(i).padStart(7, '0')}`, `feature-${i % 37}`, `token:${owners[i % owners.length]}`, `run-${1000 + (i % 50)}`, `job-${i % 7}`, Date.now() - i * 1000, driver, os.hostname());
  }
})();
db.close();

const { child, url, log } = await startHost(cli, dir, env);
const result = { copies, synthetic_state: true, loads, dashboards, seconds };
let browser;
try {
  // The session cookie, as the page's sign-in sets it.
  const signIn = await fetch(`${url}/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ditto-csrf': '1' }, body: JSON.stringify({ token: ADMIN }) });
  if (!signIn.ok) throw new Error(`sign-in: ${signIn.status}`);
  const [name, value] = signIn.headers.get('set-cookie').split(';')[0].split('=');

  // 1. First loads.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
  const samples = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    // Signed in before the load (the context's own request keeps the cookie): the load is a returning user's.
    const session = await context.request.post(`${url}/v2/session`, { data: { token: ADMIN }, headers: { 'x-ditto-csrf': '1' } });
    if (!session.ok()) throw new Error(`sign-in: ${session.status()}`);
    const page = await context.newPage();
    const sizes = { page: 0, api: 0 };
    const pending = [];
    page.on('response', (response) => {
      pending.push(
        response.body().then(
          (body) => (sizes[new URL(response.url()).pathname.startsWith('/v2/') ? 'api' : 'page'] += body.length),
          () => {},
        ),
      );
    });
    const started = performance.now();
    await page.goto(url);
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-copy-id]').length >= n, copies, { timeout: 60_000, polling: 'raf' });
    const ms = performance.now() - started;
    await Promise.all(pending);
    samples.push({ ms, ...sizes });
    await context.close();
  }
  result.first_load = {
    to_copy_list_ms_median: round(median(samples.map((s) => s.ms))),
    to_copy_list_ms_max: round(Math.max(...samples.map((s) => s.ms))),
    page_bytes: samples[0].page,
    api_bytes: samples[0].api,
  };
  await browser.close();
  browser = undefined;
  printTable(`dashboard first load, ${copies} copies (synthetic records), ${loads} loads in fresh profiles`, ['what', 'value'], [
    ['time to the copy list, median ms', result.first_load.to_copy_list_ms_median],
    ['time to the copy list, max ms', result.first_load.to_copy_list_ms_max],
    ['page bytes (html, js, css)', result.first_load.page_bytes],
    ['API bytes (session, copies with sizes, status)', result.first_load.api_bytes],
  ]);

  // 2. The list's latency, alone and under the dashboards' refreshes.
  const cookie = `${name}=${value}`;
  const listOnce = async () => {
    const t = performance.now();
    const res = await fetch(`${url}/v2/copies`, { headers: { authorization: `Bearer ${ADMIN}` } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`list: ${res.status}`);
    return performance.now() - t;
  };
  /** The client's latencies, and the host's own handling time of every list (the dashboards' too) meanwhile. */
  const measure = async () => {
    const latencies = [];
    const from = Date.now();
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until && latencies.length < MAX_REQUESTS) {
      latencies.push(await listOnce());
      await new Promise((r) => setTimeout(r, 50));
    }
    // The host's log is written asynchronously: a moment for its last lines.
    await new Promise((r) => setTimeout(r, 500));
    return { requests: latencies.length, p50_ms: round(median(latencies), 2), p99_ms: round(quantile(latencies, 0.99), 2), max_ms: round(Math.max(...latencies), 2), ...hostHandling(log, 'list_copies', from, Date.now()) };
  };
  result.list_alone = await measure();

  let stop = false;
  const dashboard = async (n) => {
    // Staggered as real page loads would be; then the page's cadence (dashboard/src/main.ts).
    await new Promise((r) => setTimeout(r, (n * 2000) / dashboards));
    let sizesAt = 0;
    while (!stop) {
      const sizes = Date.now() - sizesAt > 30_000;
      if (sizes) sizesAt = Date.now();
      const get = (p) => fetch(url + p, { headers: { cookie } }).then((r) => r.arrayBuffer());
      await Promise.all([get(`/v2/copies${sizes ? '?disk_bytes=true' : ''}`), get('/v2/status')]);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const running = Array.from({ length: dashboards }, (_, n) => dashboard(n));
  await new Promise((r) => setTimeout(r, 2500));
  result.list_with_dashboards = await measure();
  stop = true;
  await Promise.all(running);
  printTable(`GET /v2/copies (${copies} copies, admin) from one client, ${seconds} s each`, ['phase', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'host p50', 'host p99'], [
    ['alone', ...Object.values(result.list_alone)],
    [`${dashboards} dashboards refreshing`, ...Object.values(result.list_with_dashboards)],
  ]);
  process.stdout.write('(p50/p99/max: as the measuring client sees its lists; host p50/p99: the host\'s handling time of every list meanwhile, from its request log)\n');
} finally {
  await browser?.close();
  await stopHost(child);
}
writeResult('dashboard', result);
