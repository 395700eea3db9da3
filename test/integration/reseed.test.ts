import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpIdentity } from '../../src/dump/identity.js';
import { TestHome, expectOneLineError, writePagilaSql } from '../helpers/ditto.js';
import { pagilaSource } from '../helpers/dumps.js';
import { closeHome } from '../helpers/leaks.js';
import { fingerprint, query } from '../helpers/pg.js';
import type { ReferenceServer } from '../helpers/reference-pg.js';
import { DOCKER_CONFIG } from '../helpers/runtimes.js';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * `ditto reseed` against a live pagila server: with no dump.path configured the dump lands in the
 * home, copies made without any config use it, and they hold what the source holds. Failures
 * (a corrupt --from file, an unreachable source) leave the previous dump byte for byte.
 */
describe('reseed from a live pagila source', () => {
  let home: TestHome;
  let source: ReferenceServer;
  let expected: Record<string, unknown>;
  let dump: string;
  const password = 'n0t-in-any-output';

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 12 });
    source = await pagilaSource(home, { runtime: 'local' });
    expected = await fingerprint(source.dsn);
    dump = path.join(home.dir, 'dumps', 'default.dump');
  });

  afterAll(() => closeHome(home, source));

  it('writes the default dump under the home, private, and records its content hash', async () => {
    // Trust auth accepts any password: the URL carries one so the test can check it is never shown.
    const url = source.dsn.replace('postgres@', `postgres:${password}@`);
    const result = await home.run(['reseed', '--source', url]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${dump.replaceAll('.', '\\.')} \\(.+, sha256 [0-9a-f]{12}\\) from postgresql://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${source.port}/postgres$`));
    expect(result.stdout + result.stderr).not.toContain(password);
    expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(dump)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP');
    expect(await dumpIdentity(dump, home.dir)).toBe(sha256(dump));
    // The hash is kept in the home's cache, not beside the dump: a dump.path in a user's directory gets no stray file.
    expect(fs.readdirSync(path.dirname(dump))).toEqual(['default.dump']);
    const records = fs.readdirSync(path.join(home.dir, 'cache', 'dump-ids')).map((f) => JSON.parse(fs.readFileSync(path.join(home.dir, 'cache', 'dump-ids', f), 'utf8')) as { path: string; sha256: string });
    expect(records).toContainEqual(expect.objectContaining({ path: dump, sha256: sha256(dump) }));
  });

  it('a copy made with no dump configured starts from it and equals the source', async () => {
    const result = await home.run(['up']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(await fingerprint(result.stdout)).toEqual(expected);
  });

  it('status shows the default dump and its age', async () => {
    const result = await home.run(['status']);
    expect(result.stdout).toMatch(new RegExp(`^dump\\s+${dump.replaceAll('.', '\\.')} \\(\\d+s old\\)$`, 'm'));
  });

  it('up warns on stderr when the dump is older than dump.stale_threshold', async () => {
    home.writeConfig({ runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, dump: { stale_threshold: '1s' } });
    await new Promise((r) => setTimeout(r, 2100));
    const result = await home.run(['up']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: dump .*default\.dump is \d+s old \(dump\.stale_threshold is 1s\); run `ditto reseed`/);
    expect((await home.run(['status'])).stdout).toMatch(/STALE/);
  });

  it('takes source.url from config, as a secret reference', async () => {
    home.writeConfig({ runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: 'env:DITTO_TEST_SOURCE' } });
    const missing = await home.run(['reseed']);
    expectOneLineError(missing, 78, /source\.url refers to environment variable DITTO_TEST_SOURCE, which is not set/);
    const before = sha256(dump);
    const result = await home.run(['reseed', '--json'], { env: { DITTO_TEST_SOURCE: source.dsn.replace('postgres@', `postgres:${password}@`) } });
    expect(result.exitCode, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { path: string; sha256: string; source: string; obfuscated: unknown };
    expect(json).toMatchObject({ path: dump, sha256: sha256(dump), obfuscated: null });
    expect(json.source).not.toContain(password);
    // pg_dump output is not byte-stable (it records the time), so only the data is compared.
    expect(before).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a plain SQL file given with --from becomes a custom-format dump of the same data', async () => {
    const sql = path.join(home.dir, 'pagila.sql');
    writePagilaSql(sql);
    const result = await home.run(['reseed', '--from', sql]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP');
    const copy = await home.up();
    expect(await fingerprint(copy)).toEqual(expected);
    // The scratch copy the restore went through is gone.
    expect((await home.ls(true)).filter((c) => c.label === 'reseed scratch').map((c) => c.status)).toEqual(['destroyed']);
  });

  it('dump.exclude_table_data keeps those tables’ schema and leaves their rows out', async () => {
    const ports = { min: home.ports.min, max: home.ports.max - 1 };
    // Tables no foreign key points at: the rows left in, every key still holds.
    home.writeConfig({ runtime: 'local', ports, dump: { exclude_table_data: ['film_actor', 'public.film_category'] } });
    try {
      const result = await home.run(['reseed', '--source', source.dsn]);
      expect(result.exitCode, result.stderr).toBe(0);
      const copy = await home.up();
      const count = async (table: string) => (await query(copy, `SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
      expect([await count('film_actor'), await count('film_category'), await count('film'), await count('rental')]).toEqual([0, 0, 1000, 16044]);
    } finally {
      home.writeConfig({ runtime: 'local', ports });
      // The dump the next tests start from: the whole source again.
      expect((await home.run(['reseed', '--source', source.dsn])).exitCode).toBe(0);
    }
  });

  describe('failures leave the previous dump byte for byte', () => {
    let before: Buffer;

    beforeAll(() => {
      before = fs.readFileSync(dump);
    });

    function expectUntouched(): void {
      expect(fs.readFileSync(dump).equals(before)).toBe(true);
      expect(fs.readdirSync(path.dirname(dump)).sort()).toEqual(['default.dump']);
    }

    it('a corrupt --from dump (a custom archive cut in half)', async () => {
      const broken = path.join(home.dir, 'broken.dump');
      fs.writeFileSync(broken, before.subarray(0, Math.floor(before.length / 2)));
      const result = await home.run(['reseed', '--from', broken]);
      expectOneLineError(result, 65, /broken\.dump .*(corrupt|failed)/);
      expectUntouched();
    });

    it('a --from file that is not a dump at all', async () => {
      const garbage = path.join(home.dir, 'garbage.dump');
      fs.writeFileSync(garbage, Buffer.from([0x50, 0x00, 0xff, 0x13, 0x37]));
      expectOneLineError(await home.run(['reseed', '--from', garbage]), 65, /neither a pg_dump custom archive nor SQL text/);
      expectOneLineError(await home.run(['reseed', '--from', path.join(home.dir, 'nope.dump')]), 65, /does not exist/);
      expectUntouched();
    });

    it('an unreachable source (a closed port on 127.0.0.1), its password never shown', async () => {
      const result = await home.run(['reseed', '--source', `postgresql://postgres:${password}@127.0.0.1:1/postgres`]);
      expectOneLineError(result, 69, /could not dump postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres: .*(refused|failed)/);
      expect(result.stderr).not.toContain(password);
      expectUntouched();
    });

    it('a source that is not a postgresql:// URL, --source with --from, and a remote host', async () => {
      // A scheme no engine has: the dump's engine (PostgreSQL) judges it.
      expectOneLineError(await home.run(['reseed', '--source', 'ftp://u:secret@127.0.0.1/db']), 2, /is not a postgresql:\/\/ URL/);
      expectOneLineError(await home.run(['reseed', '--source', source.dsn, '--from', dump]), 2, /mutually exclusive|not both/);
      expectOneLineError(await home.run(['reseed', '--source', source.dsn], { env: { DITTO_SERVER: 'http://127.0.0.1:1' } }), 2, /does not go through a ditto host/);
      expectUntouched();
    });
  });
});

/**
 * On the Docker runtime the scratch copy is a container, and it is dumped by a helper container of
 * the same image (its pg_dump matches its server), on the host's network; with no pg_dump on this
 * machine a live source is dumped the same way. Nothing is left behind.
 */
describe('reseed on the Docker runtime', () => {
  let home: TestHome;
  let source: ReferenceServer;

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 6 });
    source = await pagilaSource(home, DOCKER_CONFIG);
  });

  afterAll(() => closeHome(home, source));

  it('--from a dump: restored in a container, dumped by a helper container, equal to the source', async () => {
    const input = path.join(home.dir, 'in.dump');
    await source.dump(input, 'custom');
    const result = await home.run(['reseed', '--from', input]);
    expect(result.exitCode, result.stderr).toBe(0);
    const dump = path.join(home.dir, 'dumps', 'default.dump');
    expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
    const helpers = await new Docker().listContainers({ all: true, filters: { label: ['ditto.helper=dump'] } });
    expect(helpers).toEqual([]);
    // Restored into a fresh database of the source server, the new dump holds what the source holds.
    await source.psql('CREATE DATABASE roundtrip');
    await execa(path.join(source.binDir, 'pg_restore'), ['--no-owner', '--exit-on-error', '-d', source.dsn.replace(/\/postgres$/, '/roundtrip'), dump]);
    expect(await fingerprint(source.dsn.replace(/\/postgres$/, '/roundtrip'))).toEqual(await fingerprint(source.dsn));
  });

  it('--source with no pg_dump on this machine: a helper container on the host network dumps it', async () => {
    const noTools = fs.mkdtempSync(path.join(home.dir, 'no-tools-'));
    home.writeConfig({ ...DOCKER_CONFIG, ports: { min: home.ports.min, max: home.ports.max - 1 }, local: { bin_dir: noTools } });
    const result = await home.run(['reseed', '--source', source.dsn]);
    expect(result.exitCode, result.stderr).toBe(0);
    const dump = path.join(home.dir, 'dumps', 'default.dump');
    expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
    expect(await new Docker().listContainers({ all: true, filters: { label: ['ditto.helper=dump'] } })).toEqual([]);
    await source.psql('CREATE DATABASE roundtrip2');
    await execa(path.join(source.binDir, 'pg_restore'), ['--no-owner', '--exit-on-error', '-d', source.dsn.replace(/\/postgres$/, '/roundtrip2'), dump]);
    expect(await fingerprint(source.dsn.replace(/\/postgres$/, '/roundtrip2'))).toEqual(await fingerprint(source.dsn));
  });
});
