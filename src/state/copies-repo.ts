import { DittoError } from '../errors.js';
import type { Copy, CopyEvent, CopyStatus } from '../model/copy.js';
import type { Db } from './store.js';

/** Copy field -> column. One table keeps the row mapping in one place. */
const COLUMNS = {
  id: 'id',
  status: 'status',
  warm: 'warm',
  runtime: 'runtime',
  engine: 'engine',
  host: 'host',
  port: 'port',
  tls: 'tls',
  user: 'user',
  password: 'password',
  database: 'database',
  label: 'label',
  name: 'name',
  owner: 'owner',
  runId: 'run_id',
  jobName: 'job_name',
  ttlSeconds: 'ttl_seconds',
  dumpPath: 'dump_path',
  obfuscated: 'obfuscated',
  poolKey: 'pool_key',
  reservedBy: 'reserved_by',
  goldenKey: 'golden_key',
  purpose: 'purpose',
  createdAt: 'created_at',
  readyAt: 'ready_at',
  claimedAt: 'claimed_at',
  expiresAt: 'expires_at',
  destroyedAt: 'destroyed_at',
  driver: 'driver',
  driverHost: 'driver_host',
  errorMessage: 'error_message',
} as const satisfies Record<keyof Copy, string>;

export type Row = Record<string, unknown>;

/** The statuses in which a copy holds its name (the unique index copies_owner_name says the same). */
const NAME_HOLDING = "status IN ('pending','creating','ready')";

/** Another request got the name first: its copy is the one to hand back. */
export class NameTaken extends DittoError {
  constructor(name: string) {
    super('CONFLICT', `a live copy named '${name}' exists`, { hint: 'ask for it again: up --name hands back the live copy' });
  }
}

/** What a claim writes onto a warm copy: the request's own fields. */
export interface Claim {
  ttl: number;
  label: string | null;
  /** `up --name`: taken only while the owner holds no live copy of it. */
  name: string | null;
  owner: string | null;
  runId: string | null;
  jobName: string | null;
}

export interface EventInput {
  action: string;
  actor: string;
  metadata?: Record<string, unknown>;
}

export function rowToCopy(row: Row): Copy {
  const copy = {} as Record<string, unknown>;
  for (const [field, column] of Object.entries(COLUMNS)) copy[field] = row[column] ?? null;
  copy.warm = row.warm === 1;
  copy.obfuscated = row.obfuscated === 1;
  return copy as unknown as Copy;
}

/** The id of the newest event written (0 for none). */
export function newestEventId(db: Db): number {
  return (db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as Row).id as number;
}

export function rowToEvent(r: Row): CopyEvent {
  return {
    copyId: r.copy_id as string,
    action: r.action as string,
    actor: r.actor as string,
    metadata: JSON.parse(r.metadata as string) as Record<string, unknown>,
    createdAt: r.created_at as number,
  };
}

function toColumns(fields: Partial<Copy>): Row {
  const row: Row = {};
  for (const [field, value] of Object.entries(fields)) {
    const column = COLUMNS[field as keyof Copy];
    row[column] = typeof value === 'boolean' ? Number(value) : value;
  }
  return row;
}

export interface ListFilter {
  /** Include destroyed and failed copies. */
  includeFinal?: boolean;
  owner?: string | null;
  /** Only copies made for users (no golden snapshot builders). */
  usersOnly?: boolean;
}

/** The copies, events and port_leases tables. Every status change writes its event in the same transaction. */
export class CopiesRepo {
  constructor(readonly db: Db) {}

  insert(copy: Copy, event: EventInput): void {
    const row = toColumns(copy);
    const keys = Object.keys(row);
    // Under the write lock: the name's look and the insert that takes it are one.
    this.db.immediate(() => {
      if (copy.name !== null) this.checkNameFree(copy.owner, copy.name);
      this.db
        .prepare(`INSERT INTO copies (${keys.map((k) => `"${k}"`).join(',')}) VALUES (${keys.map((k) => '@' + k).join(',')})`)
        .run(row);
      this.addEvent(copy.id, event, copy.createdAt);
    });
  }

  /** The live copy `owner` (null: local use) holds named `name`, if any. */
  liveNamed(owner: string | null, name: string): Copy | undefined {
    const row = this.db.prepare(`SELECT * FROM copies WHERE coalesce(owner, '') = coalesce(?, '') AND name = ? AND ${NAME_HOLDING}`).get(owner, name) as Row | undefined;
    return row ? rowToCopy(row) : undefined;
  }

  /** Throws NameTaken when `owner` holds a live copy named `name`; called inside the transaction that then takes it. */
  private checkNameFree(owner: string | null, name: string): void {
    if (this.liveNamed(owner, name)) throw new NameTaken(name);
  }

  get(id: string): Copy | undefined {
    const row = this.db.prepare('SELECT * FROM copies WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToCopy(row) : undefined;
  }

  list(filter: ListFilter = {}): Copy[] {
    const where: string[] = [];
    const params: unknown[] = [];
    // The live statuses named, not the final ones excluded: the status index then serves the query,
    // which matters once a long-lived home (a host) holds thousands of destroyed copies.
    if (!filter.includeFinal) where.push("status IN ('pending','creating','ready','destroying')");
    if (filter.usersOnly) where.push("purpose = 'copy'");
    if (filter.owner !== undefined && filter.owner !== null) {
      where.push('owner = ?');
      params.push(filter.owner);
    }
    const sql = `SELECT * FROM copies ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at, id`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(rowToCopy);
  }

  /**
   * Moves a copy to a new state only if it is still in one of `from`; returns the updated copy,
   * or undefined when someone else moved it first.
   */
  transition(id: string, from: readonly CopyStatus[], patch: Partial<Copy>, event: EventInput): Copy | undefined {
    const row = toColumns(patch);
    const sets = Object.keys(row).map((k) => `"${k}" = @${k}`);
    const placeholders = from.map((_, i) => `@from${i}`).join(',');
    const params: Row = { ...row, id };
    from.forEach((status, i) => (params[`from${i}`] = status));
    return this.db.immediate(() => {
      const updated = this.db
        .prepare(`UPDATE copies SET ${sets.join(', ')} WHERE id = @id AND status IN (${placeholders}) RETURNING *`)
        .get(params) as Row | undefined;
      if (!updated) return undefined;
      this.addEvent(id, event);
      return rowToCopy(updated);
    });
  }

  /**
   * Makes `driver` the process driving ready copy `id`, if the copy is ready and its driver is
   * still `was` (null, or a process that died): of processes that read the same record, one wins.
   * Returns the updated copy, or undefined when another got there first.
   */
  takeOver(id: string, was: string | null, driver: { driver: string; driverHost: string }, event: EventInput): Copy | undefined {
    return this.db.immediate(() => {
      const row = this.db
        .prepare("UPDATE copies SET driver = @driver, driver_host = @driverHost WHERE id = @id AND status = 'ready' AND driver IS @was RETURNING *")
        .get({ id, was, ...driver }) as Row | undefined;
      if (!row) return undefined;
      this.addEvent(id, event);
      return rowToCopy(row);
    });
  }

  /**
   * Hands a warm ready copy of `poolKey` to a request in one statement, starting its TTL now.
   * A copy reserved for a waiting process goes only to that process (and to it first); one a
   * process drives (its server being restarted) to none.
   */
  claimWarm(poolKey: string, claimer: string, claim: Claim, actor: string): Copy | undefined {
    return this.db.immediate(() => {
      // The look and the claim in one write transaction: two processes cannot both find the name free.
      if (claim.name !== null) this.checkNameFree(claim.owner, claim.name);
      const row = this.db
        .prepare(
          `UPDATE copies SET warm = 0, reserved_by = NULL, claimed_at = @now, expires_at = @now + @ttl * 1000, ttl_seconds = @ttl,
             label = @label, name = @name, owner = @owner, run_id = @runId, job_name = @jobName
           WHERE id = (SELECT id FROM copies WHERE status = 'ready' AND warm = 1 AND pool_key = @poolKey AND driver IS NULL
                       AND (reserved_by IS NULL OR reserved_by = @claimer) ORDER BY reserved_by IS NULL, ready_at LIMIT 1)
           RETURNING *`,
        )
        .get({ ...claim, poolKey, claimer, now: Date.now() }) as Row | undefined;
      if (!row) return undefined;
      this.addEvent(row.id as string, { action: 'claimed', actor, metadata: { ttl_seconds: claim.ttl, label: claim.label } });
      return rowToCopy(row);
    });
  }

  /** Promises the oldest unpromised in-flight warm copy of `poolKey` to `claimer`. */
  reserveInFlight(poolKey: string, claimer: string): Copy | undefined {
    const row = this.db
      .prepare(
        `UPDATE copies SET reserved_by = @claimer
         WHERE id = (SELECT id FROM copies WHERE status IN ('pending','creating') AND warm = 1 AND pool_key = @poolKey
                     AND reserved_by IS NULL ORDER BY created_at LIMIT 1)
         RETURNING *`,
      )
      .get({ poolKey, claimer }) as Row | undefined;
    return row ? rowToCopy(row) : undefined;
  }

  /** Takes back promises made to `claimer` (it stopped waiting, or died). */
  releaseReservations(claimer: string): void {
    this.db.prepare('UPDATE copies SET reserved_by = NULL WHERE reserved_by = ?').run(claimer);
  }

  /** Forgets a copy that never got past `pending`: it holds no resources, so no record is owed. */
  discardPending(id: string): boolean {
    return this.db.immediate(() => {
      const removed = this.db.prepare("DELETE FROM copies WHERE id = ? AND status = 'pending'").run(id);
      if (removed.changes === 0) return false;
      this.db.prepare('DELETE FROM events WHERE copy_id = ?').run(id);
      return true;
    });
  }

  addEvent(copyId: string, event: EventInput, at = Date.now()): void {
    this.db
      .prepare('INSERT INTO events (copy_id, action, actor, metadata, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(copyId, event.action, event.actor, JSON.stringify(event.metadata ?? {}), at);
  }

  /** The copies with an event `action` after event id `afterId`, and the newest event id there is. */
  copiesWithEventSince(action: string, afterId: number): { lastId: number; copyIds: string[] } {
    // The bound first: an event written between the two reads is left for the next call, not skipped.
    const lastId = Math.max(afterId, newestEventId(this.db));
    const rows = this.db.prepare('SELECT DISTINCT copy_id FROM events WHERE id > ? AND id <= ? AND action = ?').all(afterId, lastId, action) as Row[];
    return { lastId, copyIds: rows.map((r) => r.copy_id as string) };
  }

  events(copyId: string): CopyEvent[] {
    const rows = this.db
      .prepare('SELECT copy_id, action, actor, metadata, created_at FROM events WHERE copy_id = ? ORDER BY id')
      .all(copyId) as Row[];
    return rows.map(rowToEvent);
  }

  leasedPorts(): Set<number> {
    const rows = this.db.prepare('SELECT port FROM port_leases').all() as { port: number }[];
    return new Set(rows.map((r) => r.port));
  }

  /** Takes `port` for `copyId` and records it on the copy; false if another copy holds it. */
  leasePort(copyId: string, port: number): boolean {
    return this.db.immediate(() => {
      const taken = this.db.prepare('INSERT OR IGNORE INTO port_leases (port, copy_id, leased_at) VALUES (?, ?, ?)').run(port, copyId, Date.now());
      if (taken.changes === 0) return false;
      this.db.prepare('UPDATE copies SET port = ? WHERE id = ?').run(port, copyId);
      return true;
    });
  }

  releasePorts(copyId: string): void {
    this.db.prepare('DELETE FROM port_leases WHERE copy_id = ?').run(copyId);
  }

  /** Whether a live copy was cloned from golden snapshot `key`. */
  goldenInUse(key: string): boolean {
    return this.db.prepare("SELECT 1 FROM copies WHERE golden_key = ? AND status NOT IN ('destroyed','failed') LIMIT 1").get(key) !== undefined;
  }

  /** Final copies that still hold a port lease: their resources were not confirmed removed. */
  unreleased(): Copy[] {
    const rows = this.db
      .prepare(
        "SELECT c.* FROM copies c WHERE c.status IN ('destroyed','failed') AND EXISTS (SELECT 1 FROM port_leases p WHERE p.copy_id = c.id)",
      )
      .all() as Row[];
    return rows.map(rowToCopy);
  }

  /**
   * Forgets copies that ended (destroyed, or failed) before `before`, with their events; never one
   * still holding a port lease, whose cleanup is unfinished. Returns how many went.
   */
  pruneFinished(before: number): number {
    return this.db.immediate(() => {
      const ended = `status IN ('destroyed','failed') AND coalesce(destroyed_at, ready_at, created_at) < @before
        AND NOT EXISTS (SELECT 1 FROM port_leases p WHERE p.copy_id = copies.id)`;
      this.db.prepare(`DELETE FROM events WHERE copy_id IN (SELECT id FROM copies WHERE ${ended})`).run({ before });
      return this.db.prepare(`DELETE FROM copies WHERE ${ended}`).run({ before }).changes;
    });
  }
}
