import type { EngineName, RuntimeName } from '../model/copy.js';
import type { Db } from './store.js';

/** A golden snapshot that is ready to clone: a database restored once, and the superuser inside it. */
export interface Golden {
  key: string;
  runtime: RuntimeName;
  engine: EngineName;
  dumpPath: string | null;
  user: string;
  password: string;
  database: string;
  createdAt: number;
}

interface Row {
  key: string;
  runtime: RuntimeName;
  engine: EngineName;
  dump_path: string | null;
  user: string;
  password: string;
  database: string;
  created_at: number;
}

const toGolden = (r: Row): Golden => ({
  key: r.key,
  runtime: r.runtime,
  engine: r.engine,
  dumpPath: r.dump_path,
  user: r.user,
  password: r.password,
  database: r.database,
  createdAt: r.created_at,
});

/** The goldens table: a row is written once a snapshot is complete, and removed with it. */
export class GoldensRepo {
  constructor(readonly db: Db) {}

  get(key: string): Golden | undefined {
    const row = this.db.prepare('SELECT * FROM goldens WHERE key = ?').get(key) as Row | undefined;
    return row && toGolden(row);
  }

  list(): Golden[] {
    return (this.db.prepare('SELECT * FROM goldens ORDER BY created_at').all() as Row[]).map(toGolden);
  }

  put(g: Golden): void {
    this.db
      .prepare(
        `INSERT INTO goldens (key, runtime, engine, dump_path, user, password, database, created_at)
         VALUES (@key, @runtime, @engine, @dumpPath, @user, @password, @database, @createdAt)
         ON CONFLICT (key) DO UPDATE SET password = excluded.password, created_at = excluded.created_at`,
      )
      .run(g);
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM goldens WHERE key = ?').run(key);
  }
}
