import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../errors.js';

export interface BinarySearch {
  /** What is looked for, for the message: "PostgreSQL server binaries". */
  what: string;
  /** What to do when they are not found. */
  hint: string;
  /** The engine's usual places after PATH, best first (computed only when PATH has none). */
  usualPlaces: () => string[];
}

/**
 * The directory holding every one of `binaries`: the configured one (local.bin_dir), else a
 * directory on PATH, else the engine's usual places.
 */
export function findBinDir(binaries: readonly string[], configured: string | undefined, search: BinarySearch, env: NodeJS.ProcessEnv = process.env): string {
  const hasAll = (dir: string) => binaries.every((b) => isExecutable(path.join(dir, b)));
  if (configured) {
    if (hasAll(configured)) return configured;
    throw new DittoError('CONFIG', `local.bin_dir ${configured} lacks one of ${binaries.join(', ')}`, { hint: search.hint });
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && hasAll(dir)) return dir;
  }
  for (const dir of search.usualPlaces()) {
    if (hasAll(dir)) return dir;
  }
  throw new DittoError('RUNTIME_UNAVAILABLE', `${search.what} (${binaries.join(', ')}) not found`, { hint: search.hint });
}

/** The directory, or null when the binaries are not here (a check that may do without them). */
export function findBinDirOrNull(find: () => string): string | null {
  try {
    return find();
  } catch {
    return null;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `<root>/<version>/bin`, newest version first (Debian's layout for server packages). */
export function versionedBinDirs(root: string): string[] {
  let versions: string[];
  try {
    versions = fs.readdirSync(root);
  } catch {
    return [];
  }
  return versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, 'bin'));
}
