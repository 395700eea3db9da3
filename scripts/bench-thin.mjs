// Thin copies benchmark (issue 24): what a copy costs at production size, per clone method. A
// generated database (PostgreSQL: one table of --mb MB, default 5120; MariaDB: --mysql-mb, default
// 2048), made by the golden build itself from a short SQL script (generate_series; MariaDB's
// seq_1_to_N). For each data directory kind a filesystem of its own in a sparse image on a loop
// device, so that `df` counts these copies alone: ext4 (copies cloned by overlay; Docker: committed
// images on the engine's overlay2), XFS with reflink (reflink), btrfs (snapshots). Per engine,
// runtime and kind:
//   restore   the golden build (first `up`), against the copy made (p50 of --runs)
//   first UPDATE of one row by id in the big table, p50 and p95 over --runs copies, and the bytes
//             the copy owns after it (`ls --json` disk_bytes) and the filesystem's growth (df)
//   load      --seconds of writes in one copy (PostgreSQL: pgbench with 1-row UPDATEs; MariaDB:
//             one client doing the same), and its bytes after
//   20 copies made, fresh, and the disk they take together (df)
//   flat      copy made (p50) from a --small-mb database, beside the big one's
//
//   sudo nice node scripts/bench-thin.mjs [--mb 5120] [--mysql-mb 2048] [--small-mb 100] [--runs 10]
//     [--copies 20] [--seconds 30] [--only postgres,mysql,local,docker,ext4,xfs,btrfs] [--port-offset 200]
//
// Root only (loop mounts, overlay). Every image, mount, loop device, home and container is removed
// at the end of its case, failed or not, and on SIGINT/SIGTERM. Results: bench/results/thin.json,
// rewritten after each case (bench/results/thin-<only...>.json with --only, so that runs of
// different engines can go side by side).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { benchHome, dittoArgv, leftBehind, median, numberOption, pgBinDir, printTable, quantile, removeHome, round, timeOnce, writeResult } from './bench-lib.mjs';

if (process.getuid() !== 0) {
  process.stderr.write('bench-thin: needs root (loop mounts, overlay clones); skipped\n');
  process.exit(0);
}
const args = process.argv.slice(2);
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : [];
// Each dimension (engine, runtime, data directory) is all of its names unless --only names some.
const wanted = (...names) => (names.some((n) => only.includes(n)) ? names.filter((n) => only.includes(n)) : names);
const runs = numberOption('--runs', 10);
const copies = numberOption('--copies', 20);
const seconds = numberOption('--seconds', 30);
const smallMb = numberOption('--small-mb', 100);
// Runs side by side need port ranges apart.
const portOffset = numberOption('--port-offset', 0);
const ditto = dittoArgv();
const MiB = 2 ** 20;

const KINDS = {
  ext4: { method: 'overlay', mkfs: ['mkfs.ext4', '-q', '-F'] },
  xfs: { method: 'reflink', mkfs: ['mkfs.xfs', '-q', '-m', 'reflink=1'] },
  btrfs: { method: 'btrfs', mkfs: ['mkfs.btrfs', '-q'] },
};

// About 250 bytes a row on disk in either engine (a 200-character pad, inline).
const rowsOf = (mb) => Math.round((mb * MiB) / 250);
const ENGINES = {
  postgres: {
    mb: numberOption('--mb', 5120),
    image: 'ditto-test/postgres:15',
    ports: [39600, 39680],
    // No JIT for the big INSERT: the test image (scripts/docker-test-engine.sh) has no LLVM.
    dump: (rows) => `SET jit = off;\nCREATE TABLE big (id int PRIMARY KEY, pad text);\nINSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, ${rows}) g;\n`,
    // A CHECKPOINT writes the copy's dirty pages to its files, so the bytes count them.
    flush: 'CHECKPOINT',
    // What the copy's start left unwritten, out before the first UPDATE is timed.
    settle: 'CHECKPOINT',
    sql: async (dsn, text) => {
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      try {
        return await timed(() => client.query(text));
      } finally {
        await client.end();
      }
    },
    load: (dsn, rows) => {
      const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-pgbench-')), 'update.sql');
      fs.writeFileSync(script, `\\set id random(1, ${rows})\nUPDATE big SET pad = 'load' WHERE id = :id;\n`);
      try {
        const r = spawnSync(path.join(pgBinDir(), 'pgbench'), ['-n', '-T', String(seconds), '-f', script, dsn], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`pgbench failed: ${r.stderr}`);
        return Number(/number of transactions actually processed: (\d+)/.exec(r.stdout)?.[1] ?? 0);
      } finally {
        fs.rmSync(path.dirname(script), { recursive: true, force: true });
      }
    },
  },
  mysql: {
    mb: numberOption('--mysql-mb', 2048),
    image: 'ditto-test/mariadb:10.11',
    ports: [39700, 39780],
    // In transactions of a million rows, so the restore's undo log stays small.
    dump: (rows) =>
      `CREATE TABLE big (id int PRIMARY KEY, pad varchar(255)) ENGINE=InnoDB;\n` +
      Array.from({ length: Math.ceil(rows / 1e6) }, (_, i) => `INSERT INTO big SELECT seq, repeat('x', 200) FROM seq_${i * 1e6 + 1}_to_${Math.min(rows, (i + 1) * 1e6)};\n`).join(''),
    // FOR EXPORT writes the table's dirty pages to its file.
    flush: 'FLUSH TABLES big FOR EXPORT; UNLOCK TABLES',
    // Not the table: InnoDB opens its file for writing on its first use, which on overlay copies it
    // up whole, and that is the first UPDATE's to pay.
    settle: 'FLUSH TABLES',
    sql: async (dsn, text) => {
      const conn = await mysql.createConnection({ uri: dsn, multipleStatements: true });
      try {
        return await timed(() => conn.query(text));
      } finally {
        await conn.end();
      }
    },
    // One client, 1-row UPDATEs by random id for `seconds`: as pgbench's default single client does.
    load: async (dsn, rows) => {
      const conn = await mysql.createConnection({ uri: dsn });
      let done = 0;
      try {
        for (const until = Date.now() + seconds * 1000; Date.now() < until; done++) {
          await conn.query("UPDATE big SET pad = 'load' WHERE id = ?", [1 + Math.floor(Math.random() * rows)]);
        }
      } finally {
        await conn.end();
      }
      return done;
    },
  },
};

async function timed(fn) {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function sh(file, argv) {
  const r = spawnSync(file, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// The disk the images and Docker's storage share (/var/tmp, /var/lib/docker) keeps this much free:
// overlay copies own whole files, so copies stop being made short of it (the result says how many were).
const KEEP_FREE = 12 * 2 ** 30;
function roomLeft() {
  const s = fs.statfsSync('/var/tmp');
  return s.bavail * s.bsize > KEEP_FREE;
}

function usedBytes(point) {
  spawnSync('sync', ['-f', point]);
  const s = fs.statfsSync(point);
  return (s.blocks - s.bfree) * s.bsize;
}

// What must go whatever happens: the current case's home, mount and image.
const cleanups = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const cleanup of cleanups) cleanup();
    process.exit(130);
  });
}

/** A sparse image of `kind` loop-mounted under a new directory, and a ditto home using it; `cleanup` removes both. */
function setUp(kind, engineName, runtime, mb, gigabytes) {
  const dir = fs.mkdtempSync(path.join('/var/tmp', `ditto-bench-thin-${kind}-`));
  fs.chmodSync(dir, 0o755);
  const image = path.join(dir, 'image');
  const point = path.join(dir, 'mnt');
  fs.mkdirSync(point);
  const dumpFile = path.join(dir, 'dump.sql');
  const engine = ENGINES[engineName];
  fs.writeFileSync(dumpFile, engine.dump(rowsOf(mb)));
  const runtimeYaml = runtime === 'docker' ? `runtime: docker\ncopy_image: ${engine.image}\ndocker:\n  network: host\n` : 'runtime: local\n';
  const { dir: home, env } = benchHome(
    `${runtimeYaml}engine: ${engineName}\npool:\n  size: 0\nports:\n  min: ${engine.ports[0] + portOffset}\n  max: ${engine.ports[1] + portOffset}\ndump:\n  path: ${dumpFile}\nlocal:\n  data_dir: ${point}/data\n`,
  );
  const cleanup = () => {
    cleanups.delete(cleanup);
    removeHome(home, env, ditto.argv);
    const problems = leftBehind(home);
    if (spawnSync('umount', [point]).status !== 0) spawnSync('umount', ['-l', point]);
    fs.rmSync(dir, { recursive: true, force: true });
    const loops = sh('losetup', ['-a']).split('\n').filter((l) => l.includes(`(${dir}`));
    if (problems.length || loops.length) process.stderr.write(`bench-thin: left behind: ${[...problems, ...loops].join('; ')}\n`);
  };
  cleanups.add(cleanup);
  try {
    sh('truncate', ['-s', `${gigabytes}G`, image]);
    sh(KINDS[kind].mkfs[0], [...KINDS[kind].mkfs.slice(1), image]);
    sh('mount', ['-o', 'loop', image, point]);
  } catch (err) {
    cleanup();
    throw err;
  }
  const run = (...a) => timeOnce([...ditto.argv, ...a], { env, cwd: home });
  // Docker on ext4 keeps its copies in the engine's own storage (overlay2): df counts that filesystem.
  const dfPoint = runtime === 'docker' && kind === 'ext4' ? sh('docker', ['info', '-f', '{{.DockerRootDir}}']).trim() : point;
  return { run, dfPoint, cleanup };
}

/** `ditto up --json`: the copy and its wall time. */
function up(run) {
  const r = run('up', '--json');
  return { ...JSON.parse(r.stdout), ms: r.ms };
}

function ownBytes(run, id) {
  return JSON.parse(run('ls', '--json').stdout).find((c) => c.id === id)?.disk_bytes ?? null;
}

/** Golden build and copies made from a `mb` database: the build's time and the copies' p50. */
function madeAt(kind, engineName, runtime, mb) {
  const { run, cleanup } = setUp(kind, engineName, runtime, mb, Math.max(4, Math.ceil((mb * 4) / 1024)));
  try {
    const golden = up(run);
    run('down', golden.id);
    const ms = [];
    for (let i = 0; i < Math.min(runs, 5); i++) {
      const copy = up(run);
      ms.push(copy.ms);
      run('down', copy.id);
    }
    return { restoreMs: golden.ms, upP50: median(ms) };
  } finally {
    cleanup();
  }
}

/** The big database on `kind`: every measure but the small one. */
async function measureBig(kind, engineName, runtime) {
  const engine = ENGINES[engineName];
  const rows = rowsOf(engine.mb);
  // Room for the restore's WAL and the overlay copies' whole table files besides the database; sparse.
  const { run, dfPoint, cleanup } = setUp(kind, engineName, runtime, engine.mb, Math.ceil((engine.mb * (kind === 'ext4' ? runs + 4 : 4)) / 1024) + 4);
  try {
    const status = run('status').stdout;
    const method = /copies cloned by (\w+)/.exec(status)?.[1] ?? (runtime === 'docker' ? 'image' : '?');
    const golden = up(run);
    run('down', golden.id);
    const ups = [];
    const updates = [];
    const owned = [];
    const grown = [];
    const made = [];
    for (let i = 0; i < runs && roomLeft(); i++) {
      const copy = up(run);
      made.push(copy);
      ups.push(copy.ms);
      const dsn = copy.connection_string;
      await engine.sql(dsn, engine.settle);
      const before = usedBytes(dfPoint);
      updates.push(await engine.sql(dsn, `UPDATE big SET pad = 'changed' WHERE id = ${Math.floor(rows / 2) + i * 7919}`));
      await engine.sql(dsn, engine.flush);
      grown.push(usedBytes(dfPoint) - before);
      owned.push(ownBytes(run, copy.id));
    }
    // The write load in the first copy, then its bytes.
    const loaded = made[0];
    const beforeLoad = usedBytes(dfPoint);
    const transactions = await engine.load(loaded.connection_string, rows);
    await engine.sql(loaded.connection_string, engine.flush);
    const afterLoad = ownBytes(run, loaded.id);
    const grownByLoad = usedBytes(dfPoint) - beforeLoad;
    run('down', '--all');
    // btrfs frees a deleted subvolume's space in the background: the count starts once it has.
    if (kind === 'btrfs') sh('btrfs', ['subvolume', 'sync', dfPoint]);
    // Copies made side by side, fresh: what holding them costs.
    const before = usedBytes(dfPoint);
    let many = 0;
    for (; many < copies && roomLeft(); many++) up(run);
    const manyBytes = usedBytes(dfPoint) - before;
    run('down', '--all');
    return {
      method,
      restoreMs: golden.ms,
      upP50: median(ups),
      updateP50: median(updates),
      updateP95: quantile(updates, 0.95),
      ownedP50: median(owned.filter((b) => b !== null)),
      grownP50: median(grown),
      load: { transactions, ownedAfter: afterLoad, grown: grownByLoad },
      manyBytes,
      many,
    };
  } finally {
    cleanup();
  }
}

const size = (b) => (b === null || b === undefined || Number.isNaN(b) ? '-' : Math.abs(b) < MiB ? `${round(b / 2 ** 10, 0)} KiB` : Math.abs(b) < 2 ** 30 ? `${round(b / MiB, 1)} MiB` : `${round(b / 2 ** 30, 2)} GiB`);
const results = [];
for (const engineName of wanted('postgres', 'mysql')) {
  for (const runtime of wanted('local', 'docker')) {
    for (const kind of wanted('xfs', 'btrfs', 'ext4')) {
      const label = `${engineName} ${runtime} ${kind}`;
      process.stdout.write(`${new Date().toISOString()} ${label}: ${ENGINES[engineName].mb} MB\n`);
      const result = { engine: engineName, runtime, kind, mb: ENGINES[engineName].mb, smallMb };
      try {
        Object.assign(result, await measureBig(kind, engineName, runtime));
        result.small = madeAt(kind, engineName, runtime, smallMb);
      } catch (err) {
        result.error = err.message.split('\n')[0];
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
      results.push(result);
      writeResult(['thin', ...only].join('-'), { runs, copies, seconds, results });
    }
  }
}

const ms = (x) => (x === undefined ? '-' : round(x, 0));
printTable(
  `copies of a generated database (${runs} copies for the timings, ${copies} side by side; ${ditto.label})`,
  ['engine/runtime/dir', 'clone', 'restore s', 'copy made ms', `at ${smallMb} MB ms`, 'first UPDATE p50/p95 ms', 'owns after', 'df after', `owns/df after ${seconds}s load`, `copies side by side: df`],
  results.map((r) =>
    r.error
      ? [`${r.engine}/${r.runtime}/${r.kind}`, `failed: ${r.error}`, '', '', '', '', '', '', '', '']
      : [
          `${r.engine}/${r.runtime}/${r.kind}`,
          r.method,
          round(r.restoreMs / 1000, 0),
          ms(r.upP50),
          ms(r.small?.upP50),
          `${ms(r.updateP50)} / ${ms(r.updateP95)}`,
          size(r.ownedP50),
          size(r.grownP50),
          `${size(r.load.ownedAfter)} / ${size(r.load.grown)} (${r.load.transactions} tx)`,
          `${r.many}: ${size(r.manyBytes)}`,
        ],
  ),
);
