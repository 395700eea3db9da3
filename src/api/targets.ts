import { DittoError } from '../errors.js';
import type { TargetRefreshResult } from '../reseed/targets.js';

/** POST /v2/targets/{name}/refresh: `{dry_run?}`; the POST itself is the confirmation. */
export function parseTargetRefresh(body: unknown): { dryRun: boolean } {
  const dryRun = (body as { dry_run?: unknown } | null)?.dry_run;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean')) {
    throw new DittoError('BAD_INPUT', 'request body must be a JSON object, with dry_run a boolean if given', { hint: 'send {} to refresh, {"dry_run": true} to see what it would do' });
  }
  return { dryRun: dryRun === true };
}

/** A refresh as JSON (`--json` and the host's answer). */
export function targetRefreshWire(r: TargetRefreshResult): Record<string, unknown> {
  return { target: r.target, url: r.url, dump: r.dump, dry_run: r.dryRun, plan: r.plan, obfuscated: r.obfuscated, duration_ms: r.durationMs };
}
