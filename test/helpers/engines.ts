import fs from 'node:fs';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { writePagilaSql, writeSakilaSql } from './ditto.js';
import { MYSQL_RUNTIME_CASES, RUNTIME_CASES } from './runtimes.js';

export type EngineName = 'postgres' | 'mysql';
export type RuntimeName = 'local' | 'docker';

/**
 * One engine on one runtime: what the engine-neutral suites (lifecycle, golden, pool, obfuscation)
 * need to know to run the same scenario on PostgreSQL and on MySQL/MariaDB.
 */
export interface EngineRuntimeCase {
  /** `postgres on local`, `mysql on docker`: the name describe.each shows. */
  name: string;
  engine: EngineName;
  runtime: RuntimeName;
  /** The ditto.yaml that selects both. */
  config: Record<string, unknown>;
  /** The connection string's scheme, without `://`. */
  scheme: 'postgresql' | 'mysql';
  /** The copy's superuser, the user its connection string names. */
  superuser: string;
  /** A copy with no dump configured: its connection string (group 1 is the port). */
  emptyDsn: RegExp;
  /** The engine's sample dump: Pagila for PostgreSQL, Sakila for MySQL. */
  sample: {
    /** Writes the dump as one plain SQL file at `file`; returns `file`. */
    write(file: string): string;
    /** The file name to write it under. */
    file: string;
    /** The database a copy of it connects to (Sakila's dump makes its own `sakila`). */
    database: string;
    /** The schema (PostgreSQL) or database (MySQL) its tables live in, to qualify a table name. */
    schema: string;
    /** A table both samples have, and its row count. */
    table: string;
    rows: number;
  };
  /** What the engine says when a table is missing, and when a password is wrong. */
  errors: { missingTable: RegExp; badPassword: RegExp };
  /** The engine's command-line client, as ditto runs it to restore a plain SQL dump. */
  restoreClient: string;
  /** A shell command that runs `sql` on $DATABASE_URL with the engine's own client, printing bare values. */
  shellQuery(sql: string): string;
}

const PASSWORD = '[A-Za-z0-9_-]{20,}';

const POSTGRES = {
  engine: 'postgres',
  scheme: 'postgresql',
  superuser: 'postgres',
  emptyDsn: new RegExp(`^postgresql://postgres:${PASSWORD}@127\\.0\\.0\\.1:(\\d+)/postgres\\?sslmode=disable$`),
  sample: { write: writePagilaSql, file: 'pagila.sql', database: 'postgres', schema: 'public', table: 'rental', rows: 16044 },
  errors: { missingTable: /does not exist/, badPassword: /password authentication failed/ },
  restoreClient: 'psql',
  shellQuery: (sql: string) => `psql "$DATABASE_URL" -Atc "${sql}"`,
} as const;

const MYSQL = {
  engine: 'mysql',
  scheme: 'mysql',
  superuser: 'root',
  emptyDsn: new RegExp(`^mysql://root:${PASSWORD}@127\\.0\\.0\\.1:(\\d+)/ditto$`),
  sample: { write: writeSakilaSql, file: 'sakila.sql', database: 'sakila', schema: 'sakila', table: 'rental', rows: 16044 },
  errors: { missingTable: /doesn't exist/, badPassword: /Access denied/ },
  restoreClient: 'mariadb',
  // The mariadb client takes no URL: the URL is taken apart as a script would (its password is URL-safe).
  shellQuery: (sql: string) =>
    'u="${DATABASE_URL#mysql://}"; cred="${u%%@*}"; hostport="${u#*@}"; hostport="${hostport%%/*}"; ' +
    `MYSQL_PWD="\${cred#*:}" mariadb --protocol=TCP --host="\${hostport%:*}" --port="\${hostport##*:}" --user="\${cred%%:*}" --batch --skip-column-names -e "${sql}" "\${u##*/}"`,
} as const;

/** Every engine on every runtime, PostgreSQL first: each engine's runtime cases (runtimes.ts) with what the engine adds. */
export const ENGINE_RUNTIME_CASES: EngineRuntimeCase[] = [
  ...RUNTIME_CASES.map(({ name, config }) => ({ ...POSTGRES, name: `postgres on ${name}`, runtime: name, config })),
  ...MYSQL_RUNTIME_CASES.map(({ name, config }) => ({ ...MYSQL, name: `mysql on ${name}`, runtime: name, config })),
];

// PostgreSQL's bigint (count(*)) comes back as a string unless parsed: as a number, the way mysql2 returns it.
const pgTypes = new pg.TypeOverrides();
pgTypes.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/**
 * Runs `sql` (several statements allowed) on a fresh connection to `dsn`, with pg for
 * postgresql:// and mysql2 for mysql://, and returns the rows of the last result as plain
 * objects; bigint counts are numbers on both.
 */
export async function query<T extends Record<string, unknown> = Record<string, unknown>>(dsn: string, sql: string): Promise<T[]> {
  const scheme = new URL(dsn).protocol;
  if (scheme === 'postgresql:' || scheme === 'postgres:') {
    const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 5000, types: pgTypes });
    await client.connect();
    try {
      const result = await client.query(sql);
      const last = Array.isArray(result) ? (result as pg.QueryResult[]).at(-1)! : result;
      return last.rows as T[];
    } finally {
      await client.end();
    }
  }
  if (scheme === 'mysql:') {
    const conn = await mysql.createConnection({ uri: dsn, connectTimeout: 5000, multipleStatements: true });
    try {
      const [rows] = await conn.query(sql);
      // Several statements (a `;` followed by more SQL) give one result each: the last one's rows, as pg gives.
      const last = Array.isArray(rows) && /;\s*\S/.test(sql) ? (rows as unknown[]).at(-1) : rows;
      return (Array.isArray(last) ? last.map((r) => ({ ...(r as object) })) : []) as T[];
    } finally {
      await conn.end();
    }
  }
  throw new Error(`query: no client for ${scheme} connection strings`);
}

/** The row count of `table` in the copy at `dsn`, as a number on both engines. */
export async function countRows(dsn: string, table: string): Promise<number> {
  const [row] = await query<{ n: number }>(dsn, `SELECT count(*) AS n FROM ${table}`);
  return Number(row!.n);
}

/**
 * A dump's content as text, whatever ditto wrote: a PostgreSQL custom archive (compressed, so its
 * bytes hide any value) through pg_restore; a SQL dump as it is.
 */
export async function dumpText(file: string): Promise<string> {
  const head = Buffer.alloc(5);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 5, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') !== 'PGDMP') return fs.readFileSync(file, 'utf8');
  return (await execa('pg_restore', ['-f', '-', file], { maxBuffer: 200 * 1024 * 1024 })).stdout;
}
