// Start-up benchmark: wall time of the single executable's quick commands against the runtime's
// own start (`node -e 0`, and an executable built the same way from an empty script).
//
//   node scripts/bench-startup.mjs [--runs N] [--rebuild] [--compare OTHER_DITTO]
//
// --compare times another build of the executable (an earlier commit's dist/ditto) in the same
// rounds, warm `up` included, so a change's effect is a ratio from one run.
//
// Runs are interleaved (one of each case per round) so drift on a busy machine hits every case
// alike; the table shows medians. Results go to bench/results/startup.json.
//
// A warm `ditto up` claims a copy the pool made ahead: before each timed run the benchmark waits
// until the pool is full again and the maintainer idle, and after it destroys the claimed copy
// (untimed). The empty executable is timed in the same rounds, so the ratio sees the same machine.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, median, printTable, quantile, removeHome, root, round, writeResult } from './bench-lib.mjs';

const dist = path.join(root, 'dist');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 0) || 30;
const rebuild = args.includes('--rebuild');
const compare = args.includes('--compare') ? path.resolve(args[args.indexOf('--compare') + 1]) : null;

if (rebuild) for (const f of ['ditto', 'empty-sea']) fs.rmSync(path.join(dist, f), { force: true });
ensureBuilt('ditto', 'build-binary.mjs');
ensureBuilt('empty-sea', 'build-binary.mjs', ['--empty']);

// A home of its own: no copies, local runtime, a port range nothing else here uses.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-'));
const POOL = 2;
fs.writeFileSync(path.join(home, 'ditto.yaml'), `runtime: local\npool:\n  size: ${POOL}\nports:\n  min: 38900\n  max: 38919\n`);
const env = { ...process.env, DITTO_HOME: home, DITTO_CONFIG: path.join(home, 'ditto.yaml'), XDG_CACHE_HOME: path.join(home, 'cache') };

const ditto = path.join(dist, 'ditto');
const cases = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'empty executable', argv: [path.join(dist, 'empty-sea')] },
  { name: 'ditto --version', argv: [ditto, '--version'] },
  { name: 'ditto ls', argv: [ditto, 'ls'] },
  { name: 'node dist/ditto.cjs --version', argv: [process.execPath, path.join(dist, 'ditto.cjs'), '--version'] },
  { name: 'node dist/ditto.cjs ls', argv: [process.execPath, path.join(dist, 'ditto.cjs'), 'ls'] },
  ...(compare ? [{ name: 'other --version', argv: [compare, '--version'] }, { name: 'other ls', argv: [compare, 'ls'] }] : []),
];

function once(argv) {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: home });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function capture(args) {
  const result = spawnSync(ditto, args, { env, encoding: 'utf8', cwd: home });
  if (result.status !== 0) throw new Error(`ditto ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Waits until the pool holds POOL ready copies and nothing is being made. */
function waitPoolFull() {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const report = JSON.parse(capture(['pool', 'status', '--json']));
    if (report.ready >= POOL && report.inFlight === 0) return;
    if (Date.now() > deadline) throw new Error(`the pool did not refill: ${JSON.stringify(report)}`);
    spawnSync('sleep', ['0.2']);
  }
}

/** Times one warm `up` of `program`, then destroys the copy it claimed (untimed). */
function claimOnce(program, into) {
  const startedAt = Date.now();
  const started = process.hrtime.bigint();
  const claimed = spawnSync(program, ['up', '--json', '--ttl', '5m'], { env, encoding: 'utf8', cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  into.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (claimed.status !== 0) throw new Error(`${program} up exited ${claimed.status}: ${claimed.stderr}`);
  const copy = JSON.parse(claimed.stdout);
  // A claimed copy was ready before `up` started; a cold one became ready during it.
  if (Date.parse(copy.ready_at) >= startedAt) cold++;
  capture(['down', copy.id]);
}

const times = cases.map(() => []);
const warmUp = [];
const warmUpOther = [];
const warmEmpty = [];
let cold = 0;
try {
  // Warm-up: page cache, and the executable's first run, which writes the SQLite addon to the cache.
  for (let i = 0; i < 3; i++) cases.forEach((c) => once(c.argv));
  for (let round = 0; round < runs; round++) cases.forEach((c, i) => times[i].push(once(c.argv)));

  capture(['pool', 'fill']);
  for (let round = 0; round < runs; round++) {
    waitPoolFull();
    warmEmpty.push(once([path.join(dist, 'empty-sea')]));
    claimOnce(ditto, warmUp);
    if (compare) {
      waitPoolFull();
      claimOnce(compare, warmUpOther);
    }
  }
} finally {
  // The maintainer leaves once no copy is left; the home goes after it.
  removeHome(home, env, [ditto]);
}

const node = median(times[0]);
const empty = median(times[1]);
const row = (name, xs, emptyMs) => {
  const m = median(xs);
  return { case: name, median_ms: round(m), p10_ms: round(quantile(xs, 0.1)), p90_ms: round(quantile(xs, 0.9)), vs_node: round(m / node, 2), vs_empty_executable: round(m / emptyMs, 2) };
};
const rows = cases.map((c, i) => row(c.name, times[i], empty));
// Compared with the empty executable timed in the same rounds as the claims.
rows.push(row('empty executable (warm-up rounds)', warmEmpty, median(warmEmpty)));
rows.push(row('ditto up, warm pool', warmUp, median(warmEmpty)));
if (compare) rows.push(row('other up, warm pool', warmUpOther, median(warmEmpty)));

printTable(
  `start-up, ${runs} interleaved runs each (target: ditto <= 1.3x the empty executable)`,
  ['case', 'median ms', 'p10', 'p90', 'x node -e 0', 'x empty exe'],
  rows.map((r) => [r.case, r.median_ms.toFixed(1), r.p10_ms.toFixed(1), r.p90_ms.toFixed(1), r.vs_node.toFixed(2), r.vs_empty_executable.toFixed(2)]),
);
if (compare) process.stdout.write(`"other" is ${compare}\n`);
if (cold) process.stdout.write(`WARNING: ${cold} of ${runs * (compare ? 2 : 1)} \`ditto up\` runs provisioned a copy instead of claiming a warm one\n`);
process.stdout.write('warm `ditto up`: claims a pooled copy (pool refilled and maintainer idle before each run); its ratio is to the empty executable timed in the same rounds\n');

writeResult('startup', {
  runs,
  ...(compare ? { other: compare } : {}),
  executable_bytes: fs.statSync(ditto).size,
  warm_up_runs_that_provisioned: cold,
  notes: ['`ditto up, warm pool`: claims a pooled copy; the pool is refilled and the maintainer idle before each run; vs_empty_executable uses the empty executable timed in the same rounds'],
  results: rows,
});
