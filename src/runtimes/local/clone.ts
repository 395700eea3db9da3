import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../../errors.js';
import { systemTool } from '../../support/system-tools.js';
import { chown, type Account } from './account.js';
import type { CloneMethod } from '../runtime.js';
import { BLOCK_METHODS, chooseClone, type CloneChoice, type ClonePreference } from './clone-choice.js';
import { copyOnWriteByPage, deleteSubvolume, isSubvolume, makeSubvolume } from './filesystems.js';

export type { ClonePreference };

/**
 * Clones a golden data directory into a copy's directory, by the cheapest method the data
 * directory allows (clone-choice.ts): a btrfs snapshot, a reflink copy, an overlay mount, else a
 * plain copy. `auto` tries them in that order once and keeps what worked.
 */
export class DirCloner {
  private chosen: CloneMethod | undefined;
  private choice: CloneChoice | undefined;

  constructor(
    private readonly preference: ClonePreference,
    /** Overlay mounts need root. */
    private readonly asRoot: boolean,
    /** The data directory copies are cloned in: its filesystem decides. */
    private readonly root: string,
  ) {}

  /** The method `auto` settled on, or would try first, and why. */
  describe(): { method: CloneMethod; why: string } {
    const choice = this.choose();
    if (!this.chosen || this.chosen === choice.method) return { method: choice.method, why: choice.why };
    return { method: this.chosen, why: `${this.chosen}: ${choice.method} failed here` };
  }

  /** Makes a fresh data directory (one a server initializes) a btrfs subvolume where snapshots are, so a golden snapshot made of it is cloned by a snapshot. */
  prepareFresh(data: string, account: Account | null): void {
    if (!this.choose().subvolumes || !makeSubvolume(data)) return;
    fs.chmodSync(data, 0o700);
    chown(data, account);
  }

  /** Whether copies here are block-level clones (a btrfs snapshot or reflink): a first write costs a block, not a file. */
  blockLevel(): boolean {
    return BLOCK_METHODS.includes(this.choose().method);
  }

  private choose(): CloneChoice {
    return (this.choice ??= chooseClone(this.preference, this.asRoot, this.root));
  }

  /** Makes `<copyDir>/data` a clone of `source`, owned by `account` (the servers' account, as root). */
  async clone(source: string, copyDir: string, account: Account | null): Promise<CloneMethod> {
    const tried: string[] = [];
    // A snapshot made before its data directory was on btrfs, or by a ditto that made none, is no subvolume.
    const order = this.choose().order.filter((m) => m !== 'btrfs' || this.preference === 'btrfs' || isSubvolume(source));
    for (const method of this.chosen && order.includes(this.chosen) ? [this.chosen] : order) {
      try {
        await cloneBy(method, source, copyDir, account);
        this.chosen = method;
        return method;
      } catch (err) {
        // execa's message repeats the command line; the tool's own stderr says what went wrong.
        const said = (err as { stderr?: string }).stderr?.trim().split('\n')[0] || (err as Error).message.split('\n')[0];
        tried.push(`${method}: ${said}`);
        // Leave the directory as it was for the next method.
        await unmount(path.join(copyDir, 'data')).catch(() => {});
        await deleteSubvolume(path.join(copyDir, 'data'));
        for (const sub of ['data', 'upper', 'work']) fs.rmSync(path.join(copyDir, sub), { recursive: true, force: true });
      }
    }
    throw new DittoError('PROVISION_FAILED', `cannot clone the golden snapshot (${tried.join('; ')})`, {
      hint: 'set local.clone: copy in ditto.yaml',
    });
  }
}

async function cloneBy(method: CloneMethod, source: string, copyDir: string, account: Account | null): Promise<void> {
  const { execa } = await import('execa');
  const data = path.join(copyDir, 'data');
  switch (method) {
    case 'overlay': {
      const upper = path.join(copyDir, 'upper');
      fs.mkdirSync(upper, { mode: 0o700 });
      fs.mkdirSync(path.join(copyDir, 'work'), { mode: 0o700 });
      fs.mkdirSync(data, { mode: 0o700 });
      // The merged root takes the upper root's owner and mode: the server's account, 0700, as PostgreSQL demands.
      if (account) fs.chownSync(upper, account.uid, account.gid);
      await mountOverlay(source, copyDir);
      return;
    }
    case 'btrfs':
      if (!isSubvolume(source)) throw new Error(`${source} is not a btrfs subvolume (a golden snapshot made before; \`ditto reseed\` makes a new one)`);
      // The snapshot takes the subvolume's root as it is: owned by the server account, 0700.
      await execa(systemTool('btrfs'), ['subvolume', 'snapshot', source, data]);
      return;
    case 'reflink':
      copyOnWriteByPage(copyDir);
      await execa(systemTool('cp'), ['-a', '--reflink=always', source, data]);
      return;
    case 'copy':
      await execa(systemTool('cp'), ['-a', source, data]);
      return;
    case 'image':
      throw new Error('images are a Docker clone method');
  }
}

/** Removes a clone's directory (`<dir>/data` the clone): its overlay unmounted, its subvolume deleted, its files. */
export async function removeCloneDir(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) await unmount(point);
  await deleteSubvolume(path.join(dir, 'data'));
  // Asynchronously: a shared host keeps serving requests while a copy's files go.
  await fs.promises.rm(dir, { recursive: true, force: true });
}

/** Mounts `<copyDir>/data`: the copy's own writes (`upper`) over the golden snapshot `source`. */
async function mountOverlay(source: string, copyDir: string): Promise<void> {
  const { execa } = await import('execa');
  const at = (sub: string) => path.join(copyDir, sub);
  await execa(systemTool('mount'), ['-t', 'overlay', 'overlay', '-o', `lowerdir=${source},upperdir=${at('upper')},workdir=${at('work')}`, at('data')]);
}

/**
 * Mounts an overlay clone again where its mount is gone (the machine restarted; the copy's own
 * writes are in its upper layer, on disk); true when it did. Nothing to do for a clone of
 * another kind, or one still mounted. NOT_FOUND when the snapshot under it is gone.
 */
export async function remountOverlay(copyDir: string, source: string | null): Promise<boolean> {
  const data = path.join(copyDir, 'data');
  if (!fs.existsSync(path.join(copyDir, 'upper')) || mountsUnder(data).includes(data)) return false;
  if (source === null || !fs.existsSync(source)) throw new DittoError('NOT_FOUND', 'the golden snapshot under its overlay clone is gone');
  fs.mkdirSync(data, { recursive: true, mode: 0o700 });
  await mountOverlay(source, copyDir);
  return true;
}

/** Mount points (overlay clones) at or below `dir`, deepest first; `mounts` is another process's table (its mount namespace). */
export function mountsUnder(dir: string, mounts = '/proc/self/mounts'): string[] {
  let table: string;
  try {
    table = fs.readFileSync(mounts, 'utf8');
  } catch {
    return [];
  }
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  return table
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') ?? '')
    .filter((point) => point === dir || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts `point` if it is mounted; a busy mount is detached lazily rather than left behind. */
export async function unmount(point: string): Promise<void> {
  if (!mountsUnder(point).includes(point)) return;
  const { execa } = await import('execa');
  const plain = await execa(systemTool('umount'), [point], { reject: false });
  if (plain.exitCode === 0) return;
  const lazy = await execa(systemTool('umount'), ['-l', point], { reject: false });
  if (lazy.exitCode !== 0) throw new DittoError('INTERNAL', `cannot unmount ${point}: ${lazy.stderr.trim()}`);
}
