import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';

/** Where `ditto reseed` puts the dump when dump.path is not configured. */
export function defaultDumpPath(home: string): string {
  return path.join(home, 'dumps', 'default.dump');
}

/**
 * The dump copies start from: dump.path when configured, else the default one once `ditto reseed`
 * has made it, else none (copies are empty databases). Asked on every use, not cached: a reseed
 * by another process makes the default appear.
 */
export function currentDumpPath(config: Config, home: string): string | null {
  if (config.dump.path) return config.dump.path;
  const fallback = defaultDumpPath(home);
  return fs.existsSync(fallback) ? fallback : null;
}

/** Where `ditto reseed` writes: dump.path, or the default under the home. */
export function reseedTarget(config: Config, home: string): string {
  return config.dump.path ?? defaultDumpPath(home);
}

/** Seconds since the dump was written; null when it is missing. */
export function dumpAgeSeconds(file: string, now = Date.now()): number | null {
  try {
    return Math.round((now - fs.statSync(file).mtimeMs) / 1000);
  } catch {
    return null;
  }
}

/** How old the dump is, and whether that is older than dump.stale_threshold (a missing dump is not stale: it is missing). */
export function dumpFreshness(config: Config, file: string | null): { path: string | null; ageSeconds: number | null; stale: boolean; staleThresholdSeconds: number } {
  const age = file ? dumpAgeSeconds(file) : null;
  return { path: file, ageSeconds: age, stale: age !== null && age > config.dump.stale_threshold, staleThresholdSeconds: config.dump.stale_threshold };
}

/** A warning for `up` when the dump is older than dump.stale_threshold; null when it is fresh. */
export function staleDumpNotice(config: Config, file: string | null): string | null {
  const { ageSeconds: age, stale } = dumpFreshness(config, file);
  if (!file || age === null || !stale) return null;
  return `warning: dump ${file} is ${formatDuration(age)} old (dump.stale_threshold is ${formatDuration(config.dump.stale_threshold)}); run \`ditto reseed\` for fresh data`;
}
