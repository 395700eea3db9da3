import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObfuscationRule } from '../../src/config/schema.js';
import { scrubMysql } from '../../src/engines/mysql/obfuscation.js';
import { CITIES, COMPANY_WORDS, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES } from '../../src/engines/postgres/obfuscation-sql.js';
import { ReferenceMysql } from '../helpers/reference-mysql.js';

const SEED = 'test-seed-7f3a';

/**
 * What Sakila lacks and real schemas have: an email scrubbed in two tables (staff 1 shares a
 * customer's), a unique email joined by a foreign key (ON UPDATE CASCADE, which must not fire),
 * short limits, card numbers and non-Latin names to mask, a NULL, a generated column, a
 * system-versioned table, and statistics that hold raw values.
 */
const EXTRA_SQL = `
  UPDATE staff SET email = 'MARY.SMITH@sakilacustomer.org' WHERE staff_id = 1;
  UPDATE customer SET email = NULL WHERE customer_id = 599;
  ALTER TABLE customer ADD UNIQUE KEY customer_email_key (email);
  ALTER TABLE staff ADD UNIQUE KEY staff_username_key (username);
  CREATE TABLE newsletter (
    id INT AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(50) NULL,
    short_email VARCHAR(20) NULL,
    card VARCHAR(19) NULL,
    nick VARCHAR(20) NULL,
    company VARCHAR(12) NULL,
    domain VARCHAR(50) AS (SUBSTRING_INDEX(short_email, '@', -1)) STORED,
    joined DATETIME NOT NULL,
    last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    CONSTRAINT fk_newsletter_customer FOREIGN KEY (email) REFERENCES customer (email) ON UPDATE CASCADE
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
  INSERT INTO newsletter (email, short_email, card, nick, company, joined, last_update)
    SELECT email, LEFT(email, 20), CONCAT('4000-', LPAD(customer_id, 4, '0'), '-2222-', LPAD(customer_id * 7 % 10000, 4, '0')),
           ELT(1 + customer_id % 4, 'Zoë-Ünal', 'José_Núñez 7', 'Łukasz', NULL), ELT(1 + customer_id % 3, 'Acme Corp', 'Initrode', NULL),
           create_date, '2006-02-15 04:57:20'
      FROM customer WHERE customer_id % 3 = 0 ORDER BY customer_id;
  CREATE TABLE versioned (id INT PRIMARY KEY, secret VARCHAR(20)) WITH SYSTEM VERSIONING;
  INSERT INTO versioned VALUES (1, 'hush');
  ANALYZE TABLE customer PERSISTENT FOR COLUMNS (email) INDEXES ();
`;

const RULES: ObfuscationRule[] = [
  { table: 'customer', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'staff', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'sakila.newsletter', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'newsletter', column: 'short_email', strategy: 'replace', type: 'email' },
  { table: 'newsletter', column: 'card', strategy: 'mask', keep: 4, char: '*' },
  { table: 'newsletter', column: 'nick', strategy: 'mask', keep: 1, char: '#' },
  { table: 'newsletter', column: 'company', strategy: 'replace', type: 'company' },
  { table: 'customer', column: 'first_name', strategy: 'replace', type: 'first_name' },
  { table: 'customer', column: 'last_name', strategy: 'replace', type: 'last_name' },
  { table: 'actor', column: 'first_name', strategy: 'replace', type: 'name' },
  { table: 'address', column: 'address', strategy: 'replace', type: 'address' },
  { table: 'address', column: 'address2', strategy: 'redact', value: 'REDACTED' },
  { table: 'address', column: 'phone', strategy: 'replace', type: 'phone' },
  { table: 'address', column: 'postal_code', strategy: 'replace', type: 'postal_code' },
  { table: 'city', column: 'city', strategy: 'replace', type: 'city' },
  { table: 'staff', column: 'username', strategy: 'replace', type: 'username' },
  { table: 'staff', column: 'password', strategy: 'hash' },
  { table: 'staff', column: 'picture', strategy: 'nullify' },
  { table: 'film_text', column: 'description', strategy: 'replace', type: 'text' },
];

const KEYS: Record<string, string> = { customer: 'customer_id', staff: 'staff_id', newsletter: 'id', actor: 'actor_id', address: 'address_id', city: 'city_id', film_text: 'film_id' };
const tableOf = (rule: ObfuscationRule) => rule.table.replace(/^sakila\./, '');
const ruleKey = (rule: ObfuscationRule) => `${tableOf(rule)}.${rule.column}`;

type Row = Record<string, unknown>;

/** The PostgreSQL dialect's email, computed here: the replacement is a function of sha256(seed || value) alone. */
function expectedEmail(seed: string, value: string, limit: number): string {
  const h = crypto.createHash('sha256').update(seed + value, 'utf8').digest('hex');
  const n = (i: number) => parseInt(h.slice(2 * i, 2 * i + 12), 16);
  const pick = (list: readonly string[], i: number) => list[n(i) % list.length]!;
  const local = `${pick(FIRST_NAMES, 0)}.${pick(LAST_NAMES, 6)}`.toLowerCase() + `.${h.slice(48, 58)}`;
  const domain = pick(EMAIL_DOMAINS, 12);
  return local.length + 1 + domain.length <= limit ? `${local}@${domain}` : `${h.slice(48, 64).slice(0, Math.max(limit - domain.length - 1, 1))}@${domain}`;
}

describe('MySQL obfuscation on Sakila (scrubMysql against MariaDB)', () => {
  const server = new ReferenceMysql();
  const conn = () => ({ host: '127.0.0.1', port: server.port, user: 'root', password: 'reference', database: 'sakila' });
  const sql = <T = Row>(text: string, params: unknown[] = []) => server.query<T>(text, params, 'sakila');

  async function load(): Promise<void> {
    await server.loadSakila();
    await sql(EXTRA_SQL);
  }

  /** Every scrubbed column's values by row key: `table.column` → key → value. */
  async function scrubbedColumns(): Promise<Record<string, Map<unknown, unknown>>> {
    const out: Record<string, Map<unknown, unknown>> = {};
    for (const rule of RULES) {
      const key = KEYS[tableOf(rule)]!;
      const rows = await sql<{ k: unknown; v: unknown }>(`SELECT \`${key}\` AS k, \`${rule.column}\` AS v FROM \`${tableOf(rule)}\``);
      out[ruleKey(rule)] = new Map(rows.map((r) => [r.k, r.v]));
    }
    return out;
  }

  /** CHECKSUM TABLE of every base table, and the names of views, triggers and routines. */
  async function checksums(): Promise<Record<string, unknown>> {
    const tables = await sql<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'sakila' AND table_type <> 'VIEW' ORDER BY 1");
    const sums = await sql<{ Table: string; Checksum: number }>(`CHECKSUM TABLE ${tables.map((t) => `\`${t.t}\``).join(', ')}`);
    const names = async (q: string) => (await sql<{ n: string }>(q)).map((r) => r.n).sort();
    return {
      sums: Object.fromEntries(sums.map((s) => [s.Table, s.Checksum])),
      views: await names("SELECT table_name AS n FROM information_schema.tables WHERE table_schema = 'sakila' AND table_type = 'VIEW'"),
      triggers: await names("SELECT trigger_name AS n FROM information_schema.triggers WHERE trigger_schema = 'sakila'"),
      routines: await names("SELECT routine_name AS n FROM information_schema.routines WHERE routine_schema = 'sakila'"),
    };
  }

  const fullRows = async (table: string) => new Map((await sql(`SELECT * FROM \`${table}\``)).map((r) => [r[KEYS[table]!], r]));

  let raw: Record<string, Map<unknown, unknown>>;
  let scrubbed: Record<string, Map<unknown, unknown>>;
  let rawRows: Record<string, Map<unknown, Row>>;
  let rawSums: Record<string, unknown>;
  let rawJoin: Row[];
  let report: unknown;

  beforeAll(async () => {
    await server.start();
    await load();
    raw = await scrubbedColumns();
    rawRows = Object.fromEntries(await Promise.all(Object.keys(KEYS).map(async (t) => [t, await fullRows(t)] as const)));
    rawSums = await checksums();
    rawJoin = await sql('SELECT n.id, c.customer_id FROM newsletter n JOIN customer c ON c.email = n.email ORDER BY n.id');
    report = await scrubMysql(conn(), RULES, SEED);
    scrubbed = await scrubbedColumns();
  });

  afterAll(() => server.stop());

  const values = (key: string) => [...scrubbed[key]!.values()];
  const pairs = (key: string) => [...raw[key]!].map(([k, v]) => [v, scrubbed[key]!.get(k)] as [unknown, unknown]);

  it('rewrites each table once and reports it', () => {
    expect(report).toEqual({ tables: 7, columns: RULES.length, warnings: [] });
  });

  it('keeps every row, and every column and table no rule names, byte for byte', async () => {
    const after = await checksums();
    const ruled = new Set(Object.keys(KEYS));
    const untouched = (sums: Record<string, unknown>) => Object.fromEntries(Object.entries(sums).filter(([t]) => !ruled.has(t.replace(/^sakila\./, ''))));
    expect(untouched((after.sums as Record<string, unknown>))).toEqual(untouched(rawSums.sums as Record<string, unknown>));
    expect({ ...after, sums: null }).toEqual({ ...rawSums, sums: null });
    for (const table of Object.keys(KEYS)) {
      const rules = new Set(RULES.filter((r) => tableOf(r) === table).map((r) => r.column));
      // The generated domain follows the scrubbed short_email; last_update (ON UPDATE CURRENT_TIMESTAMP) must not move.
      const strip = (row: Row) => Object.fromEntries(Object.entries(row).filter(([c]) => !rules.has(c) && c !== 'domain'));
      const after = await fullRows(table);
      expect(after.size, table).toBe(rawRows[table]!.size);
      for (const [k, row] of rawRows[table]!) expect(strip(after.get(k)!), `${table} ${String(k)}`).toEqual(strip(row));
    }
  });

  it('emails are valid, fit their varchar, are sha2(seed || value) alone, and unique where they were', async () => {
    for (const [key, limit] of [['customer.email', 50], ['staff.email', 50], ['newsletter.email', 50], ['newsletter.short_email', 20]] as const) {
      for (const [before, after] of pairs(key)) {
        if (before === null) expect(after).toBeNull();
        if (before === null) continue;
        expect(after).toBe(expectedEmail(SEED, before as string, limit));
        expect((after as string).length).toBeLessThanOrEqual(limit);
        expect(after).toMatch(limit === 50 ? /^[a-z]+\.[a-z]+\.[0-9a-f]{10}@example\.(com|net|org)$/ : /^[0-9a-f]+@example\.(com|net|org)$/);
      }
    }
    expect(raw['customer.email']!.get(599)).toBeNull();
    const emails = values('customer.email').filter((v) => v !== null);
    expect(new Set(emails).size).toBe(emails.length);
    const short = values('newsletter.short_email');
    expect(new Set(short).size).toBe(short.length);
    const domains = await sql<{ domain: string }>('SELECT DISTINCT domain FROM newsletter');
    expect(domains.map((d) => d.domain).sort()).toEqual([...EMAIL_DOMAINS].sort());
  });

  it('maps one value to one replacement in every table: joins and the foreign key on scrubbed emails still match', async () => {
    expect(scrubbed['staff.email']!.get(1)).toBe(scrubbed['customer.email']!.get(1));
    expect(await sql('SELECT n.id, c.customer_id FROM newsletter n JOIN customer c ON c.email = n.email ORDER BY n.id')).toEqual(rawJoin);
    const [orphans] = await sql<{ n: number }>('SELECT count(*) AS n FROM newsletter n LEFT JOIN customer c ON c.email = n.email WHERE c.customer_id IS NULL');
    expect(Number(orphans!.n)).toBe(0);
  });

  it('unique keys on scrubbed columns survive', async () => {
    const keys = await sql<{ t: string; k: string }>("SELECT DISTINCT table_name AS t, index_name AS k FROM information_schema.statistics WHERE table_schema = 'sakila' AND non_unique = 0 AND index_name IN ('customer_email_key', 'staff_username_key')");
    expect(keys.map((k) => k.k).sort()).toEqual(['customer_email_key', 'staff_username_key']);
    const usernames = values('staff.username') as string[];
    expect(new Set(usernames).size).toBe(usernames.length);
    for (const u of usernames) expect(u).toMatch(/^[a-z_]{0,8}[0-9a-f]{8}$/);
  });

  it('each replace type looks like its type and fits its column', () => {
    for (const v of values('customer.first_name')) expect(FIRST_NAMES).toContain(v);
    for (const v of values('customer.last_name')) expect(LAST_NAMES).toContain(v);
    for (const v of values('actor.first_name') as string[]) {
      const [first, last] = v.split(' ');
      expect(FIRST_NAMES).toContain(first);
      expect(LAST_NAMES).toContain(last);
    }
    for (const v of values('address.phone')) expect(v).toMatch(/^\+1-[2-9]\d\d-[2-9]\d\d-\d{4}$/);
    for (const v of values('address.address') as string[]) expect(v.length <= 50 && /^\d{1,4} [A-Z][a-z]+ [A-Z][a-z]+$/.test(v), v).toBe(true);
    for (const [before, after] of pairs('address.postal_code')) expect(after).toEqual(before === null ? null : expect.stringMatching(/^\d{5}$/));
    for (const v of values('city.city')) expect(CITIES).toContain(v);
    for (const [before, after] of pairs('newsletter.company')) expect(before === null ? after === null : COMPANY_WORDS.some((w) => (after as string).startsWith(w.slice(0, 12))) && (after as string).length <= 12).toBe(true);
    for (const v of values('film_text.description')) expect(v).toMatch(/^[A-Z][a-z]+( [a-z]+){4}\.$/);
  });

  it('hash, nullify, redact and mask do what they say', () => {
    for (const [before, after] of pairs('staff.password')) {
      expect(after).toBe(before === null ? null : crypto.createHash('sha256').update(SEED + String(before)).digest('hex').slice(0, 40));
    }
    expect(values('staff.picture')).toEqual([null, null]);
    expect(raw['staff.picture']!.get(1)).not.toBeNull();
    for (const [before, after] of pairs('address.address2')) expect(after).toBe(before === null ? null : 'REDACTED');
    for (const [before, after] of pairs('newsletter.card')) {
      expect(after).toMatch(/^\*{4}-\*{4}-\*{4}-\d{4}$/);
      expect((after as string).slice(-4)).toBe((before as string).slice(-4));
    }
    // Letters of any script are masked; separators (-, _, space) and the last character stay.
    const masked = (v: string) => v.slice(0, -1).replace(/[\p{L}\p{M}\p{N}]/gu, '#') + v.slice(-1);
    for (const [before, after] of pairs('newsletter.nick')) expect(after).toBe(before === null ? null : masked(before as string));
    expect(new Set(values('newsletter.nick'))).toEqual(new Set(['###-###l', '####_##### 7', '#####z', null]));
  });

  it('leaves no raw value in a scrubbed column, nor in the statistics', async () => {
    for (const key of ['customer.email', 'staff.email', 'newsletter.email', 'newsletter.short_email', 'newsletter.card', 'newsletter.nick', 'staff.username', 'staff.password', 'address.address', 'address.phone', 'film_text.description']) {
      const before = new Set<unknown>([...raw[key]!.values()].filter((v) => v !== null));
      const leaked = values(key).filter((v) => before.has(v));
      expect(leaked, key).toEqual([]);
    }
    const [stats] = await sql<{ lo: string; hi: string }>("SELECT CAST(min_value AS CHAR) AS lo, CAST(max_value AS CHAR) AS hi FROM mysql.column_stats WHERE db_name = 'sakila' AND table_name = 'customer' AND column_name = 'email'");
    expect(stats!.lo).toMatch(/@example\.(com|net|org)$/);
    expect(stats!.hi).toMatch(/@example\.(com|net|org)$/);
  });

  const BASE: ObfuscationRule = { table: 'staff', column: 'email', strategy: 'replace', type: 'email' };
  const REFUSED: [string, ObfuscationRule, RegExp][] = [
    ['an unknown table', { table: 'nope', column: 'x', strategy: 'hash' }, /^obfuscate rule for nope\.x names table sakila\.nope, which does not exist$/],
    ['an unknown column', { table: 'customer', column: 'nope', strategy: 'hash' }, /^obfuscate rule for customer\.nope names column nope, which table sakila\.customer does not have$/],
    ['a view', { table: 'customer_list', column: 'name', strategy: 'hash' }, /^obfuscate rule for customer_list\.name names sakila\.customer_list, which is not a table$/],
    ['a system-versioned table', { table: 'versioned', column: 'secret', strategy: 'redact', value: 'x' }, /^obfuscate rule for versioned\.secret names sakila\.versioned, which is system-versioned/],
    ['a generated column', { table: 'newsletter', column: 'domain', strategy: 'hash' }, /^obfuscate rule for newsletter\.domain is a generated column$/],
    ['nullify on NOT NULL', { table: 'customer', column: 'first_name', strategy: 'nullify' }, /^obfuscate rule for customer\.first_name is NOT NULL and cannot be nullified$/],
    ['a text strategy on a non-text column', { table: 'customer', column: 'create_date', strategy: 'mask', keep: 4, char: '*' }, /^obfuscate rule for customer\.create_date is datetime; strategy mask needs a text column$/],
    ['two rules for one column', { table: 'sakila.staff', column: 'EMAIL', strategy: 'hash' }, /^obfuscate rule for sakila\.staff\.EMAIL has two rules$/],
    ['a foreign key the rules change differently', { table: 'newsletter', column: 'email', strategy: 'hash' }, /^obfuscate: foreign key fk_newsletter_customer links newsletter\.email to customer\.email, which the rules change differently$/],
    ['a table with an UPDATE trigger (film: upd_film)', { table: 'film', column: 'title', strategy: 'hash' }, /^obfuscate rule for film\.title names table sakila\.film, which has UPDATE trigger upd_film: /],
  ];

  it.each(REFUSED)('refuses %s before writing anything', async (_what, rule, message) => {
    const before = await checksums();
    const err = await scrubMysql(conn(), [BASE, rule], SEED).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ name: 'DittoError', code: 'CONFIG', message: expect.stringMatching(message), hint: expect.any(String) });
    expect((err as Error).message).not.toContain(SEED);
    expect(await checksums()).toEqual(before);
  });

  it('a statement that fails rolls every table back and quotes no value', async () => {
    const before = await checksums();
    // staff is rewritten first, then customer's unique email cannot all become 'REDACTED'.
    const rules: ObfuscationRule[] = [BASE, { table: 'customer', column: 'email', strategy: 'redact', value: 'REDACTED' }, { table: 'newsletter', column: 'email', strategy: 'redact', value: 'REDACTED' }];
    const err = await scrubMysql(conn(), rules, SEED).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'DUMP_INVALID', message: 'obfuscation made two rows equal in unique column customer.email' });
    expect(await checksums()).toEqual(before);
  });

  it('aborting ends the connection, kills the statement and throws the abort; nothing is written', async () => {
    // Big enough that the UPDATE runs for seconds: the server would finish it unless it is killed.
    await sql("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB; INSERT INTO big SELECT seq, CONCAT('value-', seq) FROM seq_1_to_400000");
    const before = await checksums();
    const controller = new AbortController();
    const scrub = scrubMysql(conn(), [{ table: 'big', column: 'v', strategy: 'replace', type: 'email' }], SEED, controller.signal);
    let settled = false;
    scrub.then(() => (settled = true), () => (settled = true));
    const updating = async () => Number((await sql<{ n: number }>("SELECT count(*) AS n FROM information_schema.processlist WHERE info LIKE 'UPDATE `sakila`.`big`%'"))[0]!.n);
    while (!settled && (await updating()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled, 'the UPDATE was over before it could be aborted').toBe(false);
    const abortedAt = Date.now();
    controller.abort(new Error('stop now'));
    await expect(scrub).rejects.toThrow('stop now');
    expect(Date.now() - abortedAt).toBeLessThan(500);
    while ((await updating()) > 0 && Date.now() - abortedAt < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Date.now() - abortedAt, 'the statement ran on after the abort').toBeLessThan(1000);
    expect(await checksums()).toEqual(before);
    await sql('DROP TABLE big');
  });

  it('is deterministic for one seed across two loads, and different for another seed', async () => {
    await load();
    await scrubMysql(conn(), RULES, SEED);
    expect(await scrubbedColumns()).toEqual(scrubbed);
    await load();
    await scrubMysql(conn(), RULES, 'another-seed');
    const other = await scrubbedColumns();
    for (const key of ['customer.email', 'staff.password', 'address.phone', 'staff.username']) {
      for (const [k, v] of scrubbed[key]!) if (v !== null) expect(other[key]!.get(k), `${key} ${String(k)}`).not.toBe(v);
    }
  });
});
