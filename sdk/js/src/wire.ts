import { DittoError } from './errors.js';
import type { Copy, CopyEvent, IssuedCopy, Status, TestDatabase } from './types.js';

/**
 * ditto's JSON, read: the /v2 fields (snake_case, as `ditto ls --json` prints them too) into the
 * SDK's camelCase types. Fields an established v2 host leaves out read as null.
 */

type Wire = Record<string, unknown>;

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const obj = (v: unknown): Wire | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Wire) : null);

/** A per-test database as the CLI (`db new --json`) and the host print it. */
export function testDatabaseFromWire(w: unknown, source: string): TestDatabase {
  const r = (typeof w === 'object' && w !== null ? w : {}) as Record<string, unknown>;
  if (typeof r.database !== 'string' || typeof r.connection_string !== 'string' || typeof r.copy_id !== 'string') {
    throw new DittoError('REMOTE', `${source} answered without a database and its connection string`);
  }
  return { copyId: r.copy_id, database: r.database, connectionString: r.connection_string };
}

export function copyFromWire(value: unknown, source: string): Copy {
  const w = obj(value);
  const id = text(w?.id);
  const status = text(w?.status);
  if (!w || !id || !status) throw new DittoError('REMOTE', `${source} answered with a copy that has no id or status`);
  return {
    id,
    status,
    warm: w.warm === true,
    runtime: text(w.runtime) ?? 'local',
    host: text(w.host) ?? '',
    port: num(w.port),
    label: text(w.label),
    name: text(w.name),
    runId: text(w.run_id),
    jobName: text(w.job_name),
    ttlSeconds: num(w.ttl_seconds) ?? 0,
    createdAt: text(w.created_at),
    readyAt: text(w.ready_at),
    expiresAt: text(w.expires_at),
    destroyedAt: text(w.destroyed_at),
    errorMessage: text(w.error_message),
    diskBytes: num(w.disk_bytes),
  };
}

export function issuedFromWire(value: unknown, source: string, notices: string[] = []): IssuedCopy {
  const copy = copyFromWire(value, source);
  const connectionString = text((value as Wire).connection_string);
  if (!connectionString) throw new DittoError('REMOTE', `${source} answered without a connection string`);
  const sent = (value as Wire).notices;
  return { ...copy, connectionString, notices: Array.isArray(sent) ? sent.map(String) : notices };
}

export function listFromWire<T>(value: unknown, source: string, what: string, read: (item: unknown) => T): T[] {
  if (!Array.isArray(value)) throw new DittoError('REMOTE', `${source} answered with something other than a list of ${what}`);
  return value.map(read);
}

export function eventFromWire(value: unknown): CopyEvent {
  const w = obj(value) ?? {};
  return { action: String(w.action), actor: String(w.actor), metadata: obj(w.metadata) ?? {}, createdAt: text(w.created_at) };
}

/** GET /v2/status: the v2 figures, then what a host tells besides (some only to admins). */
export function statusFromWire(value: unknown, source: string): Status {
  const w = obj(value);
  if (!w || typeof w.version !== 'string') throw new DittoError('REMOTE', `${source} answered GET /v2/status without a version`);
  const range = obj(w.port_range);
  const runtime = obj(w.runtime);
  const dump = obj(w.dump);
  return {
    version: w.version,
    activeCopies: num(w.active_copies) ?? 0,
    provisioningCopies: num(w.provisioning_copies) ?? 0,
    warmCopies: num(w.warm_copies) ?? 0,
    poolTarget: num(w.pool_target),
    portPoolFree: num(w.port_pool_free) ?? 0,
    portRange: range ? { min: num(range.min) ?? 0, max: num(range.max) ?? 0 } : null,
    advertiseHost: text(w.advertise_host),
    runtime: runtime ? { name: String(runtime.name), reason: String(runtime.reason), detail: String(runtime.detail) } : null,
    dump: dump
      ? { path: text(dump.path), ageSeconds: num(dump.age_seconds), stale: dump.stale === true, staleThresholdSeconds: num(dump.stale_threshold_seconds) ?? 0 }
      : null,
  };
}

/** `ditto status --json`: the CLI's own report (camelCase, grouped), in the same shape as a host's. */
export function statusFromCli(value: unknown): Status {
  const r = value as {
    version?: unknown;
    runtime?: Status['runtime'];
    dump?: Status['dump'];
    pool?: { ready: number; target: number };
    ports?: { min: number; max: number; free: number };
    copies?: { active: number; provisioning: number };
  };
  if (typeof r?.version !== 'string' || !r.pool || !r.ports || !r.copies) throw new DittoError('INTERNAL', '`ditto status --json` printed something the SDK does not know');
  return {
    version: r.version,
    activeCopies: r.copies.active,
    provisioningCopies: r.copies.provisioning,
    warmCopies: r.pool.ready,
    poolTarget: r.pool.target,
    portPoolFree: r.ports.free,
    portRange: { min: r.ports.min, max: r.ports.max },
    advertiseHost: null,
    runtime: r.runtime ?? null,
    dump: r.dump ?? null,
  };
}
