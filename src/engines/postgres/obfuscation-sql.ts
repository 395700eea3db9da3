import type { ObfuscationRule, ReplaceType } from '../../config/schema.js';

/**
 * The PostgreSQL side of obfuscation: helper functions created in the session's temporary schema
 * (gone when the session ends, so nothing of them is ever dumped) and the expression each rule
 * sets its column to. Everything runs inside the server: a table is rewritten by one UPDATE and no
 * value travels to ditto and back.
 *
 * Every replacement is a function of sha256(seed || value) alone, never of the row, table or
 * column: equal values become equal replacements everywhere, which keeps joins and foreign keys
 * between scrubbed columns intact, and distinct values stay distinct (the realistic values carry
 * enough hash bits), which keeps unique constraints.
 */

export const FIRST_NAMES = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara',
  'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Lisa', 'Matthew', 'Nancy',
  'Anthony', 'Sandra', 'Mark', 'Ashley', 'Paul', 'Emily', 'Steven', 'Donna', 'Andrew', 'Michelle', 'Joshua', 'Carol',
  'Kevin', 'Amanda', 'Brian', 'Melissa', 'George', 'Deborah', 'Omar', 'Aisha', 'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Carlos',
  'Lucia', 'Ivan', 'Olga', 'Pierre', 'Amelie', 'Lars', 'Ingrid', 'Ravi', 'Priya', 'Kwame', 'Amara', 'Diego', 'Sofia',
];
export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson',
  'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright',
  'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell',
  'Mitchell', 'Carter', 'Roberts', 'Kim', 'Chen', 'Tanaka', 'Ivanova', 'Dubois', 'Larsen', 'Patel', 'Mensah', 'Okafor',
];
export const STREETS = [
  'Maple', 'Oak', 'Pine', 'Cedar', 'Elm', 'Willow', 'Birch', 'Lake', 'Hill', 'River', 'Park', 'Main', 'Church', 'Mill',
  'Spring', 'Meadow', 'Forest', 'Sunset', 'Highland', 'Valley', 'Ridge', 'Harbor', 'Station', 'Market', 'Bridge', 'Orchard',
];
export const STREET_SUFFIXES = ['Street', 'Avenue', 'Road', 'Lane', 'Drive', 'Court', 'Way', 'Boulevard', 'Place', 'Terrace'];
export const CITIES = [
  'Springfield', 'Riverton', 'Fairview', 'Franklin', 'Greenville', 'Bristol', 'Clinton', 'Georgetown', 'Salem', 'Madison',
  'Ashland', 'Oakdale', 'Milford', 'Kingston', 'Dover', 'Newport', 'Lexington', 'Burlington', 'Manchester', 'Arlington',
  'Winchester', 'Hudson', 'Clayton', 'Dayton', 'Marion', 'Jackson', 'Lakewood', 'Brookfield', 'Westport', 'Eastwood',
];
export const COMPANY_WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Vandelay', 'Hooli', 'Soylent', 'Wonka', 'Tyrell', 'Cyberdyne', 'Massive', 'Oceanic', 'Pied Piper', 'Aperture'];
export const COMPANY_KINDS = ['Industries', 'Holdings', 'Systems', 'Labs', 'Group', 'Partners', 'Logistics', 'Foods', 'Media', 'Works'];
export const COMPANY_SUFFIXES = ['Inc', 'LLC', 'Ltd', 'GmbH', 'Co', 'SA'];
export const LOREM = [
  'lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit', 'sed', 'do', 'eiusmod', 'tempor',
  'incididunt', 'ut', 'labore', 'et', 'dolore', 'magna', 'aliqua', 'enim', 'ad', 'minim', 'veniam', 'quis', 'nostrud',
  'exercitation', 'ullamco', 'laboris', 'nisi', 'aliquip', 'ex', 'ea', 'commodo', 'consequat',
];
/** Reserved for documentation (RFC 2606): a scrubbed address can never reach a real mailbox. */
export const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];

/** A string literal, standard-conforming: quotes doubled, no backslash escapes. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function words(list: readonly string[]): string {
  return `ARRAY[${list.map(literal).join(',')}]::text[]`;
}

/**
 * The helper functions, for one session. `h(v)` is the value's hash; `n(h, i)` 48 bits of it from
 * byte i as a number; `pick` a word by such a number. Byte offsets differ per part of a value, so
 * the parts of one replacement vary independently.
 */
export function helperFunctions(seed: string): string[] {
  const fn = (name: string, args: string, body: string) =>
    `CREATE FUNCTION pg_temp.${name}(${args}) RETURNS ${name === 'ditto_h' ? 'bytea' : name === 'ditto_n' ? 'bigint' : 'text'} LANGUAGE sql IMMUTABLE STRICT AS $ditto$ ${body} $ditto$`;
  const n = (i: number) => `pg_temp.ditto_n(h, ${i})`;
  const pick = (list: readonly string[], i: number) => `pg_temp.ditto_pick(${words(list)}, h, ${i})`;
  const hex = (count: number) => `substr(encode(h, 'hex'), 49, ${count})`;
  // Each replacement is built from h and cut to the column's length (m) in a way that keeps its shape.
  const replacements: Record<ReplaceType, string> = {
    email: `SELECT CASE WHEN length(l) + 1 + length(d) <= m THEN l || '@' || d ELSE left(${hex(16)}, greatest(m - length(d) - 1, 1)) || '@' || d END
      FROM (SELECT lower(${pick(FIRST_NAMES, 0)} || '.' || ${pick(LAST_NAMES, 6)}) || '.' || ${hex(10)} AS l, ${pick(EMAIL_DOMAINS, 12)} AS d) p`,
    name: `SELECT left(${pick(FIRST_NAMES, 0)} || ' ' || ${pick(LAST_NAMES, 6)}, m)`,
    first_name: `SELECT left(${pick(FIRST_NAMES, 0)}, m)`,
    last_name: `SELECT left(${pick(LAST_NAMES, 6)}, m)`,
    username: `SELECT right(lower(${pick(FIRST_NAMES, 0)} || '_' || ${pick(LAST_NAMES, 6)}) || ${hex(8)}, m)`,
    phone: `SELECT left('+1-' || (200 + ${n(0)} % 800) || '-' || (200 + ${n(6)} % 800) || '-' || lpad((${n(12)} % 10000)::text, 4, '0'), m)`,
    address: `SELECT left((1 + ${n(0)} % 9999) || ' ' || ${pick(STREETS, 6)} || ' ' || ${pick(STREET_SUFFIXES, 12)}, m)`,
    city: `SELECT left(${pick(CITIES, 0)}, m)`,
    postal_code: `SELECT left(lpad((${n(0)} % 100000)::text, 5, '0'), m)`,
    company: `SELECT left(${pick(COMPANY_WORDS, 0)} || ' ' || ${pick(COMPANY_KINDS, 6)} || ' ' || ${pick(COMPANY_SUFFIXES, 12)}, m)`,
    text: `SELECT left(initcap(${pick(LOREM, 0)}) || ' ' || ${pick(LOREM, 6)} || ' ' || ${pick(LOREM, 12)} || ' ' || ${pick(LOREM, 18)} || ' ' || ${pick(LOREM, 24)} || '.', m)`,
  };
  return [
    // The seed is part of the temporary function's body: it lives in this session only.
    fn('ditto_h', 'v text', `SELECT sha256(convert_to(${literal(seed)} || v, 'UTF8'))`),
    fn('ditto_n', 'h bytea, i int', `SELECT (get_byte(h, i)::bigint << 40) | (get_byte(h, i + 1)::bigint << 32) | (get_byte(h, i + 2)::bigint << 24) | (get_byte(h, i + 3)::bigint << 16) | (get_byte(h, i + 4)::bigint << 8) | get_byte(h, i + 5)::bigint`),
    fn('ditto_pick', 'list text[], h bytea, i int', `SELECT list[1 + (pg_temp.ditto_n(h, i) % array_length(list, 1))::int]`),
    ...Object.entries(replacements).map(([type, body]) => fn(`ditto_${type}`, 'h bytea, m int', body)),
  ];
}

/** Unlimited length, for text columns. */
const NO_LIMIT = 2147483647;

/**
 * What `column` becomes under `rule`, as an SQL expression. NULL stays NULL (there is nothing to
 * hide in it) except that nullify makes every value NULL; `maxLength` is the column's character
 * limit (varchar(n), char(n)), which every replacement respects.
 */
export function ruleExpression(rule: ObfuscationRule, maxLength: number | null): string {
  const col = `${identifier(rule.column)}::text`;
  const m = maxLength ?? NO_LIMIT;
  switch (rule.strategy) {
    case 'nullify':
      return 'NULL';
    case 'replace':
      return `pg_temp.ditto_${rule.type}(pg_temp.ditto_h(${col}), ${m})`;
    case 'hash':
      return `left(encode(pg_temp.ditto_h(${col}), 'hex'), ${m})`;
    case 'redact':
      return `CASE WHEN ${identifier(rule.column)} IS NULL THEN NULL ELSE ${literal(rule.value.slice(0, m))} END`;
    case 'mask': {
      const char = literal(rule.char);
      // regexp_replace reads a backslash in the replacement as an escape.
      const replacement = literal(rule.char.replaceAll('\\', '\\\\'));
      // Separators stay, so a masked card or phone number keeps its shape: ****-****-1234.
      return `CASE WHEN length(${col}) <= ${rule.keep} THEN repeat(${char}, length(${col}))
        ELSE regexp_replace(left(${col}, length(${col}) - ${rule.keep}), '[[:alnum:]]', ${replacement}, 'g') || right(${col}, ${rule.keep}) END`;
    }
  }
}

/** Rules that turn equal values into equal values the same way: only such columns may be linked by a foreign key. */
export function ruleSignature(rule: ObfuscationRule | undefined): string {
  if (!rule) return 'keep';
  const { table: _t, column: _c, ...how } = rule;
  return JSON.stringify(how);
}
