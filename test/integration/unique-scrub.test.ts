import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { leftovers } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { ReferenceServer } from '../helpers/reference-pg.js';

/** Scrubbed values of a unique column stay distinct; a rule that cannot keep them so fails naming the column, leaving the dump as it was. */
describe('obfuscation of unique columns', () => {
  let home: TestHome;
  let source: ReferenceServer;

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 8 });
    source = new ReferenceServer(home.ports.max);
    await source.start();
    await source.psql(`CREATE TABLE person (id int PRIMARY KEY, email text NOT NULL UNIQUE, nick text UNIQUE);
      INSERT INTO person SELECT g, 'person' || g || '@corp.test', 'nick' || g FROM generate_series(1, 10000) g`);
  });

  afterAll(async () => {
    await home.run(['down', '--all']);
    await source.stop();
    expect(await leftovers(home)).toEqual([]);
    await home.cleanup();
  });

  const configure = (rules: Record<string, unknown>[]) =>
    home.writeConfig({ runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: source.dsn }, obfuscate: { rules } });

  it('replace: email over 10,000 unique emails keeps them unique, and none is the original', async () => {
    configure([{ table: 'person', column: 'email', strategy: 'replace', type: 'email' }]);
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const [counts] = await query(up.stdout.trim(), "SELECT count(*) AS n, count(DISTINCT email) AS d, count(*) FILTER (WHERE email LIKE '%@corp.test') AS raw FROM person");
    expect(counts).toEqual({ n: '10000', d: '10000', raw: '0' });
  });

  it('a replacement that collides in a unique column fails the reseed naming the column, never its values, and the dump stays', async () => {
    const dump = path.join(home.dir, 'dumps', 'default.dump');
    const before = fs.readFileSync(dump);
    // 10,000 first names from a list of a few dozen cannot stay distinct.
    configure([{ table: 'person', column: 'nick', strategy: 'replace', type: 'first_name' }]);
    const result = await home.run(['reseed']);
    expectOneLineError(result, result.exitCode ?? 1, /obfuscation made two rows equal in unique column person\.nick;/);
    expect(result.stderr).not.toMatch(/Key \(|nick\d|James|Mary/);
    expect(fs.readFileSync(dump).equals(before)).toBe(true);
  });
});
