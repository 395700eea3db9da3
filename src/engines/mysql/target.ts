import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { Connection } from 'mysql2/promise';
import { DittoError } from '../../errors.js';
import type { DumpFile, TargetRestore } from '../engine.js';
import { toolFailure } from '../tool-failure.js';
import { quoteId, readSchemaScript, type SchemaScript } from './schema-clone.js';
import { mysqlTarget } from './source-url.js';

/** Lines of a mariadb-dump/mysqldump `--databases` dump that would send it to its own database, not the one it is restored into. */
const OWN_DATABASE = /^(CREATE DATABASE |USE `|\/\*!\d+ ALTER DATABASE `)/;

/** The dump, decompressed, without the lines that name its database: the client's `--database` is where it goes. */
function dumpInto(dump: DumpFile): NodeJS.ReadableStream {
  const raw = dump.format === 'sql.gz' ? fs.createReadStream(dump.path).pipe(zlib.createGunzip()) : fs.createReadStream(dump.path);
  let rest = '';
  const keep = (lines: string[]) => lines.filter((line) => !OWN_DATABASE.test(line)).map((line) => `${line}\n`).join('');
  return raw.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        const lines = (rest + chunk.toString('latin1')).split('\n');
        rest = lines.pop()!;
        done(null, Buffer.from(keep(lines), 'latin1'));
      },
      flush(done) {
        done(null, Buffer.from(rest && !OWN_DATABASE.test(rest) ? rest : '', 'latin1'));
      },
    }),
  );
}

/** `RENAME TABLE` of every table of `from` into schema `to`: one statement, so all move or none. */
function moves(tables: string[], from: string, to: string): string[] {
  return tables.map((t) => `${quoteId(from)}.${quoteId(t)} TO ${quoteId(to)}.${quoteId(t)}`);
}

/** Runs `sql` with `schema` as the current one. */
async function inSchema(conn: Connection, schema: string, sql: string): Promise<void> {
  await conn.query(`USE ${quoteId(schema)};\n${sql}`);
}

const untouched = 'the target is as it was; fix the cause and refresh again';

/**
 * A target's contents replaced as near to all or nothing as MySQL allows. MySQL commits each DDL
 * statement at once, so no transaction can hold a restore; instead the dump is restored into a
 * schema of its own beside the target's (a failure there, or ditto killed, leaves the target
 * untouched), then the tables trade places in one multi-table `RENAME TABLE`, which is atomic.
 * Views, triggers, routines and events cannot move between schemas with their tables, so they
 * are made again in the target's schema, defined by the target URL's user (the dump's definer is
 * the scratch copy's root, which the target need not have); if that fails, the tables are swapped back and the old
 * ones made again. The old tables are dropped last.
 */
export const mysqlTargetRestore: TargetRestore = {
  tools: ['mariadb'],
  how: "restored into a schema beside the target's, then swapped in with one RENAME TABLE: if anything fails, it stays as it was",

  async replace(tools, dump, source, _work, signal) {
    const t = mysqlTarget(source.url, source.password);
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ host: t.host, port: t.port, user: t.user, password: t.password ?? '', database: t.database, connectTimeout: 10_000, multipleStatements: true });
    // One per target, known in advance: what a killed refresh left is dropped by the next one.
    const suffix = crypto.createHash('sha256').update(t.database).digest('hex').slice(0, 12);
    const fresh = `ditto_refresh_${suffix}`;
    const retired = `ditto_retired_${suffix}`;
    try {
      await conn.query('SET foreign_key_checks = 0');
      const [schema] = (await conn.query('SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [t.database]))[0] as { cs: string; co: string }[];
      await conn.query(`DROP DATABASE IF EXISTS ${quoteId(fresh)}; DROP DATABASE IF EXISTS ${quoteId(retired)}; CREATE DATABASE ${quoteId(fresh)} CHARACTER SET ${schema!.cs} COLLATE ${schema!.co}`);
      const args = ['--protocol=TCP', `--host=${t.host}`, `--port=${t.port}`, `--user=${t.user}`, '--binary-mode', '--default-character-set=utf8mb4', fresh];
      const result = await tools.run('mariadb', args, t.password === null ? {} : { MYSQL_PWD: t.password }, { signal, input: () => dumpInto(dump) });
      signal?.throwIfAborted();
      if (result.exitCode !== 0) throw new DittoError('PROVISION_FAILED', `restoring into the target failed: ${toolFailure('mariadb', result)}`, { hint: untouched });
      await swap(conn, t.database, fresh, retired);
    } finally {
      await conn.query(`DROP DATABASE IF EXISTS ${quoteId(fresh)}; DROP DATABASE IF EXISTS ${quoteId(retired)}`).catch(() => {});
      await conn.end().catch(() => {});
    }
  },
};

/** The target's tables and programs traded for those restored in `fresh`; the old tables end in `retired`. */
async function swap(conn: Connection, target: string, fresh: string, retired: string): Promise<void> {
  const before: SchemaScript = await readSchemaScript(conn, target);
  const after: SchemaScript = await readSchemaScript(conn, fresh);
  await conn.query(`CREATE DATABASE ${quoteId(retired)}`);
  // A table with triggers cannot change schema: both sides lose theirs first (each side's are made again below).
  await inSchema(conn, fresh, after.programs.drop);
  await inSchema(conn, target, before.programs.drop);
  try {
    const swapped = [...moves(before.tables, target, retired), ...moves(after.tables, fresh, target)];
    if (swapped.length > 0) await conn.query(`RENAME TABLE ${swapped.join(', ')}`);
  } catch (err) {
    await inSchema(conn, target, before.programs.create(target));
    throw new DittoError('PROVISION_FAILED', `swapping the restored tables into the target failed: ${(err as Error).message}`, { hint: untouched });
  }
  try {
    await inSchema(conn, target, after.programs.create(target, { ownDefiner: true }));
  } catch (err) {
    await inSchema(conn, target, after.programs.drop).catch(() => {});
    const back = [...moves(after.tables, target, fresh), ...moves(before.tables, retired, target)];
    if (back.length > 0) await conn.query(`RENAME TABLE ${back.join(', ')}`);
    await inSchema(conn, target, before.programs.create(target));
    throw new DittoError('PROVISION_FAILED', `making the dump's views, triggers and routines in the target failed: ${(err as Error).message}`, { hint: untouched });
  }
}
