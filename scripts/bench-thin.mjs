// Thin copies benchmark (issue 24): what a copy's first write costs per clone method. A dump of one
// table of --mb megabytes (default 300) with a primary key; for each data directory kind, a
// filesystem of its own on a loop device (so that `df` counts this copy alone): ext4 (copies
// cloned by overlay), XFS with reflink (reflink), btrfs (snapshots). Per copy: `ditto up`, the
// first 1-row UPDATE by id (its client-side time), and the disk the copy took for it (the
// filesystem's used bytes before the UPDATE and after it and a CHECKPOINT).
//
//   sudo node scripts/bench-thin.mjs [--mb 300] [--runs 3]
//
// Root only (loop mounts, overlay). Results: bench/results/thin.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchHome, dittoArgv, median, numberOption, printTable, removeHome, round, timeOnce, writeResult } from './bench-lib.mjs';

if (process.getuid() !== 0) {
  process.stderr.write('bench-thin: needs root (loop mounts, overlay clones); skipped\n');
  process.exit(0);
}
const megabytes = numberOption('--mb', 300);
const runs = numberOption('--runs', 3);
const ditto = dittoArgv();
// About 250 bytes a row on disk.
const rows = Math.round((megabytes * 2 ** 20) / 250);
const KINDS = [
  { name: 'ext4', method: 'overlay', mkfs: ['mkfs.ext4', '-q', '-F'] },
  { name: 'xfs', method: 'reflink', mkfs: ['mkfs.xfs', '-q', '-m', 'reflink=1'] },
  { name: 'btrfs', method: 'btrfs', mkfs: ['mkfs.btrfs', '-q'] },
];

function sh(file, args) {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function usedBytes(point) {
  sh('sync', ['-f', point]);
  const s = fs.statfsSync(point);
  return (s.blocks - s.bfree) * s.bsize;
}

async function sql(dsn, text) {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    const started = process.hrtime.bigint();
    await client.query(text);
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    await client.end();
  }
}

/** One data directory kind: its filesystem made and mounted, `runs` copies measured, all removed. */
async function measure(kind, dump) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ditto-bench-thin-${kind.name}-`));
  fs.chmodSync(dir, 0o755);
  const image = path.join(dir, 'image');
  const point = path.join(dir, 'mnt');
  fs.mkdirSync(point);
  const { dir: home, env } = benchHome(
    `runtime: local\npool:\n  size: 0\nports:\n  min: 39610\n  max: 39630\ndump:\n  path: ${dump}\nlocal:\n  data_dir: ${point}/data\n`,
  );
  try {
    // Sparse: room for the restore's WAL besides the table and the copies' own bytes.
    sh('truncate', ['-s', `${Math.max(4, Math.ceil((megabytes * 6) / 1024))}G`, image]);
    sh(kind.mkfs[0], [...kind.mkfs.slice(1), image]);
    sh('mount', ['-o', 'loop', image, point]);
    const status = timeOnce([...ditto.argv, 'status'], { env, cwd: home }).stdout;
    const why = /copies cloned by (.*)/.exec(status)?.[1] ?? '?';
    timeOnce([...ditto.argv, 'up'], { env, cwd: home }); // the golden snapshot, restored once
    const ups = [];
    const updates = [];
    const bytes = [];
    for (let i = 0; i < runs; i++) {
      const up = timeOnce([...ditto.argv, 'up'], { env, cwd: home });
      const dsn = up.stdout.trim();
      await sql(dsn, 'CHECKPOINT');
      const before = usedBytes(point);
      updates.push(await sql(dsn, `UPDATE big SET pad = 'changed' WHERE id = ${Math.floor(rows / 2) + i}`));
      await sql(dsn, 'CHECKPOINT');
      bytes.push(usedBytes(point) - before);
      ups.push(up.ms);
    }
    return { kind: kind.name, method: why.split(':')[0], why, upMs: median(ups), firstUpdateMs: updates, copyBytes: bytes };
  } finally {
    removeHome(home, env, ditto.argv);
    spawnSync('umount', [point], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-thin-dump-'));
try {
  const dump = path.join(work, 'big.sql');
  fs.writeFileSync(dump, `CREATE TABLE big (id int PRIMARY KEY, pad text);\nINSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, ${rows}) g;\n`);
  const results = [];
  for (const kind of KINDS) results.push(await measure(kind, dump));
  const size = (b) => (Math.abs(b) < 2 ** 20 ? `${round(b / 2 ** 10, 0)} KiB` : `${round(b / 2 ** 20, 1)} MiB`);
  printTable(
    `first write in a copy of a ${megabytes} MB table (${runs} copies each; ${ditto.label})`,
    ['data directory', 'clone', 'up p50 ms', 'first UPDATE ms (each)', 'the copy took (each)'],
    results.map((r) => [r.kind, r.method, round(r.upMs, 0), r.firstUpdateMs.map((x) => round(x, 0)).join(' / '), r.copyBytes.map(size).join(' / ')]),
  );
  writeResult('thin', { megabytes, rows, runs, results });
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
