import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, writePagilaSql } from '../helpers/ditto.js';
import { query } from '../helpers/engines.js';
import { leftovers, snapshotsOf } from '../helpers/leaks.js';
import { readCopies } from '../helpers/state.js';

/**
 * prepare: migrations run once into the golden snapshot, not once per copy. The command appends a
 * line to runs.log each time it runs, so the test counts runs.
 */
let home: TestHome;
let migrations: string;
let runsLog: string;

function config(files = ['001.sql']): Record<string, unknown> {
  const apply = files.map((f) => `-f migrations/${f}`).join(' ');
  return {
    dump: { path: path.join(home.dir, 'pagila.sql') },
    prepare: { command: `psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 ${apply} && echo ran >> runs.log`, inputs: ['migrations/*.sql'] },
  };
}

const runs = () => (fs.existsSync(runsLog) ? fs.readFileSync(runsLog, 'utf8').trim().split('\n').length : 0);

beforeAll(() => {
  home = new TestHome({}, { portCount: 12 });
  writePagilaSql(path.join(home.dir, 'pagila.sql'));
  migrations = path.join(home.dir, 'migrations');
  runsLog = path.join(home.dir, 'runs.log');
  fs.mkdirSync(migrations);
  fs.writeFileSync(path.join(migrations, '001.sql'), "ALTER TABLE customer ADD COLUMN tier text NOT NULL DEFAULT 'basic';\n");
  home.writeConfig(config());
});

afterAll(async () => home.cleanup());

describe('prepare: migrations baked into the golden snapshot', () => {
  it('runs once across 5 ups, and every copy arrives migrated', async () => {
    const dsns = [];
    for (let i = 0; i < 5; i++) dsns.push(await home.up());
    expect(runs()).toBe(1);
    for (const dsn of dsns) expect(await query(dsn, "SELECT count(*)::int AS n FROM customer WHERE tier = 'basic'")).toEqual([{ n: 599 }]);
    const status = JSON.parse((await home.run(['status', '--json'])).stdout) as { prepare: { command: string; files: number; inputsHash: string; snapshot: string | null } };
    expect(status.prepare).toMatchObject({ files: 1, inputsHash: expect.stringMatching(/^[0-9a-f]{64}$/), snapshot: expect.stringMatching(/^local-/) });
    expect((await home.run(['status'])).stdout).toMatch(/^prepare +psql .* \(1 input files, sha256 [0-9a-f]{12}\): snapshot local-/m);
    await home.run(['down', '--all']);
  });

  it('editing a migration makes one new snapshot on the next up; two concurrent ups build it once', async () => {
    fs.writeFileSync(path.join(migrations, '001.sql'), "ALTER TABLE customer ADD COLUMN tier text NOT NULL DEFAULT 'gold';\n");
    const [a, b] = await Promise.all([home.run(['up']), home.run(['up'])]);
    expect([a.exitCode, b.exitCode], a.stderr + b.stderr).toEqual([0, 0]);
    expect(runs()).toBe(2);
    expect(await query(a.stdout.trim(), 'SELECT DISTINCT tier FROM customer')).toEqual([{ tier: 'gold' }]);
    await home.up();
    expect(runs()).toBe(2);
    await home.run(['down', '--all']);
  });

  it('a failing migration: one line with the tail of its output; no snapshot and no copy are left', async () => {
    const snapshots = await snapshotsOf(home, 'local');
    fs.writeFileSync(path.join(migrations, '002.sql'), 'ALTER TABLE no_such_table ADD COLUMN x int;\n');
    home.writeConfig(config(['001.sql', '002.sql']));
    const result = await home.run(['up']);
    expectOneLineError(result, 70, /prepare command `psql "\$DATABASE_URL" .*` exited with 3: .*relation "no_such_table" does not exist/);
    expect(result.stderr).not.toMatch(/postgresql:\/\//);
    expect(runs()).toBe(2);
    // No new snapshot (the previous one may go: no copy uses it, and it is no longer current).
    expect((await snapshotsOf(home, 'local')).filter((key) => !snapshots.includes(key))).toEqual([]);
    expect(readCopies(home, { builders: true }).filter((c) => c.status !== 'destroyed' && c.status !== 'failed')).toEqual([]);
    expect(await leftovers(home)).toEqual([]);
  });
});
