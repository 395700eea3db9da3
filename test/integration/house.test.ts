import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, writePagilaSql } from '../helpers/ditto.js';
import { dataRootOf, leftovers } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { processesWhere } from '../helpers/processes.js';
import { readCopies, waitFor, writeState } from '../helpers/state.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { postgresBinDir } from '../../src/engines/postgres/server.js';
import { mountsUnder } from '../../src/runtimes/local/clone.js';

/**
 * What the engine-neutral local runtime, the cancellable tools and the state file guarantee, on
 * real PostgreSQL servers.
 */
const homes: TestHome[] = [];
afterAll(async () => {
  for (const home of homes) await home.cleanup();
});

function newHome(config: Record<string, unknown> = { runtime: 'local' }): TestHome {
  const home = new TestHome(config);
  homes.push(home);
  return home;
}

/** A PATH with the PostgreSQL binaries and node's directory, and no system directory (a service's bare PATH). */
function barePath(extra: string[] = []): string {
  return [...extra, postgresBinDir(undefined), path.dirname(process.execPath)].join(path.delimiter);
}

describe('system tools and clones', () => {
  it('up and down work with no system directory on PATH: mount, umount and cp are found where they live', async () => {
    const home = newHome();
    const env = { PATH: barePath() };
    const up = await home.run(['up'], { env });
    expect(up.exitCode, up.stderr).toBe(0);
    await expect(query(up.stdout, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    expect((await home.run(['down', '--all'], { env })).exitCode).toBe(0);
    expect(await leftovers(home, [home.ports.min])).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)('local.clone auto falls back to a plain copy when the overlay mount is refused', async () => {
    const home = newHome();
    const dump = path.join(home.dir, 'pagila.sql');
    writePagilaSql(dump);
    home.writeConfig({ runtime: 'local', dump: { path: dump } });
    // A `mount` that refuses, first on PATH: as in a container without the right to mount.
    const fakeBin = path.join(home.dir, 'fake-bin');
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(path.join(fakeBin, 'mount'), '#!/bin/sh\necho "mount: permission denied" >&2\nexit 32\n', { mode: 0o755 });
    const env = { PATH: [fakeBin, process.env.PATH].join(path.delimiter) };
    const up = await home.run(['up'], { env });
    expect(up.exitCode, up.stderr).toBe(0);
    await expect(query(up.stdout, 'SELECT count(*)::int AS n FROM rental')).resolves.toEqual([{ n: 16044 }]);
    // A plain copy: the copy's data directory is no mount.
    expect(fs.readdirSync(dataRootOf(home))).toHaveLength(1);
    expect(mountsUnder(dataRootOf(home))).toEqual([]);
    expect((await home.run(['down', '--all'], { env })).exitCode).toBe(0);
    expect(await leftovers(home, [home.ports.min])).toEqual([]);
  });
});

describe('the local runtime finds its servers by what it recorded', () => {
  it('a server whose record file was lost (a crash right after it started) is still stopped by down', async () => {
    const home = newHome();
    const dsn = (await home.run(['up'])).stdout;
    const [copy] = readCopies(home);
    fs.rmSync(path.join(dataRootOf(home), copy!.id, 'server.json'));
    expect((await home.run(['down', copy!.id])).exitCode).toBe(0);
    await expect(query(dsn, 'SELECT 1')).rejects.toThrow();
    expect(await leftovers(home, [copy!.port!])).toEqual([]);
  });
});

describe('tools stop when the work is interrupted', () => {
  it('SIGTERM during a restore stops the restore tool, and the half-made copy is removed', async () => {
    const home = newHome();
    // A restore that would run for ten minutes unless it is stopped.
    const dump = path.join(home.dir, 'slow.sql');
    fs.writeFileSync(dump, 'CREATE TABLE t (x int);\nSELECT pg_sleep(600);\n');
    home.writeConfig({ runtime: 'local', dump: { path: dump } });
    const child = home.spawn(['up']);
    const restoring = () => processesWhere((p) => p.args.includes(dump) && path.basename(p.args[0] ?? '') === 'psql');
    await waitFor(() => restoring().length > 0, 'the restore to start', 60_000);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(String(result.stderr).trim()).toMatch(/^ditto: interrupted/);
    expect(restoring()).toEqual([]);
    const records = readCopies(home, { builders: true });
    expect(records.map((c) => c.status)).toEqual(['failed']);
    expect(await leftovers(home, [home.ports.min])).toEqual([]);
  });
});

describe('a damaged state file', () => {
  it('is one line naming the file and what to do, exit 74, and it is left as it was', async () => {
    const home = newHome();
    const state = path.join(home.dir, 'state.db');
    const garbage = Buffer.from('this is not an SQLite database, only text that took its name\n'.repeat(100));
    fs.writeFileSync(state, garbage, { mode: 0o600 });
    for (const args of [['ls'], ['up']]) {
      const result = await home.run(args);
      expectOneLineError(result, 74, new RegExp(`state file ${state.replaceAll('.', '\\.')} is damaged \\(.+\\); move it aside \\(mv `));
    }
    expect(fs.readFileSync(state).equals(garbage)).toBe(true);
  });

  it('a state a newer ditto migrated is refused in one line, and left as it was', async () => {
    const home = newHome();
    expect((await home.run(['ls'])).exitCode).toBe(0);
    writeState(home, 'PRAGMA user_version = 999');
    const before = fs.readFileSync(path.join(home.dir, 'state.db'));
    expectOneLineError(await home.run(['ls']), 74, /state file .*state\.db was written by a newer ditto: its schema \(version 999\) is newer than this ditto's \(\d+\); run the ditto that wrote it/);
    expect(fs.readFileSync(path.join(home.dir, 'state.db')).equals(before)).toBe(true);
    writeState(home, `PRAGMA user_version = ${MIGRATIONS.length}`);
  });
});
