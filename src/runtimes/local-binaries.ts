import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../errors.js';

/**
 * Finds the directory holding an engine's server binaries: the configured one, a directory on
 * PATH, `pg_config --bindir`, then the newest /usr/lib/postgresql/<version>/bin.
 */
export function findBinDir(binaries: readonly string[], configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const hasAll = (dir: string) => binaries.every((b) => isExecutable(path.join(dir, b)));
  if (configured) {
    if (hasAll(configured)) return configured;
    throw new DittoError('CONFIG', `local.bin_dir ${configured} lacks one of ${binaries.join(', ')}`, {
      hint: 'point local.bin_dir at the PostgreSQL bin directory (e.g. /usr/lib/postgresql/15/bin)',
    });
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && hasAll(dir)) return dir;
  }
  const fromPgConfig = pgConfigBinDir();
  if (fromPgConfig && hasAll(fromPgConfig)) return fromPgConfig;
  for (const dir of versionedDirs('/usr/lib/postgresql')) {
    if (hasAll(dir)) return dir;
  }
  throw new DittoError('RUNTIME_UNAVAILABLE', `PostgreSQL server binaries (${binaries.join(', ')}) not found`, {
    hint: 'install them (apt-get install postgresql), set local.bin_dir, or use runtime: docker',
  });
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function pgConfigBinDir(): string | null {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/** `<root>/<version>/bin`, newest version first. */
function versionedDirs(root: string): string[] {
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
