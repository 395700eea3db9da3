import path from 'node:path';
import { maskUrl, resolveSecret } from '../config/secrets.js';
import type { Copies } from '../copies/house.js';
import { recordIdentity } from '../dump/identity.js';
import { defaultDumpPath, reseedTarget } from '../dump/location.js';
import { findBinDirOrNull } from '../engines/bin-dirs.js';
import type { DumpSource, Engine, ScrubReport, ToolRunner } from '../engines/engine.js';
import type { SubsetReport } from '../engines/subset-plan.js';
import { obfuscationPlan } from '../engines/obfuscation-plan.js';
import { enforceColumnPolicy, uncoveredColumns, type SourceColumn } from '../engines/column-policy.js';
import type { Engines } from '../engines/registry.js';
import { DittoError } from '../errors.js';
import type { ObfuscationRule } from '../config/schema.js';
import { currentDriver, currentHost, isDriverAlive } from '../model/process-identity.js';
import { hostTools } from '../runtimes/host-tools.js';
import { engineAddress, probeEngine } from '../runtimes/docker/docker-endpoint.js';
import { imageFor, type Runtimes } from '../runtimes/registry.js';
import { commitFile, createPrivateFile, ensureDumpDir, removeQuietly, sha256File } from '../support/files.js';
import { runDump } from './dump-runner.js';
import { runFailureHooks } from './failure-hooks.js';

export interface ReseedContext {
  /** The copies floor of the home whose dump is replaced: it provisions the scratch copy and holds the lease. */
  copies: Copies;
  engines: Engines;
  runtimes: Runtimes;
  onProgress?: ((step: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Where a dump.on_failure hook that itself failed is told (the log, stderr). */
  onHookProblem?: ((line: string) => void) | undefined;
}

export interface ReseedOptions {
  /** A source URL (or secret reference) to dump; default: source.url in config. */
  source?: string | undefined;
  /** An existing dump to take instead of a live source. */
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
  /** What dump.subset kept of each table; null without one. */
  subset: SubsetReport | null;
  durationMs: number;
}

/** A scratch copy outlives a crashed reseed by at most this long. */
export const SCRATCH_TTL_SECONDS = 6 * 3600;
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
  try {
    return await reseedOnce(ctx, opts);
  } catch (err) {
    // dump.on_failure hears of it, whichever way the reseed was started (a command, the host's schedule).
    const { config, home } = ctx.copies;
    const source = opts.from ?? opts.source ?? config.source.url ?? null;
    const shown = source === null ? null : /^(env|file):/.test(source) ? source : maskUrl(source);
    for (const problem of await runFailureHooks(config, home, err, shown)) ctx.onHookProblem?.(problem);
    throw err;
  }
}

/** The source a reseed dumps (a live database or a dump file) and the engine that reads it. */
function resolveSource(ctx: ReseedContext, opts: ReseedOptions) {
  const { config } = ctx.copies;
  if (opts.source !== undefined && opts.from !== undefined) throw new DittoError('BAD_INPUT', 'give --source or --from, not both');
  const sourceRef = opts.from === undefined ? (opts.source ?? config.source.url) : undefined;
  if (opts.from === undefined && sourceRef === undefined) {
    throw new DittoError('BAD_INPUT', 'no source to reseed from', { hint: 'give --source URL, --from FILE, or set source.url in ditto.yaml' });
  }
  const sourceUrl = sourceRef === undefined ? null : resolveSecret(sourceRef, opts.source === undefined ? 'source.url' : '--source');
  // The configured engine, else the one the source's scheme names: a source of another engine than
  // the one configured is refused by its URL check below.
  const engine = (config.engine === undefined && sourceUrl !== null ? ctx.engines.forUrl(sourceUrl) : null) ?? ctx.engines.current(config);
  const source = sourceUrl === null ? null : engine.parseSource(sourceUrl);
  const from = opts.from === undefined ? null : path.resolve(opts.from);
  if (config.dump.subset && sourceUrl === null) {
    throw new DittoError('BAD_INPUT', 'dump.subset is taken from a live source, not from a dump file', { hint: 'reseed with --source URL or source.url, or remove dump.subset' });
  }
  if (config.dump.subset && !engine.subset) throw new DittoError('BAD_INPUT', `dump.subset is not supported for ${engine.name} sources`);
  return { engine, sourceUrl, source, from, shown: sourceUrl !== null ? maskUrl(sourceUrl) : from! };
}

/** What dump.subset would keep of each table of the source, counted in it; nothing is written. */
export async function previewSubset(ctx: ReseedContext, opts: ReseedOptions): Promise<{ source: string; report: SubsetReport }> {
  const subset = ctx.copies.config.dump.subset;
  if (!subset) throw new DittoError('BAD_INPUT', '`reseed --dry-run` shows what dump.subset keeps, and ditto.yaml has no dump.subset', { hint: 'add dump.subset (tables, relations, others) to ditto.yaml' });
  const { engine, sourceUrl, source, shown } = resolveSource(ctx, opts);
  ctx.onProgress?.(`Counting the subset of ${shown}`);
  const report = await engine.subset!({ url: sourceUrl!, source: source!, config: subset, out: null, excludeTableData: ctx.copies.config.dump.exclude_table_data, signal: ctx.signal });
  return { source: shown, report };
}

/** The live source's columns under no obfuscate rule and in no obfuscate.keep pattern (`reseed --classify`). */
export async function classifyColumns(ctx: ReseedContext, opts: ReseedOptions): Promise<{ source: string; columns: SourceColumn[] }> {
  const { engine, sourceUrl, shown } = resolveSource(ctx, opts);
  if (sourceUrl === null) throw new DittoError('BAD_INPUT', '`reseed --classify` reads a live source, not a dump file', { hint: 'give --source URL or set source.url' });
  return { source: shown, columns: uncoveredColumns(await engine.schemaOf(sourceUrl), ctx.copies.config.obfuscate) };
}

async function reseedOnce(ctx: ReseedContext, opts: ReseedOptions): Promise<ReseedResult> {
  const started = Date.now();
  const { copies } = ctx;
  const { config, home, meta } = copies;
  const progress = ctx.onProgress ?? (() => {});
  const { engine, sourceUrl, source, from, shown: shownSource } = resolveSource(ctx, opts);
  const { rules, seed } = obfuscationPlan(config);
  // Before anything is written: a strict policy stops a reseed whose source has a column nobody decided on.
  if (sourceUrl !== null && config.obfuscate.columns.policy === 'strict') enforceColumnPolicy(await engine.schemaOf(sourceUrl), config.obfuscate);
  const excludeTableData = config.dump.exclude_table_data;
  let subset: SubsetReport | null = null;
  /** The source's dump (or subset) into `out`. */
  const dumpSource = async (source: DumpSource, out: string, exclude: readonly string[]) => {
    const tools = await sourceTools(ctx, engine, out);
    progress(`${config.dump.subset ? 'Taking a subset of' : 'Dumping'} ${shownSource}`);
    if (!config.dump.subset) return runDump(engine, tools, source, out, shownSource, { signal: ctx.signal, excludeTableData: exclude });
    subset = await engine.subset!({ url: sourceUrl!, source, config: config.dump.subset, out: { file: out, tools }, excludeTableData: exclude, signal: ctx.signal });
  };

  const target = reseedTarget(config, home);
  ensureDumpDir(path.dirname(target), target === defaultDumpPath(home));
  const tmp = `${target}.tmp`;
  const raw = `${target}.raw.tmp`;
  const lease = `reseed:${target}`;
  const me = currentDriver();
  if (!meta.acquireLease(lease, me, currentHost(), (l) => !isDriverAlive(l.holder, l.host))) {
    const holder = meta.lease(lease)?.holder.split(':')[0] ?? 'another process';
    throw new DittoError('CONFLICT', `a reseed of ${target} is already running (pid ${holder})`, { hint: 'wait for it to finish' });
  }
  try {
    createPrivateFile(tmp);
    let obfuscated: ScrubReport | null = null;
    if (source && rules.length === 0) {
      await dumpSource(source, tmp, excludeTableData);
    } else {
      let input = from;
      if (source) {
        // The raw dump lives only until the scratch copy has it, private, beside the target.
        createPrivateFile(raw);
        await dumpSource(source, raw, []);
        input = raw;
      }
      obfuscated = await throughScratchCopy(ctx, engine, input!, tmp, rules.length > 0 ? { rules, seed } : null);
    }
    progress('Checking the new dump');
    const checked = await engine.inspectDump(tmp, { binDir: hostToolDir(ctx, engine, engine.container.hostTools) });
    const sha256 = await sha256File(tmp);
    commitFile(tmp, target);
    // Read back by `ditto status`: what this dump holds of each table (the host's scheduled reseeds too).
    const kept = subset as SubsetReport | null;
    recordIdentity(target, sha256, home, { subset: kept && { tables: kept.tables.map(({ table, rows, total }) => ({ table, rows, total })) } });
    return { path: target, sha256, size: checked.size, source: shownSource, obfuscated, subset, durationMs: Date.now() - started };
  } finally {
    removeQuietly(tmp);
    removeQuietly(raw);
    meta.releaseLease(lease, me);
  }
}

/** Restores `input` into a scratch copy, scrubs it when there are rules, dumps it into `out`, and destroys it. */
export async function throughScratchCopy(ctx: ReseedContext, engine: Engine, input: string, out: string, scrub: { rules: ObfuscationRule[]; seed: string } | null): Promise<ScrubReport | null> {
  const { copies } = ctx;
  const progress = ctx.onProgress ?? (() => {});
  progress('Restoring into a scratch copy');
  const copy = await copies.provisioner.scratch(engine, input, SCRATCH_TTL_SECONDS, { onProgress: progress, signal: ctx.signal });
  try {
    let report: ScrubReport | null = null;
    // A dump file (or the current dump, for a target) is checked here, where its columns can be read.
    if (copies.config.obfuscate.columns.policy === 'strict') enforceColumnPolicy(await engine.schemaOf(copy.connectionString), copies.config.obfuscate);
    if (scrub) {
      progress(`Obfuscating ${scrub.rules.length} column${scrub.rules.length === 1 ? '' : 's'}`);
      report = await engine.scrub(copy.endpoint, copy.credentials, scrub.rules, scrub.seed, ctx.signal);
    }
    progress(report ? 'Dumping the scrubbed copy' : 'Dumping the restored copy');
    const tools = copy.runtime === 'docker' ? await helperTools(ctx, engine, out) : await sourceTools(ctx, engine, out);
    await runDump(engine, tools, engine.parseSource(copy.connectionString), out, `scratch copy ${copy.id}`, {
      signal: ctx.signal,
      excludeTableData: ctx.copies.config.dump.exclude_table_data,
      hint: 'the previous dump is untouched; run `ditto reseed` again',
    });
    return report;
  } finally {
    await copies.manager.down({ ids: [copy.id] }).catch(() => {});
  }
}

/**
 * Where to run the dump tool against a source, writing `out`: this machine's binary; else, when
 * Docker may be used, a helper container of the copy image; else there is no way.
 */
async function sourceTools(ctx: ReseedContext, engine: Engine, out: string): Promise<ToolRunner> {
  const binDir = hostToolDir(ctx, engine, [engine.dumpTool]);
  if (binDir) return hostTools(binDir);
  if (ctx.copies.config.runtime !== 'local' && (await probeEngine(engineAddress(), DOCKER_PROBE_MS)).ok) return helperTools(ctx, engine, out);
  throw new DittoError('RUNTIME_UNAVAILABLE', `${engine.dumpTool} is not installed here, and there is no Docker engine to run it in`, {
    hint: `install the ${engine.name} client tools (or set local.bin_dir), or start a Docker engine`,
  });
}

/**
 * A helper container of the copy image: a scratch copy in a container is dumped by the same image,
 * whose tool matches its server's version (a host binary may be older than the server and refuse it).
 */
async function helperTools(ctx: ReseedContext, engine: Engine, out: string): Promise<ToolRunner> {
  const docker = await ctx.runtimes.get('docker');
  return docker.helperTools!(imageFor(ctx.copies.config, engine), out);
}

export function hostToolDir(ctx: ReseedContext, engine: Engine, tools: readonly string[]): string | null {
  return findBinDirOrNull(() => engine.local.findBinDir(ctx.copies.config.local.bin_dir, tools));
}
