import path from 'node:path';
import type { ObfuscationRule } from '../config/schema.js';
import { currentDriver, currentHost, isDriverAlive } from '../copies/driver.js';
import type { Manager } from '../copies/manager.js';
import type { DumpSource } from '../engines/engine.js';
import { DittoError } from '../errors.js';
import { engineAddress, probeEngine } from '../runtimes/docker-endpoint.js';
import { findBinDir } from '../runtimes/local-binaries.js';
import { runDump, type DumpPlace } from './dump-runner.js';
import { commitFile, createPrivateFile, ensureDumpDir, removeQuietly, sha256File } from './files.js';
import { recordIdentity } from './identity.js';
import { defaultDumpPath, reseedTarget } from './location.js';
import { obfuscationPlan, scrubDatabase, type ScrubReport } from './obfuscation.js';
import { maskUrl, resolveSecret, splitPassword } from './secrets.js';

export interface ReseedContext {
  /** The Manager of the home whose dump is replaced: it provisions the scratch copy. */
  manager: Manager;
  onProgress?: ((step: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface ReseedOptions {
  /** A postgresql:// URL (or secret reference) to dump; default: source.url in config. */
  source?: string | undefined;
  /** An existing dump (custom or SQL) to take instead of a live source. */
  from?: string | undefined;
}

export interface ReseedResult {
  path: string;
  sha256: string;
  size: number;
  /** Where the data came from, fit to print (no password). */
  source: string;
  /** What the obfuscation rules changed; null when there are none. */
  obfuscated: ScrubReport | null;
  durationMs: number;
}

/** A scratch copy outlives a crashed reseed by at most this long. */
const SCRATCH_TTL_SECONDS = 6 * 3600;
/** How long the probe for a Docker engine (to run pg_dump in) may take when no host binary exists. */
const DOCKER_PROBE_MS = 2000;

/**
 * Makes a fresh dump and atomically replaces the current one. From a live source without
 * obfuscation rules it is the source's own dump. Otherwise the data goes through a scratch copy:
 * restore (which proves a `--from` file whole), scrub with the rules (checked against the copy's
 * catalog first), dump; so with rules in force no raw value reaches the dump. The new dump is
 * written to `<path>.tmp`, verified, synced and renamed over the old one; on any failure the old
 * one is untouched and every temporary file removed.
 */
export async function reseed(ctx: ReseedContext, opts: ReseedOptions): Promise<ReseedResult> {
  const started = Date.now();
  const { manager } = ctx;
  const { config, home, engine } = manager;
  const progress = ctx.onProgress ?? (() => {});
  if (opts.source !== undefined && opts.from !== undefined) throw new DittoError('BAD_INPUT', 'give --source or --from, not both');
  const sourceRef = opts.from === undefined ? (opts.source ?? config.source.url) : undefined;
  if (opts.from === undefined && sourceRef === undefined) {
    throw new DittoError('BAD_INPUT', 'no source to reseed from', { hint: 'give --source postgresql://..., --from FILE, or set source.url in ditto.yaml' });
  }
  const sourceUrl = sourceRef === undefined ? null : resolveSecret(sourceRef, opts.source === undefined ? 'source.url' : '--source');
  const source = sourceUrl === null ? null : splitPassword(sourceUrl);
  const from = opts.from === undefined ? null : path.resolve(opts.from);
  const shownSource = sourceUrl !== null ? maskUrl(sourceUrl) : from!;
  const { rules, seed } = obfuscationPlan(config);

  const target = reseedTarget(config, home);
  ensureDumpDir(path.dirname(target), target === defaultDumpPath(home));
  const tmp = `${target}.tmp`;
  const raw = `${target}.raw.tmp`;
  const lease = `reseed:${target}`;
  const me = currentDriver();
  if (!manager.meta.acquireLease(lease, me, currentHost(), (l) => !isDriverAlive(l.holder, l.host))) {
    const holder = manager.meta.lease(lease)?.holder.split(':')[0] ?? 'another process';
    throw new DittoError('CONFLICT', `a reseed of ${target} is already running (pid ${holder})`, { hint: 'wait for it to finish' });
  }
  try {
    createPrivateFile(tmp);
    let obfuscated: ScrubReport | null = null;
    if (source && rules.length === 0) {
      progress(`Dumping ${shownSource}`);
      await runDump(engine, await sourcePlace(manager), source, tmp, shownSource, ctx.signal);
    } else {
      let input = from;
      if (source) {
        // The raw dump lives only until the scratch copy has it, private, beside the target.
        progress(`Dumping ${shownSource}`);
        createPrivateFile(raw);
        await runDump(engine, await sourcePlace(manager), source, raw, shownSource, ctx.signal);
        input = raw;
      }
      obfuscated = await throughScratchCopy(ctx, input!, tmp, rules.length > 0 ? { rules, seed } : null);
    }
    progress('Checking the new dump');
    const checked = await engine.inspectDump(tmp, { binDir: hostTool(manager, 'pg_restore') });
    const sha256 = await sha256File(tmp);
    commitFile(tmp, target);
    recordIdentity(target, sha256);
    return { path: target, sha256, size: checked.size, source: shownSource, obfuscated, durationMs: Date.now() - started };
  } finally {
    removeQuietly(tmp);
    removeQuietly(raw);
    manager.meta.releaseLease(lease, me);
  }
}

/** Restores `input` into a scratch copy, scrubs it when there are rules, dumps it into `out`, and destroys it. */
async function throughScratchCopy(ctx: ReseedContext, input: string, out: string, scrub: { rules: ObfuscationRule[]; seed: string } | null): Promise<ScrubReport | null> {
  const { manager } = ctx;
  const progress = ctx.onProgress ?? (() => {});
  progress('Restoring into a scratch copy');
  const copy = await manager.scratch(input, SCRATCH_TTL_SECONDS, { onProgress: progress, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  try {
    let report: ScrubReport | null = null;
    if (scrub) {
      progress(`Obfuscating ${scrub.rules.length} column${scrub.rules.length === 1 ? '' : 's'}`);
      report = await scrubDatabase(copy.connectionString, scrub.rules, scrub.seed);
    }
    progress(report ? 'Dumping the scrubbed copy' : 'Dumping the restored copy');
    const place = await scratchPlace(manager, copy.runtime);
    await runDump(manager.engine, place, splitPassword(copy.connectionString) satisfies DumpSource, out, `scratch copy ${copy.id}`, ctx.signal, 'the previous dump is untouched; run `ditto reseed` again');
    return report;
  } finally {
    await manager.down({ ids: [copy.id] }).catch(() => {});
  }
}

/**
 * Where to run the dump tool against a source: this machine's binary; else, when Docker may be
 * used, a helper container of the copy image; else there is no way.
 */
async function sourcePlace(manager: Manager): Promise<DumpPlace> {
  const binDir = hostTool(manager, manager.engine.dumpTool);
  if (binDir) return { kind: 'host', binDir };
  const address = engineAddress();
  if (manager.config.runtime !== 'local' && (await probeEngine(address, DOCKER_PROBE_MS)).ok) return { kind: 'container', image: copyImage(manager), address };
  throw new DittoError('RUNTIME_UNAVAILABLE', `${manager.engine.dumpTool} is not installed here, and there is no Docker engine to run it in`, {
    hint: 'install the PostgreSQL client tools (or set local.bin_dir), or start a Docker engine',
  });
}

/**
 * A scratch copy in a container is dumped by a helper container of the same image, whose tool
 * matches its server's version (a host binary may be older than the server and refuse it).
 */
async function scratchPlace(manager: Manager, runtime: string): Promise<DumpPlace> {
  if (runtime === 'docker') return { kind: 'container', image: copyImage(manager), address: engineAddress() };
  return sourcePlace(manager);
}

function copyImage(manager: Manager): string {
  return manager.config.copy_image ?? manager.engine.container.defaultImage;
}

function hostTool(manager: Manager, tool: string): string | null {
  try {
    return findBinDir([tool], manager.config.local.bin_dir);
  } catch {
    return null;
  }
}

