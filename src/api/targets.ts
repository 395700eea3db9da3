import type { TargetRefreshResult } from '../reseed/targets.js';
import type { TargetRefreshWire } from './wire-schemas.js';

/** A refresh as JSON (`--json` and the host's answer). */
export function targetRefreshWire(r: TargetRefreshResult): TargetRefreshWire {
  return { target: r.target, url: r.url, dump: r.dump, dry_run: r.dryRun, plan: r.plan, obfuscated: r.obfuscated, duration_ms: r.durationMs };
}
