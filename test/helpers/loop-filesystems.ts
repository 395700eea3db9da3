import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { TestHome } from './ditto.js';

/** The filesystems a test makes on a loop device: XFS with reflink, btrfs, or XFS without reflink (no block clones). */
export type LoopKind = 'xfs' | 'btrfs' | 'xfs-noreflink';

const MKFS: Record<LoopKind, [string, ...string[]]> = {
  xfs: ['mkfs.xfs', '-q', '-m', 'reflink=1'],
  'xfs-noreflink': ['mkfs.xfs', '-q', '-m', 'reflink=0'],
  btrfs: ['mkfs.btrfs', '-q'],
};

/**
 * A filesystem in a sparse image file, loop-mounted at `point` (root only). `dispose` unmounts it
 * (lazily when busy), which detaches the loop device mount made, and deletes the image: call it in
 * afterAll, whatever happened.
 */
export class LoopFilesystem {
  private constructor(
    readonly dir: string,
    readonly image: string,
    readonly point: string,
  ) {}

  static async make(kind: LoopKind, size = '1G'): Promise<LoopFilesystem> {
    // Servers run as another account: it must reach the mount point.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ditto-${kind}-`));
    fs.chmodSync(dir, 0o755);
    const fsys = new LoopFilesystem(dir, path.join(dir, 'image'), path.join(dir, 'mnt'));
    try {
      await execa('truncate', ['-s', size, fsys.image]);
      const [tool, ...args] = MKFS[kind];
      await execa(tool, [...args, fsys.image]);
      fs.mkdirSync(fsys.point);
      await execa('mount', ['-o', 'loop', fsys.image, fsys.point]);
    } catch (err) {
      await fsys.dispose();
      throw err;
    }
    return fsys;
  }

  /** Bytes in use on it, after its pending writes reach the disk (what `df` says). */
  async usedBytes(): Promise<number> {
    await execa('sync', ['-f', this.point]);
    const stat = fs.statfsSync(this.point);
    return (stat.blocks - stat.bfree) * stat.bsize;
  }

  async dispose(): Promise<void> {
    if (isMounted(this.point)) {
      const plain = await execa('umount', [this.point], { reject: false });
      if (plain.exitCode !== 0) await execa('umount', ['-l', this.point], { reject: false });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function isMounted(point: string): boolean {
  return fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === point);
}

/** Loop devices whose backing file is under `dir` (there should be none once its filesystems are disposed). */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const { stdout } = await execa('losetup', ['-a']);
  return stdout.split('\n').filter((line) => line.includes(`(${dir}`));
}

/**
 * Cleans up `homes` (their copies go first: they hold files on the filesystems), then unmounts
 * and deletes `filesystems` whatever happened; returns the loop devices left (there should be none).
 */
export async function disposeHomesAndFilesystems(homes: TestHome[], filesystems: LoopFilesystem[]): Promise<string[]> {
  try {
    for (const home of homes) await home.cleanup();
  } finally {
    for (const fsys of filesystems) await fsys.dispose();
  }
  const left: string[] = [];
  for (const fsys of filesystems) left.push(...(await loopDevicesUnder(fsys.dir)));
  return left;
}
