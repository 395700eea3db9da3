import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../support/files.js';
import { isSingleExecutable } from '../runtime-env/sea.js';
import { ensurePrivateDir } from '../support/private-dir.js';
import type { Config } from './schema.js';
import { configVariables, findConfigFile, resolveHome, type LoadedConfig, type LoadOptions } from './locate.js';

/**
 * loadConfig() for the CLI, behind a cache in the home (<home>/cache/config.json): while the
 * config file, the DITTO_* variables and the ditto program itself are unchanged, the validated
 * config is read back as JSON, and neither the YAML parser nor the schema library loads. That
 * is most of a quick command's start-up work (a warm `ditto up`, `ditto ls`).
 *
 * An entry is kept per program (the executable, or dist/ditto.cjs under node: both may serve one
 * home), under a key made of the config file's identity (device, inode, size, modification and
 * change times) and a hash of the variables; the program is identified by its path, size and
 * times. So an edited file, a changed variable or a rebuilt ditto each read the config afresh.
 * The file is private, like the rest of the home: the config may hold literal secrets.
 */
export async function loadConfigCached(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const home = resolveHome(opts.home, env);
  const file = findConfigFile(opts, home);
  const program = programStamp();
  const key = cacheKey(file, env);
  const cacheFile = path.join(home, 'cache', 'config.json');
  const entries = program ? readCache(cacheFile) : {};
  const cached = program ? entries[program] : undefined;
  if (cached?.key === key) return { config: cached.config, file, home, notices: cached.notices ?? [] };

  const { configFrom } = await import('./load.js');
  const { config, notices } = configFrom(file, env);
  if (program) writeCache(cacheFile, { ...entries, [program]: { key, config, notices, at: Date.now() } });
  return { config, file, home, notices };
}

/** Entries for this many programs are kept; the least recently written go. */
const MAX_PROGRAMS = 4;

interface CacheEntry {
  key: string;
  config: Config;
  notices?: string[];
  at: number;
}

/** The program: the executable itself when it runs alone, else the script node runs (dist/ditto.cjs). */
function programStamp(): string | null {
  const file = isSingleExecutable() ? process.execPath : process.argv[1];
  const fileStamp = file ? stamp(file) : null;
  return fileStamp ? `${file}:${fileStamp}` : null;
}

function cacheKey(file: string | null, env: NodeJS.ProcessEnv): string {
  const variables = crypto.createHash('sha256').update(JSON.stringify(configVariables(env))).digest('hex');
  return JSON.stringify({ file, fileStamp: file ? stamp(file) : null, variables });
}

/** The config file as it is on disk now (identity, size, times); null for none. Changes with every edit. */
export function configFileStamp(file: string | null): string | null {
  return file ? stamp(file) : null;
}

function stamp(file: string): string | null {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return null;
  }
}

function readCache(cacheFile: string): Record<string, CacheEntry> {
  try {
    const entries = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as unknown;
    return typeof entries === 'object' && entries !== null && !Array.isArray(entries) ? (entries as Record<string, CacheEntry>) : {};
  } catch {
    return {}; // none yet, or unreadable: parse the config
  }
}

/** Best effort: a home that does not exist yet is not made for it, and a failed write only costs the next start. */
function writeCache(cacheFile: string, entries: Record<string, CacheEntry>): void {
  const kept = Object.fromEntries(
    Object.entries(entries)
      .sort(([, a], [, b]) => b.at - a.at)
      .slice(0, MAX_PROGRAMS),
  );
  const dir = path.dirname(cacheFile);
  if (!fs.existsSync(path.dirname(dir))) return;
  try {
    ensurePrivateDir(dir);
    writeFileAtomically(cacheFile, JSON.stringify(kept));
  } catch {
    // Not written: the next start parses the config again.
  }
}
