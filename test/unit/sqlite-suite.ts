import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CopiesRepo } from '../../src/state/copies-repo.js';
import { MetaRepo } from '../../src/state/meta-repo.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { StateMirror } from '../../src/state/mirror.js';
import { isBusy, type SqliteBackend, SqlDb } from '../../src/state/sqlite.js';
import { openState, STATE_FILE } from '../../src/state/store.js';

/**
 * The SQLite adapter's checks, as plain functions with node:assert, so that one suite runs under
 * every backend: in vitest's Node.js (better-sqlite3), and bundled into Deno and Node.js 24
 * (node:sqlite) by sqlite-adapter.test.ts, which also runs writer() for two backends on one file.
 */

interface Ctx {
  backend: SqliteBackend;
  dir: string;
}

/** A second connection to the home's state file, with a short busy timeout. */
const second = (ctx: Ctx, timeoutMs = 50) => SqlDb.open(path.join(ctx.dir, STATE_FILE), { timeoutMs, backend: ctx.backend });

export const CHECKS: Record<string, (ctx: Ctx) => void | Promise<void>> = {
  'openState: WAL, busy timeout, foreign keys, migrated': ({ dir, backend }) => {
    const db = openState(dir);
    try {
      assert.equal(db.backend, backend);
      assert.equal(db.pragma('journal_mode'), 'wal');
      assert.equal(db.pragma('busy_timeout'), 10_000);
      assert.equal(db.pragma('foreign_keys'), 1);
      assert.equal(db.pragma('user_version'), MIGRATIONS.length);
      assert.equal(fs.statSync(path.join(dir, STATE_FILE)).mode & 0o777, 0o600);
    } finally {
      db.close();
    }
  },

  'immediate() takes the write lock at BEGIN: another writer waits its busy timeout, then fails': (ctx) => {
    const db = openState(ctx.dir);
    const other = second(ctx);
    try {
      db.immediate(() => {
        const started = Date.now();
        assert.throws(() => other.immediate(() => {}), (err: Error) => /database is locked/.test(err.message) && isBusy(err));
        assert.ok(Date.now() - started >= 40, 'waited for the busy timeout');
        // A deferred transaction only reads: it is not kept out.
        assert.equal(other.transaction(() => other.pragma('user_version')), MIGRATIONS.length);
      });
      other.immediate(() => new MetaRepo(other).set('k', 'v'));
      assert.equal(new MetaRepo(db).get('k'), 'v');
    } finally {
      other.close();
      db.close();
    }
  },

  'a transaction that throws leaves nothing; a nested one undoes only itself': ({ dir }) => {
    const db = openState(dir);
    const meta = new MetaRepo(db);
    try {
      assert.throws(() => db.immediate(() => (meta.set('a', '1'), assert.fail('boom'))), /boom/);
      assert.equal(meta.get('a'), undefined);
      assert.equal(db.inTransaction, false);
      db.transaction(() => {
        meta.set('outer', '1');
        assert.throws(() => db.immediate(() => (meta.set('inner', '1'), assert.fail('inner'))));
        db.immediate(() => meta.set('kept', '1'));
      });
      assert.deepEqual([meta.get('outer'), meta.get('inner'), meta.get('kept')], ['1', undefined, '1']);
      assert.throws(() => db.immediate(() => Promise.resolve() as unknown as void), /cannot be async/);
      assert.equal(db.inTransaction, false);
    } finally {
      db.close();
    }
  },

  'data_version moves on another connection’s commit, not on this one’s': (ctx) => {
    const db = openState(ctx.dir);
    const other = second(ctx);
    try {
      const before = db.pragma('data_version');
      new MetaRepo(db).set('own', '1');
      assert.equal(db.pragma('data_version'), before);
      new MetaRepo(other).set('theirs', '1');
      assert.notEqual(db.pragma('data_version'), before);
    } finally {
      other.close();
      db.close();
    }
  },

  'statements: named parameters (unknown ones ignored), RETURNING, run() counts': ({ dir }) => {
    const db = openState(dir);
    try {
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (@key, @value) RETURNING key');
      assert.deepEqual({ ...(put.get({ key: 'x', value: 'y', unused: 1 }) as object) }, { key: 'x' });
      assert.equal(db.prepare('DELETE FROM meta WHERE key = ?').run('x').changes, 1);
      assert.equal(db.prepare('SELECT 1 FROM meta WHERE key = ?').get('x'), undefined);
      assert.equal(db.prepare('SELECT 1'), db.prepare('SELECT 1'), 'prepared once per connection');
      const repo = new CopiesRepo(db);
      assert.equal(repo.leasePort('c1', 40001), true);
      assert.equal(repo.leasePort('c2', 40001), false);
      assert.deepEqual([...repo.leasedPorts()], [40001]);
    } finally {
      db.close();
    }
  },

  'the mirror copies through the writers’ connection: commits of others included, its own at once': async (ctx) => {
    const db = openState(ctx.dir);
    const other = second(ctx, 1000);
    try {
      new MetaRepo(other).set('by-other', '1');
      const mirror = await StateMirror.open(db);
      const read = async (key: string) => new MetaRepo(await mirror.snapshot()).get(key);
      assert.equal(await read('by-other'), '1');
      assert.equal((await mirror.snapshot()).name, ':memory:');
      new MetaRepo(db).set('by-writer', '1');
      assert.equal(await read('by-writer'), '1');
      new MetaRepo(other).set('later', '1');
      assert.equal(await read('later'), '1');
      // The copy is a database of its own: a write to it stays there.
      new MetaRepo(mirror.published).set('mirror-only', '1');
      assert.equal(new MetaRepo(db).get('mirror-only'), undefined);
      await mirror.close();
    } finally {
      other.close();
      db.close();
    }
  },

  'a damaged state file is one error naming it': ({ dir }) => {
    fs.writeFileSync(path.join(dir, STATE_FILE), 'not a database, only some text that is long enough to be read as a header'.repeat(20));
    assert.throws(() => openState(dir), (err: Error) => /state file .*state\.db is damaged/.test(err.message));
  },
};

/** Runs every check in a fresh home; resolves to each one's outcome, by name. */
export async function runChecks(backend: SqliteBackend): Promise<Record<string, string>> {
  const results: Record<string, string> = {};
  for (const [name, check] of Object.entries(CHECKS)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-sqlite-'));
    try {
      await check({ backend, dir });
      results[name] = 'ok';
    } catch (err) {
      results[name] = (err as Error).stack ?? String(err);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `count` events for `copyId` into the home's state, one immediate transaction each, each
 * reading the current count first (a lost update would show as a wrong total); returns what the
 * last one read. Processes on different backends run this at once on one file, from `startAt`.
 */
export function writer(dir: string, copyId: string, count: number, startAt: number): number {
  const db = openState(dir);
  while (Date.now() < startAt); // a barrier across processes: all begin together
  const repo = new CopiesRepo(db);
  let seen = 0;
  try {
    for (let i = 0; i < count; i++) {
      db.immediate(() => {
        seen = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
        repo.addEvent(copyId, { action: `n${seen}`, actor: db.backend });
      });
      // A breath between transactions: SQLite's lock is not fair, and a writer in a tight loop
      // would take it again before the others' busy handlers wake.
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  } finally {
    db.close();
  }
  return seen;
}
