import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../../errors.js';
import { formatBytes } from '../../support/byte-size.js';
import { removeQuietly, writeFileAtomically } from '../../support/files.js';
import { ensurePrivateDir } from '../../support/private-dir.js';
import { systemTool } from '../../support/system-tools.js';
import { firstLine } from '../../support/text.js';
import { mountTable } from './filesystems.js';
import { LAYOUT } from './data-dirs.js';

/**
 * `ditto storage`: a data directory that clones by block on any Linux disk. An XFS filesystem
 * with reflink in an image file, loop-mounted at the local runtime's data directory, and recorded
 * in the home, so that any command mounts it again when it is gone (after a reboot).
 */
export interface StorageRecord {
  image: string;
  /** The data directory it is mounted at. */
  mountPoint: string;
}

export interface StorageReport extends StorageRecord {
  mounted: boolean;
  /** The filesystem's size, and what is used and free in it (while mounted). */
  size: number | null;
  used: number | null;
  free: number | null;
  /** What the image file takes on the disk it is on (it is sparse). */
  imageBytes: number | null;
}

const RECORD = 'storage.json';
/** Every server account reaches its own directories through the mount's root. */
const ROOT_MODE = 0o711;

/** The default image: in the home, beside the state that names it. */
export function defaultImage(home: string): string {
  return path.join(home, 'storage.img');
}

export function readStorageRecord(home: string): StorageRecord | null {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(home, RECORD), 'utf8')) as Partial<StorageRecord>;
    return typeof record.image === 'string' && typeof record.mountPoint === 'string' ? { image: record.image, mountPoint: record.mountPoint } : null;
  } catch {
    return null;
  }
}

/**
 * Makes an XFS image of `size` bytes with reflink at `image`, mounts it at `root` (which must be
 * empty or not exist yet), and records it in `home`. What it made is undone when a step fails.
 */
export function initStorage(home: string, root: string, size: number, image: string): StorageRecord {
  requireRoot('storage init', 'it makes a filesystem and mounts it');
  const known = readStorageRecord(home);
  if (known) throw new DittoError('CONFLICT', `this home already has storage: ${known.image} at ${known.mountPoint}`, { hint: '`ditto storage remove` first' });
  const entries = fs.existsSync(root) ? fs.readdirSync(root) : [];
  if (entries.length) {
    throw new DittoError('CONFLICT', `${root} is not empty (${entries.slice(0, 3).join(', ')}): the image would hide what is there`, {
      hint: 'remove its copies and snapshots first: `ditto down --all && ditto prune`',
    });
  }
  if (mountAt(root)) throw new DittoError('CONFLICT', `${root} is already a mount point of ${mountAt(root)!.source}`);
  if (fs.existsSync(image)) throw new DittoError('CONFLICT', `${image} exists`, { hint: 'name another file with --path' });
  const mkfs = systemTool('mkfs.xfs');
  if (!path.isAbsolute(mkfs)) throw new DittoError('RUNTIME_UNAVAILABLE', 'mkfs.xfs is not installed', { hint: 'install xfsprogs (apt-get install xfsprogs)' });

  const madeRoot = !fs.existsSync(root);
  try {
    fs.mkdirSync(path.dirname(image), { recursive: true, mode: 0o700 });
    // Sparse: the disk is taken as copies write, up to `size`.
    const fd = fs.openSync(image, 'wx', 0o600);
    try {
      fs.ftruncateSync(fd, size);
    } finally {
      fs.closeSync(fd);
    }
    run(mkfs, ['-q', '-m', 'reflink=1', image]);
    fs.mkdirSync(root, { recursive: true, mode: ROOT_MODE });
    mount(image, root);
    const record = { image: path.resolve(image), mountPoint: path.resolve(root) };
    ensurePrivateDir(home);
    writeFileAtomically(path.join(home, RECORD), JSON.stringify(record));
    return record;
  } catch (err) {
    if (mountAt(root)) spawnSync(systemTool('umount'), [root], { stdio: 'ignore' });
    removeQuietly(image);
    if (madeRoot) fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Mounts the home's storage image again where it is not mounted (after a reboot); cheap when it
 * is: a look at the mount table. Every command that makes or reaches copies calls it first, so
 * that nothing is written to the disk under the mount point.
 */
export function ensureStorageMounted(home: string): void {
  const record = readStorageRecord(home);
  if (!record || mountedFrom(record)) return;
  const { image, mountPoint } = record;
  const remedy = { hint: `mount it (as root, any ditto command does: \`ditto storage status\`), or forget it with \`ditto storage remove --force\`` };
  if (process.getuid?.() !== 0) throw new DittoError('RUNTIME_UNAVAILABLE', `the storage image ${image} is not mounted at ${mountPoint}, and mounting it needs root`, remedy);
  if (!fs.existsSync(image)) throw new DittoError('RUNTIME_UNAVAILABLE', `the storage image ${image} of ${mountPoint} is gone`, { hint: 'forget it with `ditto storage remove --force`' });
  const other = mountAt(mountPoint);
  if (other) throw new DittoError('RUNTIME_UNAVAILABLE', `${mountPoint} is mounted from ${other.source}, not from the storage image ${image}`, remedy);
  fs.mkdirSync(mountPoint, { recursive: true, mode: ROOT_MODE });
  const hidden = fs.readdirSync(mountPoint);
  if (hidden.length) throw new DittoError('RUNTIME_UNAVAILABLE', `${mountPoint} is not empty while its storage image ${image} is not mounted (${hidden.slice(0, 3).join(', ')})`, remedy);
  try {
    mount(image, mountPoint);
  } catch (err) {
    // Another ditto command mounted it first: XFS refuses a second mount of the same filesystem.
    if (!mountedFrom(record)) throw err;
  }
}

/** The home's storage image and its space, or null when it has none. */
export function storageReport(home: string): StorageReport | null {
  const record = readStorageRecord(home);
  if (!record) return null;
  const mounted = mountedFrom(record);
  const stat = mounted ? fs.statfsSync(record.mountPoint) : null;
  const file = fs.statSync(record.image, { throwIfNoEntry: false });
  return {
    ...record,
    mounted,
    size: stat ? stat.blocks * stat.bsize : (file?.size ?? null),
    used: stat ? (stat.blocks - stat.bfree) * stat.bsize : null,
    free: stat ? stat.bavail * stat.bsize : null,
    imageBytes: file ? file.blocks * 512 : null,
  };
}

/**
 * Unmounts the home's storage image, detaches its loop device and deletes it. Refused while copies
 * or snapshots live there, unless `clear` (--force) removes them first.
 */
export async function removeStorage(home: string, clear: (() => Promise<void>) | null): Promise<StorageRecord> {
  requireRoot('storage remove', 'it unmounts a filesystem');
  const record = readStorageRecord(home);
  if (!record) throw new DittoError('NOT_FOUND', 'this home has no storage image', { hint: '`ditto storage init --size 100G` makes one' });
  if (mountedFrom(record)) {
    const held = holdings(record.mountPoint);
    if (held.length && !clear) {
      throw new DittoError('CONFLICT', `${record.mountPoint} holds ${held.join(' and ')}`, { hint: 'remove them first (`ditto down --all && ditto prune`), or --force removes them' });
    }
    const loop = mountAt(record.mountPoint)!.source;
    // Clearing a data directory unmounts what is mounted in it, the image too.
    if (held.length) await clear!();
    if (mountAt(record.mountPoint)) run(systemTool('umount'), [record.mountPoint]);
    // A loop device mounted with -o loop goes with the mount; one set up otherwise is detached here.
    if (backingFile(loop) !== null) spawnSync(systemTool('losetup'), ['-d', loop], { stdio: 'ignore' });
  }
  removeQuietly(record.image);
  removeQuietly(path.join(home, RECORD));
  try {
    fs.rmdirSync(record.mountPoint);
  } catch {
    // Not empty: what was there before the image was mounted stays.
  }
  return record;
}

/** A one-line size, for the CLI. */
export function describeSpace(report: StorageReport): string {
  if (!report.mounted) return 'not mounted (the next ditto command mounts it)';
  return `${formatBytes(report.used!)} used, ${formatBytes(report.free!)} free of ${formatBytes(report.size!)}`;
}

/** The copies and golden snapshots in a data directory, for people: `2 copies`, `1 golden snapshot`. */
function holdings(root: string): string[] {
  const count = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0);
  // The local runtime's, and the Docker runtime's block-level clones and golden directories.
  const runtimes = Object.values(LAYOUT);
  const copies = runtimes.reduce((n, r) => n + count(path.join(root, r.copies)), 0);
  const snapshots = runtimes.reduce((n, r) => n + count(path.join(root, r.golden)), 0);
  return [...(copies ? [`${copies} ${copies === 1 ? 'copy' : 'copies'}`] : []), ...(snapshots ? [`${snapshots} golden ${snapshots === 1 ? 'snapshot' : 'snapshots'}`] : [])];
}

export function requireRoot(command: string, why: string): void {
  if (process.getuid?.() !== 0) throw new DittoError('FORBIDDEN', `ditto ${command} needs root: ${why}`, { hint: `run it with sudo` });
}

/** Whether `record`'s image is what is mounted at its mount point. */
function mountedFrom(record: StorageRecord): boolean {
  const mount = mountAt(record.mountPoint);
  if (!mount) return false;
  try {
    return backingFile(mount.source) === fs.realpathSync(record.image);
  } catch {
    return false; // the image is gone
  }
}

function mountAt(point: string): { source: string } | null {
  let real: string;
  try {
    real = fs.realpathSync(point);
  } catch {
    return null;
  }
  // The last line for a point is the mount on top: what is seen there.
  return mountTable().filter((m) => m.point === real).pop() ?? null;
}

/** The file behind loop device `device` (/dev/loopN), or null when it is none or not set up. */
function backingFile(device: string): string | null {
  const name = /^\/dev\/(loop\d+)$/.exec(device)?.[1];
  if (!name) return null;
  try {
    return fs.readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
  } catch {
    return null;
  }
}

function mount(image: string, point: string): void {
  run(systemTool('mount'), ['-o', 'loop', image, point]);
  fs.chmodSync(point, ROOT_MODE);
}

function run(file: string, args: string[]): void {
  const result = spawnSync(file, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    const said = firstLine(result.stderr ?? '') || result.error?.message || `exit ${result.status ?? result.signal}`;
    throw new DittoError('INTERNAL', `${path.basename(file)} ${args.join(' ')} failed: ${said}`);
  }
}
