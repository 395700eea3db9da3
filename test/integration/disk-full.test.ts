import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from '../../src/runtimes/local/clone.js';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { ENGINE_RUNTIME_CASES } from '../helpers/engines.js';
import { leftovers, localRootOf, serverProcessesUnder, snapshotsOf } from '../helpers/leaks.js';
import { maintainerPids } from '../helpers/processes.js';
import { readCopies } from '../helpers/state.js';

/**
 * A full disk says the true cause (DESIGN "Say the true cause"): with the data directory on a
 * small tmpfs, a golden build, a clone of a snapshot, a restore without snapshots and a state
 * write that run out of space each end in one line, exit 75, naming the directory, its free space
 * and what the step needed; nothing half-made is left, and the state file reads whole.
 */

const MiB = 2 ** 20;
const NUMBER = String.raw`\d+(\.\d)? [KM]iB`;
/**
 * The part of a golden snapshot's size left free for a restore: room for the server's own files
 * but not for all the dump's rows, so that it runs out in the restore (measured on PostgreSQL 15,
 * whose snapshot also holds a template copy of the data, and MariaDB 10.11).
 */
const RESTORE_ROOM = { postgres: 0.65, mysql: 0.9 };

async function mountTmpfs(mib: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-full-'));
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0711`, 'tmpfs', dir]);
  return dir;
}

async function unmountTmpfs(dir: string): Promise<void> {
  const plain = await execa('umount', [dir], { reject: false });
  if (plain.exitCode !== 0) {
    // Never leave a mount on the machine; the test still fails: something held it.
    await execa('umount', ['-l', dir], { reject: false });
    throw new Error(`tmpfs ${dir} was busy at the end: ${plain.stderr}`);
  }
  fs.rmdirSync(dir);
}

/** Takes all but `leave` bytes of the space free at `dir` with one file; returns the file. */
async function fill(dir: string, leave: number): Promise<string> {
  const file = path.join(dir, 'filler');
  const { bavail, bsize } = fs.statfsSync(dir);
  const take = Math.floor(bavail * bsize - leave);
  expect(take, `less than ${leave} bytes free at ${dir}`).toBeGreaterThan(0);
  await execa('fallocate', ['-l', String(take), file]);
  return file;
}

/** `PRAGMA quick_check` of a home's state file: ['ok'] when it reads whole. */
function quickCheck(stateFile: string): string[] {
  const db = new Database(stateFile, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
  } finally {
    db.close();
  }
}

/** Stops the detached maintainers a home's commands started (they sleep until a copy expires). */
async function stopMaintainers(homeDir: string): Promise<void> {
  for (const pid of maintainerPids(homeDir)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && maintainerPids(homeDir).length; i++) await new Promise((r) => setTimeout(r, 50));
}

/** Sum of the blocks under `dir`: what the snapshot takes on the tmpfs. */
function treeBytes(dir: string): number {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).reduce((sum, name) => sum + fs.lstatSync(path.join(dir, name)).blocks * 512, 0);
}

const LOCAL_CASES = ENGINE_RUNTIME_CASES.filter((c) => c.runtime === 'local');

describe.each(LOCAL_CASES)('a full data directory, $name', ({ engine, config, sample }) => {
  let disk: string;
  let dataDir: string;
  let home: TestHome;
  let dump: string;
  /** What a golden snapshot of the sample takes: the space each case leaves is a part of it. */
  let snapshotBytes = 0;

  // clone: copy, so that a clone writes the snapshot's bytes (an overlay would write almost none).
  const write = (golden = true) => home.writeConfig({ ...config, dump: { path: dump, golden }, local: { data_dir: dataDir, clone: 'copy' } });

  /** Nothing of the failed attempt is left: no server, directory, mount, port or lease; the state reads whole. */
  async function expectNothingLeft(keptSnapshots: string[]): Promise<void> {
    // The ports the attempts leased (others in the range may be another program's).
    const ports = readCopies(home, { builders: true }).flatMap((c) => (c.port === null ? [] : [c.port]));
    expect(await leftovers(home, ports)).toEqual([]);
    expect(serverProcessesUnder(disk)).toEqual([]);
    expect(mountsUnder(dataDir)).toEqual([]);
    expect(await snapshotsOf(home, 'local')).toEqual(keptSnapshots);
    const copiesDir = path.join(localRootOf(home), 'copies');
    expect(fs.existsSync(copiesDir) ? fs.readdirSync(copiesDir) : []).toEqual([]);
    expect(quickCheck(path.join(home.dir, 'state.db'))).toEqual(['ok']);
  }

  /** The failed record keeps the step and the database's or system's own words for it. */
  function expectRecordedCause(purpose: 'copy' | 'golden', step: RegExp): void {
    const failed = readCopies(home, { builders: true }).filter((c) => c.purpose === purpose && c.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.at(-1)!.error_message).toMatch(step);
  }

  beforeAll(async () => {
    disk = await mountTmpfs(600);
    dataDir = path.join(disk, 'data');
    home = new TestHome(config);
    dump = sample.write(path.join(home.dir, sample.file));
    write();
    // Measured, not assumed: a snapshot's size depends on the server's version and settings.
    const copy = await home.upJson();
    const [key] = await snapshotsOf(home, 'local');
    snapshotBytes = treeBytes(path.join(dataDir, 'golden', key!));
    expect((await home.run(['down', copy.id])).exitCode).toBe(0);
    expect((await home.run(['prune'])).exitCode).toBe(0);
    expect(await snapshotsOf(home, 'local')).toEqual([]);
  });

  // The space back after each case, whether it passed or not.
  afterEach(() => fs.rmSync(path.join(disk, 'filler'), { force: true }));

  afterAll(async () => {
    try {
      await home.cleanup();
    } finally {
      await stopMaintainers(home.dir);
      await unmountTmpfs(disk);
    }
  });

  it('a golden build that runs out of space is one line, exit 75, and leaves nothing', async () => {
    await fill(disk, RESTORE_ROOM[engine] * snapshotBytes);
    const result = await home.run(['up']);
    const where = `making the golden snapshot of ${dump.replaceAll('.', '\\.')} ran out of disk space in ${dataDir}`;
    expectOneLineError(result, 75, new RegExp(`^ditto: ${where} \\(${NUMBER} free now; the dump is ${NUMBER}, .*\\); free space there, or set local\\.data_dir`));
    expect(result.stderr).not.toMatch(/check the dump|ditto reseed/);
    // MariaDB's template of per-test databases, made after the restore, takes as much room again: the disk may fill there.
    expectRecordedCause('golden', /^(restoring .*|making ditto_template, the template of per-test databases,) failed: .*(No space left|could not extend|is full|error)/);
    await expectNothingLeft([]);
  });

  it('a clone of a golden snapshot that runs out of space names the snapshot and its size, and leaves the snapshot alone', async () => {
    const first = await home.upJson();
    expect((await home.run(['down', first.id])).exitCode).toBe(0);
    const snapshots = await snapshotsOf(home, 'local');
    expect(snapshots).toHaveLength(1);
    const filler = await fill(disk, snapshotBytes / 2);
    const result = await home.run(['up']);
    expectOneLineError(
      result,
      75,
      new RegExp(`^ditto: making copy \\w+ from golden snapshot ${snapshots[0]} ran out of disk space in ${dataDir} \\(${NUMBER} free now; a clone takes up to the snapshot's ${NUMBER}\\); free space there, or set local\\.data_dir to a directory on a larger disk$`),
    );
    expectRecordedCause('copy', /cannot clone the golden snapshot \(copy: .*No space left on device/);
    await expectNothingLeft(snapshots);
    // With the space back, the same snapshot serves the next copy.
    fs.rmSync(filler);
    const next = await home.upJson();
    expect((await home.run(['down', next.id])).exitCode).toBe(0);
  });

  it('a restore without golden snapshots that runs out of space is the same line, naming the dump', async () => {
    expect((await home.run(['prune'])).exitCode).toBe(0);
    write(false);
    await fill(disk, RESTORE_ROOM[engine] * snapshotBytes);
    const result = await home.run(['up']);
    expectOneLineError(
      result,
      75,
      new RegExp(`^ditto: restoring ${dump.replaceAll('.', '\\.')} into copy \\w+ ran out of disk space in ${dataDir} \\(${NUMBER} free now; the dump is ${NUMBER}, .*\\); free space there, or set local\\.data_dir`),
    );
    expectRecordedCause('copy', /^(restoring .*|making ditto_template, the template of per-test databases,) failed: .*(No space left|could not extend|is full|error)/);
    await expectNothingLeft([]);
    write();
  });
});

describe('a full disk under the home', () => {
  let disk: string;
  let dataDisk: string;
  let home: TestHome;

  beforeAll(async () => {
    disk = await mountTmpfs(4);
    dataDisk = await mountTmpfs(200);
    home = new TestHome({ local: { data_dir: path.join(dataDisk, 'data') } });
  });

  afterAll(async () => {
    fs.rmSync(path.join(disk, 'filler'), { force: true });
    try {
      await home.run(['down', '--all'], { env: { DITTO_HOME: disk } });
      // Its working directory is the home: it would hold the mount.
      await stopMaintainers(disk);
      await home.cleanup();
    } finally {
      await unmountTmpfs(disk);
      await unmountTmpfs(dataDisk);
    }
  });

  it('a state write that finds the disk full is one line naming the home, exit 75; the state file stays whole', async () => {
    const env = { DITTO_HOME: disk };
    const made = await home.run(['up', '--json'], { env });
    expect(made.exitCode, made.stderr).toBe(0);
    const copy = JSON.parse(made.stdout) as { id: string };
    const filler = await fill(disk, 0);
    const result = await home.run(['up'], { env });
    expectOneLineError(
      result,
      75,
      new RegExp(`^ditto: writing the state file ${disk}/state\\.db ran out of disk space in ${disk} \\(0 B free now\\); free space there, or set DITTO_HOME \\(or --home\\) to a directory on a larger disk$`),
    );
    // No second server was started for it: the data directory holds the first copy alone.
    expect(fs.readdirSync(path.join(dataDisk, 'data', 'copies'))).toEqual([copy.id]);
    // Read with room for SQLite's shared-memory file, before any command touches it again.
    fs.rmSync(filler);
    expect(quickCheck(path.join(disk, 'state.db'))).toEqual(['ok']);
    const down = await home.run(['down', copy.id], { env });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(quickCheck(path.join(disk, 'state.db'))).toEqual(['ok']);
  });
});
