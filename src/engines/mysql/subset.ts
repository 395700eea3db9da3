import fs from 'node:fs';
import { once } from 'node:events';
import type { Connection as CoreConnection, ResultSetHeader, RowDataPacket } from 'mysql2';
import { DittoError } from '../../errors.js';
import { toolErrorLine } from '../../support/text.js';
import type { SubsetRun } from '../engine.js';
import { hasKeptSet, planSubset, type PlanTable, type SubsetPlan, type SubsetReport } from '../subset-plan.js';
import { rowsSql, subsetFailure, takeSubset, type SubsetDialect, type SubsetSession } from '../subset-sql.js';
import { readMysqlSchema } from './schema.js';
import { mysqlTarget, type MysqlTarget } from './source-url.js';

const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;
const keep = (i: number) => `ditto_subset_keep_${i}`;
const keyOf = (plan: SubsetPlan, i: number) => plan.tables[i]!.primaryKey;

/** Kept rows of table `i` are its primary keys, in a temporary table of their own (MariaDB has no row id to keep). */
const dialect: SubsetDialect = {
  quote,
  relation: (t: PlanTable) => `${quote(t.schema)}.${quote(t.name)}`,
  keptJoin: (plan, i, alias) => ` JOIN ${keep(i)} k ON ${keyOf(plan, i).map((c) => `k.${quote(c)} = ${alias}.${quote(c)}`).join(' AND ')}`,
  insertKept: (plan, i, alias, fromWhere) => `INSERT IGNORE INTO ${keep(i)} SELECT ${keyOf(plan, i).map((c) => `${alias}.${quote(c)}`).join(', ')} ${fromWhere}`,
  keptCount: (i) => `SELECT count(*) AS n FROM ${keep(i)}`,
  isKept: (plan, i, alias) => `EXISTS (SELECT 1 FROM ${keep(i)} k WHERE ${keyOf(plan, i).map((c) => `k.${quote(c)} = ${alias}.${quote(c)}`).join(' AND ')})`,
};

/** Column types whose values are bytes, written as binary strings (text is written in utf8mb4). */
const BINARY = /^(tiny|medium|long)?blob|^(var)?binary|^bit|^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)/i;
/** How many bytes of rows one INSERT statement carries at most (well under max_allowed_packet's default). */
const STATEMENT_BYTES = 1 << 20;

/**
 * A subset of a MariaDB/MySQL source, all of it in one transaction WITH CONSISTENT SNAPSHOT,
 * READ ONLY: kept primary keys in temporary tables (created before it), to a fixed point; then
 * mariadb-dump writes the schema (tables, routines, events) and, after the rows, the triggers, so
 * that loading the rows fires none; the rows stream out as INSERT statements, foreign key checks
 * off while they load.
 */
export async function mysqlSubset(run: SubsetRun): Promise<SubsetReport> {
  const t = mysqlTarget(run.url, null);
  const mysql = await import('mysql2');
  const core = mysql.createConnection({ host: t.host, port: t.port, user: t.user, password: t.password ?? '', database: t.database, connectTimeout: 10_000, charset: 'utf8mb4' });
  core.on('error', () => {}); // a dropped connection also rejects the query under way
  const conn = core.promise();
  const abort = () => core.destroy();
  run.signal?.addEventListener('abort', abort);
  try {
    const schema = await readMysqlSchema(async (sql, params) => (await conn.query(sql, params))[0] as never, t.database);
    const plan = planSubset(schema, run.config);
    for (const [i, table] of plan.tables.entries()) {
      if (!hasKeptSet(table)) continue;
      if (table.primaryKey.length === 0) throw new DittoError('CONFIG', `table ${table.name} has no primary key, which a subset needs to keep its rows`, { hint: 'add a primary key, or keep the table out of dump.subset\'s reach' });
      const key = table.primaryKey.map(quote).join(', ');
      await conn.query(`CREATE TEMPORARY TABLE ${keep(i)} (PRIMARY KEY (${key})) SELECT ${key} FROM ${dialect.relation(table)} LIMIT 0`);
    }
    await conn.query("SET time_zone = '+00:00'");
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const session: SubsetSession = {
      run: async (sql) => ((await conn.query<ResultSetHeader>(sql))[0]).affectedRows,
      count: async (sql) => Number(String((await conn.query<RowDataPacket[]>(sql))[0][0]!.n)),
    };
    const report = await takeSubset(run, session, dialect, plan, schema.defaultSchema, (excluded) => writeDump(core, plan, run, t, excluded));
    await conn.query('COMMIT');
    return report;
  } catch (err) {
    throw subsetFailure(err, run.signal);
  } finally {
    run.signal?.removeEventListener('abort', abort);
    await conn.end().catch(() => {});
  }
}

async function writeDump(conn: CoreConnection, plan: SubsetPlan, run: SubsetRun, t: MysqlTarget, excluded: Set<number>): Promise<void> {
  const out = run.out!;
  const tables = await schemaPart(run, t, ['--routines', '--events', '--skip-triggers']);
  const triggers = await schemaPart(run, t, ['--no-create-info', '--no-create-db', '--triggers', '--skip-routines']);
  const sink = fs.createWriteStream(out.file, { flags: 'w' });
  const failed = new Promise<never>((_, reject) => sink.on('error', reject));
  // Text here is bytes, one character each (latin1): the values' own, whatever their encoding.
  const write = async (text: string) => {
    if (!sink.write(Buffer.from(text, 'latin1'))) await Promise.race([once(sink, 'drain'), failed]);
  };
  try {
    await write(tables);
    await write(`USE ${quote(t.database)};\nSET FOREIGN_KEY_CHECKS=0, UNIQUE_CHECKS=0, SQL_MODE='NO_AUTO_VALUE_ON_ZERO', time_zone='+00:00', NAMES utf8mb4;\n`);
    for (const [i, table] of plan.tables.entries()) {
      if (table.role === 'empty' || excluded.has(i) || table.schema !== t.database) continue;
      run.signal?.throwIfAborted();
      const columns = (await conn.promise().query<RowDataPacket[]>("SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION", [table.schema, table.name]))[0].map((r) => String(r.name));
      const binary = columns.map((c) => BINARY.test(table.columns.find((col) => col.name === c)?.type ?? ''));
      const head = `INSERT INTO ${quote(table.name)} (${columns.map(quote).join(', ')}) VALUES\n`;
      let pending = 0;
      // The core connection streams rows, pausing the socket while this loop waits on the file; every
      // value comes as the server's bytes: no date, number or JSON is reinterpreted on the way through.
      for await (const row of conn.query({ sql: rowsSql(dialect, plan, i, columns), rowsAsArray: true, typeCast: (field) => field.buffer() }).stream() as AsyncIterable<(Buffer | null)[]>) {
        const values = `(${row.map((v, j) => literal(v, binary[j]!)).join(',')})`;
        await write(pending === 0 ? head + values : `,\n${values}`);
        pending += values.length;
        if (pending > STATEMENT_BYTES) {
          await write(';\n');
          pending = 0;
        }
      }
      if (pending > 0) await write(';\n');
    }
    await write('SET FOREIGN_KEY_CHECKS=1, UNIQUE_CHECKS=1;\n');
    await write(triggers);
    sink.end();
    await Promise.race([once(sink, 'finish'), failed]);
  } finally {
    sink.destroy();
  }
}

/**
 * A value as an SQL literal: its bytes (one character each) in a string, escaped as the server
 * reads them; no byte of a multi-byte UTF-8 character is one of those escaped.
 */
function literal(value: Buffer | null, binary: boolean): string {
  if (value === null) return 'NULL';
  const escaped = value.toString('latin1').replace(/[\0\n\r\x1a'\\]/g, (c) => ESCAPES[c]!);
  return binary ? `_binary'${escaped}'` : `'${escaped}'`;
}

const ESCAPES: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '\\': '\\\\' };

/** Part of mariadb-dump's schema of the source database (small: definitions, no rows), read back from `out`. */
async function schemaPart(run: SubsetRun, t: MysqlTarget, flags: string[]): Promise<string> {
  const out = run.out!;
  const args = ['--single-transaction', '--no-data', '--no-tablespaces', ...flags, '--protocol=TCP', `--host=${t.host}`, `--port=${t.port}`, `--user=${t.user}`, `--result-file=${out.tools.dumpPath(out.file)}`, '--databases', t.database];
  const result = await out.tools.run('mariadb-dump', args, run.source.password === null ? {} : { MYSQL_PWD: run.source.password }, { signal: run.signal });
  run.signal?.throwIfAborted();
  if (result.exitCode !== 0) {
    const why = toolErrorLine(result.stderr, /^mariadb-dump: /) || `mariadb-dump exited with ${result.exitCode ?? result.signal}`;
    throw new DittoError('REMOTE', `could not dump the source's schema: ${why}`, { hint: 'check that the source is reachable and the URL, user and password are right' });
  }
  return fs.readFileSync(out.file, 'latin1');
}
