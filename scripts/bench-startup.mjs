// Start-up benchmark: wall time of ditto's quick commands (--version, ls) and of a warm `up`,
// each against its runtime's own empty start, in one interleaved run:
//   - the single executable (Node.js 24, start-up snapshot) against an executable built the same
//     way from an empty script (dist/empty-sea);
//   - with --node20 DIR: the executable as it was built on Node.js 20 (a code cache, better-sqlite3's
//     addon extracted), DIR/ditto against DIR/empty-sea;
//   - ditto under Deno (`deno run -A dist/ditto.cjs`) against `deno run` of an empty script;
//   - node dist/ditto.cjs against `node -e 0`.
//
//   node scripts/bench-startup.mjs [--runs N] [--rebuild] [--node20 DIR]
//
// DIR for --node20: a checkout of a commit whose executable is built on Node.js 20 (before the
// Node 24 build), with this one's node_modules, built with `node scripts/build-binary.mjs` and
// `--empty` under Node.js 20 (see the closing note of the Deno issue for the exact steps).
//
// Runs are interleaved (one of each case per round) so drift on a busy machine hits every case
// alike; the table shows medians. Results go to bench/results/startup.json.
//
// A warm `ditto up` claims a copy the pool made ahead: before each timed run the benchmark waits
// until the pool is full again and the maintainer idle, and after it destroys the claimed copy
// (untimed). Each runtime's empty start is timed right before its claim, in the same rounds, so
// the ratio sees the same machine. All programs share one home: one state file, both backends.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, median, printTable, quantile, removeHome, root, round, writeResult } from './bench-lib.mjs';

const dist = path.join(root, 'dist');
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(option('--runs') ?? 0) || 30;
const rebuild = args.includes('--rebuild');
const node20 = option('--node20') ? path.resolve(option('--node20')) : null;
const DENO = path.join(root, 'node_modules/@deno/linux-x64-glibc/deno');

if (rebuild) for (const f of ['ditto', 'empty-sea', 'ditto.cjs']) fs.rmSync(path.join(dist, f), { force: true });
ensureBuilt('ditto', 'build-binary.mjs');
ensureBuilt('empty-sea', 'build-binary.mjs', ['--empty']);
ensureBuilt('ditto.cjs', 'build.mjs');
if (node20) for (const f of ['ditto', 'empty-sea']) if (!fs.existsSync(path.join(node20, f))) throw new Error(`--node20: ${path.join(node20, f)} is missing`);

// A home of its own: no copies, local runtime, a port range nothing else here uses.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-'));
const POOL = 2;
fs.writeFileSync(path.join(home, 'ditto.yaml'), `runtime: local\npool:\n  size: ${POOL}\nports:\n  min: 38900\n  max: 38919\n`);
const emptyScript = path.join(home, 'empty.js');
fs.writeFileSync(emptyScript, '');
// DENO_NO_UPDATE_CHECK: no look for a newer Deno, which would reach out past loopback.
const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DITTO_HOME: home, DITTO_CONFIG: path.join(home, 'ditto.yaml'), XDG_CACHE_HOME: path.join(home, 'cache') };

const ditto = [path.join(dist, 'ditto')];
/** Each way of starting ditto, with the same runtime's empty start. */
const programs = [
  { name: 'executable (Node 24, snapshot)', argv: ditto, empty: [path.join(dist, 'empty-sea')] },
  ...(node20 ? [{ name: 'executable (Node 20, code cache)', argv: [path.join(node20, 'ditto')], empty: [path.join(node20, 'empty-sea')] }] : []),
  { name: 'deno run -A dist/ditto.cjs', argv: [DENO, 'run', '-A', path.join(dist, 'ditto.cjs')], empty: [DENO, 'run', emptyScript] },
  { name: 'node dist/ditto.cjs', argv: [process.execPath, path.join(dist, 'ditto.cjs')], empty: [process.execPath, '-e', '0'] },
];

function once(argv) {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: home });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function capture(args) {
  const result = spawnSync(ditto[0], args, { env, encoding: 'utf8', cwd: home });
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

let cold = 0;
/** Times one warm `up` of `argv`, then destroys the copy it claimed (untimed). */
function claimOnce(argv) {
  const startedAt = Date.now();
  const started = process.hrtime.bigint();
  const claimed = spawnSync(argv[0], [...argv.slice(1), 'up', '--json', '--ttl', '5m'], { env, encoding: 'utf8', cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (claimed.status !== 0) throw new Error(`${argv.join(' ')} up exited ${claimed.status}: ${claimed.stderr}`);
  const copy = JSON.parse(claimed.stdout);
  // A claimed copy was ready before `up` started; a cold one became ready during it.
  if (Date.parse(copy.ready_at) >= startedAt) cold++;
  capture(['down', copy.id]);
  return ms;
}

// Per program: its empty start, --version and ls in the quick rounds; its empty start and a warm up in the claim rounds.
const times = programs.map(() => ({ empty: [], version: [], ls: [], warmEmpty: [], up: [] }));
try {
  // Warm-up: page cache, the first runs of each program (the Node 20 executable writes its SQLite addon).
  for (let i = 0; i < 3; i++) for (const p of programs) [p.empty, [...p.argv, '--version'], [...p.argv, 'ls']].forEach(once);
  for (let r = 0; r < runs; r++) {
    programs.forEach((p, i) => {
      times[i].empty.push(once(p.empty));
      times[i].version.push(once([...p.argv, '--version']));
      times[i].ls.push(once([...p.argv, 'ls']));
    });
  }

  capture(['pool', 'fill']);
  for (let r = 0; r < runs; r++) {
    programs.forEach((p, i) => {
      waitPoolFull();
      times[i].warmEmpty.push(once(p.empty));
      times[i].up.push(claimOnce(p.argv));
    });
  }
} finally {
  // The maintainer leaves once no copy is left; the home goes after it.
  removeHome(home, env, ditto);
}

const rows = [];
const row = (program, what, xs, base) => {
  const m = median(xs);
  rows.push({ program, case: what, median_ms: round(m), p10_ms: round(quantile(xs, 0.1)), p90_ms: round(quantile(xs, 0.9)), vs_empty: round(m / median(base), 2) });
};
programs.forEach((p, i) => {
  const t = times[i];
  row(p.name, 'empty start', t.empty, t.empty);
  row(p.name, '--version', t.version, t.empty);
  row(p.name, 'ls', t.ls, t.empty);
  row(p.name, 'empty start (claim rounds)', t.warmEmpty, t.warmEmpty);
  row(p.name, 'up, warm pool', t.up, t.warmEmpty);
});

printTable(
  `start-up, ${runs} interleaved runs each (target: the executable's warm up <= 1.3x its empty start)`,
  ['program', 'case', 'median ms', 'p10', 'p90', 'x its empty start'],
  rows.map((r) => [r.program, r.case, r.median_ms.toFixed(1), r.p10_ms.toFixed(1), r.p90_ms.toFixed(1), r.vs_empty.toFixed(2)]),
);
process.stdout.write(
  'empty starts: the executables against an executable of the same Node.js built from an empty script; Deno against `deno run` of an empty file; node against `node -e 0`\n',
);
if (cold) process.stdout.write(`WARNING: ${cold} of ${runs * programs.length} \`up\` runs provisioned a copy instead of claiming a warm one\n`);

writeResult('startup', {
  runs,
  executable_bytes: fs.statSync(ditto[0]).size,
  ...(node20 ? { node20_executable_bytes: fs.statSync(path.join(node20, 'ditto')).size } : {}),
  warm_up_runs_that_provisioned: cold,
  notes: ['`up, warm pool`: claims a pooled copy; the pool is refilled and the maintainer idle before each run; its ratio is to the same runtime\'s empty start timed in the same rounds'],
  results: rows,
});
