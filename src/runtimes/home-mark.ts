import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeName } from '../model/copy.js';
import { currentHost } from '../model/process-identity.js';
import { STATE_FILE } from '../state/store.js';

/**
 * What ditto writes outside a home records the home (DESIGN section 13): a local data directory
 * a marker file, a container or golden image labels. The path alone is not enough: it names a
 * directory of one filesystem, as seen from one machine and one mount namespace (a CI job's
 * container sees its own), so the mark says where it was made too.
 */
export interface HomeMark {
  /** The home's absolute path. */
  home: string;
  host: string;
  /** The mount namespace (`mnt:[inode]`), '' where /proc cannot tell. */
  mounts: string;
}

/** A short, stable name for a ditto home, to scope shared resources (Docker containers, /var/tmp dirs) to it. */
export function homeKey(home: string): string {
  return crypto.createHash('sha256').update(home).digest('hex').slice(0, 12);
}

let mountNamespace: string | undefined;

/** The mark of `home`, made here. */
export function markOf(home: string): HomeMark {
  if (mountNamespace === undefined) {
    try {
      mountNamespace = fs.readlinkSync('/proc/self/ns/mnt');
    } catch {
      mountNamespace = '';
    }
  }
  return { home, host: currentHost(), mounts: mountNamespace };
}

/** A mark read back (a marker file, labels), or null when it is not one ditto wrote. */
export function parseMark(value: unknown): HomeMark | null {
  if (typeof value !== 'object' || value === null) return null;
  const { home, host, mounts } = value as Record<string, unknown>;
  if (typeof home !== 'string' || !path.isAbsolute(home) || typeof host !== 'string' || typeof mounts !== 'string') return null;
  // Printed by prune and doctor: a control character is refused rather than sent to a terminal.
  if (/\p{Cc}/u.test(home + host + mounts)) return null;
  return { home, host, mounts };
}

/** What a look at a home's path found; `unknown` when the filesystem would not say (no permission, an I/O error). */
export type HomeLook = 'present' | 'absent' | 'unknown';

/**
 * Looks at `home` on this filesystem: a home is a directory with its state file. Nothing there, or
 * a directory without one, is no home: a process of a removed home can make the directory again
 * (a log line), and every ditto command opens the state before it makes anything outside the home.
 */
export function lookAtHome(home: string): HomeLook {
  try {
    fs.statSync(path.join(home, STATE_FILE));
    return 'present';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'absent' : 'unknown';
  }
}

/**
 * The rule of what is orphaned, in one place: what ditto made for `marks` (every home that uses
 * it: a data directory may be shared by several) may go only when each home is gone. A home is
 * gone when its directory or its state file no longer exists (lookAtHome), as seen from where it
 * was marked (same host, same mount namespace): a mark made elsewhere is never judged from here.
 * A path that cannot be looked at (no permission) is presumed a home. With no mark, nothing is
 * known: nothing goes.
 */
export function homesGone(marks: HomeMark[], here: Omit<HomeMark, 'home'>, look: (home: string) => HomeLook): boolean {
  return marks.length > 0 && marks.every((mark) => mark.host === here.host && mark.mounts === here.mounts && look(mark.home) === 'absent');
}

/** homesGone, judged from this process. */
export function goneFromHere(marks: HomeMark[]): boolean {
  return homesGone(marks, markOf(''), lookAtHome);
}

/**
 * The runtimes to ask for what gone homes left, for a home that uses `names`: those, and the local
 * one whatever it uses, since a gone home's data directory (/var/tmp/ditto-*) holds the Docker
 * runtime's block-level clones too. Docker first: its containers run on those clones.
 */
export function goneHomeRuntimes(names: readonly RuntimeName[]): RuntimeName[] {
  return [...new Set<RuntimeName>([...names.filter((n) => n === 'docker'), ...names, 'local'])];
}
