import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MysqlEngine } from '../../src/engines/mysql/engine.js';
import { PostgresEngine } from '../../src/engines/postgres/engine.js';
import { restoreFailure } from '../../src/engines/tool-failure.js';
import { DittoError } from '../../src/errors.js';
import { isFull } from '../../src/state/sqlite.js';
import { freeBytes, isNoSpace, noSpaceError, saysNoSpace } from '../../src/support/no-space.js';
import { fakeHome, type FakeHome } from './fakes/floors.js';

/** A full disk told apart from everything else, from the words each source uses for it; and the one error it becomes. */

describe("the system's words for a full disk", () => {
  it('finds ENOSPC in a Node.js error, in an error it caused, in a quoted message, and in NO_SPACE', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(isNoSpace(enospc)).toBe(true);
    expect(isNoSpace(new Error('copying failed', { cause: enospc }))).toBe(true);
    expect(isNoSpace(new Error("cp: error copying 'a' to 'b': No space left on device"))).toBe(true);
    expect(isNoSpace(new DittoError('NO_SPACE', 'restoring x failed'))).toBe(true);
    expect(saysNoSpace('pg_restore: error: could not write to file: No space left on device')).toBe(true);
  });

  it('does not take other failures for one', () => {
    expect(isNoSpace(new DittoError('DUMP_INVALID', 'restoring x failed: psql exited with 3: ERROR:  syntax error at or near "not"'))).toBe(false);
    expect(isNoSpace(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))).toBe(false);
    expect(isNoSpace('a string')).toBe(false);
    expect(isNoSpace(undefined)).toBe(false);
  });
});

describe("each engine's words for a full disk", () => {
  const postgres = new PostgresEngine();
  const mariadb = new MysqlEngine();

  it.each([
    'psql:/dumps/pagila.sql:46658: ERROR:  could not extend file "base/5/16598": No space left on device',
    // A block written in part: PostgreSQL says what it wrote, not the system's words.
    'psql:/dumps/pagila.sql:5563: ERROR:  could not extend file "base/5/16437": wrote only 4096 of 8192 bytes at block 1',
    '2026-12-06 00:13:05.669 UTC [7980] FATAL:  could not write to file "base/4/1247": No space left on device',
    'PANIC:  could not write to file "pg_wal/xlogtemp.123": No space left on device',
  ])('PostgreSQL: %s', (line) => {
    expect(postgres.diskFull(line)).toBe(true);
  });

  it.each([
    "[ERROR] InnoDB: preallocating 12582912 bytes for file ./ibtmp1 failed with error 28",
    "ERROR 1114 (HY000) at line 29844: The table 'payment' is full",
    'Disk full (/var/lib/mysql/x.MAI); waiting for someone to free some space... (errno: 28 "No space left on device")',
    "mariadbd: Error writing file './binlog.000001' (Errcode: 28 \"No space left on device\")",
    '[ERROR] InnoDB: Operating system error number 28 in a file operation.',
  ])('MariaDB: %s', (line) => {
    expect(mariadb.diskFull(line)).toBe(true);
  });

  it.each([
    'psql:/dumps/bad.sql:1: ERROR:  syntax error at or near "not"',
    'FATAL:  could not bind IPv4 address "127.0.0.1": Address already in use',
    'ERROR 1045 (28000): Access denied for user \'root\'@\'localhost\'',
    'ERROR 1064 (42000) at line 1: You have an error in your SQL syntax',
    '[ERROR] mariadbd: Error 280 is not one this test knows',
    'pg_restore: error: could not read input file: end of file',
  ])('neither engine: %s', (line) => {
    expect(postgres.diskFull(line)).toBe(false);
    expect(mariadb.diskFull(line)).toBe(false);
  });

  it("a restore whose tool says so is NO_SPACE; any other failure still sends the user to the dump", () => {
    const full = restoreFailure(postgres, 'psql', '/dumps/a.sql', { exitCode: 3, signal: null, stderr: 'ERROR:  could not extend file "base/5/1": wrote only 4096 of 8192 bytes at block 6' });
    expect(full).toMatchObject({ code: 'NO_SPACE', exitCode: 75, httpStatus: 507 });
    expect(full.toLine()).not.toMatch(/check the dump/);
    const bad = restoreFailure(postgres, 'psql', '/dumps/a.sql', { exitCode: 3, signal: null, stderr: 'ERROR:  syntax error at or near "not"' });
    expect(bad).toMatchObject({ code: 'DUMP_INVALID', exitCode: 65 });
    expect(bad.toLine()).toMatch(/check the dump \(is it complete\?\)/);
  });
});

describe("SQLite's words for a full disk under the state file", () => {
  const file = path.join(os.tmpdir(), 'state.db');

  it('SQLITE_FULL as either backend says it', () => {
    expect(isFull({ code: 'SQLITE_FULL', message: 'database or disk is full' }, file)).toBe(true);
    expect(isFull({ errcode: 13, message: 'x' }, file)).toBe(true);
    expect(isFull(new Error('database or disk is full'), file)).toBe(true);
  });

  it('an I/O error counts only where the disk has no room left', () => {
    // The machine's temporary directory has room: a disk I/O error there is something else.
    expect(isFull({ code: 'SQLITE_IOERR_SHMSIZE', message: 'disk I/O error' }, file)).toBe(false);
    expect(isFull({ code: 'SQLITE_BUSY', message: 'database is locked' }, file)).toBe(false);
  });
});

describe('the one error of a full disk', () => {
  it('names the step, the directory, its free space now and what the step needed, with the way out', () => {
    const dir = os.tmpdir();
    const error = noSpaceError({ doing: 'restoring /dumps/a.sql into copy k3x', dir, need: 'the dump is 3.2 MiB', remedy: 'set local.data_dir to a directory on a larger disk' });
    expect(error).toMatchObject({ code: 'NO_SPACE', exitCode: 75, httpStatus: 507 });
    expect(error.toLine()).toMatch(
      new RegExp(`^restoring /dumps/a\\.sql into copy k3x ran out of disk space in ${dir} \\(\\d+(\\.\\d)? [KMGT]?i?B free now; the dump is 3\\.2 MiB\\); free space there, or set local\\.data_dir to a directory on a larger disk$`),
    );
    expect(error.toLine()).not.toContain('\n');
  });

  it('reads the free space of the nearest directory that exists (a failed copy is gone when it is told)', () => {
    // /proc has no free blocks, ever: a figure that does not drift while the test runs.
    expect(freeBytes('/proc/no-such-dir/copies/x')).toBe(0);
    expect(freeBytes(path.join(os.tmpdir(), 'no-such-dir', 'copies', 'x'))).toBeGreaterThan(0);
  });

  it('names a place it cannot measure by name, without a free-space figure', () => {
    const error = noSpaceError({ doing: 'making copy k3x', dir: null, place: "the Docker engine's storage", need: null, remedy: 'give the Docker engine a larger disk' });
    expect(error.message).toBe("making copy k3x ran out of disk space in the Docker engine's storage");
  });
});

describe('a copy that runs out of space, over fakes', () => {
  let home: FakeHome;
  afterEach(() => home?.close());

  it('fails and is removed, its port freed, and the error names the runtime storage and its free space', async () => {
    home = fakeHome({ dump: { golden: false } });
    home.runtime.storage = { dir: home.dir, remedy: 'use a larger fake' };
    home.runtime.failStart = new DittoError('PROVISION_FAILED', 'initializing the data directory failed: FATAL:  could not write to file "base/4/1247": No space left on device');
    const error = (await home.copies.manager.up({}).catch((e: unknown) => e)) as DittoError;
    expect(error).toMatchObject({ code: 'NO_SPACE' });
    expect(error.toLine()).toMatch(new RegExp(`^making copy \\w+ ran out of disk space in ${home.dir} \\(.* free now\\); free space there, or use a larger fake$`));
    const [copy] = home.copies.db.prepare("SELECT id, status, error_message FROM copies WHERE purpose = 'copy'").all() as { id: string; status: string; error_message: string }[];
    // The record keeps the server's own words; the runtime was asked to remove it, and its port is free.
    expect(copy).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/No space left on device/) });
    expect(home.runtime.removed).toContain(copy!.id);
    expect(home.copies.db.prepare('SELECT COUNT(*) AS n FROM port_leases').get()).toEqual({ n: 0 });
  });

  it('a golden build says which dump and how large; a clone says which snapshot and how large', async () => {
    home = fakeHome({});
    const dump = path.join(home.dir, 'seed.sql');
    fs.writeFileSync(dump, 'CREATE TABLE t (x int);\n');
    home.config.dump.path = dump;
    const restore = home.engine.restore.bind(home.engine);
    home.engine.restore = async () => {
      throw new DittoError('NO_SPACE', `restoring ${dump} failed: psql exited with 3: ERROR:  could not extend file "base/5/1": wrote only 4096 of 8192 bytes at block 6`);
    };
    await expect(home.copies.manager.up({})).rejects.toThrow(new RegExp(`^making the golden snapshot of ${dump} ran out of disk space in the fake storage \\(the dump is 24 B, and a restore takes several times that`));
    expect(home.runtime.snapshotKeys.size).toBe(0);
    home.engine.restore = restore;
    await home.copies.manager.up({});
    const [key] = home.runtime.snapshotKeys;
    home.runtime.failStart = new DittoError('PROVISION_FAILED', "cannot clone the golden snapshot (copy: cp: error writing 'x': No space left on device)");
    await expect(home.copies.manager.up({})).rejects.toThrow(new RegExp(`^making copy \\w+ from golden snapshot ${key} ran out of disk space in the fake storage \\(a clone takes up to the snapshot's 64 MiB\\)$`));
  });

  it('other failures keep their own code', async () => {
    home = fakeHome({ dump: { golden: false } });
    home.runtime.failStart = new DittoError('PROVISION_FAILED', 'the database server exited while starting: FATAL:  could not load library');
    await expect(home.copies.manager.up({})).rejects.toMatchObject({ code: 'PROVISION_FAILED' });
  });
});
