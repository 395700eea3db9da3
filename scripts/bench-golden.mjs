// Golden snapshot benchmark (issue 6): the time of `ditto up` for a copy cloned from the dump's
// golden snapshot vs a copy with the dump restored into it, for pagila and for pgbench databases
// of about 10 MB, 100 MB and 1 GB (`pgbench -i -s 1 | 7 | 70`), per runtime and clone method.
//
//   node scripts/bench-golden.mjs [--sizes 1,7,70] [--runs 3]
//
// Every number is a median of --runs `ditto up` runs on the local runtime (each copy destroyed
// before the next, not timed), from the ready event's own measure (record -> ready, in the
// process) and the whole command's wall time. Results: bench/results/golden.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchHome, dittoArgv, measureUps, pgBinDir, printTable, root, round, startReferenceServer, writeResult } from './bench-lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const scales = option('--sizes', '1,7,70').split(',').map(Number);
const runs = Number(option('--runs', '3'));
const bin = pgBinDir();
const ditto = dittoArgv();

// The Docker runtime is measured where an engine runs with the test image (scripts/docker-test-engine.sh).
const dockerImage = spawnSync('docker', ['image', 'inspect', 'ditto-test/postgres:15'], { stdio: 'ignore' }).status === 0 ? 'ditto-test/postgres:15' : null;
const methods = (process.getuid() === 0 ? ['overlay', 'reflink', 'copy'] : ['reflink', 'copy']).filter((m) => m !== 'reflink' || reflinkWorks());
const skipped = methods.includes('reflink') ? [] : [`reflink: the file system under /var/tmp cannot clone files (${fsType('/var/tmp')})`];

/** Whether `cp --reflink=always` works where the local runtime keeps its data (btrfs, xfs: yes; ext4: no). */
function reflinkWorks() {
  const dir = fs.mkdtempSync('/var/tmp/ditto-reflink-');
  try {
    fs.writeFileSync(path.join(dir, 'a'), 'x');
    return spawnSync('cp', ['--reflink=always', path.join(dir, 'a'), path.join(dir, 'b')]).status === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fsType(dir) {
  return spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
}
const reference = startReferenceServer(39500);
// bench/ holds results and is not in a clone until a benchmark makes it.
fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
const work = fs.mkdtempSync(path.join(root, 'bench/.golden-'));
const rows = [];

function sh(file, a) {
  const r = spawnSync(file, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(file)} failed: ${r.stderr}`);
  return r.stdout;
}

/** A custom-format dump of a fresh database loaded by `load`, and the database's size. */
function makeDump(name, load) {
  sh(path.join(bin, 'psql'), ['-X', '-q', '-d', reference.dsn(), '-c', `CREATE DATABASE ${name}`]);
  load(reference.dsn(name));
  const bytes = Number(sh(path.join(bin, 'psql'), ['-X', '-Atq', '-d', reference.dsn(name), '-c', 'SELECT pg_database_size(current_database())']).trim());
  const file = path.join(work, `${name}.dump`);
  sh(path.join(bin, 'pg_dump'), ['-Fc', '-f', file, reference.dsn(name)]);
  return { name, file, bytes };
}

/** Median `up` times for one dump, runtime and way of making copies; `restore` restores into every copy. */
function measure(dump, runtime, way) {
  const golden = way !== 'restore';
  const settings =
    runtime === 'docker'
      ? `runtime: docker\ncopy_image: ${dockerImage}\ndocker:\n  network: host\n`
      : `runtime: local\n${golden ? `local:\n  clone: ${way}\n` : ''}`;
  const { dir, env } = benchHome(`${settings}pool:\n  size: 0\nports:\n  min: 39510\n  max: 39530\ndump:\n  path: ${dump.file}\n  golden: ${golden}\n`);
  return measureUps(ditto.argv, dir, env, { runs, golden });
}

try {
  const pagilaDir = path.resolve(root, '../shared/fixtures/pagila');
  const dumps = [
    makeDump('pagila', (dsn) => {
      for (const f of ['pagila-schema.sql', 'pagila-data.sql']) sh(path.join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', dsn, '-f', path.join(pagilaDir, f)]);
    }),
    ...scales.map((s) => makeDump(`pgbench_s${s}`, (dsn) => sh(path.join(bin, 'pgbench'), ['-i', '-q', '-s', String(s), dsn]))),
  ];
  for (const dump of dumps) {
    const runtimes = [['local', methods], ...(dockerImage ? [['docker', ['image']]] : [])];
    for (const [runtime, ways] of runtimes) {
      const restore = measure(dump, runtime, 'restore');
      rows.push({ dump: dump.name, db_mb: round(dump.bytes / 2 ** 20), runtime, way: 'restore per copy', ...restore });
      for (const method of ways) {
        const cloned = measure(dump, runtime, method);
        rows.push({ dump: dump.name, db_mb: round(dump.bytes / 2 ** 20), runtime, way: `golden, ${method}`, ...cloned, speedup: cloned.inside && restore.inside ? round(restore.inside / cloned.inside, 1) : null });
      }
    }
  }
} finally {
  reference.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

const fmt = (x) => (x === null || x === undefined ? '-' : typeof x === 'number' ? round(x).toString() : x);
printTable(
  `\`ditto up\` on the local runtime, medians of ${runs} (ms; "in process" = record to ready)`,
  ['dump', 'MB', 'runtime', 'how', 'in process', 'wall', 'snapshot build', 'x vs restore', 'error'],
  rows.map((r) => [r.dump, fmt(r.db_mb), r.runtime, r.way, fmt(r.inside), fmt(r.wall), fmt(r.build), fmt(r.speedup), r.error ?? '']),
);
for (const note of skipped) process.stdout.write(`skipped ${note}\n`);
writeResult('golden', { runs, runner: ditto.label, skipped, results: rows });
