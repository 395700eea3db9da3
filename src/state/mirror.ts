import type { Db } from './store.js';

export interface MirrorOptions {
  /**
   * Runs on each fresh mirror before it is published (checks, derived figures). When it throws or
   * rejects, the fresh mirror is dropped, the previous one stays live, and the error is logged.
   */
  onReload?: (db: Db) => void | Promise<void>;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * An in-memory copy of state.db that a host's read endpoints query, so reads never wait on the
 * file's locks nor see a half-applied change.
 *
 * The copy is taken through the writers' own connection (`serialize()`, which both SQLite
 * backends have, see sqlite.ts): a second connection to the file could read an older WAL snapshot
 * than the writer has committed. Not `VACUUM INTO` (a file, written and read back through a second
 * connection) nor node:sqlite's `backup()` (a file path as its target, and a second connection
 * that copies in steps, seeing writes between them): serialize is one read transaction on this
 * connection, and its image opens in memory on either backend. Reloads run one after
 * another, copy and swap together, so a reload that started earlier can never publish after a
 * later one and hide rows the later one saw.
 */
export class StateMirror {
  private current: Db;
  /** The writer's change stamp when the published mirror was copied. */
  private publishedStamp: string;
  /** The last reload in the queue; the next one starts after it. */
  private tail: Promise<void> = Promise.resolve();
  /** A queued reload that has not started copying yet: a new request can share it. */
  private queued: Promise<void> | null = null;
  private closed = false;
  /** Reloads published, and reloads whose `onReload` failed (for metrics). */
  reloads = 0;
  failures = 0;

  private constructor(
    private readonly source: Db,
    private readonly stamp: () => string,
    private readonly options: MirrorOptions,
    first: Db,
    firstStamp: string,
  ) {
    this.current = first;
    this.publishedStamp = firstStamp;
  }

  /** A mirror of `source` (the writers' connection), loaded once; `onReload` must accept the first copy. */
  static async open(source: Db, options: MirrorOptions = {}): Promise<StateMirror> {
    const stamp = changeStamp(source);
    const firstStamp = stamp();
    const first = copyOf(source);
    try {
      await options.onReload?.(first);
    } catch (err) {
      first.close();
      throw err;
    }
    return new StateMirror(source, stamp, options, first, firstStamp);
  }

  /**
   * The mirror to read from now, reloaded first when the state changed since it was copied: by
   * another connection or process (`data_version` moves) or through this one (`total_changes()`
   * moves). Call it for each use and do not keep the handle: a reload closes the one it replaces.
   */
  async snapshot(): Promise<Db> {
    if (this.closed) throw new Error('state mirror is closed');
    if (this.stamp() !== this.publishedStamp) await this.reload();
    return this.current;
  }

  /** The mirror published now, without the change check (tests, diagnostics); readers use snapshot(). */
  get published(): Db {
    return this.current;
  }

  /**
   * Copies the state now (after any reload already under way) and publishes the copy. A reload
   * that is queued but not yet copying is shared: it will copy after this call anyway.
   */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.queued) return this.queued;
    const run = this.tail.then(() => {
      // From here on a new request must queue behind this copy: it may miss the caller's write.
      if (this.queued === run) this.queued = null;
      return this.copyAndSwap();
    });
    this.queued = run;
    // The queue goes on after a failed copy (the caller of that reload sees the error).
    this.tail = run.catch(() => {});
    return run;
  }

  /** Waits for reloads under way, then drops the mirror. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    this.current.close();
  }

  private async copyAndSwap(): Promise<void> {
    if (this.closed) return;
    // The stamp is read before the copy: a write slipping in between only causes one extra reload.
    const stamp = this.stamp();
    const fresh = copyOf(this.source);
    try {
      await this.options.onReload?.(fresh);
    } catch (err) {
      fresh.close();
      this.failures++;
      this.options.log?.('state mirror reload rejected; keeping the previous mirror', { error: (err as Error).message });
      return;
    }
    const old = this.current;
    this.current = fresh;
    this.publishedStamp = stamp;
    this.reloads++;
    old.close();
  }
}

/**
 * What moves when the state changes: `data_version` on commits by other connections (other
 * processes, the host's maintenance connection), `total_changes()` on this connection's own.
 */
function changeStamp(db: Db): () => string {
  return () => `${db.pragma('data_version') as number}:${(db.prepare('SELECT total_changes() AS n').get() as { n: number }).n}`;
}

/** The whole database as an in-memory one, read through `source` itself. */
function copyOf(source: Db): Db {
  return source.memoryCopy();
}
