import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { systemTool } from '../../support/system-tools.js';

/** A mounted filesystem, as the mount table of this process's mount namespace lists it. */
export interface Mount {
  point: string;
  source: string;
  type: string;
}

/** btrfs gives the root directory of every subvolume this inode number (BTRFS_FIRST_FREE_OBJECTID). */
const SUBVOLUME_ROOT_INO = 256;

/** The filesystem `file` is on (the nearest existing directory above it when it does not exist yet): the mount with the longest point that holds it. */
export function mountOf(file: string, table = '/proc/self/mounts'): Mount | null {
  const real = fs.realpathSync(nearestExisting(file));
  let found: Mount | null = null;
  for (const mount of mountTable(table)) {
    const inside = mount.point === '/' || real === mount.point || real.startsWith(mount.point + path.sep);
    // A later line for the same point is a mount over the earlier one: it is what is seen.
    if (inside && (!found || mount.point.length >= found.point.length)) found = mount;
  }
  return found;
}

/** Every mount of the table, in its order; spaces in paths come back from their \040 escapes. */
export function mountTable(table = '/proc/self/mounts'): Mount[] {
  let text: string;
  try {
    text = fs.readFileSync(table, 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [source = '', point = '', type = ''] = line.split(' ');
      return { source: unescape(source), point: unescape(point), type };
    });
}

/** Whether `dir` is the root of a btrfs subvolume (what `btrfs subvolume snapshot` takes). */
export function isSubvolume(dir: string): boolean {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  return stat !== undefined && stat.isDirectory() && stat.ino === SUBVOLUME_ROOT_INO && mountOf(dir)?.type === 'btrfs';
}

/** Makes `dir` a new btrfs subvolume; false when it cannot be (btrfs-progs missing, or not btrfs), and nothing is made. */
export function makeSubvolume(dir: string): boolean {
  return spawnSync(systemTool('btrfs'), ['subvolume', 'create', dir], { stdio: 'ignore' }).status === 0;
}

/**
 * Deletes `dir` when it is a subvolume, the way btrfs does it at once (its space is freed in the
 * background). Unprivileged, that is refused unless the mount has user_subvol_rm_allowed; then
 * `rm -r`, which empties it and removes it like a directory, does it instead.
 */
export async function deleteSubvolume(dir: string): Promise<void> {
  if (!isSubvolume(dir)) return;
  const { execa } = await import('execa');
  const deleted = await execa(systemTool('btrfs'), ['subvolume', 'delete', dir], { reject: false });
  if (deleted.exitCode !== 0) await fs.promises.rm(dir, { recursive: true, force: true });
}

/**
 * On XFS, makes what is created in `dir` copy on write a page at a time. XFS's default reserves 32
 * blocks (128 KiB) per shared extent written, so a copy's random 8 KiB page writes took 14 times
 * what they wrote (measured); the hint is inherited by the files and directories made in `dir`
 * afterwards (a reflink clone's). Elsewhere, or without xfsprogs' xfs_io, nothing changes.
 */
export function copyOnWriteByPage(dir: string): void {
  if (mountOf(dir)?.type !== 'xfs') return;
  spawnSync(systemTool('xfs_io'), ['-c', 'cowextsize 8k', dir], { stdio: 'ignore' });
}

/**
 * Whether the filesystem at `dir` (an existing directory) clones a file's blocks, asked of the
 * filesystem itself: a scratch file cloned with FICLONE (`cp --reflink=always`). A name would
 * not tell: XFS made without reflink, or ext4, say no; btrfs, XFS with reflink, bcachefs say yes.
 */
export function clonesBlocks(dir: string): boolean {
  const scratch = fs.mkdtempSync(path.join(dir, '.clone-probe-'));
  try {
    const file = path.join(scratch, 'a');
    // Larger than what btrfs keeps inline in its metadata: a real extent, as in a data file.
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 1));
    return spawnSync(systemTool('cp'), ['--reflink=always', file, path.join(scratch, 'b')], { stdio: 'ignore' }).status === 0;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function nearestExisting(file: string): string {
  let at = path.resolve(file);
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}
