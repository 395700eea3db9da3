import type { Db } from './store.js';

export interface Lease {
  name: string;
  holder: string;
  host: string;
  heartbeatAt: number;
}

/** Small shared facts (the meta table) and named leases held by one live process. */
export class MetaRepo {
  constructor(readonly db: Db) {}

  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  lease(name: string): Lease | undefined {
    const row = this.db.prepare('SELECT name, holder, host, heartbeat_at FROM leases WHERE name = ?').get(name) as
      | { name: string; holder: string; host: string; heartbeat_at: number }
      | undefined;
    return row && { name: row.name, holder: row.holder, host: row.host, heartbeatAt: row.heartbeat_at };
  }

  /** Takes the lease when it is free, ours, or its holder is `stale`; false when someone live holds it. */
  acquireLease(name: string, holder: string, host: string, stale: (lease: Lease) => boolean): boolean {
    return this.db.immediate(() => {
      const current = this.lease(name);
      if (current && current.holder !== holder && !stale(current)) return false;
      this.db
        .prepare('INSERT INTO leases (name, holder, host, heartbeat_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, host = excluded.host, heartbeat_at = excluded.heartbeat_at')
        .run(name, holder, host, Date.now());
      return true;
    });
  }

  /** Refreshes our lease; false when it was taken from us. */
  heartbeat(name: string, holder: string): boolean {
    return this.db.prepare('UPDATE leases SET heartbeat_at = ? WHERE name = ? AND holder = ?').run(Date.now(), name, holder).changes > 0;
  }

  releaseLease(name: string, holder: string): void {
    this.db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder);
  }
}
