import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import { SqlDb, isBusy } from './sqlite.js';
import { ensurePrivateDir } from '../support/private-dir.js';

/** A connection to the state file, through the SQLite adapter (sqlite.ts). */
export type Db = SqlDb;

export const STATE_FILE = 'state.db';

/**
 * Opens `<home>/state.db`: WAL so readers never block the writer, a busy timeout so concurrent
 * ditto processes queue instead of failing, migrations applied under a write lock.
 */
export function openState(home: string): Db {
  ensurePrivateDir(home);
  const file = path.join(home, STATE_FILE);
  // Create it 0600 ourselves: SQLite would use the umask, and its -wal/-shm files copy this mode.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
  let db: Db | undefined;
  try {
    db = SqlDb.open(file, { timeoutMs: 10_000 });
    // The first statements read the file's header: a damaged file fails here, not later mid-command.
    setWal(db);
    db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db?.close();
    throw stateError(file, err);
  }
  return db;
}

/**
 * What is wrong with the home's state file, as the error a command would give, or null when it
 * reads whole (or there is none yet): `ditto doctor`'s look, which also finds damage in pages a
 * command has not read yet.
 */
export function stateProblem(home: string): DittoError | null {
  const file = path.join(home, STATE_FILE);
  if (!fs.existsSync(file)) return null;
  let db: Db | undefined;
  try {
    db = SqlDb.open(file, { timeoutMs: 10_000 });
    const found = (db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (found.length) throw Object.assign(new Error(`database disk image is malformed: ${found[0]}`), { code: 'SQLITE_CORRUPT' });
    return null;
  } catch (err) {
    return stateError(file, err);
  } finally {
    db?.close();
  }
}

/**
 * Turns on WAL. Switching a new file's journal mode upgrades a read lock to an exclusive one, and
 * where waiting could deadlock SQLite answers SQLITE_BUSY at once instead of calling the busy
 * handler: two commands started together on a new home could fail (seen once, as "database is
 * locked" from two concurrent `up`s). So the switch is retried here, within the same timeout.
 */
function setWal(db: Db): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.floor(Math.random() * 20));
    }
  }
}

class NewerStateError extends Error {
  constructor(readonly version: number) {
    super(`its schema (version ${version}) is newer than this ditto's (${MIGRATIONS.length})`);
  }
}

/** A state file that cannot be used, as one line that names it and says what to do. */
function stateError(file: string, err: unknown): DittoError {
  // A full disk is no fault of the file (the adapter said which disk): the file is whole.
  if (err instanceof DittoError && err.code === 'NO_SPACE') return err;
  if (err instanceof NewerStateError) {
    return new DittoError('STATE', `state file ${file} was written by a newer ditto: ${err.message}`, { hint: 'run the ditto that wrote it (or a newer one); this one would misread it', cause: err });
  }
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /not a database|malformed/i.test(message)) {
    return new DittoError('STATE', `state file ${file} is damaged (${message})`, {
      hint: `move it aside (mv ${file} ${file}.damaged) and run ditto again; a new one is made, and \`ditto doctor\` shows what still runs`,
      cause: err,
    });
  }
  return new DittoError('STATE', `cannot open state file ${file}: ${message}`, { hint: 'check that the home is yours and writable (`ditto doctor`)', cause: err });
}

export function migrate(db: Db): void {
  const current = () => db.pragma('user_version') as number;
  // A newer ditto's state holds what these queries would misread or lose: refused, not used.
  if (current() > MIGRATIONS.length) throw new NewerStateError(current());
  if (current() >= MIGRATIONS.length) return;
  db.immediate(() => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    for (let version = current(); version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
  });
}
