import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { containerServer as mysqlContainer } from '../../src/engines/mysql/server.js';
import { containerServer as postgresContainer } from '../../src/engines/postgres/server.js';
import { LABEL_GOLDEN, LABEL_HOME } from '../../src/runtimes/docker/labels.js';
import { homeKey } from '../../src/runtimes/registry.js';
import { TestHome, writePagilaSql, writeSakilaSql } from '../helpers/ditto.js';
import { killServer } from '../helpers/crash.js';
import { leftovers, snapshotsOf } from '../helpers/leaks.js';
import { disposeHomesAndFilesystems, LoopFilesystem } from '../helpers/loop-filesystems.js';
import { mysqlQuery } from '../helpers/mysql.js';
import { query } from '../helpers/pg.js';
import { DOCKER_CONFIG, MARIADB_DOCKER_CONFIG } from '../helpers/runtimes.js';

/**
 * The Docker runtime on a data directory that clones by block (XFS with reflink on a loop
 * device, root only): golden snapshots are directories, and each copy's container runs on a
 * reflink clone of one, bind-mounted as the image's data directory, instead of a committed image.
 */
const asRoot = process.getuid?.() === 0;
const docker = new Docker();

const ENGINES = [
  {
    name: 'PostgreSQL',
    spec: postgresContainer,
    config: DOCKER_CONFIG,
    dump: (dir: string) => writePagilaSql(path.join(dir, 'pagila.sql')),
    count: (dsn: string) => query(dsn, 'SELECT count(*)::int AS n FROM payment'),
    update: (dsn: string) => query(dsn, "UPDATE actor SET first_name = 'CHANGED' WHERE actor_id = 1"),
    firstName: (dsn: string) => query(dsn, 'SELECT first_name FROM actor WHERE actor_id = 1'),
    rows: 16049,
  },
  {
    name: 'MariaDB',
    spec: mysqlContainer,
    config: MARIADB_DOCKER_CONFIG,
    dump: (dir: string) => writeSakilaSql(path.join(dir, 'sakila.sql')),
    count: (dsn: string) => mysqlQuery(dsn, 'SELECT count(*) AS n FROM payment'),
    update: (dsn: string) => mysqlQuery(dsn, "UPDATE actor SET first_name = 'CHANGED' WHERE actor_id = 1"),
    firstName: (dsn: string) => mysqlQuery(dsn, 'SELECT first_name FROM actor WHERE actor_id = 1'),
    rows: 16044,
  },
] as const;

describe.runIf(asRoot)('Docker on block-level clones', () => {
  const filesystems: LoopFilesystem[] = [];
  const homes: TestHome[] = [];

  afterAll(async () => {
    expect(await disposeHomesAndFilesystems(homes, filesystems)).toEqual([]);
  });

  it.each(ENGINES)('$name on XFS with reflink: copies are bind-mounted clones, isolated, and go with the copy', async (c) => {
    const fsys = await LoopFilesystem.make('xfs');
    filesystems.push(fsys);
    const root = path.join(fsys.point, 'data');
    const home = new TestHome();
    homes.push(home);
    home.writeConfig({ ...c.config, local: { data_dir: root }, dump: { path: c.dump(home.dir) } });
    expect((await home.run(['status'])).stdout).toMatch(/copies cloned by reflink: .* is on xfs and clones blocks; each copy's container has its clone bind-mounted/);

    const copies = [await home.upJson(), await home.upJson()];
    const { spec } = c;
    for (const copy of copies) {
      // Its data directory is its own clone, bind-mounted where the image keeps its data, and the image's server account owns it.
      const info = await docker.getContainer(`ditto-${copy.id}`).inspect();
      const source = path.join(root, 'docker-copies', copy.id, 'data');
      expect(info.Mounts.find((m) => m.Destination === spec.dataDir)).toMatchObject({ Type: 'bind', Source: source, RW: true });
      expect(fs.statSync(source).uid).toBe(spec.serverUid);
      expect(await c.count(copy.connection_string!)).toEqual([{ n: c.rows }]);
    }
    // The golden snapshot is a directory on the XFS filesystem, not an image.
    const [key] = await snapshotsOf(home, 'docker');
    expect(fs.existsSync(path.join(root, 'docker-golden', key!, 'data'))).toBe(true);
    expect(await docker.listImages({ filters: { label: [LABEL_GOLDEN, `${LABEL_HOME}=${homeKey(home.dir)}`] } })).toEqual([]);

    await c.update(copies[0]!.connection_string!);
    expect(await c.firstName(copies[0]!.connection_string!)).toEqual([{ first_name: 'CHANGED' }]);
    expect(await c.firstName(copies[1]!.connection_string!)).toEqual([{ first_name: 'PENELOPE' }]);

    // A killed server comes back: its container started again, on the clone still mounted, with what was written.
    await killServer(home, 'docker', copies[0]!.id);
    expect((await home.ls(true)).find((copy) => copy.id === copies[0]!.id)).toMatchObject({ status: 'ready' });
    expect(await c.firstName(copies[0]!.connection_string!)).toEqual([{ first_name: 'CHANGED' }]);

    // `down` of one copy removes its container and its clone, and leaves the other's.
    expect((await home.run(['down', copies[0]!.id])).exitCode).toBe(0);
    expect(await leftovers(home, [copies[0]!.port!], [copies[0]!.id])).toEqual([]);
    expect(fs.existsSync(path.join(root, 'docker-copies', copies[1]!.id, 'data'))).toBe(true);
    expect(await c.count(copies[1]!.connection_string!)).toEqual([{ n: c.rows }]);

    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect((await home.run(['prune'])).exitCode).toBe(0);
    expect(await leftovers(home, copies.map((copy) => copy.port!))).toEqual([]);
    expect(await snapshotsOf(home, 'docker')).toEqual([]);
    expect(fs.existsSync(root), `${root} is left`).toBe(false);
  });
});
