import fs from 'node:fs';
import path from 'node:path';
import type { CloneMethod } from '../runtime.js';
import { markOf, type HomeMark } from '../home-mark.js';
import { DirCloner, removeCloneDir, type ClonePreference } from '../local/clone.js';
import { copyOwnBytes } from '../local/copy-bytes.js';
import { diskUsage, LAYOUT, makeRoot, markDataDir, removeIfOnlyMarked, SNAPSHOT_MARKER } from '../local/data-dirs.js';
import { listDirs, removeIfEmpty } from '../local/processes.js';

export interface BlockClonesOptions {
  /** The data directory (local.data_dir, else the default): its filesystem decides, as for the local runtime. */
  root: string;
  clone: ClonePreference;
  home: string;
}

/**
 * The Docker runtime's data directories on block-level clones. Where the data directory clones by
 * block, golden snapshots are directories (`<root>/docker-golden/<key>/data`) and each copy's
 * container runs on a clone of one (`<root>/docker-copies/<id>/data`), bind-mounted as the
 * image's data directory: a copy's first write to a table costs a block, where overlay2 under a
 * committed image copies the whole file up. The local runtime's cloner makes the clones.
 */
export class BlockClones {
  private readonly copiesRoot: string;
  private readonly goldenRoot: string;
  private readonly cloner: DirCloner;
  private readonly asRoot = process.getuid?.() === 0;
  private readonly mark: HomeMark;
  private decided: boolean | undefined;

  constructor(private readonly opts: BlockClonesOptions) {
    this.copiesRoot = path.join(opts.root, LAYOUT.docker.copies);
    this.goldenRoot = path.join(opts.root, LAYOUT.docker.golden);
    this.cloner = new DirCloner(opts.clone, this.asRoot, opts.root);
    this.mark = markOf(opts.home);
  }

  /**
   * Whether copies run on block-level clones (else on committed images): the local cloner's choice
   * for the data directory is a block-level method, and ditto is root. The image's server account
   * owns the files, so only root can remove them.
   */
  get active(): boolean {
    return (this.decided ??= this.asRoot && this.cloner.blockLevel());
  }

  get root(): string {
    return this.opts.root;
  }

  describe(): { method: CloneMethod; why: string } {
    const { method, why } = this.cloner.describe();
    return { method, why: `${why}; each copy's container has its clone bind-mounted as its data directory` };
  }

  copyDir(copyId: string): string {
    return path.join(this.copiesRoot, copyId);
  }

  private goldenData(key: string): string {
    return path.join(this.goldenRoot, key, 'data');
  }

  /**
   * The copy's data directory, to bind-mount: a clone of golden snapshot `from`, owned as the
   * snapshot is (by the image's server account), or else an empty one, which the image's
   * entrypoint initializes and gives to its server account.
   */
  async prepare(copyId: string, from: string | null): Promise<string> {
    const dir = this.copyDir(copyId);
    makeRoot(this.copiesRoot, this.asRoot);
    markDataDir(this.opts.root, this.mark);
    fs.mkdirSync(dir, { mode: 0o700 });
    const data = path.join(dir, 'data');
    if (from) await this.cloner.clone(this.goldenData(from), dir, null);
    else {
      // Where snapshots are, a subvolume: a golden snapshot made of it is then snapshotted.
      this.cloner.prepareFresh(data, null);
      if (!fs.existsSync(data)) fs.mkdirSync(data, { mode: 0o700 });
    }
    return data;
  }

  /** Moves a stopped builder's data directory in as golden snapshot `key`. */
  async promote(copyId: string, key: string, engineName: string): Promise<void> {
    await this.removeGolden(key);
    makeRoot(path.join(this.goldenRoot, key), this.asRoot);
    markDataDir(this.opts.root, this.mark);
    fs.renameSync(path.join(this.copyDir(copyId), 'data'), this.goldenData(key));
    try {
      fs.writeFileSync(path.join(this.goldenRoot, key, SNAPSHOT_MARKER), engineName, { mode: 0o600 });
    } catch (err) {
      // A full disk refuses even the marker: the data without it is no snapshot, and goes.
      await this.removeGolden(key);
      throw err;
    }
  }

  hasGolden(key: string): boolean {
    return fs.existsSync(path.join(this.goldenRoot, key, SNAPSHOT_MARKER));
  }

  listGoldens(): string[] {
    return listDirs(this.goldenRoot);
  }

  goldenSize(key: string): Promise<number | null> {
    return diskUsage(path.join(this.goldenRoot, key));
  }

  async removeGolden(key: string): Promise<void> {
    await removeCloneDir(path.join(this.goldenRoot, key));
    this.removeEmptyRoots();
  }

  /** Removes the copy's clone, if it has one. */
  async remove(copyId: string): Promise<void> {
    if (!fs.existsSync(this.copyDir(copyId))) return;
    await removeCloneDir(this.copyDir(copyId));
    this.removeEmptyRoots();
  }

  /** The copies that have a clone here, whether or not their container is still there. */
  listCopies(): string[] {
    return listDirs(this.copiesRoot);
  }

  /** The bytes the copy's clone owns (its unshared extents), or null when it has none. */
  ownBytes(copyId: string): Promise<number | null> {
    return copyOwnBytes(this.copyDir(copyId));
  }

  private removeEmptyRoots(): void {
    removeIfEmpty(this.copiesRoot);
    removeIfEmpty(this.goldenRoot);
    removeIfOnlyMarked(this.opts.root, this.mark);
  }
}
