import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, type CopyJson } from '../helpers/ditto.js';
import { ENGINE_RUNTIME_CASES, countRows, query, type RuntimeName } from '../helpers/engines.js';
import { containersOf, dataRootOf, leftovers, serverProcessesUnder, snapshotsOf } from '../helpers/leaks.js';
import { maintainerPids } from '../helpers/processes.js';
import { eventually, killMaintainers, killServer } from '../helpers/crash.js';
import { readCopies, waitFor, writeState } from '../helpers/state.js';

/** The copies whose server is running: processes working in a copy's directory (local), containers (Docker). */
async function runningCopyIds(home: TestHome, runtime: RuntimeName): Promise<string[]> {
  if (runtime === 'local') return serverProcessesUnder(dataRootOf(home)).map((s) => s.copyId);
  return (await containersOf(home)).map((c) => c.copyId);
}

describe.each(ENGINE_RUNTIME_CASES)('warm pool of $name', ({ runtime, config, errors }) => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ ...config, pool: { size: 2 } }, { portCount: 40 });
  });

  afterAll(async () => {
    await home.cleanup();
    await waitFor(() => maintainerPids(home.dir).length === 0, 'the maintainer to leave', 10_000);
  });

  it('pool fill makes warm copies, and pool status counts them', async () => {
    const fill = await home.run(['pool', 'fill']);
    expect(fill.exitCode, fill.stderr).toBe(0);
    expect(fill.stderr).toContain('made 2 warm copies');
    const status = JSON.parse((await home.run(['pool', 'status', '--json'])).stdout) as { ready: number; target: number };
    expect(status).toMatchObject({ ready: 2, target: 2 });
    const warm = (await home.ls()).filter((c) => c.warm);
    expect(warm.map((c) => c.status)).toEqual(['ready', 'ready']);
    expect(warm.map((c) => c.runtime)).toEqual([runtime, runtime]);
  });

  it('a warm up provisions nothing: it hands out a warm copy, its TTL starting at the claim', async () => {
    const warmBefore = (await home.ls()).filter((c) => c.warm).map((c) => c.id);
    const rowsBefore = readCopies(home).length;
    const result = await home.run(['up', '--json', '--ttl', '10m', '--label', 'claimed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const copy = JSON.parse(result.stdout) as CopyJson & { ready_at: string; expires_at: string };
    expect(warmBefore).toContain(copy.id);
    expect(copy).toMatchObject({ warm: false, label: 'claimed', ttl_seconds: 10 * 60 });
    // The TTL runs from the claim, not from when the warm copy was made.
    expect(Date.parse(copy.expires_at) - Date.now()).toBeGreaterThan(10 * 60 * 1000 - 5000);
    const events = JSON.parse((await home.run(['logs', copy.id, '--json'])).stdout) as { action: string; actor: string }[];
    expect(events.map((e) => e.action)).toEqual(['created', 'creating', 'ready', 'claimed']);
    expect(events.at(-1)!.actor).toBe('cli');
    // Any copy made since was made by the maintainer refilling, not by up.
    const made = readCopies(home).slice(rowsBefore);
    expect(made.every((c) => c.warm === 1)).toBe(true);
    await expect(query(copy.connection_string!, 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
  });

  it('the maintainer refills the pool after a claim', async () => {
    await waitFor(() => readCopies(home).filter((c) => c.warm === 1 && c.status === 'ready').length === 2 || undefined, 'the pool to refill');
    expect(maintainerPids(home.dir)).toHaveLength(1);
  });

  it('a warm copy whose server stopped comes back: up hands it out running, the maintainer restarts the rest in place', async () => {
    const warmIds = () => readCopies(home).filter((c) => c.warm === 1 && c.status === 'ready').map((c) => c.id);
    // In the order up claims them: the longest ready first.
    const byReady = async () => ((await home.ls()) as (CopyJson & { ready_at: string })[]).filter((c) => c.warm && c.status === 'ready').sort((a, b) => Date.parse(a.ready_at) - Date.parse(b.ready_at)).map((c) => c.id);
    const [oldest] = await byReady();
    // No maintainer to notice first: the up heals it.
    await killMaintainers(home);
    await killServer(home, runtime, oldest!);
    const claimed = await home.upJson(['--ttl', '10m']);
    expect(claimed.id).toBe(oldest);
    await expect(query(claimed.connection_string!, 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    const events = JSON.parse((await home.run(['logs', claimed.id, '--json'])).stdout) as { action: string }[];
    expect(events.map((e) => e.action).slice(-3)).toEqual(['restarting', 'restarted', 'claimed']);

    // The maintainer's own look between passes finds the next one: restarted, still warm, the pool not grown.
    await waitFor(() => warmIds().length === 2 || undefined, 'the pool to refill');
    const [victim] = warmIds();
    const rowsBefore = readCopies(home).length;
    await killServer(home, runtime, victim!);
    const restartedBy = async (id: string) => (JSON.parse((await home.run(['logs', id, '--json'])).stdout) as { action: string; actor: string }[]).filter((e) => e.action === 'restarted').map((e) => e.actor);
    await eventually(async () => (await restartedBy(victim!)).length > 0, 'the maintainer to restart the warm copy', 30_000);
    expect(await restartedBy(victim!)).toEqual(['maintainer']);
    expect(warmIds()).toContain(victim);
    expect(readCopies(home).length).toBe(rowsBefore);
    await home.run(['down', claimed.id]);
  });

  it('20 concurrent ups: 20 distinct connectable copies, no copy or port handed out twice', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => home.run(['up', '--json', '--label', `burst-${i}`])));
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    const copies = results.map((r) => JSON.parse(r.stdout) as CopyJson);
    expect(new Set(copies.map((c) => c.id)).size).toBe(20);
    expect(new Set(copies.map((c) => c.port)).size).toBe(20);
    const answers = await Promise.all(copies.map((c, i) => query(c.connection_string!, `SELECT ${i} AS n`)));
    expect(answers.map((a) => a[0]!.n)).toEqual(copies.map((_, i) => i));
    // Each copy is its own database: a table made in one is in no other.
    await query(copies[0]!.connection_string!, 'CREATE TABLE mine (x int)');
    await expect(query(copies[1]!.connection_string!, 'SELECT * FROM mine')).rejects.toThrow(errors.missingTable);
    const down = await home.run(['down', '--label', 'burst-0']);
    expect(down.exitCode).toBe(0);
  });

  it('pool drain destroys the warm copies, and nothing refills them', async () => {
    await waitFor(() => readCopies(home).filter((c) => c.warm === 1 && ['pending', 'creating'].includes(c.status)).length === 0 || undefined, 'refills to finish');
    const drain = await home.run(['pool', 'drain']);
    expect(drain.exitCode).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(readCopies(home).filter((c) => c.warm === 1 && !['destroyed', 'failed'].includes(c.status))).toEqual([]);
  });
});

describe.each(ENGINE_RUNTIME_CASES)('down --all with a pool of $name', ({ runtime, config }) => {
  let home: TestHome;
  afterAll(async () => home.cleanup());

  it('leaves nothing running: the pool is not refilled until the next up', async () => {
    home = new TestHome({ ...config, pool: { size: 2 } });
    await home.up();
    await waitFor(() => readCopies(home).filter((c) => c.warm === 1 && c.status === 'ready').length === 2 || undefined, 'the pool to fill');
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    await eventually(async () => maintainerPids(home.dir).length === 0 && (await runningCopyIds(home, runtime)).length === 0, 'everything to stop', 20_000);
    expect(readCopies(home).filter((c) => c.status !== 'destroyed')).toEqual([]);
    expect(await leftovers(home)).toEqual([]);
    // The next up is demand again: the pool fills behind it.
    await home.up();
    await waitFor(() => readCopies(home).filter((c) => c.warm === 1 && c.status === 'ready').length === 2 || undefined, 'the pool to refill');
  });
});

describe.each(ENGINE_RUNTIME_CASES)('an up of $name with an empty pool waits for the copy already being made', ({ config, sample }) => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ ...config, pool: { size: 1 } });
    home.writeConfig({ ...config, pool: { size: 1 }, dump: { path: sample.write(path.join(home.dir, sample.file)) } });
  });

  afterAll(async () => {
    await home.cleanup();
  });

  it('claims the in-flight copy instead of starting another', async () => {
    const fill = home.spawn(['pool', 'fill']);
    const inFlight = await waitFor(() => readCopies(home).find((c) => c.status === 'creating'), 'a copy in flight');
    const result = await home.run(['up', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const copy = JSON.parse(result.stdout) as CopyJson;
    expect(copy.id).toBe(inFlight.id);
    await fill;
    // Only the maintainer's refill may have started another since.
    const others = readCopies(home).filter((c) => c.id !== inFlight.id);
    expect(others.every((c) => c.warm === 1)).toBe(true);
    expect(await countRows(copy.connection_string!, sample.table)).toBe(sample.rows);
  });
});

describe.each(ENGINE_RUNTIME_CASES)('TTL expiry of $name with no ditto command after up', ({ config }) => {
  let home: TestHome;
  afterAll(async () => home.cleanup());

  it('the maintainer destroys the expired copy and all its resources, then leaves', async () => {
    home = new TestHome(config);
    const dsn = await home.up(['--ttl', '2s']);
    const [copy] = readCopies(home);
    await waitFor(() => readCopies(home)[0]!.status === 'destroyed' || undefined, 'expiry', 20_000);
    await expect(query(dsn, 'SELECT 1')).rejects.toThrow();
    expect(await leftovers(home, [copy!.port!])).toEqual([]);
    await waitFor(() => maintainerPids(home.dir).length === 0 || undefined, 'the maintainer to leave', 10_000);
    const log = fs.readFileSync(path.join(home.dir, 'logs', 'maintainer.log'), 'utf8');
    expect(log).toContain('no copies left; leaving');
  });
});

/**
 * Every failpoint runs on the local runtime for both engines. Each crash costs a server, and those
 * with a dump a restore, so on Docker (where the runtime part of crash recovery is removing a
 * container) only after-server-start runs, once per engine: the point that leaves a container up.
 */
describe.each(ENGINE_RUNTIME_CASES)('crash recovery of $name: the provisioning process killed with SIGKILL', ({ runtime, config, sample, restoreClient }) => {
  let home: TestHome;
  const failpoints = runtime === 'local' ? ['after-record', 'after-server-start'] : ['after-server-start'];

  beforeAll(() => {
    home = new TestHome(config);
  });

  afterEach(async () => {
    await home.run(['down', '--all']);
    home.writeConfig(config);
  });

  afterAll(async () => home.cleanup());

  it.each(failpoints)('at %s: the next command fails the record with the reason and leaves nothing', async (failpoint) => {
    const before = readCopies(home).length;
    const marker = path.join(home.dir, `at-${failpoint}`);
    const child = home.spawn(['up'], { DITTO_FAILPOINT: failpoint, DITTO_FAILPOINT_FILE: marker });
    await waitFor(() => fs.existsSync(marker) || undefined, failpoint);
    const [crashed] = readCopies(home).slice(before);
    expect(crashed!.status).toBe(failpoint === 'after-record' ? 'pending' : 'creating');
    if (failpoint === 'after-server-start') expect(await runningCopyIds(home, runtime)).toContain(crashed!.id);
    process.kill(child.pid!, 'SIGKILL');
    await child;
    const next = await home.run(['ls', '--all', '--json']);
    const record = (JSON.parse(next.stdout) as CopyJson[]).find((c) => c.id === crashed!.id)!;
    expect(record.status).toBe('failed');
    expect(record.error_message).toMatch(new RegExp(`the process driving it \\(pid ${child.pid}\\) died while it was (pending|creating)`));
    expect(await leftovers(home, crashed!.port ? [crashed!.port] : [], [crashed!.id])).toEqual([]);
  });

  // The two crashes below happen while a dump is restored into a golden snapshot's builder: local only (see above).
  if (runtime !== 'local') return;

  it('during the restore: the server and its port are removed by the next command', async () => {
    home.writeConfig({ ...config, dump: { path: sample.write(path.join(home.dir, sample.file)) } });
    const before = readCopies(home, { builders: true }).length;
    const child = home.spawn(['up']);
    // The restore is under way once the engine's client runs as ditto's child (restoring into the golden snapshot's builder).
    await waitFor(() => childNamed(child.pid!, restoreClient) || undefined, 'the restore to start');
    const [crashed] = readCopies(home, { builders: true }).slice(before);
    expect(crashed!.status).toBe('creating');
    process.kill(child.pid!, 'SIGKILL');
    await child;
    expect((await home.run(['ls'])).exitCode).toBe(0);
    const record = readCopies(home, { builders: true }).find((c) => c.id === crashed!.id)!;
    expect(record.status).toBe('failed');
    expect(record.error_message).toMatch(/died while it was creating/);
    expect(await leftovers(home, [crashed!.port!], [crashed!.id])).toEqual([]);
    // The next up takes over the dead builder's lease and makes the snapshot.
    const dsn = await home.up();
    expect(await countRows(dsn, sample.table)).toBe(sample.rows);
  });

  it('before the snapshot is promoted: the restored builder is failed and removed, and the next up makes the snapshot', async () => {
    // A dump of its own, so its snapshot is not made yet.
    const dump = sample.write(path.join(home.dir, `promote-${sample.file}`));
    fs.appendFileSync(dump, `\nCREATE TABLE ${sample.schema}.made_before_promote (x int);\n`);
    home.writeConfig({ ...config, dump: { path: dump } });
    const snapshots = await snapshotsOf(home, runtime);
    const before = readCopies(home, { builders: true }).length;
    const marker = path.join(home.dir, 'at-before-promote');
    const child = home.spawn(['up'], { DITTO_FAILPOINT: 'before-promote', DITTO_FAILPOINT_FILE: marker });
    await waitFor(() => fs.existsSync(marker) || undefined, 'before-promote');
    const [builder] = readCopies(home, { builders: true }).slice(before);
    expect(builder).toMatchObject({ purpose: 'golden', status: 'creating' });
    expect(await runningCopyIds(home, runtime)).toContain(builder!.id);
    process.kill(child.pid!, 'SIGKILL');
    await child;
    expect((await home.run(['ls'])).exitCode).toBe(0);
    const record = readCopies(home, { builders: true }).find((c) => c.id === builder!.id)!;
    expect(record.status).toBe('failed');
    expect(record.error_message).toMatch(new RegExp(`the process driving it \\(pid ${child.pid}\\) died while it was creating`));
    expect(await leftovers(home, [builder!.port!], [builder!.id])).toEqual([]);
    // Nothing was promoted (the maintainer may meanwhile collect the earlier dump's snapshot: only new ones count).
    const added = async () => (await snapshotsOf(home, runtime)).filter((key) => !snapshots.includes(key));
    expect(await added()).toEqual([]);
    // The next up restores the dump again, into the one new snapshot.
    const dsn = await home.up();
    expect(await countRows(dsn, 'made_before_promote')).toBe(0);
    expect(await countRows(dsn, sample.table)).toBe(sample.rows);
    expect(await added()).toHaveLength(1);
  });
});

describe.each(ENGINE_RUNTIME_CASES)('the maintainer removes ditto resources of $name that have no record', ({ runtime, config }) => {
  let home: TestHome;
  afterAll(async () => home.cleanup());

  it('a server whose record was lost is stopped and its resources removed', async () => {
    home = new TestHome(config);
    const dsn = await home.up();
    const [copy] = readCopies(home);
    expect(maintainerPids(home.dir)).toHaveLength(1);
    expect(await runningCopyIds(home, runtime)).toContain(copy!.id);
    // The record vanishes (a lost or restored state file): the server is now untracked.
    writeState(home, 'DELETE FROM port_leases WHERE copy_id = ?', copy!.id);
    writeState(home, 'DELETE FROM copies WHERE id = ?', copy!.id);
    // The running maintainer notices the change, finds the untracked server, and removes it.
    await eventually(async () => (await leftovers(home, [], [copy!.id])).length === 0, 'the untracked server to go', 20_000);
    await expect(query(dsn, 'SELECT 1')).rejects.toThrow();
    expect(await leftovers(home, [copy!.port!])).toEqual([]);
    const log = fs.readFileSync(path.join(home.dir, 'logs', 'maintainer.log'), 'utf8');
    expect(log).toMatch(new RegExp(`"copy_id":"${copy!.id}".*"msg":"removed untracked resources"`));
  });
});

function childNamed(parent: number, name: string): boolean {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent && stat.includes(`(${name})`)) return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}
