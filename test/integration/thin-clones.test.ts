import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { isSubvolume } from '../../src/runtimes/local/filesystems.js';
import { mountsUnder } from '../../src/runtimes/local/clone.js';
import { TestHome, writePagilaSql } from '../helpers/ditto.js';
import { leftovers, localRootOf } from '../helpers/leaks.js';
import { disposeHomesAndFilesystems, LoopFilesystem, type LoopKind } from '../helpers/loop-filesystems.js';
import { query } from '../helpers/pg.js';
import { readCopies, waitFor } from '../helpers/state.js';
import { DOCKER_CONFIG } from '../helpers/runtimes.js';

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

  it.each([
    { kind: 'xfs', runtime: 'local' },
    { kind: 'btrfs', runtime: 'local' },
    // Docker copies on the same clones: the builder's bind-mounted directory, then a copy's clone.
    { kind: 'xfs', runtime: 'docker' },
    { kind: 'btrfs', runtime: 'docker' },
  ] as const)('on $kind, what a provisioning process ($runtime) killed at each failpoint leaves is removed by the next command', async ({ kind, runtime }) => {
    const { home, fsys } = await homeOn(kind, (dir) => writeBigTableSql(path.join(dir, 'small.sql'), 1000), undefined, runtime === 'docker' ? DOCKER_CONFIG : {});
    // Killed with a golden snapshot's builder stopped before its promotion (its data a subvolume on btrfs),
    // then with a clone made and its server started.
    for (const [failpoint, golden] of [['before-promote', false], ['after-server-start', true]] as const) {
      if (golden) await home.run(['down', (await home.upJson()).id]);
      const marker = path.join(home.dir, `at-${failpoint}`);
      const child = home.spawn(['up'], { DITTO_FAILPOINT: failpoint, DITTO_FAILPOINT_FILE: marker });
      await waitFor(() => fs.existsSync(marker) || undefined, failpoint);
      const crashed = readCopies(home, { builders: true }).at(-1)!;
      // Its data directory is there, a subvolume on btrfs (bind-mounted into its container on Docker).
      const data = path.join(localRootOf(home), runtime === 'docker' ? 'docker-copies' : 'copies', crashed.id, 'data');
      expect(fs.existsSync(data) && isSubvolume(data) === (kind === 'btrfs'), `${data} as the clone method makes it`).toBe(true);
      process.kill(child.pid!, 'SIGKILL');
      await child;
      expect((await home.run(['ls'])).exitCode).toBe(0);
      expect(readCopies(home, { builders: true }).find((c) => c.id === crashed.id)!.status).toBe('failed');
      expect(await leftovers(home, [crashed.port!], [crashed.id])).toEqual([]);
    }
    expect((await home.run(['prune'])).exitCode).toBe(0);
    if (kind === 'btrfs') expect((await execa('btrfs', ['subvolume', 'list', fsys!.point])).stdout).toBe('');
    expect(fs.existsSync(localRootOf(home))).toBe(false);
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

  it.each([
    { kind: 'xfs', method: 'reflink', blocks: true },
    { kind: 'btrfs', method: 'btrfs', blocks: true },
    { kind: 'xfs-noreflink', method: 'overlay', blocks: false },
  ] as const)('cloned by $method, a 1-row UPDATE in a 250 MB table costs the copy a few blocks, or on overlay the whole table', async ({ kind, blocks }) => {
    // Room for the restore's WAL besides the table; the image is sparse.
    const { home, fsys } = await homeOn(kind, (dir) => writeBigTableSql(path.join(dir, 'big.sql')), '3G');
    const copy = await home.upJson();
    const dsn = copy.connection_string!;
    const [{ bytes }] = (await query(dsn, "SELECT pg_relation_size('big')::bigint AS bytes")) as [{ bytes: string }];
    expect(Number(bytes)).toBeGreaterThan(200 * 2 ** 20);

    // The builder left no work to the copy: no count of rows to vacuum, no hint bits for a scan to set.
    expect(await query(dsn, "SELECT n_ins_since_vacuum::int AS n FROM pg_stat_user_tables WHERE relname = 'big'")).toEqual([{ n: 0 }]);
    await query(dsn, 'CHECKPOINT');
    const before = await fsys!.usedBytes();
    expect(await query(dsn, "SELECT count(*)::int AS n FROM big WHERE pad LIKE 'x%'")).toEqual([{ n: 1000000 }]);
    await query(dsn, "UPDATE big SET pad = 'changed' WHERE id = 500000");
    await query(dsn, 'CHECKPOINT');
    const grown = (await fsys!.usedBytes()) - before;
    expect(await query(dsn, 'SELECT pad FROM big WHERE id = 500000')).toEqual([{ pad: 'changed' }]);
    // By block: the pages written and their WAL. On overlay: the table's whole file.
    if (blocks) expect(grown, `the copy took ${grown} bytes`).toBeLessThan(16 * 2 ** 20);
    else expect(grown).toBeGreaterThan(Number(bytes));
    await home.run(['down', '--all']);
  }, 120_000);
});

/** A dump of one table of `rows` rows (1 M: about 250 MB), with a primary key: an UPDATE by id reads one page. */
function writeBigTableSql(file: string, rows = 1_000_000): string {
  fs.writeFileSync(file, `CREATE TABLE big (id int PRIMARY KEY, pad text);\nINSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, ${rows}) g;\n`);
  return file;
}
