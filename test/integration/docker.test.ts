import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAddress } from '../../src/runtimes/docker/docker-endpoint.js';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { LABEL_DRIVER, LABEL_DRIVER_HOST, LABEL_HELPER, LABEL_HOME, LABEL_MANAGED } from '../../src/runtimes/docker/labels.js';
import { processIdentity } from '../../src/model/process-identity.js';
import { homeKey } from '../../src/runtimes/registry.js';
import { TestHome, expectOneLineError, writePagilaSql } from '../helpers/ditto.js';
import { containersOf, leftovers, localRootOf } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { readCopies } from '../helpers/state.js';
import { DOCKER_CONFIG, DOCKER_TEST_IMAGE } from '../helpers/runtimes.js';

/**
 * The Docker-only paths, against the real engine scripts/docker-test-engine.sh starts (no bridge:
 * every container shares the host's network and only loopback traffic happens). Nothing is pulled
 * from a registry: the images used are built here from the local test image.
 */
const docker = new Docker();
/** Its entrypoint logs a FATAL line and exits 3, as a broken image would. */
const EXITS_IMAGE = 'ditto-test/exits-at-start:1';
/** Its entrypoint does not exist: the engine cannot even start the container. */
const NO_ENTRYPOINT_IMAGE = 'ditto-test/no-entrypoint:1';
/** Not on the engine, and its registry is a closed loopback port: the pull fails fast, locally. */
const MISSING_IMAGE = '127.0.0.1:1/ditto-test/missing:1';
const dead = path.join(fs.mkdtempSync('/tmp/ditto-dead-'), 'docker.sock');

const homes: TestHome[] = [];
function newHome(config: Record<string, unknown> = DOCKER_CONFIG, portCount = 10): TestHome {
  const home = new TestHome(config, { portCount });
  homes.push(home);
  return home;
}

/**
 * A failed `up` must leave a failed record, and no container, server, port or lease. The record is
 * the golden snapshot's builder's where the failure came while making the snapshot.
 */
async function expectFailedAndClean(home: TestHome): Promise<void> {
  const all = readCopies(home, { builders: true });
  expect(all.map((c) => c.status)).toEqual(['failed']);
  expect(await leftovers(home, [home.ports.min])).toEqual([]);
}

/** Commits the test image with another entrypoint, without starting anything. */
async function imageWithEntrypoint(name: string, entrypoint: string[]): Promise<void> {
  // A leftover from an interrupted run would be left dangling by a new commit under its tag.
  await docker.getImage(name).remove().catch(() => {});
  const base = await docker.createContainer({ Image: DOCKER_TEST_IMAGE, HostConfig: { NetworkMode: 'none' } });
  try {
    const [repo, tag] = name.split(':');
    await base.commit({ repo, tag, changes: `ENTRYPOINT ${JSON.stringify(entrypoint)}` });
  } finally {
    await base.remove({ force: true, v: true });
  }
}

beforeAll(async () => {
  await imageWithEntrypoint(EXITS_IMAGE, ['/bin/sh', '-c', "echo 'FATAL:  this image fails on purpose' >&2; exit 3"]);
  await imageWithEntrypoint(NO_ENTRYPOINT_IMAGE, ['/no/such/entrypoint']);
});

afterAll(async () => {
  // Every home is cleaned before anything is asserted, so one failure cannot strand the others' copies.
  const left: string[] = [];
  for (const home of homes) {
    const down = await home.run(['down', '--all']);
    if (down.exitCode !== 0) left.push(`${home.dir}: down --all failed: ${down.stderr}`);
    for (const c of await containersOf(home)) left.push(`${home.dir}: container ${c.name}`);
    await home.cleanup();
  }
  for (const image of [EXITS_IMAGE, NO_ENTRYPOINT_IMAGE]) await docker.getImage(image).remove().catch(() => {});
  fs.rmSync(path.dirname(dead), { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe('a copy is a container', () => {
  it('named ditto-<id>, labelled with its id and home, on the host network, with its own password', async () => {
    const home = newHome();
    const dsn = await home.up(['--label', 'named']);
    const [copy] = await home.ls();
    expect(copy).toMatchObject({ runtime: 'docker', label: 'named' });
    const info = await docker.getContainer(`ditto-${copy!.id}`).inspect();
    expect(info.Name).toBe(`/ditto-${copy!.id}`);
    expect(info.Config.Labels).toMatchObject({ 'ditto.managed': 'true', 'ditto.copy_id': copy!.id, 'ditto.home': homeKey(home.dir) });
    // A clone of the golden snapshot: the image committed from copy_image with the data in it.
    expect(info.Config.Image).toMatch(new RegExp(`^ditto-golden-${homeKey(home.dir)}:docker-[0-9a-f]{16}$`));
    const golden = await docker.getImage(info.Config.Image).inspect();
    expect(golden.Config.Labels).toMatchObject({ 'ditto.home': homeKey(home.dir) });
    expect(golden.Config.Env).not.toContain(expect.stringMatching(/^POSTGRES_PASSWORD=.+/));
    expect(info.HostConfig.NetworkMode).toBe('host');
    expect(info.Config.Env).toContain(`POSTGRES_PASSWORD=${new URL(dsn).password}`);
    // The server stays on loopback, on the copy's port, with the disposable-copy settings.
    expect(info.Config.Cmd).toEqual(expect.arrayContaining(['-p', String(copy!.port), 'listen_addresses=127.0.0.1', 'fsync=off']));
    await expect(query(dsn, 'SHOW fsync')).resolves.toEqual([{ fsync: 'off' }]);
    // The image declares its data directory a volume, as the official one does: an anonymous volume per copy.
    const volumes = info.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name!);
    expect(volumes).toHaveLength(1);

    const result = await home.run(['down', copy!.id]);
    expect(result.exitCode).toBe(0);
    await expect(docker.getContainer(`ditto-${copy!.id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getVolume(volumes[0]!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await leftovers(home, [copy!.port!])).toEqual([]);
  });

  it('a present image is used as it is, never pulled', async () => {
    const home = newHome();
    const since = Math.floor(Date.now() / 1000) - 1;
    await home.up();
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = await docker.getEvents({ since, until, filters: { type: ['image'] } });
    const text = await new Promise<string>((resolve, reject) => {
      let all = '';
      events.on('data', (chunk: Buffer) => (all += chunk.toString()));
      events.on('end', () => resolve(all));
      events.on('error', reject);
    });
    const pulls = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { Action: string; id: string }).filter((e) => e.Action === 'pull');
    expect(pulls.filter((e) => e.id.includes('ditto-test/postgres'))).toEqual([]);
  });

  it('the dump is mounted read-only and restored inside the container, whatever its path holds', async () => {
    const home = newHome();
    const dump = path.join(home.dir, 'odd: name, with spaces.sql');
    fs.writeFileSync(dump, 'CREATE TABLE t (x int);\nINSERT INTO t VALUES (42);\n');
    home.writeConfig({ ...DOCKER_CONFIG, dump: { path: dump } });
    const dsn = await home.up();
    await expect(query(dsn, 'SELECT x FROM t')).resolves.toEqual([{ x: 42 }]);
    const [copy] = await home.ls();
    const info = await docker.getContainer(`ditto-${copy!.id}`).inspect();
    expect(info.Mounts.find((m) => m.Type === 'bind')).toMatchObject({ Source: dump, Destination: '/ditto/dump', RW: false });
  });

  it('a home sees only its own containers', async () => {
    const a = newHome();
    const b = newHome();
    await a.up();
    const [copy] = await a.ls();
    const runtimeOf = (home: TestHome) =>
      new DockerRuntime({ address: engineAddress(), image: () => DOCKER_TEST_IMAGE, network: 'host', home: home.dir, hostBinDir: () => null, clones: { root: localRootOf(home), clone: 'auto' } });
    expect(await runtimeOf(a).listResources()).toEqual([copy!.id]);
    expect(await runtimeOf(b).listResources()).toEqual([]);
    // And b's `down --all` leaves a's copy alone.
    await b.run(['down', '--all']);
    await expect(query(await a.up(), 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });
});

describe('helper containers', () => {
  it('the orphan scan removes a helper whose maker died, and leaves one whose maker lives', async () => {
    const home = newHome();
    const helper = (name: string, driver: string) =>
      docker.createContainer({
        name,
        Image: DOCKER_TEST_IMAGE,
        Entrypoint: ['pg_dump'],
        Labels: { [LABEL_MANAGED]: 'true', [LABEL_HOME]: homeKey(home.dir), [LABEL_HELPER]: 'dump', [LABEL_DRIVER]: driver, [LABEL_DRIVER_HOST]: os.hostname() },
        HostConfig: { NetworkMode: 'none' },
      });
    const suffix = path.basename(home.dir);
    const orphan = await helper(`ditto-helper-orphan-${suffix}`, '999999:1');
    const owned = await helper(`ditto-helper-owned-${suffix}`, processIdentity(process.pid)!);
    try {
      // One pass of the maintainer: it leaves at once, having no copy to look after.
      const pass = await home.run(['pool', 'maintain']);
      expect(pass.exitCode).toBe(0);
      await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(owned.inspect()).resolves.toMatchObject({ Name: `/ditto-helper-owned-${suffix}` });
      expect(pass.stdout).toContain(`"copy_id":"ditto-helper-orphan-${suffix}","msg":"removed untracked resources"`);
    } finally {
      await orphan.remove({ force: true }).catch(() => {});
      await owned.remove({ force: true }).catch(() => {});
    }
  });
});

describe('failures are one clear line and leave nothing behind', () => {
  it('a missing image whose pull fails names the image', async () => {
    const home = newHome({ ...DOCKER_CONFIG, copy_image: MISSING_IMAGE });
    const result = await home.run(['up']);
    expectOneLineError(result, 70, new RegExp(`image ${MISSING_IMAGE.replaceAll('.', '\\.')} is not on the Docker engine and pulling it failed: .+; pull or build`));
    await expectFailedAndClean(home);
  });

  it('a container that exits while starting reports its log line', async () => {
    const home = newHome({ ...DOCKER_CONFIG, copy_image: EXITS_IMAGE });
    const result = await home.run(['up']);
    expectOneLineError(result, 70, /the database container exited with code 3 while starting: FATAL: +this image fails on purpose/);
    await expectFailedAndClean(home);
  });

  it('a container whose entrypoint cannot run', async () => {
    const home = newHome({ ...DOCKER_CONFIG, copy_image: NO_ENTRYPOINT_IMAGE });
    const result = await home.run(['up']);
    expectOneLineError(result, 70, /the container of copy \w+ would not start: .*\/no\/such\/entrypoint/);
    await expectFailedAndClean(home);
  });

  it('an unreachable engine is RUNTIME_UNAVAILABLE, and nothing is recorded', async () => {
    const home = newHome();
    const env = { DOCKER_HOST: `unix://${dead}` };
    const result = await home.run(['up'], { env });
    expectOneLineError(result, 69, new RegExp(`cannot reach the Docker engine at unix://${dead}: no socket there; start the Docker engine`));
    expect(await home.ls(true)).toEqual([]);
    expectOneLineError(await home.run(['status'], { env }), 69, /cannot reach the Docker engine/);
  });

  it('a failed restore (corrupt SQL) removes the container and releases the port', async () => {
    const home = newHome();
    const dump = path.join(home.dir, 'corrupt.sql');
    fs.writeFileSync(dump, 'CREATE TABLE fine (x int);\nCREATE TABLE broken (;\n');
    home.writeConfig({ ...DOCKER_CONFIG, dump: { path: dump } });
    const result = await home.run(['up']);
    expectOneLineError(result, 65, /restoring .*corrupt\.sql failed: psql exited with 3: .*syntax error/);
    await expectFailedAndClean(home);
  });

  it('an interrupted up removes the container it was making', async () => {
    const home = newHome();
    const dump = path.join(home.dir, 'pagila.sql');
    writePagilaSql(dump);
    home.writeConfig({ ...DOCKER_CONFIG, dump: { path: dump } });
    const child = home.spawn(['up']);
    // Interrupt once the container exists (the restore is under way or about to be).
    const deadline = Date.now() + 30_000;
    while ((await containersOf(home)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await containersOf(home)).toHaveLength(1);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    await expectFailedAndClean(home);
  });
});

describe('runtime: auto', () => {
  const autoConfig = { runtime: 'auto', copy_image: DOCKER_TEST_IMAGE, docker: { network: 'host' } };

  it('uses Docker when an engine answers, and status says why', async () => {
    const home = newHome(autoConfig);
    const status = await home.run(['status']);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^runtime\s+docker \(runtime: auto; the Docker engine answered at unix:\/\/\S+docker\.sock\)$/m);
    expect(status.stdout).toMatch(/Docker engine at unix:\/\/\S+, image ditto-test\/postgres:15, host network/);
    await home.up();
    expect((await home.ls()).map((c) => c.runtime)).toEqual(['docker']);
  });

  it('uses local when DOCKER_HOST points at no engine, and status says why', async () => {
    const home = newHome(autoConfig);
    const env = { DOCKER_HOST: `unix://${dead}` };
    const status = await home.run(['status'], { env });
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`runtime local (runtime: auto; no Docker engine at unix://${dead}: no socket there; using local)`);
    const up = await home.run(['up'], { env });
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await home.ls()).map((c) => c.runtime)).toEqual(['local']);
    expect(await containersOf(home)).toEqual([]);
  });

  it('uses local, pulling nothing, when the engine lacks the image', async () => {
    const home = newHome({ ...autoConfig, copy_image: 'ditto-test/not-here:1' });
    const status = await home.run(['status']);
    expect(status.stdout).toMatch(/^runtime\s+local \(runtime: auto; the Docker engine at unix:\/\/\S+ answered, but image ditto-test\/not-here:1 is not on the engine \(set copy_image, or runtime: docker to pull it\); using local\)$/m);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await home.ls()).map((c) => c.runtime)).toEqual(['local']);
  });
});
