import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DittoError } from '../../src/errors.js';
import { openCopies } from '../../src/copies/house.js';
import { Engines } from '../../src/engines/registry.js';
import { openState } from '../../src/state/store.js';
import { FakeRuntimes, fakeHome, type FakeHome } from './fakes/floors.js';

/**
 * The copies floor's decisions over fakes of the engine and runtime floors: no server runs, so
 * these check the logic (what is made, claimed, kept, collected, healed), not PostgreSQL.
 */
let home: FakeHome;
afterEach(() => home?.close());

function withDump(content = 'CREATE TABLE t (x int);\n'): string {
  const dump = path.join(home.dir, 'seed.sql');
  fs.writeFileSync(dump, content);
  return dump;
}

function statuses(): Record<string, string> {
  return Object.fromEntries(home.copies.db.prepare("SELECT id, status FROM copies WHERE purpose = 'copy'").all().map((r) => [(r as { id: string }).id, (r as { status: string }).status]));
}

describe('the warm pool, over fakes', () => {
  it('fills to its target with clones of one golden snapshot, and a second fill makes nothing', async () => {
    home = fakeHome({ pool: { size: 3 } });
    const dump = withDump();
    home.config.dump.path = dump;
    expect(await home.copies.pool.fill()).toBe(3);
    expect(home.engine.restores).toEqual([dump]); // once, into the snapshot's builder
    expect(home.runtime.snapshotKeys.size).toBe(1);
    const clones = home.runtime.started.filter((s) => s.from !== undefined);
    expect(clones).toHaveLength(3);
    expect(await home.copies.pool.fill()).toBe(0);
    expect(await home.copies.pool.report()).toMatchObject({ target: 3, ready: 3, inFlight: 0, stale: 0 });
  });

  it('up claims a warm copy in one statement and starts no server', async () => {
    home = fakeHome({ pool: { size: 1 } });
    await home.copies.pool.fill();
    const starts = home.runtime.started.length;
    const copy = await home.copies.manager.up({ ttlSeconds: 60, label: 'mine' });
    expect(home.runtime.started).toHaveLength(starts);
    expect(copy).toMatchObject({ warm: false, label: 'mine', ttlSeconds: 60, status: 'ready' });
    expect(copy.connectionString).toMatch(/^fake:\/\/owner:[\w-]{24}@127\.0\.0\.1:\d+\/db$/);
    expect(copy.expiresAt! - Date.now()).toBeGreaterThan(55_000);
  });

  it('a touched but identical dump keeps its warm copies and snapshot; changed content replaces them', async () => {
    home = fakeHome({ pool: { size: 1 } });
    const dump = withDump();
    home.config.dump.path = dump;
    home.copies.pool.markDemand();
    await home.copies.pool.fill();
    const [snapshot] = home.runtime.snapshotKeys;
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(dump, later, later);
    await home.copies.upkeep.maintain(() => {});
    expect(await home.copies.pool.report()).toMatchObject({ ready: 1, stale: 0 });
    expect([...home.runtime.snapshotKeys]).toEqual([snapshot]);
    expect(home.engine.restores).toHaveLength(1);

    fs.appendFileSync(dump, 'CREATE TABLE u (y int);\n');
    await home.copies.upkeep.maintain(() => {});
    expect(await home.copies.pool.report()).toMatchObject({ ready: 1, stale: 0 });
    expect(home.engine.restores).toHaveLength(2);
    // The old snapshot went with the last copy cloned from it.
    expect(home.runtime.snapshotKeys.has(snapshot!)).toBe(false);
    expect(home.runtime.snapshotKeys.size).toBe(1);
  });

  it('a fill that cannot make any copy reports why; one that makes some does not fail', async () => {
    home = fakeHome({ pool: { size: 2 } });
    home.runtime.failStart = new DittoError('PROVISION_FAILED', 'no room at the inn');
    await expect(home.copies.pool.fill()).rejects.toThrow('no room at the inn');
    expect(await home.copies.pool.report()).toMatchObject({ ready: 0, inFlight: 0 });
  });
});

describe('golden snapshot collection, over fakes', () => {
  it('keeps the current dump’s snapshot and one a copy uses; removes untracked ones and unused old ones', async () => {
    home = fakeHome({ pool: { size: 0 } });
    const dump = withDump();
    home.config.dump.path = dump;
    const old = await home.copies.manager.up({});
    const [oldKey] = home.runtime.snapshotKeys;
    fs.appendFileSync(dump, '-- changed\n');
    await home.copies.manager.up({});
    home.runtime.snapshotKeys.add('untracked-1');
    const logged: string[] = [];
    expect(await home.copies.goldens.collect({ log: (m, f) => logged.push(`${m} ${f?.key} ${f?.reason}`) })).toEqual(['untracked-1']);
    expect(home.runtime.snapshotKeys.has(oldKey!)).toBe(true); // `old` was cloned from it
    await home.copies.manager.down({ ids: [old.id] });
    expect(await home.copies.goldens.collect({ log: (m, f) => logged.push(`${m} ${f?.key} ${f?.reason}`) })).toEqual([oldKey]);
    expect(home.runtime.snapshotKeys.size).toBe(1);
    expect(logged).toEqual([
      'removed a golden snapshot untracked-1 untracked',
      `removed a golden snapshot ${oldKey} dump changed and no copy uses it`,
    ]);
    // prune takes the current one too, once no copy uses it.
    await home.copies.manager.down({ all: true });
    expect(await home.copies.goldens.collect({ all: true })).toHaveLength(1);
    expect(home.runtime.snapshotKeys.size).toBe(0);
  });

  it('a snapshot collected between a new copy\'s lookup of it and its record: the copy is not recorded on it, and asks for it again', async () => {
    home = fakeHome({ pool: { size: 0 } });
    const dump = withDump();
    home.config.dump.path = dump;
    await home.copies.manager.up({}).then((c) => home.copies.manager.down({ ids: [c.id] }));
    const goldens = home.copies.goldens;
    const ensure = goldens.ensure.bind(goldens);
    let raced = false;
    goldens.ensure = async (...args) => {
      const golden = await ensure(...args);
      if (!raced) {
        raced = true;
        // The maintainer's pass, right there: the dump is no longer the current one, and no copy uses the snapshot.
        const other = path.join(home.dir, 'other.sql');
        fs.writeFileSync(other, 'CREATE TABLE other (y int);\n');
        home.config.dump.path = other;
        expect(await goldens.collect()).toEqual([golden!.key]);
        home.config.dump.path = dump;
      }
      return golden;
    };
    const copy = await home.copies.manager.up({});
    expect(raced).toBe(true);
    expect(copy.status).toBe('ready');
    const row = home.copies.db.prepare('SELECT golden_key FROM copies WHERE id = ?').get(copy.id) as { golden_key: string };
    expect(home.copies.db.prepare('SELECT 1 FROM goldens WHERE key = ?').get(row.golden_key)).toBeDefined();
    expect(home.runtime.snapshotKeys.has(row.golden_key)).toBe(true);
    expect(home.engine.restores).toHaveLength(2); // the snapshot was made again for it
  });
});

describe('heal and expiry, over fakes', () => {
  it('fails a copy whose driving process died, removes its server and frees its port', async () => {
    home = fakeHome({ pool: { size: 0 } });
    const copy = await home.copies.manager.up({});
    home.copies.db.prepare("UPDATE copies SET status = 'creating', driver = '999999:1', driver_host = ? WHERE id = ?").run(os.hostname(), copy.id);
    await home.copies.upkeep.heal();
    expect(statuses()[copy.id]).toBe('failed');
    expect(home.runtime.removed).toContain(copy.id);
    expect(home.copies.db.prepare('SELECT count(*) AS n FROM port_leases').get()).toEqual({ n: 0 });
    const events = await home.copies.manager.events(copy.id);
    expect(events.at(-1)).toMatchObject({ action: 'failed', metadata: { reason: 'the process driving it (pid 999999) died while it was creating', was: 'creating' } });
  });

  it('destroys a copy past its TTL at the next command; a removal that fails is logged, and the next process finishes it', async () => {
    home = fakeHome({ pool: { size: 0 } });
    const copy = await home.copies.manager.up({ ttlSeconds: 1 });
    home.copies.db.prepare('UPDATE copies SET expires_at = ? WHERE id = ?').run(Date.now() - 1, copy.id);
    const remove = home.runtime.remove.bind(home.runtime);
    home.runtime.remove = async () => {
      throw new Error('engine went away');
    };
    expect((await home.copies.manager.list()).map((c) => [c.id, c.status])).toEqual([[copy.id, 'destroying']]);
    expect(home.logged).toContainEqual({ message: 'expiring a copy failed; the next command retries', fields: { copy_id: copy.id, error: 'engine went away' } });
    // The next command is another process: this one, as it sees it, died mid-destroy.
    home.runtime.remove = remove;
    home.copies.db.prepare("UPDATE copies SET driver = '999999:1' WHERE id = ?").run(copy.id);
    await home.copies.upkeep.heal();
    expect(statuses()[copy.id]).toBe('failed');
    expect(home.runtime.servers.has(copy.id)).toBe(false);
    expect(home.copies.db.prepare('SELECT count(*) AS n FROM port_leases').get()).toEqual({ n: 0 });
  });

  it('starts again the server of a ready copy that stopped, on its port, and says so in its events', async () => {
    home = fakeHome({ pool: { size: 0 } });
    const copy = await home.copies.manager.up({});
    home.runtime.servers.set(copy.id, false);
    const [listed] = await home.copies.manager.list();
    expect(listed).toMatchObject({ id: copy.id, status: 'ready', port: copy.port });
    expect(home.runtime.restarted).toEqual([copy.id]);
    const events = await home.copies.manager.events(copy.id);
    expect(events.slice(-2)).toMatchObject([
      { action: 'restarting', metadata: { why: 'its server had stopped' } },
      { action: 'restarted', metadata: { why: 'its server had stopped', port: copy.port } },
    ]);
    // A running server is left alone.
    await home.copies.upkeep.heal();
    expect(home.runtime.restarted).toEqual([copy.id]);
  });

  it('two heals at once restart a stopped copy once: one takes it over, the other finds it taken', async () => {
    home = fakeHome({ pool: { size: 0 } });
    const copy = await home.copies.manager.up({});
    home.runtime.servers.set(copy.id, false);
    const other = openCopies({ config: home.config, home: home.dir, db: openState(home.dir), engines: new Engines({ postgres: () => home.engine }), runtimes: new FakeRuntimes(home.runtime), actor: 'other', log: () => {} });
    try {
      await Promise.all([home.copies.upkeep.heal(), other.upkeep.heal()]);
    } finally {
      other.db.close();
    }
    expect(home.runtime.restarted).toEqual([copy.id]);
    expect((await home.copies.manager.events(copy.id)).filter((e) => e.action === 'restarted')).toHaveLength(1);
  });

  it('fails a stopped copy whose data is gone, with the reason, and frees its port', async () => {
    home = fakeHome({ pool: { size: 1 } });
    await home.copies.pool.fill();
    const copy = await home.copies.manager.up({});
    home.runtime.servers.delete(copy.id);
    await home.copies.upkeep.heal();
    expect(statuses()[copy.id]).toBe('failed');
    const [failed] = (await home.copies.manager.list({ all: true })).filter((c) => c.id === copy.id);
    expect(failed!.errorMessage).toBe('its server had stopped and its data directory is gone');
    expect(home.copies.db.prepare('SELECT count(*) AS n FROM port_leases WHERE copy_id = ?').get(copy.id)).toEqual({ n: 0 });
  });

  it('a warm copy whose server stopped is started again as it is claimed, not handed out stopped', async () => {
    home = fakeHome({ pool: { size: 1 } });
    await home.copies.pool.fill();
    const [warm] = await home.copies.manager.list();
    home.runtime.servers.set(warm!.id, false);
    // Claimed before any heal sees it (the maintainer's pass had not come yet).
    const key = await home.copies.pool.key(home.engine, null);
    const claimed = await home.copies.pool.claim(key, { ttl: 60, label: null, name: null, owner: null, runId: null, jobName: null }, 'test');
    expect(claimed).toMatchObject({ id: warm!.id, status: 'ready', driver: null });
    expect(home.runtime.servers.get(warm!.id)).toBe(true);
  });

  it('forgets copies that ended longer ago than state.retention, with their events, but not a copy still holding a port', async () => {
    home = fakeHome({ pool: { size: 0 }, state: { retention: '1d' } });
    const gone = await home.copies.manager.up({});
    const stuck = await home.copies.manager.up({});
    const live = await home.copies.manager.up({});
    await home.copies.manager.down({ ids: [gone.id, stuck.id] });
    const old = Date.now() - 2 * 86400_000;
    home.copies.db.prepare('UPDATE copies SET destroyed_at = ? WHERE id IN (?, ?)').run(old, gone.id, stuck.id);
    // Its cleanup never finished: it still holds a port, and its resources will not go.
    home.copies.db.prepare('INSERT INTO port_leases (port, copy_id, leased_at) VALUES (1, ?, 0)').run(stuck.id);
    const remove = home.runtime.remove.bind(home.runtime);
    home.runtime.remove = async (id) => (id === stuck.id ? Promise.reject(new Error('busy')) : remove(id));
    const logged: string[] = [];
    await home.copies.upkeep.maintain((m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`));
    expect(Object.keys(statuses()).sort()).toEqual([stuck.id, live.id].sort());
    expect(home.copies.db.prepare('SELECT count(*) AS n FROM events WHERE copy_id = ?').get(gone.id)).toEqual({ n: 0 });
    expect(logged).toContain('forgot destroyed and failed copies past state.retention {"copies":1}');
  });
});
