import type { ObfuscationRule, ReplaceType } from '../../config/schema.js';
import {
  CITIES, COMPANY_KINDS, COMPANY_SUFFIXES, COMPANY_WORDS, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, LOREM, STREETS, STREET_SUFFIXES,
} from '../postgres/obfuscation-sql.js';

/**
 * The MySQL/MariaDB side of obfuscation: the expression each rule sets its column to, built
 * inline (MySQL has no session-temporary functions, and a stored one could end up in a dump).
 * A table is rewritten by one UPDATE and no value travels to ditto and back.
 *
 * Every replacement is a function of sha2(seed || value) alone, never of the row, table or column:
 * equal values become equal replacements everywhere, which keeps joins and foreign keys between
 * scrubbed columns intact, and distinct values stay distinct (the realistic values carry enough
 * hash bits), which keeps unique keys. The hash is taken over the UTF-8 bytes of seed and value
 * and cut into the same parts as in the PostgreSQL dialect, so both engines scrub a value alike.
 * Equality is by bytes: values a case-insensitive collation holds equal ('A@x', 'a@x') differ.
 */

/** The session variable holding the seed: bound as a parameter, so no statement text or error quotes it. */
export const SEED_VARIABLE = '@ditto_seed';

/**
 * The session the expressions are written for. NO_BACKSLASH_ESCAPES: literals are standard SQL
 * (quotes doubled) whatever the server's default. Strict: a value too long for its column fails
 * the scrub instead of being cut silently. UTC: a TIMESTAMP column assigned its own value (to
 * hold off ON UPDATE CURRENT_TIMESTAMP) converts both ways without a daylight-saving shift. No foreign-key checks: a
 * referenced key and its references are rewritten one table at a time, and ON UPDATE CASCADE
 * would scrub a reference twice.
 */
export const SESSION_SETTINGS =
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00', foreign_key_checks = 0, sql_safe_updates = 0";

/** A string literal under SESSION_SETTINGS (NO_BACKSLASH_ESCAPES): quotes doubled, nothing else. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function identifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** The value's hash, 64 lowercase hex digits, over the UTF-8 bytes of seed and value. */
function hashOf(column: string): string {
  return `SHA2(CONCAT(${SEED_VARIABLE}, CAST(CONVERT(${column} USING utf8mb4) AS BINARY)), 256)`;
}

/**
 * Parts of a hash `h`: `n` 48 bits from byte i as a number, `pick` a word by such a number, `hex`
 * hex digits from its last quarter. Byte offsets differ per part of a value, so the parts of one
 * replacement vary independently.
 */
const n = (h: string, i: number) => `CAST(CONV(SUBSTR(${h}, ${2 * i + 1}, 12), 16, 10) AS UNSIGNED)`;
const pick = (list: readonly string[], h: string, i: number) => `ELT(1 + ${n(h, i)} % ${list.length}, ${list.map(literal).join(',')})`;
const hex = (h: string, count: number) => `SUBSTR(${h}, 49, ${count})`;
const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** Each replacement, built from hash `h` and cut to the column's length `m` in a way that keeps its shape. */
const REPLACEMENTS: Record<ReplaceType, (h: string, m: number) => string> = {
  email: (h, m) => {
    const local = `CONCAT(LOWER(CONCAT(${pick(FIRST_NAMES, h, 0)}, '.', ${pick(LAST_NAMES, h, 6)})), '.', ${hex(h, 10)})`;
    const domain = pick(EMAIL_DOMAINS, h, 12);
    // Too long for the column: the hex digits alone before the domain, so it stays a unique address.
    return `CASE WHEN CHAR_LENGTH(${local}) + 1 + CHAR_LENGTH(${domain}) <= ${m} THEN CONCAT(${local}, '@', ${domain})
      ELSE CONCAT(LEFT(${hex(h, 16)}, GREATEST(${m} - CHAR_LENGTH(${domain}) - 1, 1)), '@', ${domain}) END`;
  },
  name: (h, m) => `LEFT(CONCAT(${pick(FIRST_NAMES, h, 0)}, ' ', ${pick(LAST_NAMES, h, 6)}), ${m})`,
  first_name: (h, m) => `LEFT(${pick(FIRST_NAMES, h, 0)}, ${m})`,
  last_name: (h, m) => `LEFT(${pick(LAST_NAMES, h, 6)}, ${m})`,
  // Cut from the left: the hex digits that make it unique stay.
  username: (h, m) => `RIGHT(CONCAT(LOWER(CONCAT(${pick(FIRST_NAMES, h, 0)}, '_', ${pick(LAST_NAMES, h, 6)})), ${hex(h, 8)}), ${m})`,
  phone: (h, m) => `LEFT(CONCAT('+1-', 200 + ${n(h, 0)} % 800, '-', 200 + ${n(h, 6)} % 800, '-', LPAD(${n(h, 12)} % 10000, 4, '0')), ${m})`,
  address: (h, m) => `LEFT(CONCAT(1 + ${n(h, 0)} % 9999, ' ', ${pick(STREETS, h, 6)}, ' ', ${pick(STREET_SUFFIXES, h, 12)}), ${m})`,
  city: (h, m) => `LEFT(${pick(CITIES, h, 0)}, ${m})`,
  postal_code: (h, m) => `LEFT(LPAD(${n(h, 0)} % 100000, 5, '0'), ${m})`,
  company: (h, m) => `LEFT(CONCAT(${pick(COMPANY_WORDS, h, 0)}, ' ', ${pick(COMPANY_KINDS, h, 6)}, ' ', ${pick(COMPANY_SUFFIXES, h, 12)}), ${m})`,
  text: (h, m) =>
    `LEFT(CONCAT(${pick(LOREM.map(capitalized), h, 0)}, ' ', ${pick(LOREM, h, 6)}, ' ', ${pick(LOREM, h, 12)}, ' ', ${pick(LOREM, h, 18)}, ' ', ${pick(LOREM, h, 24)}, '.'), ${m})`,
};

/** Unlimited length, for columns without a character limit. */
const NO_LIMIT = 2147483647;

/** Letters (with their combining marks) and digits in any script: what a mask hides; anything else is a separator. */
const MASKED = literal('[\\p{L}\\p{M}\\p{N}]');

/**
 * What `column` (the rule's column, as the catalog spells it) becomes under `rule`, as an SQL
 * expression. NULL stays NULL (there is nothing to hide in it) except that nullify makes every
 * value NULL; `maxLength` is the column's character limit (varchar(n), char(n)), which every
 * replacement respects.
 */
export function ruleExpression(rule: ObfuscationRule, column: string, maxLength: number | null): string {
  const col = identifier(column);
  const m = maxLength ?? NO_LIMIT;
  const unlessNull = (expr: string) => `CASE WHEN ${col} IS NULL THEN NULL ELSE ${expr} END`;
  switch (rule.strategy) {
    case 'nullify':
      return 'NULL';
    case 'replace':
      return unlessNull(REPLACEMENTS[rule.type](hashOf(col), m));
    case 'hash':
      return unlessNull(`LEFT(${hashOf(col)}, ${m})`);
    case 'redact':
      return unlessNull(`LEFT(${literal(rule.value)}, ${m})`);
    case 'mask': {
      const text = `CONVERT(${col} USING utf8mb4)`;
      const length = `CHAR_LENGTH(${text})`;
      // The replacement string reads a backslash (and, in MySQL's ICU, a dollar) as an escape.
      const replacement = literal(rule.char.replaceAll('\\', '\\\\').replaceAll('$', '\\$'));
      // Separators stay, so a masked card or phone number keeps its shape: ****-****-1234.
      return unlessNull(`CASE WHEN ${length} <= ${rule.keep} THEN REPEAT(${literal(rule.char)}, ${length})
        ELSE CONCAT(REGEXP_REPLACE(LEFT(${text}, ${length} - ${rule.keep}), ${MASKED}, ${replacement}), RIGHT(${text}, ${rule.keep})) END`);
    }
  }
}
