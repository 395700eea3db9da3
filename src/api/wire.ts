import { DittoError } from '../errors.js';
import type { CopyInfo, IssuedCopy, StatusReport, TestDatabase } from '../model/copy-client.js';
import type { CopyEvent, CopyStatus, RuntimeName } from '../model/copy.js';
import { withoutDiskPaths } from '../support/path-redaction.js';
import type { CopyWire, EventWire, IssuedWire, ReseedWire, StatusWire, TestDatabaseWire } from './wire-schemas.js';

/**
 * The /v2 wire format, both ways: snake_case fields, ISO timestamps (as `ditto ls --json` prints
 * them). Fields beyond the established v2 ones (label, runtime, host, expires_at, notices, and the
 * extra status figures) are additions that v2 clients ignore and ditto's own client uses. The
 * shapes are the schemas of ./wire-schemas.ts (their types only: no schema library loads here).
 */

type Wire = Record<string, unknown>;
type Kind = 'text' | 'number' | 'time' | 'bool';

/** Each CopyInfo field on the wire: its name, its kind, and what a client assumes when it is absent. */
const COPY_FIELDS: { [K in keyof CopyInfo]: { name: keyof CopyWire; kind: Kind; absent?: CopyInfo[K] } } = {
  id: { name: 'id', kind: 'text' },
  status: { name: 'status', kind: 'text' },
  warm: { name: 'warm', kind: 'bool' },
  runtime: { name: 'runtime', kind: 'text', absent: 'local' },
  engine: { name: 'engine', kind: 'text' },
  host: { name: 'host', kind: 'text', absent: '' },
  port: { name: 'port', kind: 'number' },
  label: { name: 'label', kind: 'text' },
  name: { name: 'name', kind: 'text' },
  owner: { name: 'owner', kind: 'text' },
  runId: { name: 'run_id', kind: 'text' },
  jobName: { name: 'job_name', kind: 'text' },
  ttlSeconds: { name: 'ttl_seconds', kind: 'number', absent: 0 },
  createdAt: { name: 'created_at', kind: 'time', absent: 0 },
  readyAt: { name: 'ready_at', kind: 'time' },
  expiresAt: { name: 'expires_at', kind: 'time' },
  destroyedAt: { name: 'destroyed_at', kind: 'time' },
  errorMessage: { name: 'error_message', kind: 'text' },
  diskBytes: { name: 'disk_bytes', kind: 'number' },
};
const COPY_ENTRIES = Object.entries(COPY_FIELDS) as [keyof CopyInfo, (typeof COPY_FIELDS)[keyof CopyInfo]][];

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function decode(kind: Kind, value: unknown): unknown {
  switch (kind) {
    case 'text':
      return typeof value === 'string' ? value : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'bool':
      return value === true;
    case 'time': {
      const ms = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(ms) ? null : ms;
    }
  }
}

/** A copy as JSON (`--json` output and the /v2 answers); the connection string after the port when there is one. */
export function copyJson(copy: CopyInfo & { connectionString?: string }): CopyWire & { connection_string?: string } {
  const out: Wire = {};
  for (const [field, { name, kind }] of COPY_ENTRIES) {
    out[name] = kind === 'time' ? iso(copy[field] as number | null) : copy[field];
    if (field === 'port' && copy.connectionString !== undefined) out.connection_string = copy.connectionString;
  }
  return out as CopyWire & { connection_string?: string };
}

export function eventJson(event: CopyEvent): EventWire {
  return { action: event.action, actor: event.actor, metadata: event.metadata, created_at: new Date(event.createdAt).toISOString() };
}

/** A copy as a host's caller sees it: on the advertised host, its error naming no path of the host's disk. */
export function copyWire(copy: CopyInfo, advertiseHost: string): CopyWire {
  return copyJson({ ...copy, host: advertiseHost, errorMessage: copy.errorMessage === null ? null : withoutDiskPaths(copy.errorMessage) });
}

/** An event as a host's caller sees it: no path of the host's disk in its details (a dump's, a failure's). */
export function eventWire(event: CopyEvent): EventWire {
  const metadata = Object.fromEntries(Object.entries(event.metadata).map(([key, value]) => [key, typeof value === 'string' ? withoutDiskPaths(value) : value]));
  return eventJson({ ...event, metadata });
}

/** POST's answer: the copy, its connection string, and `warm`: whether it came ready from the pool. */
export function issuedWire(copy: IssuedCopy, advertiseHost: string, requestedAt: number): IssuedWire {
  return {
    ...copyWire(copy, advertiseHost),
    connection_string: copy.connectionString,
    warm: copy.readyAt !== null && copy.readyAt < requestedAt,
    notices: copy.notices.map(withoutDiskPaths),
  };
}

/** A per-test database (POST /v2/copies/{id}/databases). */
export function testDatabaseWire(db: TestDatabase): TestDatabaseWire {
  return { copy_id: db.copyId, database: db.database, connection_string: db.connectionString };
}

export function testDatabaseFromWire(w: Wire): TestDatabase {
  if (typeof w.database !== 'string' || typeof w.connection_string !== 'string' || typeof w.copy_id !== 'string') {
    throw new DittoError('REMOTE', 'the host answered without a database and its connection string');
  }
  return { copyId: w.copy_id, database: w.database, connectionString: w.connection_string };
}

export type { StatusWire };

export function reseedWire(r: { running: boolean; last: { at: number; result: 'ok' | 'failed' } | null; next: Date | null }): ReseedWire {
  return { running: r.running, last: r.last && { at: iso(r.last.at)!, result: r.last.result }, next_at: r.next && r.next.toISOString() };
}

// The other way: what ditto's HTTP client makes of the host's answers.

export function copyFromWire(w: Wire): CopyInfo {
  if (typeof w.id !== 'string' || typeof w.status !== 'string') throw new DittoError('REMOTE', 'the host answered with a copy that has no id or status');
  const copy: Record<string, unknown> = {};
  for (const [field, { name, kind, absent }] of COPY_ENTRIES) copy[field] = decode(kind, w[name]) ?? absent ?? null;
  return copy as unknown as CopyInfo & { status: CopyStatus; runtime: RuntimeName };
}

/** A copy just issued: in the caller's hands it is claimed, whether or not it came from the pool. */
export function issuedFromWire(w: Wire): IssuedCopy {
  const connectionString = typeof w.connection_string === 'string' ? w.connection_string : null;
  if (!connectionString) throw new DittoError('REMOTE', 'the host answered without a connection string');
  return { ...copyFromWire(w), warm: false, connectionString, notices: Array.isArray(w.notices) ? w.notices.map(String) : [] };
}

export function eventFromWire(w: Wire, copyId: string): CopyEvent {
  return {
    copyId,
    action: String(w.action),
    actor: String(w.actor),
    metadata: typeof w.metadata === 'object' && w.metadata !== null ? (w.metadata as Record<string, unknown>) : {},
    createdAt: (decode('time', w.created_at) as number | null) ?? 0,
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
      subset: w.dump?.subset ?? null,
    },
    pool: { ready: w.warm_copies, target: w.pool_target ?? 0 },
    ports: { min: w.port_range?.min ?? 0, max: w.port_range?.max ?? 0, free: w.port_pool_free },
    copies: { active: w.active_copies, provisioning: w.provisioning_copies ?? 0 },
    // A host before this field says nothing of its snapshot: no line rather than a wrong one.
    ...(w.golden !== undefined ? { golden: w.golden } : {}),
  };
}
