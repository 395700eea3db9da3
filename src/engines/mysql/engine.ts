import fs from 'node:fs';
import zlib from 'node:zlib';
import type { ObfuscationRule } from '../../config/schema.js';
import { DittoError } from '../../errors.js';
import type { Credentials, Endpoint, Serving, TlsMode } from '../../model/endpoint.js';
import { readHead, statDump } from '../dump-files.js';
import type { DbSchema } from '../../model/schema.js';
import type { SqlRequest, SqlResultSet } from '../../model/sql.js';
import type { DumpFile, DumpSource, Engine, ReadyOptions, ScrubReport, SubsetRun, TestDatabases, ToolCommand, ToolRunner } from '../engine.js';
import type { SubsetReport } from '../subset-plan.js';
import { retryUntilReady } from '../ready-loop.js';
import { restoreFailure } from '../tool-failure.js';
import { scrubMysql } from './obfuscation.js';
import { readMysqlSchema } from './schema.js';
import { runMysqlSql } from './sql.js';
import { mysqlTargetRestore } from './target.js';
import { mysqlTestDatabases } from './test-databases.js';
import { mysqlSubset } from './subset.js';
import { containerServer, diskFull, localServer, serverFiles, startFailure } from './server.js';
import { MYSQL_SCHEMES, mysqlTarget, splitMysqlPassword } from './source-url.js';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const DUMP_BANNER = /^-- (MySQL|MariaDB) dump /m;
/** Databases every server has, and ditto's own (per-test databases' template and stock): never the one a dump filled. */
const SYSTEM_DATABASES = new Set(['information_schema', 'mysql', 'performance_schema', 'sys', 'ditto_template', 'ditto_stock']);

type Connection = import('mysql2/promise').Connection;

/** The MySQL clients' names for what a copy's TLS asks of them (the `ssl-mode` of a connection URI). */
const SSL_MODES: Record<TlsMode, string> = { require: 'REQUIRED', 'verify-full': 'VERIFY_IDENTITY' };

/** MySQL 8 and MariaDB 10.6+: servers from MariaDB's binaries or the official image, plain SQL dumps (optionally gzip), its SQL for obfuscation. */
export class MysqlEngine implements Engine {
  readonly name = 'mysql' as const;
  readonly schemes = MYSQL_SCHEMES;
  readonly defaultUser = 'root';
  readonly defaultDatabase = 'ditto';
  readonly local = localServer;
  readonly container = containerServer;
  readonly dumpTool = 'mariadb-dump';
  readonly dumpToolPrefix = /^mariadb-dump: (Got error: )?/;
  readonly targetRestore = mysqlTargetRestore;

  connectionString(e: Endpoint, c: Credentials): string {
    const host = e.host.includes(':') ? `[${e.host}]` : e.host;
    const tls = e.tls ? `?ssl-mode=${SSL_MODES[e.tls]}` : '';
    return `mysql://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${host}:${e.port}/${encodeURIComponent(c.database)}${tls}`;
  }

  serverFiles(serving: Serving): Record<string, string> {
    return serverFiles(serving);
  }

  async waitReady(e: Endpoint, c: Credentials, opts: ReadyOptions): Promise<void> {
    await retryUntilReady(async () => {
      const conn = await connect(e, c, 2000);
      try {
        await conn.query('SELECT 1');
        if (opts.newPassword !== undefined) {
          // A clone of a golden snapshot carries the snapshot's password: the copy gets its own now.
          for (const host of ['%', 'localhost']) await conn.query('ALTER USER ?@? IDENTIFIED BY ?', [c.user, host, opts.newPassword]);
        }
      } finally {
        await conn.end().catch(() => {});
      }
    }, opts);
  }

  startFailure(log: string): { message: string; portTaken: boolean } {
    return startFailure(log);
  }

  diskFull(text: string): boolean {
    return diskFull(text);
  }

  claimsDump(head: Buffer): boolean {
    return DUMP_BANNER.test(textOf(head).slice(0, 512));
  }

  async inspectDump(file: string): Promise<DumpFile> {
    const { path: abs, stat } = statDump(file);
    const raw = readHead(abs);
    const gzip = raw.subarray(0, 2).equals(GZIP_MAGIC);
    const head = gzip ? gunzipHead(raw, abs) : raw;
    if (head.subarray(0, 5).toString('latin1') === 'PGDMP') {
      throw new DittoError('DUMP_INVALID', `dump file ${abs} is a PostgreSQL archive (pg_dump), not a MySQL dump`, {
        hint: 'give a mariadb-dump/mysqldump SQL file, or set engine: postgres for this dump',
      });
    }
    if (head.includes(0)) {
      throw new DittoError('DUMP_INVALID', `dump file ${abs} is neither SQL text nor gzip-compressed SQL`, { hint: 'make a fresh one with `ditto reseed` or mariadb-dump' });
    }
    return { path: abs, format: gzip ? 'sql.gz' : 'sql', kind: gzip ? 'gzip SQL' : 'SQL', size: stat.size, modifiedAt: stat.mtimeMs };
  }

  async restore(tools: ToolRunner, dump: DumpFile, copyEndpoint: Endpoint, c: Credentials, signal?: AbortSignal): Promise<string | null> {
    const e = tools.endpoint?.(copyEndpoint) ?? copyEndpoint;
    const before = await databases(copyEndpoint, c);
    // Over TLS when the copy takes nothing else; its certificate names the clients' host, not this one.
    const tls = copyEndpoint.tls ? ['--ssl', '--skip-ssl-verify-server-cert'] : [];
    const args = ['--protocol=TCP', `--host=${e.host}`, `--port=${e.port}`, `--user=${c.user}`, ...tls, '--binary-mode', '--default-character-set=utf8mb4', c.database];
    // The client reads the dump on stdin, decompressed on this machine: no tool in the container needs to know gzip.
    const input = () => (dump.format === 'sql.gz' ? fs.createReadStream(dump.path).pipe(zlib.createGunzip()) : fs.createReadStream(dump.path));
    const result = await tools.run('mariadb', args, { MYSQL_PWD: c.password }, { signal, input });
    signal?.throwIfAborted();
    if (result.exitCode !== 0) throw restoreFailure(this, 'mariadb', dump.path, result);
    // A dump of one database made with --databases creates it and fills it: that one is the copy's.
    const added = (await databases(copyEndpoint, c)).filter((d) => !before.includes(d));
    return added.length === 1 ? added[0]! : null;
  }

  dumpCommand(source: DumpSource, out: string, opts: { excludeTableData: readonly string[] }): ToolCommand {
    const t = mysqlTarget(source.url, source.password);
    const ignore = opts.excludeTableData.map((table) => `--ignore-table-data=${table.includes('.') ? table : `${t.database}.${table}`}`);
    return {
      tool: this.dumpTool,
      args: [
        '--single-transaction', '--routines', '--triggers', '--events', '--quick', '--no-tablespaces',
        '--protocol=TCP', `--host=${t.host}`, `--port=${t.port}`, `--user=${t.user}`,
        ...ignore, `--result-file=${out}`, '--databases', t.database,
      ],
      // The password travels in the environment, never in argv, where any process list shows it.
      env: t.password === null ? {} : { MYSQL_PWD: t.password },
    };
  }

  parseSource(url: string): DumpSource {
    return splitMysqlPassword(url);
  }

  subset(run: SubsetRun): Promise<SubsetReport> {
    return mysqlSubset(run);
  }

  async probe(url: string, timeoutMs: number): Promise<void> {
    const t = mysqlTarget(url, null);
    const conn = await connect({ host: t.host, port: t.port }, { user: t.user, password: t.password ?? '', database: t.database }, timeoutMs);
    try {
      await conn.query('SELECT 1');
    } finally {
      await conn.end().catch(() => {});
    }
  }

  async schemaOf(url: string): Promise<DbSchema> {
    const t = mysqlTarget(url, null);
    // ssl-mode as MySQL's clients take it: REQUIRED encrypts, VERIFY_* also checks the certificate.
    const sslMode = (new URL(url).searchParams.get('ssl-mode') ?? '').toUpperCase();
    const ssl = sslMode.startsWith('VERIFY') ? { ssl: {} } : sslMode === 'REQUIRED' ? { ssl: { rejectUnauthorized: false } } : {};
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ host: t.host, port: t.port, user: t.user, password: t.password ?? '', database: t.database, connectTimeout: 10_000, ...ssl });
    try {
      return await readMysqlSchema(async (sql, params) => (await conn.query(sql, params))[0] as never, t.database);
    } finally {
      await conn.end().catch(() => {});
    }
  }

  testDatabases(e: Endpoint, c: Credentials): TestDatabases {
    return mysqlTestDatabases(async () => {
      const mysql = await import('mysql2/promise');
      return mysql.createConnection({ ...connectionOptions(e, c, 10_000), multipleStatements: true });
    });
  }

  runSql(e: Endpoint, c: Credentials, request: SqlRequest, signal?: AbortSignal): Promise<SqlResultSet[]> {
    return runMysqlSql(connectionOptions(e, c, 10_000), request, signal);
  }

  scrub(e: Endpoint, c: Credentials, rules: ObfuscationRule[], seed: string, signal?: AbortSignal): Promise<ScrubReport> {
    return scrubMysql(connectionOptions(e, c, 10_000), rules, seed, signal);
  }
}

async function connect(e: Endpoint, c: Credentials, timeoutMs: number): Promise<Connection> {
  // Loaded here, not at the top: commands that never reach a server skip mysql2's start-up cost.
  const mysql = await import('mysql2/promise');
  return mysql.createConnection(connectionOptions(e, c, timeoutMs));
}

/** How ditto itself connects to a copy: over TLS when the copy accepts nothing else, without checking the certificate (it names the clients' host). */
function connectionOptions(e: Endpoint, c: Credentials, timeoutMs: number) {
  return { host: e.host, port: e.port, user: c.user, password: c.password, database: c.database, connectTimeout: timeoutMs, ...(e.tls ? { ssl: { rejectUnauthorized: false } } : {}) };
}

/** The server's user databases. */
async function databases(e: Endpoint, c: Credentials): Promise<string[]> {
  const conn = await connect(e, c, 10_000);
  try {
    const [rows] = await conn.query('SHOW DATABASES');
    return (rows as { Database: string }[]).map((r) => r.Database).filter((d) => !SYSTEM_DATABASES.has(d));
  } finally {
    await conn.end().catch(() => {});
  }
}

/** The start of a gzip file, decompressed as far as it goes; null when it is not gzip after all. */
function gunzipped(head: Buffer): Buffer | null {
  try {
    return zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return null;
  }
}

function gunzipHead(raw: Buffer, file: string): Buffer {
  const head = gunzipped(raw);
  if (head === null) throw new DittoError('DUMP_INVALID', `dump file ${file} is corrupt: not readable as gzip`, { hint: 'make a fresh one with `ditto reseed`' });
  return head;
}

function textOf(head: Buffer): string {
  return (head.subarray(0, 2).equals(GZIP_MAGIC) ? (gunzipped(head) ?? Buffer.alloc(0)) : head).toString('utf8');
}
