import type { CopyInfo, IssuedCopy, StatusReport } from '../client/copy-client.js';
import { copyJson } from '../cli/output.js';
import type { CopyEvent, CopyStatus, RuntimeName } from '../copies/copy.js';
import { DittoError } from '../errors.js';

/**
 * The /v2 wire format, both ways: snake_case fields, ISO timestamps (as `ditto ls --json` prints
 * them). Fields beyond the established v2 ones (label, runtime, host, expires_at, notices, and the
 * extra status figures) are additions that v2 clients ignore and ditto's own client uses.
 */

/** `url` with its host replaced: connection strings name the host callers reach, not its loopback. */
export function withHost(url: string, host: string): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  return parsed.toString();
}

export function copyWire(copy: CopyInfo, advertiseHost: string): Record<string, unknown> {
  return copyJson({ ...copy, host: advertiseHost });
}

/** POST's answer: the copy, its connection string, and `warm`: whether it came ready from the pool. */
export function issuedWire(copy: IssuedCopy, advertiseHost: string, requestedAt: number): Record<string, unknown> {
  return {
    ...copyJson({ ...copy, host: advertiseHost, connectionString: withHost(copy.connectionString, advertiseHost) }),
    warm: copy.readyAt !== null && copy.readyAt < requestedAt,
    notices: copy.notices,
  };
}

/** GET /v2/status: the v2 figures, then what `ditto status --remote` shows besides. */
export interface StatusWire {
  version: string;
  active_copies: number;
  warm_copies: number;
  port_pool_free: number;
  advertise_host: string;
  provisioning_copies?: number;
  pool_target?: number;
  port_range?: { min: number; max: number };
  runtime?: { name: string; reason: string; detail: string };
  dump?: { path: string | null; age_seconds: number | null; stale: boolean; stale_threshold_seconds: number };
}

// The other way: what ditto's HTTP client makes of the host's answers.

type Wire = Record<string, unknown>;

function time(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function copyFromWire(w: Wire): CopyInfo {
  if (typeof w.id !== 'string' || typeof w.status !== 'string') throw new DittoError('REMOTE', 'the host answered with a copy that has no id or status');
  return {
    id: w.id,
    status: w.status as CopyStatus,
    warm: w.warm === true,
    runtime: (text(w.runtime) ?? 'local') as RuntimeName,
    host: text(w.host) ?? '',
    port: typeof w.port === 'number' ? w.port : null,
    label: text(w.label),
    runId: text(w.run_id),
    jobName: text(w.job_name),
    ttlSeconds: typeof w.ttl_seconds === 'number' ? w.ttl_seconds : 0,
    createdAt: time(w.created_at) ?? 0,
    readyAt: time(w.ready_at),
    expiresAt: time(w.expires_at),
    destroyedAt: time(w.destroyed_at),
    errorMessage: text(w.error_message),
  };
}

/** A copy just issued: in the caller's hands it is claimed, whether or not it came from the pool. */
export function issuedFromWire(w: Wire): IssuedCopy {
  const connectionString = text(w.connection_string);
  if (!connectionString) throw new DittoError('REMOTE', 'the host answered without a connection string');
  return { ...copyFromWire(w), warm: false, connectionString, notices: Array.isArray(w.notices) ? w.notices.map(String) : [] };
}

export function eventFromWire(w: Wire, copyId: string): CopyEvent {
  return {
    copyId,
    action: String(w.action),
    actor: String(w.actor),
    metadata: typeof w.metadata === 'object' && w.metadata !== null ? (w.metadata as Record<string, unknown>) : {},
    createdAt: time(w.created_at) ?? 0,
  };
}

export function statusFromWire(w: StatusWire, url: string): StatusReport {
  const hostRuntime = w.runtime ? `copies run on the host with ${w.runtime.name} (${w.runtime.reason})` : 'copies run on the host';
  return {
    version: w.version,
    runtime: { name: 'remote', reason: url, detail: hostRuntime },
    dump: {
      path: w.dump?.path ?? null,
      ageSeconds: w.dump?.age_seconds ?? null,
      stale: w.dump?.stale ?? false,
      staleThresholdSeconds: w.dump?.stale_threshold_seconds ?? 0,
    },
    pool: { ready: w.warm_copies, target: w.pool_target ?? 0 },
    ports: { min: w.port_range?.min ?? 0, max: w.port_range?.max ?? 0, free: w.port_pool_free },
    copies: { active: w.active_copies, provisioning: w.provisioning_copies ?? 0 },
  };
}
