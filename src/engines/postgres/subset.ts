import fs from 'node:fs';
import { once } from 'node:events';
import type pg from 'pg';
import { DittoError } from '../../errors.js';
import { toolErrorLine } from '../../support/text.js';
import type { SubsetRun } from '../engine.js';
import { planSubset, type SubsetPlan, type SubsetReport } from '../subset-plan.js';
import { rowsSql, subsetFailure, takeSubset, type SubsetSession } from '../subset-sql.js';
import { copyOut } from './copy-out.js';
import { readSchema } from './schema.js';
import { libpqSslModes } from './source-url.js';
import { COPY_COLUMNS, CREATE_KEEP, SEQUENCES, copyHeader, postgresSubsetDialect as dialect } from './subset-sql.js';

/**
 * A subset of a PostgreSQL source, all of it in one REPEATABLE READ READ ONLY transaction: the
 * kept rows are computed in the source (a temporary table of ctids, created before the
 * transaction, since a read-only one may write only to temporary tables it did not create),
 * round after round until no pass adds a row; then pg_dump writes the schema from the same
 * snapshot (exported to it) and each table's kept rows stream through COPY into the script
 * between its definitions and its keys, so they load whatever their order.
 */
export async function postgresSubset(run: SubsetRun): Promise<SubsetReport> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString: libpqSslModes(run.url), connectionTimeoutMillis: 10_000 });
  client.on('error', () => {}); // a dropped connection also rejects the query under way
  const abort = () => void client.end().catch(() => {});
  run.signal?.addEventListener('abort', abort);
  try {
    await client.connect();
    await client.query(CREATE_KEEP);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const schema = await readSchema(client);
    const plan = planSubset(schema, run.config);
    // The extended protocol runs one statement per query: a `where` cannot smuggle in another.
    const session: SubsetSession = {
      run: async (text) => (await client.query({ text, queryMode: 'extended' } as pg.QueryConfig)).rowCount ?? 0,
      count: async (text) => Number((await client.query<{ n: string }>({ text, queryMode: 'extended' } as pg.QueryConfig)).rows[0]!.n),
    };
    const report = await takeSubset(run, session, dialect, plan, schema.defaultSchema, (excluded) => writeDump(client, plan, run, run.out!, snapshot, excluded));
    await client.query('COMMIT');
    return report;
  } catch (err) {
    throw subsetFailure(err, run.signal);
  } finally {
    run.signal?.removeEventListener('abort', abort);
    await client.end().catch(() => {});
  }
}

/** The script: pg_dump's pre-data section, each table's rows, the sequences' positions, pg_dump's post-data section. */
async function writeDump(client: pg.Client, plan: SubsetPlan, run: SubsetRun, out: NonNullable<SubsetRun['out']>, snapshot: string, excluded: Set<number>): Promise<void> {
  const pre = await schemaSection(run, out, snapshot, 'pre-data');
  const post = await schemaSection(run, out, snapshot, 'post-data');
  const sink = fs.createWriteStream(out.file, { flags: 'w' });
  const failed = new Promise<never>((_, reject) => sink.on('error', reject));
  try {
    const write = async (text: string) => {
      if (!sink.write(text)) await Promise.race([once(sink, 'drain'), failed]);
    };
    await write(pre);
    for (const [i, t] of plan.tables.entries()) {
      if (t.role === 'empty' || excluded.has(i)) continue;
      run.signal?.throwIfAborted();
      const columns = (await client.query<{ name: string }>(COPY_COLUMNS, [`"${t.schema.replaceAll('"', '""')}"."${t.name.replaceAll('"', '""')}"`])).rows.map((r) => r.name);
      await write(copyHeader(t, columns));
      await Promise.race([copyOut(client, `COPY (${rowsSql(dialect, plan, i, columns)}) TO STDOUT`, sink), failed]);
      await write('\\.\n\n');
    }
    for (const { sql } of (await client.query<{ sql: string }>(SEQUENCES)).rows) await write(`${sql}\n`);
    await write(post);
    sink.end();
    await Promise.race([once(sink, 'finish'), failed]);
  } finally {
    sink.destroy();
  }
}

/** One section of pg_dump's plain script of the schema, from the subset's snapshot (small: definitions, no rows). */
async function schemaSection(run: SubsetRun, out: NonNullable<SubsetRun['out']>, snapshot: string, section: 'pre-data' | 'post-data'): Promise<string> {
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: '10' };
  if (run.source.password !== null) env.PGPASSWORD = run.source.password;
  // Owners and grants are the source's roles, which a copy does not have (a custom archive's restore skips them the same way).
  const args = ['--format=plain', `--section=${section}`, `--snapshot=${snapshot}`, '--no-owner', '--no-privileges', '--no-password', '-f', out.tools.dumpPath(out.file), '-d', run.source.url];
  const result = await out.tools.run('pg_dump', args, env, { signal: run.signal });
  run.signal?.throwIfAborted();
  if (result.exitCode !== 0) {
    const why = toolErrorLine(result.stderr, /^pg_dump: (error: )?/) || `pg_dump exited with ${result.exitCode ?? result.signal}`;
    throw new DittoError('REMOTE', `could not dump the source's schema: ${why}`, { hint: 'check that the source is reachable and the URL, user and password are right' });
  }
  return fs.readFileSync(out.file, 'utf8');
}
