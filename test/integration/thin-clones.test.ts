import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { isSubvolume } from '../../src/runtimes/local/filesystems.js';
import { mountsUnder } from '../../src/runtimes/local/clone.js';
import { BIG_TABLE_ENGINES } from '../helpers/big-table.js';
import { TestHome, writePagilaSql } from '../helpers/ditto.js';
import { leftovers, localRootOf } from '../helpers/leaks.js';
import { disposeHomesAndFilesystems, LoopFilesystem, type LoopKind } from '../helpers/loop-filesystems.js';
import { query } from '../helpers/pg.js';

/**
 * `local.clone: auto` picks the cheapest block-level clone the data directory's filesystem has,
 * asked of the filesystem itself: real XFS and btrfs filesystems on loop devices (root only).
 */
const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)('clones by block where the data directory allows', () => {
  const filesystems: LoopFilesystem[] = [];
  const homes: TestHome[] = [];

  afterAll(async () => {
    expect(await disposeHomesAndFilesystems(homes, filesystems)).toEqual([]);
  });

  /** A home whose data directory is on a new filesystem of `kind` (null: the default one, on the ordinary disk), with `dump`. */
  async function homeOn(kind: LoopKind | null, dump: (dir: string) => string, size?: string, config: Record<string, unknown> = {}): Promise<{ home: TestHome; fsys: LoopFilesystem | null }> {
    const fsys = kind ? await LoopFilesystem.make(kind, size) : null;
    if (fsys) filesystems.push(fsys);
    const home = new TestHome();
    homes.push(home);
    home.writeConfig({ ...config, local: fsys ? { data_dir: path.join(fsys.point, 'data') } : {}, dump: { path: dump(home.dir) } });
    return { home, fsys };
  }

  it.each([
    { kind: 'xfs', label: 'XFS', method: 'reflink', why: /is on xfs and clones blocks/ },
    { kind: 'btrfs', label: 'btrfs', method: 'btrfs', why: /is on btrfs: golden snapshots are subvolumes, copies snapshots of them/ },
    { kind: 'xfs-noreflink', label: 'XFS without reflink', method: 'overlay', why: /is on xfs, which does not clone blocks/ },
    { kind: null, label: 'the ordinary disk', method: 'overlay', why: /is on \w+, which does not clone blocks/ },
  ] as const)('on $label auto clones by $method, says so in status, and down leaves nothing', async ({ kind, method, why }) => {
    const { home } = await homeOn(kind, (dir) => writePagilaSql(path.join(dir, 'pagila.sql')));
    const status = await home.run(['status']);
    expect(status.stdout).toMatch(new RegExp(`copies cloned by ${method}: `));
    expect(status.stdout).toMatch(why);

    const copies = [await home.upJson(), await home.upJson()];
    await query(copies[0]!.connection_string!, 'DELETE FROM payment');
    expect(await query(copies[1]!.connection_string!, 'SELECT count(*)::int AS n FROM payment')).toEqual([{ n: 16049 }]);
    expect(await query(copies[0]!.connection_string!, 'SELECT count(*)::int AS n FROM rental')).toEqual([{ n: 16044 }]);
    // Each copy's data directory is what the method makes: a subvolume, a mount, or plain files.
    const root = localRootOf(home);
    const data = path.join(root, 'copies', copies[1]!.id, 'data');
    expect(isSubvolume(data)).toBe(method === 'btrfs');
    expect(mountsUnder(data).length > 0).toBe(method === 'overlay');
    expect(isSubvolume(fs.readdirSync(path.join(root, 'golden')).map((k) => path.join(root, 'golden', k, 'data'))[0]!)).toBe(method === 'btrfs');

    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect((await home.run(['prune'])).exitCode).toBe(0);
    expect(await leftovers(home, copies.map((c) => c.port!))).toEqual([]);
    expect(fs.existsSync(root), `${root} is left`).toBe(false);
  });

  it('doctor warns where copies are cloned by whole files and a golden snapshot is over 1 GB, pointing at storage init', async () => {
    const { home } = await homeOn(null, (dir) => writePagilaSql(path.join(dir, 'pagila.sql')));
    await home.upJson();
    expect((await home.run(['doctor'])).stdout).not.toMatch(/clones/);
    // A snapshot grown past 1 GB without writing it: allocated blocks, as du counts them.
    const golden = path.join(localRootOf(home), 'golden');
    const [key] = fs.readdirSync(golden);
    await execa('fallocate', ['-l', '1100M', path.join(golden, key!, 'data', 'ballast')]);
    const doctor = await home.run(['doctor']);
    expect(doctor.stdout).toMatch(new RegExp(`! clones +overlay: .* is on \\w+, which does not clone blocks .*; golden snapshot ${key} is 1\\.\\d GiB`));
    expect(doctor.stdout).toContain('ditto storage init --size 100G');
    await home.run(['down', '--all']);
  });

  it.each(
    BIG_TABLE_ENGINES.flatMap((engine) =>
      [
        { kind: 'xfs', method: 'reflink', blocks: true },
        { kind: 'btrfs', method: 'btrfs', blocks: true },
        { kind: 'xfs-noreflink', method: 'overlay', blocks: false },
      ].map((c) => ({ ...c, engine })),
    ),
  )('$engine.name cloned by $method: a 1-row UPDATE in a 200 MB table costs the copy a few blocks, or on overlay the whole table', async ({ kind, blocks, engine }) => {
    // Room for the restore's WAL besides the table; the image is sparse.
    const { home, fsys } = await homeOn(kind as LoopKind, (dir) => engine.writeDump(path.join(dir, 'big.sql'), 1_000_000), '3G', engine.config);
    // The first makes the golden snapshot; the disk is counted from before the second.
    const other = await home.upJson();
    const start = await fsys!.usedBytes();
    const copy = await home.upJson();
    const dsn = copy.connection_string!;
    const postgres = engine.name === 'PostgreSQL';
    const size = postgres ? "SELECT pg_relation_size('big')::bigint AS bytes" : "SELECT data_length AS bytes FROM information_schema.tables WHERE table_name = 'big'";
    // InnoDB's data_length is as of its last statistics (often a few pages): ANALYZE counts the table's pages.
    if (!postgres) await engine.sql(dsn, 'ANALYZE TABLE big');
    const [{ bytes }] = (await engine.sql(dsn, size)) as [{ bytes: string }];
    expect(Number(bytes)).toBeGreaterThan(150 * 2 ** 20);

    await engine.sql(dsn, engine.flush);
    const owned = await diskBytes(home, copy.id);
    const before = await fsys!.usedBytes();
    if (postgres) {
      // The builder left no work to the copy: no count of rows to vacuum, no hint bits for a scan to set.
      expect(await engine.sql(dsn, "SELECT n_ins_since_vacuum::int AS n FROM pg_stat_user_tables WHERE relname = 'big'")).toEqual([{ n: 0 }]);
      expect(await engine.sql(dsn, "SELECT count(*)::int AS n FROM big WHERE pad LIKE 'x%'")).toEqual([{ n: 1000000 }]);
      await engine.sql(dsn, engine.flush);
      if (blocks) expect((await fsys!.usedBytes()) - before, 'a scan wrote nothing').toBeLessThan(2 ** 20);
    }
    await engine.sql(dsn, "UPDATE big SET pad = 'changed' WHERE id = 500000");
    await engine.sql(dsn, engine.flush);
    expect(await engine.sql(dsn, 'SELECT pad FROM big WHERE id = 500000')).toEqual([{ pad: 'changed' }]);
    expect(await engine.sql(other.connection_string!, 'SELECT pad FROM big WHERE id = 500000')).toEqual([{ pad: 'x'.repeat(200) }]);
    // By block: the pages written and their log, as ls and df agree. On overlay the table's whole
    // file, copied up when the server first opens it for writing (PostgreSQL: the UPDATE; InnoDB:
    // any first use, here the flush before it).
    if (blocks) {
      const grown = (await fsys!.usedBytes()) - before;
      const ownedGrowth = (await diskBytes(home, copy.id)) - owned;
      expect(grown, `the copy took ${grown} bytes`).toBeLessThan(16 * 2 ** 20);
      expect(ownedGrowth, `ls says the copy took ${ownedGrowth} bytes`).toBeLessThan(16 * 2 ** 20);
    } else {
      expect((await fsys!.usedBytes()) - start).toBeGreaterThan(Number(bytes));
      expect(await diskBytes(home, copy.id)).toBeGreaterThan(Number(bytes));
    }
    if (blocks && postgres) {
      // Thousands of pages written at random cost what they are, at once (ls reads them before the
      // kernel writes them out) and on disk (XFS would reserve 128 KiB for each but for ditto's hint).
      const [ownedBefore, usedBefore] = [await diskBytes(home, copy.id), await fsys!.usedBytes()];
      await engine.sql(dsn, "UPDATE big SET pad = 'w' WHERE id IN (SELECT 1 + (random() * 999999)::int FROM generate_series(1, 3000))");
      await engine.sql(dsn, engine.flush);
      const written = (await diskBytes(home, copy.id)) - ownedBefore;
      const took = (await fsys!.usedBytes()) - usedBefore;
      expect(written, 'ls counts the pages written').toBeGreaterThan(3000 * 8192 * 0.8);
      expect(took, `df: ${took} bytes for ${written} written`).toBeLessThan(2 * written + 16 * 2 ** 20);
    }
    // down removes the copy's clone and leaves the other's.
    expect((await home.run(['down', copy.id])).exitCode).toBe(0);
    expect(await leftovers(home, [copy.port!], [copy.id])).toEqual([]);
    expect(await engine.sql(other.connection_string!, 'SELECT count(*) AS n FROM big WHERE id <= 10')).toEqual([{ n: postgres ? '10' : 10 }]);
    await home.run(['down', '--all']);
  }, 300_000);
});

async function diskBytes(home: TestHome, id: string): Promise<number> {
  const bytes = (await home.ls()).find((c) => c.id === id)?.disk_bytes;
  expect(bytes).toBeTypeOf('number');
  return bytes!;
}

