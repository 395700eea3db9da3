import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../errors.js';
import { formatBytes } from './byte-size.js';

/**
 * A full disk, said as what it is (DESIGN "Say the true cause"): a capacity problem of a named
 * directory, never a bad dump or an internal error. Engines know how their databases say it;
 * this module knows how the operating system says it and builds the one error every step gives.
 */

/** strerror(ENOSPC), as every tool prints it, and the code's own name. */
const OS_NO_SPACE = /No space left on device|\bENOSPC\b/i;

/** Whether `text` (a tool's stderr, a server's log, an error message) quotes the operating system's "no space left". */
export function saysNoSpace(text: string): boolean {
  return OS_NO_SPACE.test(text);
}

/** Whether `err`, or an error it was caused by, is ENOSPC: a Node.js error's code, or a message that quotes it. */
export function isNoSpace(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC' || (e instanceof DittoError && e.code === 'NO_SPACE') || saysNoSpace(e.message)) return true;
  }
  return false;
}

/**
 * Bytes free to an ordinary account (servers run as one) in the filesystem holding `dir`, or its
 * nearest existing parent (a failed copy's directory is gone by the time this is asked); null
 * when that cannot be read.
 */
export function freeBytes(dir: string): number | null {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      const stats = fs.statfsSync(at);
      return stats.bavail * stats.bsize;
    } catch {
      if (at === path.dirname(at)) return null;
    }
  }
}

/** Below this, a write's I/O error on a filesystem is taken for what it is: no room (SQLite's -shm, which says only "disk I/O error"). */
const NEARLY_FULL_BYTES = 1 << 20;

/** Whether the filesystem holding `dir` has (all but) no space left. */
export function nearlyFull(dir: string): boolean {
  const free = freeBytes(dir);
  return free !== null && free < NEARLY_FULL_BYTES;
}

/** What ran out of space, and where. */
export interface Shortage {
  /** The step, as a phrase: `restoring /dumps/app.dump into copy k3x...`. */
  doing: string;
  /** The directory on this machine the step wrote to; null when it is not on this machine (a Docker engine's storage). */
  dir: string | null;
  /** How people know that place when `dir` is null. */
  place?: string;
  /** What the step needed, as far as it can be told: `the dump is 3.1 MiB, ...`. */
  need: string | null;
  /** What else the user can do besides freeing space: the setting that moves the data. */
  remedy: string;
}

/** The one error of a full disk: the step, the directory and its free space now, what the step needed, and the way out. */
export function noSpaceError(shortage: Shortage, cause?: unknown): DittoError {
  const { doing, dir, need, remedy } = shortage;
  const free = dir === null ? null : freeBytes(dir);
  const facts = [free === null ? null : `${formatBytes(free)} free now`, need].filter((f) => f !== null);
  const where = dir ?? shortage.place ?? 'its storage';
  return new DittoError('NO_SPACE', `${doing} ran out of disk space in ${where}${facts.length ? ` (${facts.join('; ')})` : ''}`, {
    hint: `free space there, or ${remedy}`,
    cause,
  });
}
