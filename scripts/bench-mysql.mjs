// MySQL/MariaDB copies: the time of `ditto up` for Sakila cloned from its golden snapshot vs
// restored into every copy, on the local runtime and Docker; the clone's cost at about 1 GB of
// generated rows (it should not grow with the data); and a warm `up` claiming a pooled copy.
//
//   node scripts/bench-mysql.mjs [--runs 3] [--big-mb 1000]
//
// Numbers are medians of --runs `ditto up` (each copy destroyed before the next, untimed), from
// the ready event's own measure (record -> ready, in the process) and the command's wall time.
// Targets: a Sakila copy from an empty pool < 0.6 s local, < 2 s Docker. Results:
// bench/results/mysql.json.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchHome, dittoArgv, measureUps, median, printTable, removeHome, root, round, timeOnce, writeResult } from './bench-lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const runs = option('--runs', 3);
const bigMb = option('--big-mb', 1000);
const ditto = dittoArgv();
const IMAGE = 'ditto-test/mariadb:10.11';
const dockerImage = spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status === 0 ? IMAGE : null;
const PORT = 39780;

/** A plain MariaDB server (loopback, as `mysql` when root) to make the benchmark's dumps with. */
function startReference() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-mysql-'));
  let as = {};
  if (process.getuid() === 0) {
    const [, , uid, gid] = spawnSync('getent', ['passwd', 'mysql'], { encoding: 'utf8' }).stdout.trim().split(':');
    as = { uid: Number(uid), gid: Number(gid) };
    fs.chownSync(dir, as.uid, as.gid);
  }
  const init = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db'], { ...as, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
  const server = spawn('/usr/sbin/mariadbd', ['--no-defaults', `--datadir=${dir}/data`, `--port=${PORT}`, '--bind-address=127.0.0.1', `--socket=${dir}/s.sock`, `--pid-file=${dir}/p.pid`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--innodb-buffer-pool-size=256M'], { ...as, stdio: 'ignore' });
  const client = (sql, db = '') => {
    const r = spawnSync('mariadb', ['-S', `${dir}/s.sock`, '-uroot', ...(db ? [db] : []), '-e', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mariadb failed: ${r.stderr}`);
    return r.stdout;
  };
  for (let i = 0; spawnSync('mariadb', ['-S', `${dir}/s.sock`, '-uroot', '-e', 'SELECT 1'], { stdio: 'ignore' }).status !== 0; i++) {
    if (i > 100) throw new Error('the reference MariaDB did not start');
    spawnSync('sleep', ['0.1']);
  }
  return {
    client,
    load: (file) => {
      const r = spawnSync('sh', ['-c', `mariadb -S '${dir}/s.sock' -uroot < '${file}'`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`loading ${file} failed: ${r.stderr}`);
    },
    dump: (db, file) => {
      const r = spawnSync('mariadb-dump', ['-S', `${dir}/s.sock`, '-uroot', '--single-transaction', '--routines', '--triggers', '--quick', `--result-file=${file}`, '--databases', db], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mariadb-dump failed: ${r.stderr}`);
    },
    size: (db) => Number(client(`SELECT sum(data_length + index_length) FROM information_schema.tables WHERE table_schema = '${db}'`).split('\n')[1]),
    stop: () => {
      server.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Median `up` times for one dump and runtime; `golden: false` restores the dump into every copy. */
function measure(dump, runtime, golden) {
  const settings = runtime === 'docker' ? `runtime: docker\ncopy_image: ${dockerImage}\ndocker:\n  network: host\n` : 'runtime: local\n';
  const { dir, env } = benchHome(`engine: mysql\n${settings}pool:\n  size: 0\nports:\n  min: 39790\n  max: 39810\ndump:\n  path: ${dump.file}\n  golden: ${golden}\n`);
  return measureUps(ditto.argv, dir, env, { runs, golden });
}

/** A warm `up` (the pool filled first, refilled before each run) of a Sakila copy on the local runtime. */
function warmUp(dump) {
  const { dir, env } = benchHome(`engine: mysql\nruntime: local\npool:\n  size: 1\nports:\n  min: 39790\n  max: 39810\ndump:\n  path: ${dump.file}\n`);
  const run = (...a) => timeOnce([...ditto.argv, ...a], { env, cwd: dir });
  try {
    run('pool', 'fill');
    const times = [];
    let claimed = 0;
    for (let i = 0; i < runs * 5; i++) {
      for (let w = 0; JSON.parse(run('pool', 'status', '--json').stdout).ready < 1; w++) {
        if (w > 600) throw new Error('the pool did not refill');
        spawnSync('sleep', ['0.1']);
      }
      const started = Date.now();
      const up = run('up', '--json');
      const copy = JSON.parse(up.stdout);
      if (Date.parse(copy.ready_at) < started) claimed++;
      times.push(up.ms);
      run('down', copy.id);
    }
    return { wall: median(times), runs: times.length, claimed };
  } finally {
    removeHome(dir, env, ditto.argv);
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-mysql-dumps-'));
const reference = startReference();
const rows = [];
let warm = null;
try {
  const sakilaDir = path.resolve(root, '../shared/fixtures/sakila');
  reference.load(path.join(sakilaDir, 'sakila-schema.sql'));
  reference.load(path.join(sakilaDir, 'sakila-data.sql'));
  const sakila = { name: 'sakila', file: path.join(work, 'sakila.sql'), bytes: reference.size('sakila') };
  reference.dump('sakila', sakila.file);
  // Rows of ~1 KB from MariaDB's sequence engine, to about --big-mb of table data.
  const rowsWanted = Math.round((bigMb * 2 ** 20) / 1100);
  reference.client('CREATE DATABASE big');
  reference.client(`CREATE TABLE t (id int PRIMARY KEY, v varchar(1000)) ENGINE=InnoDB; INSERT INTO t SELECT seq, repeat(md5(seq), 31) FROM seq_1_to_${rowsWanted}`, 'big');
  reference.client('ANALYZE TABLE t', 'big'); // so information_schema knows its size
  const big = { name: `generated_${bigMb}mb`, file: path.join(work, 'big.sql'), bytes: reference.size('big') };
  reference.dump('big', big.file);

  for (const runtime of ['local', ...(dockerImage ? ['docker'] : [])]) {
    const restore = measure(sakila, runtime, false);
    rows.push({ dump: sakila.name, db_mb: round(sakila.bytes / 2 ** 20), runtime, way: 'restore per copy', ...restore });
    const cloned = measure(sakila, runtime, true);
    rows.push({ dump: sakila.name, db_mb: round(sakila.bytes / 2 ** 20), runtime, way: 'golden clone', ...cloned, speedup: cloned.inside && restore.inside ? round(restore.inside / cloned.inside, 1) : null });
    const bigClone = measure(big, runtime, true);
    rows.push({ dump: big.name, db_mb: round(big.bytes / 2 ** 20), runtime, way: 'golden clone', ...bigClone, flat: bigClone.inside && cloned.inside ? round(bigClone.inside / cloned.inside, 2) : null });
  }
  warm = warmUp(sakila);
} finally {
  reference.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

const fmt = (x) => (x === null || x === undefined ? '-' : typeof x === 'number' ? round(x).toString() : x);
printTable(
  `MySQL (MariaDB ${spawnSync('mariadb', ['--version'], { encoding: 'utf8' }).stdout.match(/\d+\.\d+\.\d+/)?.[0] ?? '?'}) \`ditto up\`, medians of ${runs} (ms; "in process" = record to ready; targets: < 600 local, < 2000 Docker)`,
  ['dump', 'MB', 'runtime', 'how', 'in process', 'wall', 'snapshot build', 'x vs restore', 'x vs sakila clone', 'error'],
  rows.map((r) => [r.dump, fmt(r.db_mb), r.runtime, r.way, fmt(r.inside), fmt(r.wall), fmt(r.build), fmt(r.speedup), fmt(r.flat), r.error ?? '']),
);
if (warm) process.stdout.write(`warm \`ditto up\` of a Sakila copy (local): median ${round(warm.wall)} ms over ${warm.runs} runs, ${warm.claimed}/${warm.runs} claimed a pooled copy\n`);
writeResult('mysql', { runs, runner: ditto.label, results: rows, warm_up: warm });
