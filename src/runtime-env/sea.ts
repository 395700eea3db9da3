import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as SeaModule from 'node:sea';
import { DittoError } from '../errors.js';

/**
 * Whether this process is the single executable (Node's SEA) and what it carries inside.
 *
 * The executable holds the bundled CLI plus better-sqlite3's native addon as assets. A native addon
 * can only be loaded from a file, so the addon is written once to a private cache directory, named
 * by its hash, and loaded from there on every later start.
 */

/** Asset names; scripts/build-binary.mjs embeds them under these keys. */
export const SQLITE_ADDON_ASSET = 'better_sqlite3.node';
export const SQLITE_ADDON_HASH_ASSET = 'better_sqlite3.sha256';

let seaModule: typeof SeaModule | null | undefined;

/** node:sea when the runtime has it (Node >= 20.12); null elsewhere (Deno, Bun, older Node). */
export function sea(): typeof SeaModule | null {
  if (seaModule !== undefined) return seaModule;
  try {
    // getBuiltinModule keeps this file loadable where node:sea does not exist.
    seaModule = (process.getBuiltinModule?.('node:sea') as typeof SeaModule | undefined) ?? null;
  } catch {
    seaModule = null;
  }
  return seaModule;
}

/** True inside the single executable built by `npm run build:binary`. */
export function isSingleExecutable(): boolean {
  return sea()?.isSea() ?? false;
}

let loadedAddon: object | undefined;

/**
 * better-sqlite3's addon as an object to pass as `nativeBinding`, or undefined when not running as
 * the single executable (better-sqlite3 then finds its addon in node_modules itself).
 */
export function sqliteNativeBinding(env: NodeJS.ProcessEnv = process.env): object | undefined {
  const s = sea();
  if (!s?.isSea()) return undefined;
  if (loadedAddon) return loadedAddon;
  const hash = s.getAsset(SQLITE_ADDON_HASH_ASSET, 'utf8').trim();
  const file = path.join(addonCacheDir(env), hash.slice(0, 16), SQLITE_ADDON_ASSET);
  if (!fs.existsSync(file)) extractAddon(s, hash, file);
  // process.dlopen works in the executable, where require() of a file path does not.
  const mod = { exports: {} as object };
  try {
    process.dlopen(mod, file);
  } catch (err) {
    throw new DittoError('INTERNAL', `cannot load the SQLite addon ${file}: ${(err as Error).message}`, {
      hint: `remove ${path.dirname(file)} and run ditto again`,
      cause: err,
    });
  }
  loadedAddon = mod.exports;
  return loadedAddon;
}

/**
 * $XDG_CACHE_HOME/ditto/native, else ~/.cache/ditto/native; a home-less account (a service user
 * whose home does not exist) falls back to a directory of its own under the temp dir.
 */
export function addonCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'ditto', 'native');
  const home = os.homedir();
  if (home && fs.existsSync(home)) return path.join(home, '.cache', 'ditto', 'native');
  return path.join(os.tmpdir(), `ditto-${process.getuid?.() ?? 'user'}`, 'native');
}

/** Writes the embedded addon to `file`: checked against its hash, private dir, tmp + rename. */
function extractAddon(s: typeof SeaModule, hash: string, file: string): void {
  const bytes = Buffer.from(s.getRawAsset(SQLITE_ADDON_ASSET) as ArrayBuffer);
  const actual = crypto.createHash('sha256').update(bytes).digest('hex');
  if (actual !== hash) {
    throw new DittoError('INTERNAL', `the SQLite addon inside ${process.execPath} is damaged (sha256 ${actual.slice(0, 12)}, expected ${hash.slice(0, 12)})`, {
      hint: 'reinstall ditto (install.sh)',
    });
  }
  const dir = path.dirname(file);
  try {
    makeDirs(dir);
    // From the cache root down: a directory someone else controls could have ours swapped out.
    for (const d of [path.dirname(path.dirname(dir)), path.dirname(dir), dir]) checkPrivateDir(d);
    // A unique temp name, then rename: concurrent first runs each write whole files, one wins.
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    const fd = fs.openSync(tmp, 'wx', 0o700);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    if (err instanceof DittoError) throw err;
    throw new DittoError('INTERNAL', `cannot write the SQLite addon to ${dir}: ${(err as Error).message}`, {
      hint: 'make it writable, or set XDG_CACHE_HOME to a writable directory',
      cause: err,
    });
  }
}

/**
 * mkdir -p with mode 0700, one level at a time: Node's recursive mkdirSync never returns when a
 * parent cannot be created (a cache path under /proc spins forever), this fails at once.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !fs.existsSync(at); at = path.dirname(at)) {
    if (path.dirname(at) === at) break;
    missing.unshift(at);
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * The addon is code this process will run: its directory must be ours and closed to others, or
 * someone else could swap the file. Directories we just made are fixed to 0700.
 */
function checkPrivateDir(dir: string): void {
  const stat = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
    throw new DittoError('INTERNAL', `${dir} is not a directory owned by this user`, {
      hint: 'remove it, or set XDG_CACHE_HOME to a directory of your own',
    });
  }
  if ((stat.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}
