import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGILA, TestHome, writePagilaSql } from '../helpers/ditto.js';
import { closeHome } from '../helpers/leaks.js';
import { fingerprint } from '../helpers/pg.js';
import { ReferenceServer } from '../helpers/reference-pg.js';
import { RUNTIME_CASES } from '../helpers/runtimes.js';

/**
 * Pagila, a database nobody on the project designed, loaded directly into a plain server; ditto's
 * copies of it must hold the same tables, rows, views, functions, triggers and sequence positions.
 */
describe.each(RUNTIME_CASES)('pagila as the dump on the $name runtime', ({ config }) => {
  let home: TestHome;
  let reference: ReferenceServer;
  let expected: Record<string, unknown>;
  let customDump: string;
  let sqlDump: string;

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 10 });
    reference = new ReferenceServer(home.ports.max);
    await reference.start();
    await reference.psqlFile(path.join(PAGILA, 'pagila-schema.sql'));
    await reference.psqlFile(path.join(PAGILA, 'pagila-data.sql'));
    expected = await fingerprint(reference.dsn);
    customDump = path.join(home.dir, 'pagila.dump');
    await reference.dump(customDump, 'custom');
    sqlDump = path.join(home.dir, 'pagila.sql');
    writePagilaSql(sqlDump);
    // The reference server holds the top port of the range: ditto gets the rest.
    home.writeConfig({ ...config, ports: { min: home.ports.min, max: home.ports.max - 1 }, dump: { path: customDump } });
  });

  afterAll(() => closeHome(home, reference));

  it('the reference load is the real pagila', () => {
    const counts = expected.counts as Record<string, number>;
    expect(counts.rental).toBe(16044);
    expect((expected.matviews as unknown[]).length).toBe(1);
    expect((expected.triggers as unknown[]).length).toBeGreaterThan(10);
  });

  it('a copy from the configured custom-format dump matches a direct load', async () => {
    const result = await home.run(['up']);
    expect(result.exitCode, result.stderr).toBe(0);
    // A dump is configured: no hint about an empty database.
    expect(result.stderr).toBe('');
    expect(await fingerprint(result.stdout)).toEqual(expected);
  });

  it('a copy from a plain SQL dump given with --dump matches a direct load', async () => {
    const result = await home.run(['up', '--dump', sqlDump]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await fingerprint(result.stdout)).toEqual(expected);
  });

  it('status shows the dump and its age', async () => {
    const result = await home.run(['status']);
    expect(result.stdout).toMatch(new RegExp(`^dump\\s+${customDump.replaceAll('.', '\\.')} \\(\\d+s old\\)$`, 'm'));
  });
});
