import path from 'node:path';
import { DittoError } from '../../errors.js';
import { createPrivateFile } from '../../support/files.js';
import type { TargetRestore } from '../engine.js';
import { toolFailure } from '../tool-failure.js';

/**
 * Empties the target's database, in the restore's own transaction: every user schema dropped
 * (with all it holds), and `public` made again with the owner and schema grants it had, so the
 * restore finds what a fresh database has. Grants on the old tables go with them.
 */
const EMPTY_DATABASE = `DO $ditto$
DECLARE
  owner text;
  grants text[];
  statement text;
BEGIN
  SELECT n.nspowner::regrole::text,
         coalesce(array_agg(format('GRANT %s ON SCHEMA public TO %s', a.privilege_type,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END)) FILTER (WHERE a.grantee IS NOT NULL), '{}')
    INTO owner, grants
    FROM pg_namespace n LEFT JOIN LATERAL aclexplode(n.nspacl) a ON true
   WHERE n.nspname = 'public'
   GROUP BY n.nspowner;
  FOR statement IN
    SELECT format('DROP SCHEMA %I CASCADE', nspname) FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_'
  LOOP
    EXECUTE statement;
  END LOOP;
  EXECUTE 'CREATE SCHEMA public AUTHORIZATION ' || coalesce(owner, 'CURRENT_USER');
  FOREACH statement IN ARRAY coalesce(grants, '{}') LOOP
    EXECUTE statement;
  END LOOP;
END
$ditto$`;

/**
 * A target's contents replaced in one transaction. PostgreSQL's DDL is transactional, so psql
 * runs the emptying and the whole restore between one BEGIN and one COMMIT (`--single-transaction`
 * with ON_ERROR_STOP): an error, a dropped connection or a killed client rolls all of it back,
 * and the target is as it was. Objects belong to the target URL's user (`--no-owner`); grants
 * from the dump are left out (`--no-acl`: the source's roles need not exist there), and so are
 * subscriptions, which would make the target pull from the source's publications.
 */
export const postgresTargetRestore: TargetRestore = {
  tools: ['pg_restore', 'psql'],
  how: 'in one transaction on the target: if anything fails, it stays as it was',

  async replace(tools, dump, target, work, signal) {
    let script = dump.path;
    if (dump.format === 'custom') {
      // The archive as the SQL script it stands for, so that psql can run it inside its transaction.
      script = path.join(work, 'restore.sql');
      createPrivateFile(script);
      const args = ['--no-owner', '--no-acl', '--no-subscriptions', '--no-security-labels', '-f', tools.dumpPath(script), tools.dumpPath(dump.path)];
      const listed = await tools.run('pg_restore', args, {}, { signal });
      signal?.throwIfAborted();
      if (listed.exitCode !== 0) throw new DittoError('DUMP_INVALID', `reading ${dump.path} failed: ${toolFailure('pg_restore', listed)}`, { hint: 'the target is untouched; make a fresh dump with `ditto reseed`' });
    }
    const env: Record<string, string> = { PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'ditto target refresh' };
    if (target.password !== null) env.PGPASSWORD = target.password;
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-c', EMPTY_DATABASE, '-f', tools.dumpPath(script), '-d', target.url];
    const result = await tools.run('psql', args, env, { signal });
    signal?.throwIfAborted();
    if (result.exitCode !== 0) {
      throw new DittoError('PROVISION_FAILED', `restoring into the target failed: ${toolFailure('psql', result)}`, {
        hint: 'the target is as it was (the restore is one transaction, rolled back); fix the cause and refresh again',
      });
    }
  },
};
