import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { pagilaSource } from '../helpers/dumps.js';
import { ENGINE_RUNTIME_CASES, countRows, dumpText, query as anyQuery } from '../helpers/engines.js';
import { closeHome, leftovers } from '../helpers/leaks.js';
import { fingerprint, query } from '../helpers/pg.js';
import type { ReferenceServer } from '../helpers/reference-pg.js';

/**
 * Columns Pagila and Sakila both have, so one set of rules fits either engine's sample. (Sakila's
 * film has an UPDATE trigger, which ditto refuses to scrub: no rule names it.)
 */
const SHARED_RULES = [
  { table: 'customer', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'customer', column: 'first_name', strategy: 'replace', type: 'first_name' },
  { table: 'customer', column: 'last_name', strategy: 'replace', type: 'last_name' },
  { table: 'address', column: 'phone', strategy: 'replace', type: 'phone' },
];

const CUSTOMERS = 'SELECT customer_id, email, first_name, last_name FROM customer ORDER BY customer_id';
const PHONES = 'SELECT address_id, phone FROM address ORDER BY address_id';

/** `reseed --from` the engine's sample dump with rules, and `up --obfuscate` of it, on every engine and runtime. */
describe.each(ENGINE_RUNTIME_CASES)('obfuscation of $name', ({ config, sample, engine }) => {
  let home: TestHome;
  let raw: string;
  let dump: string;
  let scrubbedCopy: string;
  let rawCopy: string;
  const withRules = { ...config, obfuscate: { seed: 'test-seed', rules: SHARED_RULES } };

  beforeAll(async () => {
    home = new TestHome(withRules);
    raw = sample.write(path.join(home.dir, `raw-${sample.file}`));
    dump = path.join(home.dir, 'dumps', 'default.dump');
    const result = await home.run(['reseed', '--from', raw]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/, 4 column\(s\) in 2 table\(s\) obfuscated$/);
    // No dump.path: up serves the dump reseed wrote; --dump serves the raw one, to compare with.
    scrubbedCopy = await home.up();
    rawCopy = await home.up(['--dump', raw]);
  });

  afterAll(async () => {
    const ports = (await home.ls()).map((c) => c.port!);
    await home.run(['down', '--all']);
    expect(await leftovers(home, ports)).toEqual([]);
    await home.cleanup();
  });

  it('reseed --from a dump with rules keeps every table and row', async () => {
    expect(new URL(scrubbedCopy).pathname).toBe(`/${sample.database}`);
    expect(await countRows(scrubbedCopy, sample.table)).toBe(sample.rows);
    for (const table of ['customer', 'address', 'payment']) expect(await countRows(scrubbedCopy, table), table).toBe(await countRows(rawCopy, table));
  });

  it('emails, names and phones differ in every row and keep their shape; emails stay one-to-one', async () => {
    const before = await anyQuery<Record<string, string>>(rawCopy, CUSTOMERS);
    const after = await anyQuery<Record<string, string>>(scrubbedCopy, CUSTOMERS);
    expect(after.map((r) => r.customer_id)).toEqual(before.map((r) => r.customer_id));
    after.forEach((row, i) => {
      const was = before[i]!;
      expect(row.email).not.toBe(was.email);
      expect(row.email).toMatch(/^[a-z0-9]+([._][a-z0-9]+)*@example\.(com|net|org)$/);
      expect(row.email!.length).toBeLessThanOrEqual(50);
      expect(row.first_name).not.toBe(was.first_name);
      expect(row.first_name).toMatch(/^[A-Z][a-z]+$/);
      expect(row.last_name).not.toBe(was.last_name);
    });
    expect(new Set(after.map((r) => r.email)).size).toBe(new Set(before.map((r) => r.email)).size);
    const phonesBefore = await anyQuery<Record<string, string>>(rawCopy, PHONES);
    const phonesAfter = await anyQuery<Record<string, string>>(scrubbedCopy, PHONES);
    expect(phonesAfter).toHaveLength(phonesBefore.length);
    phonesAfter.forEach((row, i) => {
      expect(row.phone).not.toBe(phonesBefore[i]!.phone);
      expect(row.phone).toMatch(/^\+1-\d{3}-\d{3}-\d{4}$/);
    });
  });

  it('no raw email or phone appears anywhere in the new dump', async () => {
    const text = await dumpText(dump);
    // The text is the data: the scrubbed copy's values are in it.
    const [first] = await anyQuery<{ email: string }>(scrubbedCopy, 'SELECT email FROM customer WHERE customer_id = 1');
    expect(text).toContain(first!.email);
    const samples = [
      ...(await anyQuery<{ v: string }>(rawCopy, 'SELECT email AS v FROM customer WHERE email IS NOT NULL')),
      ...(await anyQuery<{ v: string }>(rawCopy, 'SELECT phone AS v FROM address')),
    ].map((r) => r.v).filter((v) => v.length >= 6);
    expect(samples.length).toBeGreaterThan(1000);
    expect(samples.filter((v) => text.includes(v))).toEqual([]);
  });

  it('up --obfuscate scrubs a copy of the raw dump before handing it out, to the values reseed gave', async () => {
    const result = await home.run(['up', '--dump', raw, '--obfuscate']);
    expect(result.exitCode, result.stderr).toBe(0);
    const emails = await anyQuery<{ email: string }>(result.stdout, 'SELECT email FROM customer WHERE email IS NOT NULL');
    const rawEmails = new Set((await anyQuery<{ email: string }>(rawCopy, 'SELECT email FROM customer')).map((r) => r.email));
    expect(emails.length).toBeGreaterThan(500);
    expect(emails.filter((r) => rawEmails.has(r.email))).toEqual([]);
    // Same seed as the reseed: the same values, so copies made either way agree.
    expect(await anyQuery(result.stdout, CUSTOMERS)).toEqual(await anyQuery(scrubbedCopy, CUSTOMERS));
    expect(await anyQuery(result.stdout, PHONES)).toEqual(await anyQuery(scrubbedCopy, PHONES));
    if (engine !== 'postgres') return;
    // Per-test databases are cloned from the copy's template: it holds the scrubbed rows too.
    const id = (await home.ls()).find((c) => c.port === Number(new URL(result.stdout).port))!.id;
    const perTest = await home.run(['db', 'new', id]);
    expect(perTest.exitCode, perTest.stderr).toBe(0);
    expect(await anyQuery(perTest.stdout.trim(), CUSTOMERS)).toEqual(await anyQuery(scrubbedCopy, CUSTOMERS));
  });

  it('up --obfuscate refuses with no rules, and with an unknown column hands out nothing', async () => {
    home.writeConfig({ ...config, obfuscate: { rules: [] } });
    expectOneLineError(await home.run(['up', '--dump', raw, '--obfuscate']), 2, /no obfuscate rules/);
    home.writeConfig({ ...config, obfuscate: { rules: [{ table: 'customer', column: 'nope', strategy: 'hash' }] } });
    const ready = (await home.ls()).length;
    expectOneLineError(await home.run(['up', '--dump', raw, '--obfuscate']), 78, new RegExp(`names column nope, which table ${sample.schema}\\.customer does not have`));
    expect((await home.ls()).length).toBe(ready);
    home.writeConfig(withRules);
  });

  it('reseed refuses a rule naming an unknown table before anything is written', async () => {
    const bytes = fs.readFileSync(dump);
    home.writeConfig({ ...config, obfuscate: { seed: 'test-seed', rules: [...SHARED_RULES, { table: 'customers', column: 'email', strategy: 'hash' }] } });
    const message = new RegExp(`obfuscate rule for customers\\.email names table ${sample.schema}\\.customers, which does not exist`);
    expectOneLineError(await home.run(['reseed', '--from', raw]), 78, message);
    expect(fs.readFileSync(dump).equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.dirname(dump)).sort()).toEqual(['default.dump']);
    expect((await home.ls()).filter((c) => c.label === 'reseed scratch')).toEqual([]);
    home.writeConfig(withRules);
  });
});

/**
 * The source gets what real schemas have and pagila lacks: a unique email with a length limit,
 * and a table joined to it on that email by a foreign key.
 */
const EXTRA_SQL = `
  ALTER TABLE customer ALTER COLUMN email TYPE varchar(32) USING left(email, 32);
  ALTER TABLE customer ADD CONSTRAINT customer_email_key UNIQUE (email);
  CREATE TABLE newsletter (id serial PRIMARY KEY, email varchar(32) NOT NULL REFERENCES customer (email), joined date NOT NULL);
  INSERT INTO newsletter (email, joined) SELECT email, create_date FROM customer WHERE customer_id % 3 = 0 ORDER BY customer_id;
`;

const RULES = [
  { table: 'customer', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'public.newsletter', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'customer', column: 'first_name', strategy: 'replace', type: 'first_name' },
  { table: 'customer', column: 'last_name', strategy: 'replace', type: 'last_name' },
  { table: 'address', column: 'phone', strategy: 'replace', type: 'phone' },
  { table: 'address', column: 'address', strategy: 'replace', type: 'address' },
  { table: 'address', column: 'postal_code', strategy: 'mask', keep: 2 },
  { table: 'staff', column: 'password', strategy: 'hash' },
  { table: 'staff', column: 'username', strategy: 'redact' },
  // pagila's staff have no pictures: the rule is there for dumps that do, so it only warns.
  { table: 'staff', column: 'picture', strategy: 'nullify', warn_only: true },
];

type Row = Record<string, string | null>;

/** Rows of `sql` keyed by their first column. */
async function byId(dsn: string, sql: string): Promise<Map<string, Row>> {
  const rows = await query<Row>(dsn, sql);
  return new Map(rows.map((r) => [String(Object.values(r)[0]), r]));
}

// PostgreSQL only: a live PostgreSQL source with constraints pagila lacks, checked with pg's catalogs, pg_restore and PostgreSQL's error texts.
describe('obfuscation rules applied by reseed from a live PostgreSQL source (restore, scrub, dump)', () => {
  let home: TestHome;
  let source: ReferenceServer;
  let config: Record<string, unknown>;
  let expected: Record<string, unknown>;
  let dump: string;
  let copy: string;

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 12 });
    config = { runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, source: { url: '' }, obfuscate: { seed: 'test-seed', rules: RULES } };
    source = await pagilaSource(home, {}, EXTRA_SQL);
    (config.source as { url: string }).url = source.dsn;
    home.writeConfig(config);
    expected = await fingerprint(source.dsn);
    dump = path.join(home.dir, 'dumps', 'default.dump');
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/, 10 column\(s\) in 4 table\(s\) obfuscated$/);
    expect(result.stderr).toContain('warning: obfuscate rule for staff.picture matched no rows');
    copy = await home.up();
  });

  afterAll(() => closeHome(home, source));

  it('the copy keeps every table, row count, type, view, function, trigger and sequence', async () => {
    expect(await fingerprint(copy)).toEqual(expected);
    const types = `SELECT table_name || '.' || column_name AS c, data_type, character_maximum_length FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`;
    expect(await query(copy, types)).toEqual(await query(source.dsn, types));
  });

  it('emails differ in every row, stay valid emails within varchar(32), and stay unique', async () => {
    const sql = 'SELECT customer_id, email FROM customer';
    const [raw, scrubbed] = [await byId(source.dsn, sql), await byId(copy, sql)];
    expect(scrubbed.size).toBe(raw.size);
    for (const [id, row] of raw) {
      const email = scrubbed.get(id)!.email!;
      expect(email).not.toBe(row.email);
      expect(email).toMatch(/^[a-z0-9]+([._][a-z0-9]+)*@example\.(com|net|org)$/);
      expect(email.length).toBeLessThanOrEqual(32);
    }
    const [counts] = await query<{ n: string; d: string }>(copy, 'SELECT count(email) AS n, count(DISTINCT email) AS d FROM customer');
    expect(counts!.d).toBe(counts!.n);
    expect(await query(copy, "SELECT conname FROM pg_constraint WHERE conname = 'customer_email_key'")).toHaveLength(1);
  });

  it('a join on the scrubbed email finds the same rows as in the source', async () => {
    const join = 'SELECT n.id, c.customer_id FROM newsletter n JOIN customer c ON c.email = n.email ORDER BY n.id';
    const rows = await query(copy, join);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows).toEqual(await query(source.dsn, join));
  });

  it('names, phones, addresses, postal codes, passwords, usernames and pictures are scrubbed in shape', async () => {
    const customers = 'SELECT customer_id, first_name, last_name FROM customer';
    const [rawC, newC] = [await byId(source.dsn, customers), await byId(copy, customers)];
    for (const [id, row] of rawC) {
      expect(newC.get(id)!.first_name).not.toBe(row.first_name);
      expect(newC.get(id)!.first_name).toMatch(/^[A-Z][a-z]+$/);
      expect(newC.get(id)!.last_name).not.toBe(row.last_name);
    }
    const addresses = 'SELECT address_id, address, phone, postal_code FROM address';
    const [rawA, newA] = [await byId(source.dsn, addresses), await byId(copy, addresses)];
    for (const [id, row] of rawA) {
      const now = newA.get(id)!;
      expect(now.phone).not.toBe(row.phone);
      expect(now.phone).toMatch(/^\+1-\d{3}-\d{3}-\d{4}$/);
      expect(now.address).not.toBe(row.address);
      expect(now.address).toMatch(/^\d+ [A-Z][a-z]+ [A-Z][a-z]+$/);
      const postal = row.postal_code ?? null;
      if (postal === null) expect(now.postal_code).toBeNull();
      else if (postal.length > 2) expect(now.postal_code).toBe(postal.slice(0, -2).replace(/[a-z0-9]/gi, '*') + postal.slice(-2));
    }
    const staff = await query<Row>(copy, 'SELECT password, username, picture FROM staff');
    const rawStaff = await query<Row>(source.dsn, 'SELECT password FROM staff');
    for (const s of staff) {
      expect(s.password).toMatch(/^[0-9a-f]{64}$/);
      expect(rawStaff.map((r) => r.password)).not.toContain(s.password);
      expect(s.username).toBe('REDACTED');
      expect(s.picture).toBeNull();
    }
  });

  it('no raw value appears anywhere in the dump file', async () => {
    const { stdout: text } = await execa(path.join(source.binDir, 'pg_restore'), ['-f', '-', dump], { maxBuffer: 200 * 1024 * 1024 });
    expect(text).toContain('COPY public.customer');
    const bytes = fs.readFileSync(dump);
    const samples = [
      ...(await query<{ v: string }>(source.dsn, 'SELECT email AS v FROM customer WHERE email IS NOT NULL')),
      ...(await query<{ v: string }>(source.dsn, 'SELECT phone AS v FROM address')),
      ...(await query<{ v: string }>(source.dsn, "SELECT address AS v FROM address WHERE length(address) > 12 LIMIT 100")),
      ...(await query<{ v: string }>(source.dsn, "SELECT password AS v FROM staff WHERE password IS NOT NULL")),
      ...(await query<{ v: string }>(source.dsn, 'SELECT username AS v FROM staff')),
    ].map((r) => r.v).filter((v) => v.length >= 6);
    expect(samples.length).toBeGreaterThan(1000);
    const leaked = samples.filter((v) => text.includes(v) || bytes.includes(Buffer.from(v)));
    expect(leaked).toEqual([]);
  });

  it('the same seed gives the same values on the next reseed', async () => {
    const before = await query(copy, 'SELECT customer_id, email, first_name FROM customer ORDER BY 1');
    const result = await home.run(['reseed']);
    expect(result.exitCode, result.stderr).toBe(0);
    const again = await home.up();
    expect(await query(again, 'SELECT customer_id, email, first_name FROM customer ORDER BY 1')).toEqual(before);
  });

  describe('a rule that does not fit the database fails before anything is written', () => {
    let bytes: Buffer;

    beforeAll(() => {
      bytes = fs.readFileSync(dump);
    });

    async function expectRefused(rules: unknown[], pattern: RegExp): Promise<void> {
      home.writeConfig({ ...config, obfuscate: { seed: 'test-seed', rules } });
      expectOneLineError(await home.run(['reseed']), 78, pattern);
      expect(fs.readFileSync(dump).equals(bytes)).toBe(true);
      expect(fs.readdirSync(path.dirname(dump)).sort()).toEqual(['default.dump']);
      expect((await home.ls()).filter((c) => c.label === 'reseed scratch')).toEqual([]);
    }

    it('an unknown table', async () => {
      await expectRefused([...RULES, { table: 'customers', column: 'email', strategy: 'hash' }], /obfuscate rule for customers\.email names table public\.customers, which does not exist/);
    });

    it('an unknown column', async () => {
      await expectRefused([{ table: 'customer', column: 'mail', strategy: 'hash' }], /obfuscate rule for customer\.mail names column mail, which table public\.customer does not have/);
    });

    it('a text strategy on an integer column, and nullify on a NOT NULL one', async () => {
      await expectRefused([{ table: 'customer', column: 'store_id', strategy: 'hash' }], /customer\.store_id is (smallint|integer); strategy hash needs a text column/);
      await expectRefused([{ table: 'address', column: 'phone', strategy: 'nullify' }], /address\.phone is NOT NULL and cannot be nullified/);
    });

    it('a rule whose column holds no value, unless it says warn_only', async () => {
      await expectRefused([{ table: 'staff', column: 'picture', strategy: 'nullify' }], /obfuscate rule for staff\.picture matches no rows \(the column holds no value\); check that it names the column holding the data, or set warn_only: true/);
    });

    it('a foreign key whose two columns would change differently', async () => {
      await expectRefused([{ table: 'customer', column: 'email', strategy: 'replace', type: 'email' }], /foreign key newsletter_email_fkey links newsletter\.email to customer\.email, which the rules change differently/);
    });
  });

  // A pg_dump custom archive given to up --obfuscate (refusals are checked for every engine above).
  describe('up --obfuscate', () => {
    let raw: string;

    beforeAll(async () => {
      home.writeConfig(config);
      raw = path.join(home.dir, 'raw.dump');
      await source.dump(raw, 'custom');
    });

    it('scrubs a copy of a raw dump before handing it out', async () => {
      const result = await home.run(['up', '--dump', raw, '--obfuscate']);
      expect(result.exitCode, result.stderr).toBe(0);
      const emails = await query<{ email: string }>(result.stdout, 'SELECT email FROM customer WHERE email IS NOT NULL');
      const rawEmails = new Set((await query<{ email: string }>(source.dsn, 'SELECT email FROM customer')).map((r) => r.email));
      expect(emails.filter((r) => rawEmails.has(r.email))).toEqual([]);
      // Same seed as the reseed: the same values, so copies made either way agree.
      expect(await query(result.stdout, 'SELECT customer_id, email FROM customer ORDER BY 1')).toEqual(await query(copy, 'SELECT customer_id, email FROM customer ORDER BY 1'));
    });
  });
});
