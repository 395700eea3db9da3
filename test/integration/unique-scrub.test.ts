import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { closeHome } from '../helpers/leaks.js';
import { mysqlQuery } from '../helpers/mysql.js';
import { query } from '../helpers/pg.js';
import { ReferenceMysql } from '../helpers/reference-mysql.js';
import { ReferenceServer } from '../helpers/reference-pg.js';

/** A source holding person (id, email and nick, both unique; 10,000 rows), and what a copy's emails count. */
interface Source {
  dsn: string;
  stop(): Promise<void>;
  /** Rows, distinct emails, and emails still the originals (@corp.test). */
  emails(copy: string): Promise<number[]>;
}

const ENGINES: { name: string; config: Record<string, unknown>; start(home: TestHome): Promise<Source> }[] = [
  {
    name: 'PostgreSQL',
    config: {},
    async start(home) {
      const server = new ReferenceServer(home.ports.max);
      await server.start();
      await server.psql(`CREATE TABLE person (id int PRIMARY KEY, email text NOT NULL UNIQUE, nick text UNIQUE);
        INSERT INTO person SELECT g, 'person' || g || '@corp.test', 'nick' || g FROM generate_series(1, 10000) g`);
      return {
        dsn: server.dsn,
        stop: () => server.stop(),
        emails: async (copy) => Object.values((await query(copy, "SELECT count(*) AS n, count(DISTINCT email) AS d, count(*) FILTER (WHERE email LIKE '%@corp.test') AS raw FROM person"))[0]!).map(Number),
      };
    },
  },
  {
    name: 'MariaDB',
    config: { engine: 'mysql' },
    async start() {
      const server = new ReferenceMysql();
      await server.start();
      await server.query('CREATE DATABASE corp');
      await server.query(
        `CREATE TABLE person (id int PRIMARY KEY, email varchar(200) NOT NULL UNIQUE, nick varchar(100), UNIQUE KEY person_nick (nick));
         INSERT INTO person SELECT seq, CONCAT('person', seq, '@corp.test'), CONCAT('nick', seq) FROM seq_1_to_10000`,
        [],
        'corp',
      );
      return {
        dsn: server.dsn('corp'),
        stop: () => server.stop(),
        emails: async (copy) => Object.values((await mysqlQuery(copy, "SELECT count(*) AS n, count(DISTINCT email) AS d, sum(email LIKE '%@corp.test') AS raw FROM person"))[0]!).map(Number),
      };
    },
  },
];

/** Scrubbed values of a unique column stay distinct; a rule that cannot keep them so fails naming the column, leaving the dump as it was. */
describe.each(ENGINES)('obfuscation of unique columns on $name', (engine) => {
  let home: TestHome;
  let source: Source;

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 8 });
    source = await engine.start(home);
  });

  afterAll(() => closeHome(home, source));

  const configure = (rules: Record<string, unknown>[]) =>
    home.writeConfig({ runtime: 'local', ...engine.config, ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: source.dsn }, obfuscate: { rules } });

  it('replace: email over 10,000 unique emails keeps them unique, and none is the original', async () => {
    configure([{ table: 'person', column: 'email', strategy: 'replace', type: 'email' }]);
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await source.emails(up.stdout.trim())).toEqual([10000, 10000, 0]);
  });

  it('a replacement that collides in a unique column fails the reseed naming the column, never its values, and the dump stays', async () => {
    const dump = path.join(home.dir, 'dumps', 'default.dump');
    const before = fs.readFileSync(dump);
    // 10,000 first names from a list of a few dozen cannot stay distinct.
    configure([{ table: 'person', column: 'nick', strategy: 'replace', type: 'first_name' }]);
    const result = await home.run(['reseed']);
    expectOneLineError(result, result.exitCode ?? 1, /obfuscation made two rows equal in unique column person\.nick;/);
    expect(result.stderr).not.toMatch(/Key \(|entry '|nick\d|James|Mary/);
    expect(fs.readFileSync(dump).equals(before)).toBe(true);
  });
});
