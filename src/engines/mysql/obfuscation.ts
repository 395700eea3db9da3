import type { ObfuscationRule } from '../../config/schema.js';
import { DittoError } from '../../errors.js';
import type { ScrubReport } from '../engine.js';
import { ruleError, unmatchedRules } from '../obfuscation-plan.js';
import { ruleSignature } from '../postgres/obfuscation-sql.js';
import { SEED_VARIABLE, SESSION_SETTINGS, identifier, ruleExpression } from './obfuscation-sql.js';

/** Runs one statement (parameters bound by the server, whatever its sql_mode) and returns its rows. */
type Query = <T = Record<string, unknown>>(sql: string, params?: (string | Buffer)[]) => Promise<T[]>;

interface ColumnRow {
  name: string;
  nullable: string;
  dataType: string;
  type: string;
  maxLength: number | null;
  generated: string | null;
  extra: string;
}

/** A table some rule names, as the catalog has it. */
interface TableInfo {
  schema: string;
  table: string;
  type: string;
  engine: string | null;
  columns: ColumnRow[];
  updateTriggers: string[];
}

/** A rule checked against the catalog: its table exists, and its column can take the strategy. */
interface CheckedRule {
  rule: ObfuscationRule;
  info: TableInfo;
  /** The column's name as the catalog spells it (MySQL column names ignore case). */
  column: string;
  /** The column's character limit; null for none. */
  maxLength: number | null;
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const TEXT_STRATEGIES = new Set(['replace', 'hash', 'redact', 'mask']);

/**
 * Scrubs a database in place: checks every rule against information_schema first (an unknown
 * table or column, or a strategy the column cannot take, fails before anything is written), then
 * rewrites each table once, in one transaction, and refreshes its statistics so none holds a raw
 * value either.
 *
 * Triggers: MySQL cannot switch them off for a session, so an UPDATE trigger of a scrubbed table
 * would fire for every row (writing raw OLD values to an audit table, stamping other columns, ...).
 * Dropping and recreating it is no way out: DDL commits at once, so a failure or an abort in
 * between would leave the database without its trigger. A table with rules and an UPDATE trigger
 * is therefore refused before anything is written, naming the trigger. (INSERT and DELETE
 * triggers never fire for an UPDATE: they are no obstacle.)
 */
export async function scrubMysql(
  options: import('mysql2/promise').ConnectionOptions,
  rules: ObfuscationRule[],
  seed: string,
  signal?: AbortSignal,
): Promise<ScrubReport> {
  if (rules.length === 0) return { tables: 0, columns: 0, warnings: [] };
  signal?.throwIfAborted();
  const mysql = await import('mysql2/promise');
  const db = await mysql.createConnection(options);
  db.on('error', () => {});
  if (signal?.aborted) {
    db.destroy();
    signal.throwIfAborted();
  }
  let rejectAborted: (reason: unknown) => void = () => {};
  const aborted = new Promise<never>((_, reject) => (rejectAborted = reject));
  aborted.catch(() => {});
  // Stopping ends the connection, and the statement under way with it: the server would finish
  // it before noticing a closed socket, so it is killed there too (the transaction rolls back).
  const stop = () => {
    rejectAborted(signal?.reason);
    db.destroy();
    void mysql.createConnection(options).then(async (killer) => {
      await killer.query(`KILL ${Number(db.threadId)}`).catch(() => {});
      await killer.end();
    }).catch(() => {});
  };
  signal?.addEventListener('abort', stop, { once: true });
  const query: Query = async (sql, params) => {
    const result = params ? db.execute(sql, params) : db.query(sql);
    const [rows] = await Promise.race([result, aborted]);
    return rows as never;
  };
  try {
    const checked = await checkRules(query, rules, String(options.database));
    const tables = groupByTable(checked);
    const counted = [];
    for (const { info, rules: columns } of tables) {
      const counts = columns.map((c, i) => `COUNT(${identifier(c.rule.column)}) AS c${i}`).join(', ');
      const [row] = await query<Record<string, number>>(`SELECT ${counts} FROM ${qualified(info)}`);
      counted.push(...columns.map((c, i) => ({ rule: c.rule, rows: Number(row![`c${i}`]) })));
    }
    const warnings = unmatchedRules(counted);
    let updating: TableInfo | null = null;
    try {
      await query(SESSION_SETTINGS);
      await query(`SET ${SEED_VARIABLE} = ?`, [Buffer.from(seed, 'utf8')]);
      await query('START TRANSACTION');
      for (const table of tables) {
        updating = table.info;
        await query(updateStatement(table));
      }
      await query('COMMIT');
    } catch (err) {
      await query('ROLLBACK').catch(() => {});
      const collision = updating && (await uniqueCollision(query, updating, err));
      if (collision) {
        throw new DittoError('DUMP_INVALID', `obfuscation made two rows equal in unique column ${collision}`, {
          hint: 'scrub it with a rule whose values stay distinct (hash, or replace with type email or username)',
        });
      }
      throw new DittoError('DUMP_INVALID', `obfuscation failed: ${safeMessage(err)}`, {
        hint: 'check the obfuscate rules in ditto.yaml (a unique column cannot be redacted)',
      });
    }
    const mariadb = /mariadb/i.test((await query<{ v: string }>('SELECT VERSION() AS v'))[0]?.v ?? '');
    for (const table of tables) await refreshStatistics(query, table, mariadb);
    return { tables: tables.length, columns: checked.length, warnings };
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
    await db.end().catch(() => {});
  }
}

/**
 * Rules by table, transactional tables first: a table of another engine (MyISAM) cannot roll
 * back, so it is rewritten last, after every statement that could still fail and roll back.
 */
function groupByTable(checked: CheckedRule[]): { info: TableInfo; rules: CheckedRule[] }[] {
  const tables = new Map<TableInfo, CheckedRule[]>();
  for (const c of checked) tables.set(c.info, [...(tables.get(c.info) ?? []), c]);
  const transactional = (info: TableInfo) => (info.engine?.toLowerCase() === 'innodb' ? 0 : 1);
  return [...tables].map(([info, rules]) => ({ info, rules })).sort((a, b) => transactional(a.info) - transactional(b.info));
}

function qualified(info: TableInfo): string {
  return `${identifier(info.schema)}.${identifier(info.table)}`;
}

function updateStatement({ info, rules }: { info: TableInfo; rules: CheckedRule[] }): string {
  const sets = rules.map((c) => `${identifier(c.column)} = ${ruleExpression(c.rule, c.column, c.maxLength)}`);
  // ON UPDATE CURRENT_TIMESTAMP would stamp every scrubbed row: assigning such a column its own value keeps it.
  const scrubbed = new Set(rules.map((c) => c.column));
  for (const col of info.columns) if (/on update/i.test(col.extra) && !scrubbed.has(col.name)) sets.push(`${identifier(col.name)} = ${identifier(col.name)}`);
  return `UPDATE ${qualified(info)} SET ${sets.join(', ')}`;
}

/**
 * ANALYZE TABLE, and the statistics that hold values refreshed for the scrubbed columns that have
 * them (MariaDB's column_stats keep a column's minimum and maximum, MySQL's histograms their
 * buckets): a plain ANALYZE leaves those as they were, raw.
 */
async function refreshStatistics(query: Query, { info, rules }: { info: TableInfo; rules: CheckedRule[] }, mariadb: boolean): Promise<void> {
  await analyze(query, `ANALYZE TABLE ${qualified(info)}`);
  const stats = mariadb
    ? 'SELECT column_name AS c FROM mysql.column_stats WHERE db_name = ? AND table_name = ?'
    : 'SELECT COLUMN_NAME AS c FROM information_schema.COLUMN_STATISTICS WHERE SCHEMA_NAME = ? AND TABLE_NAME = ?';
  const held = new Set((await query<{ c: string }>(stats, [info.schema, info.table])).map((r) => r.c.toLowerCase()));
  const stale = rules.filter((c) => held.has(c.column.toLowerCase())).map((c) => identifier(c.column));
  if (stale.length === 0) return;
  await analyze(query, mariadb ? `ANALYZE TABLE ${qualified(info)} PERSISTENT FOR COLUMNS (${stale.join(', ')}) INDEXES ()` : `ANALYZE TABLE ${qualified(info)} UPDATE HISTOGRAM ON ${stale.join(', ')}`);
}

/** ANALYZE TABLE reports its failures as rows, not errors. */
async function analyze(query: Query, sql: string): Promise<void> {
  const failed = (await query<{ Table: string; Msg_type: string; Msg_text: string }>(sql)).find((r) => r.Msg_type?.toLowerCase() === 'error');
  if (failed) throw new DittoError('DUMP_INVALID', `obfuscation failed: analyzing ${failed.Table}: ${failed.Msg_text}`, { hint: 'the data is scrubbed, but its statistics could not be refreshed' });
}

/**
 * The server's message without the values it quotes (a duplicate entry, an incorrect value):
 * those may be raw. Identifiers (key, column) stay.
 */
/**
 * The column(s) of the unique index the UPDATE of `info` collided on (`table.column`), named from
 * the catalog by the key's name: the server checks each row as it is rewritten, and its message
 * quotes the colliding value, which must not be shown.
 */
async function uniqueCollision(query: Query, info: TableInfo, err: unknown): Promise<string | null> {
  const e = err as { errno?: number; sqlMessage?: string };
  // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME; MySQL 8 names the key `table.key`, MariaDB `key`.
  const key = e.errno === 1062 || e.errno === 1586 ? /for key '(?:[^']*\.)?([^'.]+)'$/.exec(e.sqlMessage ?? '')?.[1] : undefined;
  if (key === undefined) return null;
  const columns = await query<{ name: string }>(
    'SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX',
    [info.schema, info.table, key],
  ).catch(() => []);
  return columns.length === 0 ? `of ${info.table}` : columns.map((c) => `${info.table}.${c.name}`).join(', ');
}

function safeMessage(err: unknown): string {
  const e = err as { sqlMessage?: string; message?: string };
  return (e.sqlMessage ?? e.message ?? String(err))
    .split('\n')[0]!
    .replace(/entry '.*' for key/s, "entry '…' for key")
    .replace(/value: '.*?'(?= for column|$)/s, "value: '…'");
}

/** Each rule against the catalog, then foreign keys between scrubbed and unscrubbed columns. */
async function checkRules(query: Query, rules: ObfuscationRule[], database: string): Promise<CheckedRule[]> {
  const tables = new Map<string, TableInfo | null>();
  const checked: CheckedRule[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    const [schema, table] = rule.table.includes('.') ? splitOnce(rule.table) : [database, rule.table];
    const name = `${rule.table}.${rule.column}`;
    const key = `${schema}.${table}`;
    if (!tables.has(key)) {
      // One TableInfo per table, however the rules spell it: each table is rewritten once.
      const found = await tableInfo(query, schema, table);
      const same = found && [...tables.values()].find((t) => t?.schema === found.schema && t.table === found.table);
      tables.set(key, same ?? found);
    }
    const info = tables.get(key);
    if (!info) throw ruleError(name, `names table ${schema}.${table}, which does not exist`, `fix the table in ditto.yaml (schema.table for a database other than ${database})`);
    if (info.type === 'SYSTEM VERSIONED') {
      throw ruleError(name, `names ${schema}.${table}, which is system-versioned: its history would keep every raw value`, 'drop its system versioning in the source database');
    }
    if (info.type !== 'BASE TABLE') throw ruleError(name, `names ${schema}.${table}, which is not a table`, 'obfuscate the tables a view reads from');
    const column = info.columns.find((c) => c.name.toLowerCase() === rule.column.toLowerCase());
    if (!column) throw ruleError(name, `names column ${rule.column}, which table ${schema}.${table} does not have`, 'fix the column in ditto.yaml');
    const id = `${info.schema}.${info.table}.${column.name.toLowerCase()}`;
    if (seen.has(id)) throw ruleError(name, 'has two rules', 'keep one rule per column');
    seen.add(id);
    if (column.generated) throw ruleError(name, 'is a generated column', 'obfuscate the columns it is computed from');
    if (rule.strategy === 'nullify' && column.nullable === 'NO') throw ruleError(name, 'is NOT NULL and cannot be nullified', 'use redact, hash or replace');
    if (TEXT_STRATEGIES.has(rule.strategy) && !TEXT_TYPES.has(column.dataType.toLowerCase())) {
      throw ruleError(name, `is ${column.type}; strategy ${rule.strategy} needs a text column`, 'use nullify for other types');
    }
    if (info.updateTriggers.length > 0) {
      throw ruleError(name, `names table ${schema}.${table}, which has UPDATE trigger ${info.updateTriggers.join(', ')}: MySQL cannot switch it off, and it would fire for every scrubbed row`, 'drop the trigger in the source database, or leave this table out of the rules');
    }
    checked.push({ rule, info, column: column.name, maxLength: column.maxLength === null ? null : Number(column.maxLength) });
  }
  await checkForeignKeys(query, checked, database);
  return checked;
}

async function tableInfo(query: Query, schema: string, table: string): Promise<TableInfo | null> {
  const [row] = await query<{ schema: string; table: string; type: string; engine: string | null }>(
    'SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS `table`, TABLE_TYPE AS type, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  if (!row) return null;
  const columns = await query<ColumnRow>(
    `SELECT COLUMN_NAME AS name, IS_NULLABLE AS nullable, DATA_TYPE AS dataType, COLUMN_TYPE AS type, CHARACTER_MAXIMUM_LENGTH AS maxLength,
            NULLIF(GENERATION_EXPRESSION, '') AS \`generated\`, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [row.schema, row.table],
  );
  const triggers = await query<{ name: string }>(
    "SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? AND EVENT_MANIPULATION LIKE '%UPDATE%' ORDER BY TRIGGER_NAME",
    [row.schema, row.table],
  );
  return { ...row, columns, updateTriggers: triggers.map((t) => t.name) };
}

/**
 * A foreign key holds after the scrub only if both of its columns change the same way (or the
 * referencing one becomes NULL); anything else would break it silently, so it is refused.
 */
async function checkForeignKeys(query: Query, checked: CheckedRule[], database: string): Promise<void> {
  const ruleOf = new Map(checked.map((c) => [`${c.info.schema}.${c.info.table}.${c.column.toLowerCase()}`, c.rule]));
  const schemas = [...new Set(checked.map((c) => c.info.schema))];
  const marks = schemas.map(() => '?').join(', ');
  const rows = await query<{ name: string; src: string; dst: string }>(
    `SELECT CONSTRAINT_NAME AS name,
            CONCAT(TABLE_SCHEMA, '.', TABLE_NAME, '.', LOWER(COLUMN_NAME)) AS src,
            CONCAT(REFERENCED_TABLE_SCHEMA, '.', REFERENCED_TABLE_NAME, '.', LOWER(REFERENCED_COLUMN_NAME)) AS dst
       FROM information_schema.KEY_COLUMN_USAGE
      WHERE REFERENCED_TABLE_NAME IS NOT NULL AND (TABLE_SCHEMA IN (${marks}) OR REFERENCED_TABLE_SCHEMA IN (${marks}))`,
    [...schemas, ...schemas],
  );
  const shortName = (qualified: string) => (qualified.startsWith(`${database}.`) ? qualified.slice(database.length + 1) : qualified);
  for (const { name, src, dst } of rows) {
    const from = ruleOf.get(src);
    const to = ruleOf.get(dst);
    if (!from && !to) continue;
    if (from?.strategy === 'nullify' || ruleSignature(from) === ruleSignature(to)) continue;
    throw new DittoError('CONFIG', `obfuscate: foreign key ${name} links ${shortName(src)} to ${shortName(dst)}, which the rules change differently`, {
      hint: 'give both columns the same rule (or nullify the referencing one), so the key still matches',
    });
  }
}

function splitOnce(qualified: string): [string, string] {
  const at = qualified.indexOf('.');
  return [qualified.slice(0, at), qualified.slice(at + 1)];
}

