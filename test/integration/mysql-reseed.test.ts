import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { leftovers } from '../helpers/leaks.js';
import { mysqlFingerprint, mysqlQuery } from '../helpers/mysql.js';
import { ReferenceMysql } from '../helpers/reference-mysql.js';
import { MYSQL_RUNTIME_CASES } from '../helpers/runtimes.js';

/** `ditto reseed` from a live MySQL source: mariadb-dump with the flags a consistent, complete dump needs. */
describe.each(MYSQL_RUNTIME_CASES)('reseed from a live Sakila source, copies on the $name runtime', ({ config }) => {
  const source = new ReferenceMysql();
  let home: TestHome;

  beforeAll(async () => {
    await source.start();
    await source.loadSakila();
    home = new TestHome(config);
  });

  afterAll(async () => {
    await home.cleanup();
    await source.stop();
  });

  it('makes a dump whose copies equal the source, and never shows the password', async () => {
    const url = source.dsn('sakila');
    const password = new URL(url).password;
    const result = await home.run(['reseed', '--source', url]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(password);
    const dump = path.join(home.dir, 'dumps', 'default.dump');
    expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(dump, 'utf8').slice(0, 300)).toMatch(/^-- MariaDB dump/m);
    const copy = (await home.run(['up'])).stdout;
    expect(copy).toMatch(/\/sakila$/);
    expect(await mysqlFingerprint(copy, 'sakila')).toEqual(await mysqlFingerprint(url, 'sakila'));
  });

  it('dump.exclude_table_data keeps those tables’ schema and leaves their rows out; obfuscation leaves no raw value in the dump', async () => {
    const emails = (await source.query<{ email: string }>('SELECT email FROM sakila.customer')).map((r) => r.email);
    home.writeConfig({
      ...config,
      source: { url: source.dsn('sakila') },
      dump: { exclude_table_data: ['rental', 'sakila.payment'] },
      obfuscate: { seed: 'fixed', rules: [{ table: 'customer', column: 'email', strategy: 'replace', type: 'email' }] },
    });
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const text = fs.readFileSync(path.join(home.dir, 'dumps', 'default.dump'), 'utf8');
    for (const email of emails.slice(0, 50)) expect(text).not.toContain(email);
    const copy = (await home.run(['up'])).stdout;
    const shape = (await mysqlFingerprint(copy, 'sakila')).tables as Record<string, number>;
    expect(shape).toMatchObject({ rental: 0, payment: 0, customer: 599, film: 1000 });
    const scrubbed = await mysqlQuery<{ email: string }>(copy, 'SELECT email FROM customer ORDER BY customer_id LIMIT 3');
    for (const { email } of scrubbed) expect(email).toMatch(/@example\.(com|net|org)$/);
  });

  it('an unreachable source is one line, its password never shown, and the dump is untouched', async () => {
    const dump = path.join(home.dir, 'dumps', 'default.dump');
    const before = fs.readFileSync(dump);
    const result = await home.run(['reseed', '--source', 'mysql://root:s3cret-pw@127.0.0.1:1/sakila']);
    expectOneLineError(result, 69, /could not dump mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/sakila: .*Can't connect/);
    expect(result.stderr).not.toContain('s3cret-pw');
    expect(fs.readFileSync(dump).equals(before)).toBe(true);
  });

  it('leaves nothing once its copies are destroyed', async () => {
    const ports = (await home.ls()).map((c) => c.port!);
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, ports)).toEqual([]);
  });
});
