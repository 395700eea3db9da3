import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortHeld } from '../../src/copies/port-pool.js';
import { homeKey, markOf } from '../../src/runtimes/home-mark.js';
import { TestHome } from '../helpers/ditto.js';
import { containersOf, dataRootOf, localRootOf, serverProcessesUnder, snapshotsOf } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { MountNamespace } from '../helpers/mount-namespace.js';
import { maintainerPids } from '../helpers/processes.js';
import { DOCKER_CONFIG } from '../helpers/runtimes.js';
import { readCopies, waitFor } from '../helpers/state.js';

/**
 * What a removed home left outside itself (DESIGN section 13, "everything ditto writes outside
 * the home is traceable to it"): as root, its data directory /var/tmp/ditto-<hash> (golden
 * snapshots, servers still running, overlay mounts); on Docker, its containers and golden images.
 * `ditto prune` from another home and a maintainer's pass remove them; a live home's stay, and
 * so does a directory nothing proves ditto's.
 *
 * The homes here run ditto in a mount namespace of their own, as a CI job in a container would:
 * what they leave is judged only from there, so other test files' prunes, in the suite's
 * namespace, cannot take it first (which this checks too).
 */
const LOCAL = { runtime: 'local' };
const SMALL_DUMP = 'CREATE TABLE t (x int);\nINSERT INTO t VALUES (42);\n';

let ns: MountNamespace;
const live: TestHome[] = [];
const removed: TestHome[] = [];
const strays: string[] = [];

/** A home whose copies are clones of a golden snapshot of a small dump. */
function homeWithDump(config: Record<string, unknown>): TestHome {
  const home = new TestHome(config, { portCount: 5, command: ns.command });
  const dump = path.join(home.dir, 'small.sql');
  fs.writeFileSync(dump, SMALL_DUMP);
  home.writeConfig({ ...config, dump: { path: dump } });
  live.push(home);
  return home;
}

/** Removes a home as a CI job's clean-up does: its maintainer ends with the job, and its directory goes. */
async function removeHome(home: TestHome): Promise<void> {
  for (const pid of maintainerPids(home.dir)) process.kill(pid, 'SIGTERM');
  await waitFor(() => maintainerPids(home.dir).length === 0, 'the maintainer of the removed home to leave');
  fs.rmSync(home.dir, { recursive: true, force: true });
  live.splice(live.indexOf(home), 1);
  removed.push(home);
}

interface DoctorJson {
  checks: { name: string; status: string; detail: string; hint?: string }[];
}

async function removedHomesCheck(home: TestHome): Promise<DoctorJson['checks'][number]> {
  const doctor = await home.run(['doctor', '--json']);
  return (JSON.parse(doctor.stdout) as DoctorJson).checks.find((c) => c.name === 'removed homes')!;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  ns = await MountNamespace.open();
});

afterAll(async () => {
  // Whatever a failed test stranded goes the way under test, then the homes that remain the usual way.
  if (live[0]) await live[0].run(['prune']);
  for (const home of live) await home.cleanup();
  for (const dir of strays) fs.rmSync(dir, { recursive: true, force: true });
  ns.close();
  const left = removed.filter((home) => fs.existsSync(localRootOf(home))).map((home) => localRootOf(home));
  for (const home of removed) left.push(...(await containersOf(home)).map((c) => c.name), ...(await snapshotsOf(home, 'docker')), ...ns.mountsUnder(localRootOf(home)));
  expect(left).toEqual([]);
});

describe.runIf(process.getuid?.() === 0)('data directories of removed homes, local runtime as root', () => {
  it('doctor reports them with their size; prune from another home removes them, servers and mounts included; the live home keeps its own', async () => {
    const keeper = homeWithDump(LOCAL);
    const downed = homeWithDump(LOCAL);
    const running = homeWithDump({ ...LOCAL, local: { clone: 'overlay' } });
    const keeperDsn = await keeper.up();
    await downed.up();
    expect((await downed.run(['down', '--all'])).exitCode).toBe(0);
    const runningDsn = await running.up();
    const [runningCopy] = readCopies(running);

    // Each data directory records its home; the downed home's keeps its golden snapshot.
    for (const home of [keeper, downed, running]) {
      const mark = JSON.parse(fs.readFileSync(path.join(localRootOf(home), 'homes', homeKey(home.dir)), 'utf8')) as unknown;
      expect(mark).toEqual({ ...markOf(home.dir), mounts: ns.id });
      expect(await snapshotsOf(home, 'local')).toHaveLength(1);
    }
    expect(fs.existsSync(dataRootOf(downed))).toBe(false);
    expect(serverProcessesUnder(dataRootOf(running)).length).toBeGreaterThan(0);
    expect(ns.mountsUnder(localRootOf(running))).toHaveLength(1);

    // Directories nothing proves ditto's: no mark; a mark made in a mount namespace neither the homes' nor the suite's.
    const unmarked = path.join('/var/tmp', `ditto-unmarked-${path.basename(keeper.dir)}`);
    const elsewhere = path.join('/var/tmp', `ditto-elsewhere-${path.basename(keeper.dir)}`);
    strays.push(unmarked, elsewhere);
    fs.mkdirSync(path.join(unmarked, 'golden', 'k'), { recursive: true });
    fs.mkdirSync(path.join(elsewhere, 'homes'), { recursive: true });
    const gonePath = path.join(os.tmpdir(), 'ditto-no-such-home');
    fs.writeFileSync(path.join(elsewhere, 'homes', homeKey(gonePath)), JSON.stringify({ ...markOf(gonePath), mounts: 'mnt:[1]' }));

    await removeHome(downed);
    await removeHome(running);

    // From the suite's namespace, where these homes' paths were never judged: nothing goes.
    const outsider = new TestHome(LOCAL);
    live.push(outsider);
    expect((await removedHomesCheck(outsider)).detail).not.toContain(localRootOf(downed));
    expect((await outsider.run(['prune'])).exitCode).toBe(0);
    for (const home of [downed, running]) expect(fs.existsSync(localRootOf(home))).toBe(true);

    const report = await removedHomesCheck(keeper);
    expect(report).toMatchObject({ status: 'warn', hint: expect.stringContaining('ditto prune') });
    for (const home of [downed, running]) {
      // A golden snapshot of PostgreSQL is tens of MiB.
      const size = new RegExp(`data directory ${escape(localRootOf(home))} \\((\\d+) MiB\\) of ${escape(home.dir)}`).exec(report.detail);
      expect(size, report.detail).not.toBeNull();
      expect(Number(size![1])).toBeGreaterThan(10);
    }
    expect(report.detail).not.toContain(localRootOf(keeper));
    expect(report.detail).not.toContain(unmarked);
    expect(report.detail).not.toContain(elsewhere);

    const pruned = await keeper.run(['prune']);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    for (const home of [downed, running]) {
      expect(pruned.stderr).toContain(`removed data directory ${localRootOf(home)} of removed home ${home.dir}`);
      expect(fs.existsSync(localRootOf(home))).toBe(false);
    }
    expect(serverProcessesUnder(dataRootOf(running))).toEqual([]);
    expect(ns.mountsUnder(localRootOf(running))).toEqual([]);
    expect(await isPortHeld(runningCopy!.port!)).toBe(false);
    await expect(query(runningDsn, 'SELECT 1')).rejects.toThrow();

    // The live home: its copy answers, its snapshot and mark stay; the strays are untouched.
    await expect(query(keeperDsn, 'SELECT x FROM t')).resolves.toEqual([{ x: 42 }]);
    expect(await snapshotsOf(keeper, 'local')).toHaveLength(1);
    expect(fs.existsSync(path.join(localRootOf(keeper), 'homes', homeKey(keeper.dir)))).toBe(true);
    expect(fs.existsSync(path.join(unmarked, 'golden', 'k'))).toBe(true);
    expect(fs.existsSync(path.join(elsewhere, 'homes'))).toBe(true);
    expect((await removedHomesCheck(keeper)).detail).not.toContain(localRootOf(downed));
  });

  it("a maintainer's pass removes them too", async () => {
    const gone = homeWithDump(LOCAL);
    await gone.up();
    const root = localRootOf(gone);
    await removeHome(gone);
    expect(fs.existsSync(root)).toBe(true);

    // A home with no copies: its maintainer makes one pass and leaves.
    const other = new TestHome(LOCAL, { command: ns.command });
    live.push(other);
    const pass = await other.run(['pool', 'maintain']);
    expect(pass.exitCode, pass.stderr).toBe(0);
    expect(pass.stdout).toContain(`"what":"data directory ${root}","homes":["${gone.dir}"],"msg":"removed what a gone home left"`);
    expect(fs.existsSync(root)).toBe(false);
  });
});

describe('containers and golden images of removed homes, Docker runtime', () => {
  const docker = new Docker();

  it('are labelled with their home; doctor reports them, prune removes them and leaves a live home\'s', async () => {
    const keeper = homeWithDump(DOCKER_CONFIG);
    const gone = homeWithDump(DOCKER_CONFIG);
    const keeperDsn = await keeper.up();
    await gone.up();
    const [image] = await snapshotsOf(gone, 'docker');
    const goneImage = `ditto-golden-${homeKey(gone.dir)}:${image}`;
    const [container] = await containersOf(gone);
    const mark = markOf(gone.dir);
    const labels = { 'ditto.home_path': mark.home, 'ditto.home_host': mark.host, 'ditto.home_mounts': ns.id };
    expect((await docker.getImage(goneImage).inspect()).Config.Labels).toMatchObject(labels);
    expect((await docker.getContainer(container!.name).inspect()).Config.Labels).toMatchObject(labels);

    await removeHome(gone);

    const report = await removedHomesCheck(keeper);
    expect(report.status).toBe('warn');
    expect(report.detail).toContain(`container ${container!.name} of ${gone.dir}`);
    expect(report.detail).toMatch(new RegExp(`image ${escape(goneImage)} \\([\\d.]+ [KMG]iB\\) of ${escape(gone.dir)}`));
    expect(report.detail).not.toContain(homeKey(keeper.dir));

    const pruned = await keeper.run(['prune']);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain(`removed container ${container!.name} of removed home ${gone.dir}`);
    expect(pruned.stderr).toContain(`removed image ${goneImage} of removed home ${gone.dir}`);
    expect(await containersOf(gone)).toEqual([]);
    expect(await snapshotsOf(gone, 'docker')).toEqual([]);

    await expect(query(keeperDsn, 'SELECT x FROM t')).resolves.toEqual([{ x: 42 }]);
    expect(await containersOf(keeper)).toHaveLength(1);
    expect(await snapshotsOf(keeper, 'docker')).toHaveLength(1);
  });

  /**
   * Docker's block-level clones live in the data directory (docker-copies, docker-golden). The
   * removed home's directory is written here as ditto leaves it: a real one needs a block-level
   * filesystem mounted in the homes' namespace, which the Docker engine (in the suite's) cannot see.
   */
  it.runIf(process.getuid?.() === 0)("a removed home's data directory with Docker clones goes too when only the Docker runtime is in use", async () => {
    // No other home's maintainer may take it first: one of the local runtime would, with or without Docker's sweep.
    for (const home of live) {
      await home.run(['down', '--all']);
      await waitFor(() => maintainerPids(home.dir).length === 0 || undefined, 'its maintainer to leave');
    }
    const keeper = homeWithDump(DOCKER_CONFIG);
    const gonePath = path.join(os.tmpdir(), `ditto-gone-docker-${path.basename(keeper.dir)}`);
    const root = path.join('/var/tmp', `ditto-${homeKey(gonePath)}`);
    strays.push(root);
    for (const dir of ['docker-copies/c1/data', 'docker-golden/k1/data']) {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
      fs.writeFileSync(path.join(root, dir, 'PG_VERSION'), '15\n');
    }
    fs.writeFileSync(path.join(root, 'docker-golden/k1/complete'), 'postgres');
    fs.mkdirSync(path.join(root, 'homes'));
    fs.writeFileSync(path.join(root, 'homes', homeKey(gonePath)), JSON.stringify({ ...markOf(gonePath), mounts: ns.id }));

    expect((await removedHomesCheck(keeper)).detail).toContain(`data directory ${root} `);
    const pruned = await keeper.run(['prune']);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain(`removed data directory ${root} of removed home ${gonePath}`);
    expect(fs.existsSync(root)).toBe(false);
  });
});
