import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { maskUrl, resolveSecret } from '../config/secrets.js';
import type { DumpFile, ScrubReport } from '../engines/engine.js';
import { obfuscationPlan } from '../engines/obfuscation-plan.js';
import { DittoError } from '../errors.js';
import { currentDriver, currentHost, isDriverAlive } from '../model/process-identity.js';
import { hostTools } from '../runtimes/host-tools.js';
import { formatBytes } from '../support/byte-size.js';
import { createPrivateFile } from '../support/files.js';
import { ensurePrivateDir } from '../support/private-dir.js';
import { firstLine } from '../support/text.js';
import { hostToolDir, throughScratchCopy, type ReseedContext } from './reseed.js';

export interface TargetRefreshOptions {
  name: string;
  /** Say what would happen; change nothing. */
  dryRun?: boolean | undefined;
  /** Asked once everything is checked, before anything is done: false refuses. */
  confirm: (plan: string[]) => Promise<boolean>;
}

export interface TargetRefreshResult {
  target: string;
  /** The target's URL, fit to print (no password). */
  url: string;
  dump: string;
  dryRun: boolean;
  /** What the refresh does (or, in a dry run, would do), a line each. */
  plan: string[];
  /** What the rules changed; null without rules, and in a dry run. */
  obfuscated: ScrubReport | null;
  durationMs: number;
}

/** How long probing the target may take before a refresh is refused. */
const PROBE_MS = 10_000;

/** A configured target's URL, resolved, and as it may be shown. */
export function targetUrl(config: Config, name: string): { url: string; shown: string } {
  const entry = Object.hasOwn(config.targets, name) ? config.targets[name] : undefined;
  if (!entry) {
    const known = Object.keys(config.targets);
    throw new DittoError('NOT_FOUND', `no target '${name}' in ditto.yaml`, {
      hint: known.length ? `targets: ${known.join(', ')}` : 'add targets: {NAME: {url: env:STAGING_URL}} to ditto.yaml',
    });
  }
  const url = resolveSecret(entry.url, `targets.${name}.url`);
  return { url, shown: maskUrl(url) };
}

/**
 * Replaces a target's contents with the current dump, scrubbed when obfuscation rules exist.
 *
 * Safety: the target must never hold a raw row, nor be left half-replaced. So everything that can
 * fail early does, before the target is touched: the target is known, its engine can do this, the
 * dump is there and readable, the rules' seed resolves, the tools are here, the target answers.
 * Then the dump goes through a scratch copy of ditto's own: restored (which proves it whole),
 * scrubbed with the rules (checked against its catalogue first), dumped again. Scrubbing in the
 * target itself, even inside a transaction, would write raw rows to its disk and WAL first, so it
 * is never done. Only the scrubbed dump reaches the target, all or nothing (`Engine.targetRestore`:
 * one transaction on PostgreSQL, one RENAME TABLE on MySQL): a failure anywhere leaves the target as it was.
 */
export async function refreshTarget(ctx: ReseedContext, opts: TargetRefreshOptions): Promise<TargetRefreshResult> {
  const started = Date.now();
  const { copies } = ctx;
  const { config, home, meta } = copies;
  const progress = ctx.onProgress ?? (() => {});
  const { url, shown } = targetUrl(config, opts.name);
  const engine = ctx.engines.current(config);
  const targetEngine = ctx.engines.forUrl(url);
  if (targetEngine !== engine) {
    throw new DittoError('BAD_INPUT', `target ${opts.name} (${shown}) is not a ${engine.name} database, which the dump is`, { hint: `give targets.${opts.name}.url as a ${engine.schemes[0]}:// URL` });
  }
  const restore = engine.targetRestore;
  const dumpPath = copies.provisioner.currentDump();
  if (!dumpPath) throw new DittoError('DUMP_INVALID', `no dump to refresh target ${opts.name} from`, { hint: 'run `ditto reseed --source URL`, or set dump.path' });
  const binDir = hostToolDir(ctx, engine, restore.tools);
  if (!binDir) throw new DittoError('RUNTIME_UNAVAILABLE', `${restore.tools.join(' and ')} are not installed here`, { hint: `install the ${engine.name} client tools (or set local.bin_dir)` });
  const dump = await engine.inspectDump(dumpPath, { binDir });
  const { rules, seed } = obfuscationPlan(config);
  const plan = planOf(opts.name, shown, dump, rules.length, restore.how);
  progress(`Checking target ${opts.name}`);
  await engine.probe(url, PROBE_MS).catch((err: unknown) => {
    throw new DittoError('REMOTE', `target ${opts.name} (${shown}) cannot be reached: ${firstLine((err as Error).message || String(err))}`, { hint: `check targets.${opts.name}.url in ditto.yaml` });
  });
  if (opts.dryRun) return { target: opts.name, url: shown, dump: dumpPath, dryRun: true, plan, obfuscated: null, durationMs: Date.now() - started };
  if (!(await opts.confirm(plan))) {
    throw new DittoError('BAD_INPUT', `refreshing target ${opts.name} replaces everything in it: not done without confirmation`, { hint: 'add --confirm (or --dry-run to see what it would do)' });
  }

  const lease = `target:${opts.name}`;
  const me = currentDriver();
  if (!meta.acquireLease(lease, me, currentHost(), (l) => !isDriverAlive(l.holder, l.host))) {
    throw new DittoError('CONFLICT', `target ${opts.name} is being refreshed already`, { hint: 'wait for it to finish' });
  }
  // Private: the scrubbed dump and the script made of it are the target's data.
  ensurePrivateDir(path.join(home, 'cache'));
  const work = fs.mkdtempSync(path.join(home, 'cache', 'target-'));
  try {
    const scrubbed = path.join(work, 'target.dump');
    createPrivateFile(scrubbed);
    const obfuscated = await throughScratchCopy(ctx, engine, dump.path, scrubbed, rules.length > 0 ? { rules, seed } : null);
    progress(`Restoring into target ${opts.name}`);
    const checked = await engine.inspectDump(scrubbed, { binDir });
    await restore.replace(hostTools(binDir), checked, engine.parseSource(url), work, ctx.signal);
    return { target: opts.name, url: shown, dump: dumpPath, dryRun: false, plan, obfuscated, durationMs: Date.now() - started };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    meta.releaseLease(lease, me);
  }
}

function planOf(name: string, shown: string, dump: DumpFile, rules: number, how: string): string[] {
  return [
    `replace everything in target ${name} (${shown})`,
    `with dump ${dump.path} (${dump.kind}, ${formatBytes(dump.size)}, made ${new Date(dump.modifiedAt).toISOString()})`,
    rules > 0 ? `obfuscated with ${rules} rule${rules === 1 ? '' : 's'} in a scratch copy first` : 'not obfuscated: ditto.yaml has no obfuscate rules (restored through a scratch copy first)',
    how,
  ];
}
