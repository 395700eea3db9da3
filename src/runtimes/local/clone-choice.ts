import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../../support/files.js';
import { systemTool } from '../../support/system-tools.js';
import type { CloneMethod } from '../runtime.js';
import { clonesBlocks, mountOf, nearestExisting } from './filesystems.js';

export type ClonePreference = 'auto' | 'btrfs' | 'reflink' | 'overlay' | 'copy';

/** What a data directory's filesystem offers clones, found once and kept in the data directory (`PROBE_FILE`). */
export interface FilesystemProbe {
  /** Its type, as the mount table names it (for people: the choice never rests on it, except btrfs subvolumes). */
  filesystem: string;
  /** Whether a real FICLONE of a file succeeded there. */
  clonesBlocks: boolean;
}

/** How copies are cloned in a data directory, and why, for `status` and `doctor`. */
export interface CloneChoice {
  method: CloneMethod;
  why: string;
  /** The methods to try, best first: the later ones where an earlier one fails. */
  order: CloneMethod[];
  /** Fresh data directories are made btrfs subvolumes, so golden snapshots made of them can be snapshotted. */
  subvolumes: boolean;
}

/** The methods whose clone shares blocks: a copy's first write to a file costs a block, not the file. */
export const BLOCK_METHODS: readonly CloneMethod[] = ['btrfs', 'reflink'];

/** Kept in the data directory's root; a filesystem mounted over it later hides it, and is probed afresh. */
export const PROBE_FILE = 'clone-probe.json';

/**
 * The cheapest clone that works in `root`, best first: a btrfs snapshot (constant time, a block
 * per write), a reflink copy (metadata per file, a block per write), an overlay mount (root only;
 * constant time, but a first write copies the whole file), a plain copy.
 */
export function chooseClone(preference: ClonePreference, asRoot: boolean, root: string): CloneChoice {
  const probe = probeDataDir(root);
  const btrfs = probe.filesystem === 'btrfs' && path.isAbsolute(systemTool('btrfs'));
  if (preference !== 'auto') {
    return { method: preference, why: `${preference}: local.clone in the config`, order: [preference], subvolumes: preference === 'btrfs' && btrfs };
  }
  const order: CloneMethod[] = [...(btrfs ? ['btrfs' as const] : []), ...(probe.clonesBlocks ? ['reflink' as const] : []), ...(asRoot ? ['overlay' as const] : []), 'copy'];
  const on = `${root} is on ${probe.filesystem}`;
  const method = order[0]!;
  const why = {
    btrfs: `${on}: golden snapshots are subvolumes, copies snapshots of them`,
    reflink: `${on} and clones blocks`,
    overlay: `${on}, which does not clone blocks (a copy's first write to a file copies all of it)`,
    copy: `${on}, which does not clone blocks, and overlay mounts need root`,
    image: '',
  }[method];
  return { method, why: `${method}: ${why}`, order, subvolumes: btrfs };
}

/** What `root`'s filesystem offers, from its probe file, else probed now (and kept there when `root` exists). */
export function probeDataDir(root: string): FilesystemProbe {
  const file = path.join(root, PROBE_FILE);
  const kept = readProbe(file);
  if (kept) return kept;
  // Before the root exists, the directory it will be made in says the same.
  const dir = nearestExisting(root);
  const probe = { filesystem: mountOf(dir)?.type ?? 'an unknown filesystem', clonesBlocks: clonesBlocks(dir) };
  if (dir === path.resolve(root)) writeFileAtomically(file, JSON.stringify(probe));
  return probe;
}

function readProbe(file: string): FilesystemProbe | null {
  try {
    const probe = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<FilesystemProbe>;
    return typeof probe.filesystem === 'string' && typeof probe.clonesBlocks === 'boolean' ? { filesystem: probe.filesystem, clonesBlocks: probe.clonesBlocks } : null;
  } catch {
    return null;
  }
}
