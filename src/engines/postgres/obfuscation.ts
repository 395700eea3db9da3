import type pg from 'pg';
import type { ObfuscationRule } from '../../config/schema.js';
import { DittoError } from '../../errors.js';
import type { ScrubReport } from '../engine.js';
import { ruleError, unmatchedRules } from '../obfuscation-plan.js';
import { helperFunctions, identifier, ruleExpression, ruleSignature } from './obfuscation-sql.js';

/** A rule checked against the database: the table it names exists, and its column can take the strategy. */
interface CheckedRule {
  rule: ObfuscationRule;
  schema: string;
  table: string;
  /** The column's character limit (varchar(n), char(n)); null for none. */
  maxLength: number | null;
}

const TEXT_STRATEGIES = new Set(['replace', 'hash', 'redact', 'mask']);

/**
 * Scrubs a database in place: checks every rule against its catalog first (an unknown table or
 * column, or a strategy the column cannot take, fails before anything is written), then rewrites
 * each table once, in one transaction, and refreshes its statistics so the planner's samples hold
 * no raw value either.
 */
export async function scrubDatabase(connection: pg.ClientConfig, rules: ObfuscationRule[], seed: string, signal?: AbortSignal): Promise<ScrubReport> {
  if (rules.length === 0) return { tables: 0, columns: 0, warnings: [] };
  signal?.throwIfAborted();
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client(connection);
  client.on('error', () => {});
  // Stopping means dropping the connection: the statement under way fails, and its transaction with it.
  const stop = () => void client.end().catch(() => {});
  signal?.addEventListener('abort', stop, { once: true });
  await client.connect();
  try {
    const checked = await checkRules(client, rules);
    const tables = groupByTable(checked);
    const counted = [];
    for (const [table, columns] of tables) {
      const counts = columns.map((c, i) => `count(${identifier(c.rule.column)}) AS c${i}`).join(', ');
      const row = (await client.query<Record<string, string>>(`SELECT ${counts} FROM ${table}`)).rows[0]!;
      counted.push(...columns.map((c, i) => ({ rule: c.rule, rows: Number(row[`c${i}`]) })));
    }
    const warnings = unmatchedRules(counted);
    try {
      await client.query('BEGIN');
      // No triggers, no foreign-key checks while rewriting: audit and last-update triggers would
      // touch other columns, and a referenced key and its references are rewritten one table at a time.
      await client.query('SET LOCAL session_replication_role = replica');
      for (const statement of helperFunctions(seed)) await client.query(statement);
      for (const [table, columns] of tables) {
        const sets = columns.map((c) => `${identifier(c.rule.column)} = ${ruleExpression(c.rule, c.maxLength)}`);
        await client.query(`UPDATE ${table} SET ${sets.join(', ')}`);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      const collision = await uniqueCollision(client, err);
      if (collision) {
        throw new DittoError('DUMP_INVALID', `obfuscation made two rows equal in unique column ${collision}`, {
          hint: 'scrub it with a rule whose values stay distinct (hash, or replace with type email or username)',
        });
      }
      throw new DittoError('DUMP_INVALID', `obfuscation failed: ${(err as Error).message.split('\n')[0]}`, {
        hint: 'check the obfuscate rules in ditto.yaml (a unique column cannot be nullified or redacted)',
        cause: err,
      });
    }
    for (const table of tables.keys()) await client.query(`ANALYZE ${table}`);
    return { tables: tables.size, columns: checked.length, warnings };
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
    await client.end().catch(() => {});
  }
}

function groupByTable(checked: CheckedRule[]): Map<string, CheckedRule[]> {
  const tables = new Map<string, CheckedRule[]>();
  for (const c of checked) {
    const key = `${identifier(c.schema)}.${identifier(c.table)}`;
    tables.set(key, [...(tables.get(key) ?? []), c]);
  }
  return tables;
}

interface ColumnRow {
  relkind: string;
  attname: string | null;
  attnotnull: boolean | null;
  attgenerated: string | null;
  category: string | null;
  type: string | null;
  max_length: number | null;
}

/** Each rule against the catalog, and foreign keys between scrubbed and unscrubbed columns. */
async function checkRules(client: pg.Client, rules: ObfuscationRule[]): Promise<CheckedRule[]> {
  const checked: CheckedRule[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    const [schema, table] = rule.table.includes('.') ? splitOnce(rule.table) : ['public', rule.table];
    const name = `${rule.table}.${rule.column}`;
    if (seen.has(`${schema}.${table}.${rule.column}`)) throw ruleError(name, 'has two rules', 'keep one rule per column');
    seen.add(`${schema}.${table}.${rule.column}`);
    const { rows } = await client.query<ColumnRow>(
      `SELECT c.relkind::text, a.attname, a.attnotnull, a.attgenerated::text,
              bt.typcategory::text AS category, format_type(a.atttypid, a.atttypmod) AS type,
              CASE WHEN bt.typname IN ('varchar', 'bpchar') AND tm.typmod > 4 THEN tm.typmod - 4 END AS max_length
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
         LEFT JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod) tm ON true
        WHERE n.nspname = $1 AND c.relname = $2`,
      [schema, table, rule.column],
    );
    const row = rows[0];
    if (!row) throw ruleError(name, `names table ${schema}.${table}, which does not exist`, 'fix the table in ditto.yaml (schema.table for a schema other than public)');
    if (row.relkind !== 'r' && row.relkind !== 'p') throw ruleError(name, `names ${schema}.${table}, which is not a table`, 'obfuscate the tables a view reads from');
    if (row.attname === null) throw ruleError(name, `names column ${rule.column}, which table ${schema}.${table} does not have`, 'fix the column in ditto.yaml');
    if (row.attgenerated) throw ruleError(name, 'is a generated column', 'obfuscate the columns it is computed from');
    if (rule.strategy === 'nullify' && row.attnotnull) throw ruleError(name, 'is NOT NULL and cannot be nullified', 'use redact, hash or replace');
    if (TEXT_STRATEGIES.has(rule.strategy) && row.category !== 'S') {
      throw ruleError(name, `is ${row.type}; strategy ${rule.strategy} needs a text column`, 'use nullify for other types');
    }
    checked.push({ rule, schema, table, maxLength: row.max_length });
  }
  await checkForeignKeys(client, checked);
  return checked;
}

/**
 * A foreign key holds after the scrub only if both of its columns change the same way (or the
 * referencing one becomes NULL); anything else would break it silently, so it is refused.
 */
async function checkForeignKeys(client: pg.Client, checked: CheckedRule[]): Promise<void> {
  const ruleOf = new Map(checked.map((c) => [`${c.schema}.${c.table}.${c.rule.column}`, c.rule]));
  const { rows } = await client.query<{ conname: string; src: string; dst: string }>(
    // Partitions carry copies of their parent's foreign keys: each side is named by its root table.
    `SELECT con.conname,
            sn.nspname || '.' || sc.relname || '.' || sa.attname AS src,
            dn.nspname || '.' || dc.relname || '.' || da.attname AS dst
       FROM pg_constraint con
       CROSS JOIN LATERAL unnest(con.conkey, con.confkey) AS k(src, dst)
       JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = k.src
       JOIN pg_attribute da ON da.attrelid = con.confrelid AND da.attnum = k.dst
       JOIN pg_class sc ON sc.oid = coalesce(pg_partition_root(con.conrelid), con.conrelid)
       JOIN pg_namespace sn ON sn.oid = sc.relnamespace
       JOIN pg_class dc ON dc.oid = coalesce(pg_partition_root(con.confrelid), con.confrelid)
       JOIN pg_namespace dn ON dn.oid = dc.relnamespace
      WHERE con.contype = 'f'`,
  );
  for (const { conname, src, dst } of rows) {
    const from = ruleOf.get(src);
    const to = ruleOf.get(dst);
    if (!from && !to) continue;
    if (from?.strategy === 'nullify' || ruleSignature(from) === ruleSignature(to)) continue;
    throw new DittoError('CONFIG', `obfuscate: foreign key ${conname} links ${shortName(src)} to ${shortName(dst)}, which the rules change differently`, {
      hint: 'give both columns the same rule (or nullify the referencing one), so the key still matches',
    });
  }
}

function splitOnce(qualified: string): [string, string] {
  const at = qualified.indexOf('.');
  return [qualified.slice(0, at), qualified.slice(at + 1)];
}

function shortName(qualified: string): string {
  return qualified.startsWith('public.') ? qualified.slice('public.'.length) : qualified;
}


/**
 * The column(s) of the unique index a scrub's UPDATE collided on (`table.column`), named from the
 * catalog: the server's own message quotes the colliding value, which must not be shown.
 */
async function uniqueCollision(client: pg.Client, err: unknown): Promise<string | null> {
  const e = err as { code?: string; schema?: string; table?: string; constraint?: string };
  if (e.code !== '23505' || !e.constraint || !e.table) return null;
  const columns = await client
    .query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey)
        WHERE x.indexrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) ORDER BY a.attnum`,
      [e.schema ?? 'public', e.constraint],
    )
    .then((r) => r.rows.map((row) => row.name))
    .catch(() => [] as string[]);
  return columns.length === 0 ? `of ${e.table}` : columns.map((c) => `${e.table}.${c}`).join(', ');
}
