import path from 'node:path';
import type { ObfuscationRule } from '../../config/schema.js';
import { DittoError } from '../../errors.js';
import type { Credentials, Endpoint, Serving } from '../../model/endpoint.js';
import { firstLine } from '../../support/text.js';
import { readHead, statDump } from '../dump-files.js';
import type { DbSchema } from '../../model/schema.js';
import type { SqlRequest, SqlResultSet } from '../../model/sql.js';
import type { DumpFile, DumpSource, Engine, ReadyOptions, ScrubReport, SubsetRun, TestDatabases, ToolCommand, ToolRunner } from '../engine.js';
import type { SubsetReport } from '../subset-plan.js';
import { retryUntilReady } from '../ready-loop.js';
import { restoreFailure } from '../tool-failure.js';
import { scrubDatabase } from './obfuscation.js';
import { postgresSubset } from './subset.js';
import { readSchema } from './schema.js';
import { runPostgresSql } from './sql.js';
import { postgresTargetRestore } from './target.js';
import { postgresTestDatabases } from './test-databases.js';
import { containerServer, diskFull, localServer, serverFiles, startFailure } from './server.js';
import { POSTGRES_SCHEMES, libpqSslModes, splitPassword } from './source-url.js';

const CUSTOM_MAGIC = 'PGDMP';

/** PostgreSQL: servers from its binaries or the official image, pg_dump archives and SQL dumps, its SQL for obfuscation. */
export class PostgresEngine implements Engine {
  readonly name = 'postgres' as const;
  readonly schemes = POSTGRES_SCHEMES;
  readonly defaultUser = 'postgres';
  readonly defaultDatabase = 'postgres';
  readonly local = localServer;
  readonly container = containerServer;
  readonly dumpTool = 'pg_dump';
  readonly dumpToolPrefix = /^pg_dump: (error: )?/;
  readonly targetRestore = postgresTargetRestore;

  connectionString(e: Endpoint, c: Credentials): string {
    const auth = `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}`;
    return `postgresql://${auth}@${formatHost(e.host)}:${e.port}/${encodeURIComponent(c.database)}?sslmode=${e.tls ?? 'disable'}`;
  }

  serverFiles(serving: Serving): Record<string, string> {
    return serverFiles(serving);
  }

  async waitReady(e: Endpoint, c: Credentials, opts: ReadyOptions): Promise<void> {
    // Loaded here, not at the top: commands that never wait for a server (ls, down) skip pg's start-up cost.
    const { default: pg } = await import('pg');
    await retryUntilReady(async () => {
      const client = new pg.Client(clientConfig(e, c, 2000));
      // A connection refused mid-startup emits 'error' on the client too; the rejected connect() reports it.
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        if (opts.newPassword !== undefined) {
          // A clone of a golden snapshot carries the snapshot's password: the copy gets its own now.
          await client.query(`ALTER ROLE ${client.escapeIdentifier(c.user)} PASSWORD ${client.escapeLiteral(opts.newPassword)}`);
        }
      } finally {
        await client.end().catch(() => {});
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
    return head.subarray(0, CUSTOM_MAGIC.length).toString('latin1') === CUSTOM_MAGIC;
  }

  async inspectDump(file: string, tools: { binDir: string | null }): Promise<DumpFile> {
    const { path: abs, stat } = statDump(file);
    const head = readHead(abs);
    const format = this.claimsDump(head) ? 'custom' : head.includes(0) ? null : 'sql';
    if (format === null) {
      throw new DittoError('DUMP_INVALID', `dump file ${abs} is neither a pg_dump custom archive nor SQL text`, {
        hint: 'make a fresh one with `ditto reseed` or `pg_dump -Fc`',
      });
    }
    if (format === 'custom' && tools.binDir) {
      // Reading the table of contents catches a corrupt archive before a server is started for it.
      const { execa } = await import('execa');
      const listed = await execa(path.join(tools.binDir, 'pg_restore'), ['--list', abs], { reject: false, stdout: 'ignore' });
      if (listed.exitCode !== 0) {
        throw new DittoError('DUMP_INVALID', `dump file ${abs} is corrupt: ${firstLine(listed.stderr)}`, { hint: 'make a fresh one with `ditto reseed`' });
      }
    }
    return { path: abs, format, kind: format === 'custom' ? 'pg_dump archive' : 'SQL', size: stat.size, modifiedAt: stat.mtimeMs };
  }

  async restore(tools: ToolRunner, dump: DumpFile, copyEndpoint: Endpoint, c: Credentials, signal?: AbortSignal): Promise<string | null> {
    const e = tools.endpoint?.(copyEndpoint) ?? copyEndpoint;
    const conn = ['-h', e.host, '-p', String(e.port), '-U', c.user, '-d', c.database];
    const env = { PGPASSWORD: c.password, PGCONNECT_TIMEOUT: '10', PGSSLMODE: e.tls ? 'require' : 'disable' };
    const dumpPath = tools.dumpPath(dump.path);
    // Objects are owned by the copy's superuser: the source's roles need not exist here.
    const custom = dump.format === 'custom';
    const tool = custom ? 'pg_restore' : 'psql';
    const args = custom ? [...conn, '--no-owner', '--no-acl', '--exit-on-error', dumpPath] : ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...conn, '-f', dumpPath];
    const result = await tools.run(tool, args, env, { signal });
    signal?.throwIfAborted();
    if (result.exitCode !== 0) throw restoreFailure(this, tool, dump.path, result);
    // A pg_dump archive or script fills the database it is restored into.
    return null;
  }

  dumpCommand(source: DumpSource, out: string, opts: { excludeTableData: readonly string[] }): ToolCommand {
    // The password travels in the environment, never in argv, where any process list shows it.
    const env: Record<string, string> = { PGCONNECT_TIMEOUT: '10' };
    if (source.password !== null) env.PGPASSWORD = source.password;
    const exclude = opts.excludeTableData.map((table) => `--exclude-table-data=${table}`);
    return { tool: 'pg_dump', args: ['--format=custom', '--no-password', ...exclude, '-f', out, '-d', source.url], env };
  }

  subset(run: SubsetRun): Promise<SubsetReport> {
    return postgresSubset(run);
  }

  async probe(url: string, timeoutMs: number): Promise<void> {
    const { default: pg } = await import('pg');
    // sslmode as pg_dump and psql take it, so that a probe agrees with the tools it precedes.
    const client = new pg.Client({ connectionString: libpqSslModes(url), connectionTimeoutMillis: timeoutMs });
    client.on('error', () => {}); // a dropped connection also rejects the query below
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
  }

  parseSource(url: string): DumpSource {
    return splitPassword(url);
  }

  /**
   * A restore leaves tuples without hint bits, pages out of the visibility map and counts of rows
   * inserted since the last vacuum: a copy's first reads would write every page they touch, and
   * its autovacuum would rewrite each large table. VACUUM ANALYZE sets them all; the checkpoint
   * then writes them out, so the clean stop that follows is short (a builder that outlasts its
   * stop deadline is killed, and every copy would replay its WAL).
   */
  async settle(e: Endpoint, c: Credentials): Promise<void> {
    const { default: pg } = await import('pg');
    const run = async (database: string, sql: string) => {
      const client = new pg.Client(clientConfig(e, { ...c, database }, 10_000));
      client.on('error', () => {}); // a dropped connection also rejects the query under way
      try {
        await client.connect();
        return (await client.query<{ datname: string }>(sql)).rows;
      } finally {
        await client.end().catch(() => {});
      }
    };
    const databases = await run(c.database, 'SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname');
    for (const { datname } of databases) await run(datname, 'VACUUM (ANALYZE)');
    await run(c.database, 'CHECKPOINT');
  }

  testDatabases(e: Endpoint, c: Credentials): TestDatabases {
    return postgresTestDatabases(async (database) => {
      const { default: pg } = await import('pg');
      const client = new pg.Client(clientConfig(e, { ...c, database }, 10_000));
      client.on('error', () => {});
      await client.connect();
      return client;
    });
  }

  async schemaOf(url: string): Promise<DbSchema> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: libpqSslModes(url), connectionTimeoutMillis: 10_000 });
    client.on('error', () => {}); // a dropped connection also rejects the query under way
    try {
      await client.connect();
      return await readSchema(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  runSql(e: Endpoint, c: Credentials, request: SqlRequest, signal?: AbortSignal): Promise<SqlResultSet[]> {
    return runPostgresSql(clientConfig(e, c, 10_000), request, signal);
  }

  scrub(e: Endpoint, c: Credentials, rules: ObfuscationRule[], seed: string, signal?: AbortSignal): Promise<ScrubReport> {
    return scrubDatabase(clientConfig(e, c, 10_000), rules, seed, signal);
  }
}

/**
 * How ditto itself connects to a copy: over TLS when the copy accepts nothing else, without
 * checking the certificate, which names the host clients reach rather than this loopback address.
 */
function clientConfig(e: Endpoint, c: Credentials, timeoutMs: number) {
  return { host: e.host, port: e.port, ...c, connectionTimeoutMillis: timeoutMs, ssl: e.tls ? { rejectUnauthorized: false } : false };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
