import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { ENGINE_RUNTIME_CASES, countRows, query } from '../helpers/engines.js';
import { leftovers, snapshotsOf } from '../helpers/leaks.js';
import { readCopies, waitFor } from '../helpers/state.js';

/** Golden snapshots: a dump (Pagila, Sakila) is restored once; copies are clones of it. */
describe.each(ENGINE_RUNTIME_CASES)('golden snapshots of $name', ({ runtime: name, config, sample, errors }) => {
  let home: TestHome;
  let dump: string;
  const up = () => home.upJson();

  beforeAll(() => {
    home = new TestHome(config);
    dump = sample.write(path.join(home.dir, sample.file));
    home.writeConfig({ ...config, dump: { path: dump } });
  });

  afterAll(async () => {
    await home.cleanup();
    expect(await snapshotsOf(home, name)).toEqual([]);
  });

  it('the first copy of a dump restores it once into a snapshot; later copies are clones of it', async () => {
    const first = await up();
    const builders = readCopies(home, { builders: true }).filter((c) => c.purpose === 'golden');
    expect(builders.map((b) => b.status)).toEqual(['destroyed']);
    const snapshots = await snapshotsOf(home, name);
    expect(snapshots).toHaveLength(1);
    const second = await up();
    for (const copy of [first, second]) {
      const events = JSON.parse((await home.run(['logs', copy.id, '--json'])).stdout) as { action: string; metadata: { golden?: string } }[];
      expect(events.find((e) => e.action === 'ready')!.metadata.golden).toBe(snapshots[0]);
      expect(new URL(copy.connection_string!).pathname).toBe(`/${sample.database}`);
      expect(await countRows(copy.connection_string!, sample.table)).toBe(sample.rows);
    }
    // Still one snapshot, and one builder: the second copy restored nothing.
    expect(await snapshotsOf(home, name)).toEqual(snapshots);
    expect(readCopies(home, { builders: true }).filter((c) => c.purpose === 'golden')).toHaveLength(1);
  });

  it('a clone is its own database: its own password, and its writes reach neither the snapshot nor other clones', async () => {
    const a = await up();
    const payments = await countRows(a.connection_string!, 'payment');
    expect(payments).toBeGreaterThan(16000);
    await query(a.connection_string!, 'DELETE FROM payment; CREATE TABLE only_here (x int)');
    expect(await countRows(a.connection_string!, 'payment')).toBe(0);
    const b = await up();
    expect(await countRows(b.connection_string!, 'payment')).toBe(payments);
    await expect(query(b.connection_string!, 'SELECT 1 FROM only_here')).rejects.toThrow(errors.missingTable);
    // The snapshot's own superuser password (the builder's) opens no clone.
    const builder = readCopies(home, { builders: true }).find((c) => c.purpose === 'golden')!;
    const password = readPassword(home, builder.id);
    const withSnapshotPassword = new URL(b.connection_string!);
    withSnapshotPassword.password = password;
    await expect(query(withSnapshotPassword.toString(), 'SELECT 1')).rejects.toThrow(errors.badPassword);
  });

  it('a changed dump gets a new snapshot; the old one goes once no copy uses it', async () => {
    const [old] = await snapshotsOf(home, name);
    fs.appendFileSync(dump, `\nCREATE TABLE ${sample.schema}.added_later (x int);\n`);
    const fresh = await up();
    expect(await countRows(fresh.connection_string!, 'added_later')).toBe(0);
    const both = await snapshotsOf(home, name);
    expect(both).toHaveLength(2);
    const current = both.find((k) => k !== old)!;
    // Copies of the old dump still run: the maintainer's passes (one ran on the change up made) keep it.
    const log = path.join(home.dir, 'logs', 'maintainer.log');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await snapshotsOf(home, name)).toEqual(both);
    // Once they are gone, the maintainer removes it; the current one stays.
    const oldCopies = (await home.ls()).filter((c) => c.id !== fresh.id).map((c) => c.id);
    expect((await home.run(['down', ...oldCopies])).exitCode).toBe(0);
    for (let i = 0; i < 100 && (await snapshotsOf(home, name)).length > 1; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await snapshotsOf(home, name)).toEqual([current]);
    // The maintainer logs the removal just after it: wait for the line rather than race it.
    const removal = new RegExp(`"key":"${old}","reason":"dump changed and no copy uses it"`);
    await waitFor(() => removal.test(fs.readFileSync(log, 'utf8')), 'the removal in the maintainer log', 10_000);
    await expect(query(fresh.connection_string!, 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
  });

  it('down leaves nothing of a clone behind, and prune removes unused snapshots', async () => {
    const ids = (await home.ls()).map((c) => c.id);
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, [], ids)).toEqual([]);
    const prune = await home.run(['prune']);
    expect(prune.stderr).toContain('removed 1 golden snapshot');
    expect(await snapshotsOf(home, name)).toEqual([]);
  });
});

function readPassword(home: TestHome, id: string): string {
  // The builder's password is the snapshot's superuser password: it is in the state, as every copy's is.
  const db = new Database(path.join(home.dir, 'state.db'), { readonly: true });
  try {
    return (db.prepare('SELECT password FROM copies WHERE id = ?').get(id) as { password: string }).password;
  } finally {
    db.close();
  }
}
