import type { Copy, CopyEvent } from '../model/copy.js';
import { newestEventId, rowToCopy, rowToEvent, type Row } from './copies-repo.js';
import type { Db } from './store.js';

/** What a host's webhooks read of the state: the copy events since the last look, and copies about to expire. */
export class EventFeed {
  constructor(readonly db: Db) {}

  /** The events with one of `actions` after event id `afterId` (oldest first), and the newest event id there is. */
  eventsSince(afterId: number, actions: readonly string[]): { lastId: number; events: CopyEvent[] } {
    // The bound first, as in CopiesRepo.copiesWithEventSince: an event written between the reads waits for the next call.
    const lastId = Math.max(afterId, newestEventId(this.db));
    const rows = this.db
      .prepare(`SELECT copy_id, action, actor, metadata, created_at FROM events WHERE id > ? AND id <= ? AND action IN (${actions.map(() => '?').join(',')}) ORDER BY id`)
      .all(afterId, lastId, ...actions) as Row[];
    return { lastId, events: rows.map(rowToEvent) };
  }

  /** Claimed ready copies that expire by `until` and have no event `marker` yet: each is returned once, if the caller then writes `marker`. */
  expiringWithout(until: number, marker: string): Copy[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM copies c WHERE status = 'ready' AND warm = 0 AND purpose = 'copy' AND expires_at <= ?
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.copy_id = c.id AND e.action = ?)`,
      )
      .all(until, marker) as Row[];
    return rows.map(rowToCopy);
  }
}
