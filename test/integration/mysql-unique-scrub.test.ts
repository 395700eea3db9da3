import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { leftovers } from '../helpers/leaks.js';
import { mysqlQuery } from '../helpers/mysql.js';
import { ReferenceMysql } from '../helpers/reference-mysql.js';

/** On MariaDB as on PostgreSQL: scrubbed values of a unique column stay distinct; a rule that cannot keep them so fails naming the column, leaving the dump as it was. */
describe('obfuscation of unique columns on MariaDB', () => {
  const source = new ReferenceMysql();
  let home: TestHome;

  beforeAll(async () => {
    await source.start();
    await source.query(`CREATE DATABASE corp`);
    await source.query(
      `CREATE TABLE corp.person (id int PRIMARY KEY, email varchar(200) NOT NULL UNIQUE, nick varchar(100), UNIQUE KEY person_nick (nick));
       INSERT INTO corp.person SELECT seq, CONCAT('person', seq, '@corp.test'), CONCAT('nick', seq) FROM seq_1_to_10000`,
      [],
      'corp',
    );
    home = new TestHome({ runtime: 'local', engine: 'mysql' });
  });

  afterAll(async () => {
    await home.run(['down', '--all']);
    expect(await leftovers(home)).toEqual([]);
    await home.cleanup();
    await source.stop();
  });

  const configure = (rules: Record<string, unknown>[]) => home.writeConfig({ runtime: 'local', engine: 'mysql', source: { url: source.dsn('corp') }, obfuscate: { rules } });

  it('replace: email over 10,000 unique emails keeps them unique, and none is the original', async () => {
    configure([{ table: 'person', column: 'email', strategy: 'replace', type: 'email' }]);
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const up = await home.run(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const [counts] = await mysqlQuery<Record<string, unknown>>(up.stdout.trim(), "SELECT count(*) AS n, count(DISTINCT email) AS d, sum(email LIKE '%@corp.test') AS raw FROM person");
    expect(counts).toEqual({ n: 10000, d: 10000, raw: '0' });
  });

  it('a replacement that collides in a unique column fails the reseed naming the column, never its values, and the dump stays', async () => {
    const dump = path.join(home.dir, 'dumps', 'default.dump');
    const before = fs.readFileSync(dump);
    // 10,000 first names from a list of a few dozen cannot stay distinct.
    configure([{ table: 'person', column: 'nick', strategy: 'replace', type: 'first_name' }]);
    const result = await home.run(['reseed']);
    expectOneLineError(result, result.exitCode ?? 1, /obfuscation made two rows equal in unique column person\.nick;/);
    expect(result.stderr).not.toMatch(/entry '|nick\d|James|Mary/);
    expect(fs.readFileSync(dump).equals(before)).toBe(true);
  });
});
