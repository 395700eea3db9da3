import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, type CopyJson } from '../helpers/ditto.js';
import { query } from '../helpers/engines.js';
import { DOCKER_CONFIG } from '../helpers/runtimes.js';

/**
 * What a copy costs on disk, as `ls` measures it: the bytes it owns beside the golden snapshot it
 * shares. A one-row UPDATE to a 100 MB table costs an overlay clone the whole file (copied up) and
 * a reflink clone a few blocks; a plain copy owns everything from the start.
 */
const MB = 2 ** 20;
const asRoot = process.getuid?.() === 0;
/** ~100k rows of ~900 bytes, stored inline (under TOAST's threshold): a table file of ~100 MB. */
const BIG_TABLE = "CREATE TABLE big AS SELECT g AS id, repeat('x', 900) AS pad FROM generate_series(1, 100000) g;\n";

function homeWithBigTable(local: Record<string, unknown> = {}): TestHome {
  const home = new TestHome();
  const dump = path.join(home.dir, 'big.sql');
  fs.writeFileSync(dump, BIG_TABLE);
  home.writeConfig({ runtime: 'local', local, dump: { path: dump } });
  return home;
}

async function diskBytes(home: TestHome, id: string): Promise<number> {
  const copy = (await home.ls()).find((c) => c.id === id);
  expect(copy?.disk_bytes).toBeTypeOf('number');
  return copy!.disk_bytes!;
}

/** A one-row UPDATE in the big table, written out to its file. */
async function touchOneRow(copy: CopyJson): Promise<void> {
  await query(copy.connection_string!, "UPDATE big SET pad = 'y' WHERE id = 50000; CHECKPOINT");
}

describe.skipIf(!asRoot)('the bytes a local copy owns', () => {
  describe('overlay clone (auto, as root)', () => {
    let home: TestHome;
    beforeAll(() => {
      home = homeWithBigTable();
    });
    afterAll(() => home.cleanup());

    it('owns the whole table file once it writes one row; a fresh copy owns little; ls shows SIZE and status the snapshot', async () => {
      const written = await home.upJson();
      const fresh = await home.upJson();
      await touchOneRow(written);
      const writtenBytes = await diskBytes(home, written.id);
      const freshBytes = await diskBytes(home, fresh.id);
      // Overlay copies the whole file up on the first write: the table's ~100 MB.
      expect(writtenBytes).toBeGreaterThan(90 * MB);
      expect(freshBytes).toBeLessThan(writtenBytes - 80 * MB);

      const table = await home.run(['ls']);
      expect(table.stdout.split('\n')[0]).toMatch(/\bPORT\s+SIZE\s+RUNTIME\b/);
      expect(table.stdout).toMatch(new RegExp(`${written.id.slice(0, 8)}.*\\b\\d+ MiB\\b`));

      const status = JSON.parse((await home.run(['status', '--json'])).stdout) as { golden: { key: string; bytes: number } };
      expect(status.golden.bytes).toBeGreaterThan(100 * MB);
      expect((await home.run(['status'])).stdout).toMatch(new RegExp(`golden\\s+${status.golden.key} \\(\\d+ MiB\\)`));
    });
  });

  describe('plain copy (local.clone: copy)', () => {
    let home: TestHome;
    beforeAll(() => {
      home = homeWithBigTable({ clone: 'copy' });
    });
    afterAll(() => home.cleanup());

    it('owns all its data from the start', async () => {
      const copy = await home.upJson();
      expect(await diskBytes(home, copy.id)).toBeGreaterThan(100 * MB);
    });
  });

  /** Block-level filesystems on a loop image, made by their Debian tools (skipped where a tool is missing). */
  const FILESYSTEMS = [
    { name: 'XFS', mkfs: 'mkfs.xfs', args: ['-q', '-m', 'reflink=1'] },
    { name: 'btrfs', mkfs: 'mkfs.btrfs', args: ['-q'] },
  ];

  describe.each(FILESYSTEMS)('reflink clone on $name (local.clone: reflink)', ({ mkfs, args }) => {
    const hasMkfs = ['/usr/sbin', '/sbin'].some((dir) => fs.existsSync(path.join(dir, mkfs)));
    let scratch: string;
    let mounted = false;
    let home: TestHome;

    beforeAll(async () => {
      if (!hasMkfs) return;
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-fs-'));
      // The servers' account reaches its directories on the image through it.
      fs.chmodSync(scratch, 0o711);
      const image = path.join(scratch, 'fs.img');
      const mnt = path.join(scratch, 'mnt');
      fs.mkdirSync(mnt);
      await execa('truncate', ['-s', '1G', image]);
      await execa(mkfs, [...args, image]);
      await execa('mount', ['-o', 'loop', image, mnt]);
      mounted = true;
      home = homeWithBigTable({ clone: 'reflink', data_dir: path.join(mnt, 'ditto') });
    });

    afterAll(async () => {
      if (!hasMkfs) return;
      await home?.cleanup();
      const dataDir = path.join(scratch, 'mnt', 'ditto');
      // Nothing of ditto's outlives its copies on the image.
      expect(fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : []).toEqual([]);
      if (mounted) await execa('umount', [path.join(scratch, 'mnt')]);
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    it.skipIf(!hasMkfs)('owns only the blocks it wrote', async () => {
      const written = await home.upJson();
      const fresh = await home.upJson();
      await touchOneRow(written);
      const writtenBytes = await diskBytes(home, written.id);
      // A few blocks of the table, and the WAL it wrote: nowhere near the table's 100 MB.
      expect(writtenBytes).toBeLessThan(40 * MB);
      expect(writtenBytes).toBeGreaterThan(0);
      expect(await diskBytes(home, fresh.id)).toBeLessThan(40 * MB);
    });
  });
});

describe('the bytes a Docker copy owns', () => {
  let home: TestHome;
  beforeAll(() => {
    home = new TestHome(DOCKER_CONFIG);
  });
  afterAll(() => home.cleanup());

  it("is its container's writable layer (SizeRw)", async () => {
    const copy = await home.upJson();
    // The copy's data directory was initialized in the container: megabytes of its own.
    expect(await diskBytes(home, copy.id)).toBeGreaterThan(MB);
  });
});
