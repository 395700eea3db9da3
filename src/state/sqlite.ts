import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { nearlyFull, noSpaceError } from '../support/no-space.js';
import { isSingleExecutable } from '../runtime-env/sea.js';

/**
 * The one door to SQLite: what the repositories, the migrations and the host's mirror ask of a
 * connection, given by one of two backends.
 *   - better-sqlite3 where it loads: Node.js running dist/ditto.cjs (or the sources, in tests).
 *   - node:sqlite (DatabaseSync) under Deno, which refuses better-sqlite3's addon (it is built on
 *     the legacy Node addon API), and in the single executable, built on a Node.js that has it:
 *     no native addon to carry and extract.
 * Both are SQLite's own C library on the same file format, so processes on different backends
 * share one home's state file: WAL, locks and `data_version` are the file's, not the binding's.
 *
 * How each guarantee is kept where the backends differ:
 *   - busy timeout: both take it when opening (`timeout`), i.e. sqlite3_busy_timeout.
 *   - immediate transactions: node:sqlite has no transaction helper, so transaction()/immediate()
 *     issue BEGIN [IMMEDIATE]/COMMIT/ROLLBACK themselves on both backends, and nest as a savepoint
 *     the way better-sqlite3's helper does.
 *   - pragma(): a `PRAGMA x` statement's first column; better-sqlite3's .pragma() is not needed.
 *   - the mirror's copy: both have serialize() (sqlite3_serialize through this very connection,
 *     one read transaction, so it sees everything committed, WAL included) and open the image in
 *     memory (better-sqlite3: new Database(buffer); node:sqlite: deserialize()).
 *   - named parameters: node:sqlite is told to ignore unknown ones, as better-sqlite3 does.
 */

export type SqliteBackend = 'better-sqlite3' | 'node:sqlite';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement; parameters are positional values or one object of named ones (`@name`). */
export interface Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): RunResult;
}

/** What a backend's connection offers, reduced to what the adapter builds on. */
interface Raw {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  serialize(): Uint8Array;
  readonly inTransaction: boolean;
  close(): void;
}

interface Driver {
  openFile(file: string, timeoutMs: number): Raw;
  openImage(image: Uint8Array): Raw;
}

/** Prepared statements kept per connection; past this many distinct texts the cache starts over. */
const STATEMENT_CACHE = 256;

export class SqlDb {
  private readonly statements = new Map<string, Statement>();
  private depth = 0;

  private constructor(
    private readonly raw: Raw,
    readonly backend: SqliteBackend,
    /** The database file, or ':memory:'. */
    readonly name: string,
  ) {}

  /** `file` with a busy timeout: a process that finds it locked waits up to `timeoutMs`. */
  static open(file: string, opts: { timeoutMs: number; backend?: SqliteBackend }): SqlDb {
    const backend = opts.backend ?? chooseBackend();
    return new SqlDb(driver(backend).openFile(file, opts.timeoutMs), backend, file);
  }

  /** A statement prepared once per connection and text. */
  prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      statement = this.guarded(this.raw.prepare(sql));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  exec(sql: string): void {
    this.guard(() => this.raw.exec(sql));
  }

  /** The value of `PRAGMA name` (its first column), e.g. pragma('user_version'). */
  pragma(name: string): unknown {
    const row = this.prepare(`PRAGMA ${name}`).get() as Record<string, unknown> | undefined;
    return row === undefined ? undefined : Object.values(row)[0];
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  /** Runs `fn` in a deferred transaction (BEGIN): the write lock is taken at the first write. */
  transaction<T>(fn: () => T): T {
    return this.guard(() => this.within('BEGIN', fn));
  }

  /**
   * Runs `fn` in a transaction that takes the write lock first (BEGIN IMMEDIATE), so what it reads
   * no other writer can change before it writes; a busy database is waited for (busy timeout).
   */
  immediate<T>(fn: () => T): T {
    return this.guard(() => this.within('BEGIN IMMEDIATE', fn));
  }

  /**
   * An in-memory database holding what this connection sees now, read through this connection
   * (see StateMirror for why not a second one).
   */
  memoryCopy(): SqlDb {
    const image = this.raw.serialize();
    // Bytes 18-19 say WAL; an in-memory database cannot open a WAL image, so mark it rollback-journal.
    image[18] = 1;
    image[19] = 1;
    return new SqlDb(driver(this.backend).openImage(image), this.backend, ':memory:');
  }

  close(): void {
    this.statements.clear();
    this.raw.close();
  }

  /**
   * Runs `fn`, a full disk under the file said as such: SQLite rolls the write back and the file
   * stays whole (WAL), but the command cannot go on.
   */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (this.name === ':memory:' || !isFull(err, this.name)) throw err;
      throw noSpaceError({ doing: `writing the state file ${this.name}`, dir: path.dirname(this.name), need: null, remedy: 'set DITTO_HOME (or --home) to a directory on a larger disk' }, err);
    }
  }

  private guarded(statement: Statement): Statement {
    return {
      get: (...params) => this.guard(() => statement.get(...params)),
      all: (...params) => this.guard(() => statement.all(...params)),
      run: (...params) => this.guard(() => statement.run(...params)),
    };
  }

  private within<T>(begin: string, fn: () => T): T {
    // Inside a transaction already: a savepoint, so a failure undoes only this part.
    const nested = this.depth > 0 || this.raw.inTransaction;
    const name = `ditto_${this.depth}`;
    this.raw.exec(nested ? `SAVEPOINT ${name}` : begin);
    this.depth++;
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) throw new TypeError('a transaction function cannot be async: the transaction would end before it');
    } catch (err) {
      this.depth--;
      // SQLite may have rolled back already (some errors end the transaction themselves).
      if (this.raw.inTransaction) this.raw.exec(nested ? `ROLLBACK TO ${name}; RELEASE ${name}` : 'ROLLBACK');
      throw err;
    }
    this.depth--;
    try {
      this.raw.exec(nested ? `RELEASE ${name}` : 'COMMIT');
    } catch (err) {
      if (!nested && this.raw.inTransaction) this.raw.exec('ROLLBACK');
      throw err;
    }
    return result;
  }
}

/**
 * Whether `err` is SQLITE_BUSY (the database is locked), as each backend says it: better-sqlite3's
 * code, node:sqlite's errcode on Node.js (5), only the message under Deno.
 */
export function isBusy(err: unknown): boolean {
  const e = err as { code?: string; errcode?: number; message?: string };
  return e.code === 'SQLITE_BUSY' || e.errcode === 5 || /^database is locked$/.test(e.message ?? '');
}

/**
 * Whether `err` is the disk under `file` being full, as each backend says it (a code, node:sqlite's
 * errcode, the message under Deno): SQLITE_FULL, or an I/O error where that disk has no room left
 * (growing the -shm file fails as SQLITE_IOERR_SHMSIZE, "disk I/O error").
 */
export function isFull(err: unknown, file: string): boolean {
  const e = err as { code?: string; errcode?: number; message?: string };
  const primary = typeof e.errcode === 'number' ? e.errcode & 0xff : null;
  if (e.code === 'SQLITE_FULL' || primary === 13 || /database or disk is full/.test(e.message ?? '')) return true;
  const ioError = e.code?.startsWith('SQLITE_IOERR') === true || primary === 10 || /disk I\/O error/.test(e.message ?? '');
  return ioError && nearlyFull(path.dirname(file));
}

/**
 * The backend for this process: node:sqlite under Deno and in the single executable; elsewhere
 * better-sqlite3, or node:sqlite when the addon does not load (a Node.js it was not built for).
 */
export function chooseBackend(): SqliteBackend {
  if (chosen) return chosen;
  if ('Deno' in globalThis || isSingleExecutable()) return (chosen = 'node:sqlite');
  try {
    loadBetterSqlite3();
    return (chosen = 'better-sqlite3');
  } catch (err) {
    if (nodeSqlite(false)) return (chosen = 'node:sqlite');
    throw err;
  }
}
let chosen: SqliteBackend | undefined;

function driver(backend: SqliteBackend): Driver {
  return backend === 'node:sqlite' ? NODE_SQLITE : BETTER_SQLITE3;
}

let betterSqlite3: typeof BetterSqlite3 | undefined;

/** better-sqlite3, loaded only when chosen: its addon exists only beside Node.js. */
function loadBetterSqlite3(): typeof BetterSqlite3 {
  if (!betterSqlite3) {
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    // The addon loads with the first connection: try one now, so a Node.js it does not fit fails here.
    new Database(':memory:').close();
    betterSqlite3 = Database;
  }
  return betterSqlite3;
}

function nodeSqlite(required: true): NodeSqliteModule;
function nodeSqlite(required: false): NodeSqliteModule | undefined;
function nodeSqlite(required: boolean): NodeSqliteModule | undefined {
  // getBuiltinModule: Node.js >= 20.16 and Deno; undefined where node:sqlite does not exist.
  const mod = process.getBuiltinModule?.('node:sqlite') as NodeSqliteModule | undefined;
  if (!mod && required) throw new Error(`this runtime has no node:sqlite (Node.js ${process.versions.node}); it needs Node.js >= 22.13 or Deno`);
  return mod;
}

const BETTER_SQLITE3: Driver = {
  openFile(file, timeoutMs) {
    return betterRaw(new (loadBetterSqlite3())(file, { timeout: timeoutMs }));
  },
  openImage(image) {
    return betterRaw(new (loadBetterSqlite3())(Buffer.from(image.buffer, image.byteOffset, image.byteLength)));
  },
};

function betterRaw(db: BetterSqlite3.Database): Raw {
  return {
    prepare: (sql) => db.prepare(sql) as unknown as Statement,
    exec: (sql) => void db.exec(sql),
    serialize: () => db.serialize(),
    get inTransaction() {
      return db.inTransaction;
    },
    close: () => db.close(),
  };
}

const NODE_SQLITE: Driver = {
  openFile(file, timeoutMs) {
    return nodeRaw(new (nodeSqlite(true).DatabaseSync)(file, { timeout: timeoutMs }));
  },
  openImage(image) {
    const db = new (nodeSqlite(true).DatabaseSync)(':memory:');
    db.deserialize(image);
    return nodeRaw(db);
  },
};

/**
 * The part of node:sqlite the adapter uses (Node.js >= 24 and Deno 2 have all of it; @types/node
 * 20 has no node:sqlite at all).
 */
interface NodeSqliteModule {
  DatabaseSync: new (file: string, options?: { timeout?: number }) => DatabaseSync;
}

interface DatabaseSync {
  prepare(sql: string): Statement & { setAllowUnknownNamedParameters(enabled: boolean): void };
  exec(sql: string): void;
  serialize(): Uint8Array;
  deserialize(image: Uint8Array): void;
  readonly isTransaction: boolean;
  close(): void;
}

function nodeRaw(db: DatabaseSync): Raw {
  return {
    prepare: (sql) => {
      const statement = db.prepare(sql);
      statement.setAllowUnknownNamedParameters(true);
      return statement;
    },
    exec: (sql) => db.exec(sql),
    serialize: () => db.serialize(),
    get inTransaction() {
      return db.isTransaction;
    },
    close: () => db.close(),
  };
}
