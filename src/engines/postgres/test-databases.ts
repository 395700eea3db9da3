import crypto from 'node:crypto';
import type pg from 'pg';
import { DittoError } from '../../errors.js';
import type { TestDatabases } from '../engine.js';

/** The pristine copy of a copy's data that per-test databases are cloned from: nobody may connect to it. */
const TEMPLATE = 'ditto_template';
/** Per-test databases' names; only such a database can be dropped through ditto. */
const TEST_NAME = /^test_[a-z0-9]{12}$/;
/** PostgreSQL 15 copies a template file by file (no WAL of every page): with fsync off, the fastest correct way. */
const FILE_COPY_SINCE = 150000;

type Connect = (database: string) => Promise<pg.Client>;

async function withClient<T>(connect: Connect, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(database);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Per-test databases in a PostgreSQL copy: `CREATE DATABASE ... TEMPLATE ditto_template`, a
 * template sealed (no connections allowed) when the copy's data was made, so no session can be in
 * it when a clone is taken, and every clone starts from the data as restored.
 */
export function postgresTestDatabases(connect: Connect): TestDatabases {
  return {
    async seal(database) {
      // From template1: CREATE DATABASE needs its template free of sessions, our own included.
      await withClient(connect, 'template1', async (client) => {
        const strategy = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) >= FILE_COPY_SINCE ? ' STRATEGY FILE_COPY' : '';
        await client.query(`CREATE DATABASE ${TEMPLATE} TEMPLATE ${client.escapeIdentifier(database)}${strategy}`);
        await client.query(`ALTER DATABASE ${TEMPLATE} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
      });
    },

    async create(database) {
      const name = `test_${crypto.randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12)}`;
      await withClient(connect, database, async (client) => {
        const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
        const strategy = version >= FILE_COPY_SINCE ? ' STRATEGY FILE_COPY' : '';
        try {
          await client.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}${strategy}`);
        } catch (err) {
          if ((err as { code?: string }).code === '3D000') {
            throw new DittoError('CONFLICT', 'this copy has no template to clone test databases from (it was made before ditto kept one)', {
              hint: 'make a new copy (ditto down, ditto up): its golden snapshot is rebuilt with the template',
            });
          }
          throw err;
        }
      });
      return name;
    },

    async drop(database, name) {
      if (!TEST_NAME.test(name)) {
        throw new DittoError('BAD_INPUT', `'${name}' is not a per-test database`, { hint: 'ditto drops only the databases `ditto db new` made (test_...)' });
      }
      await withClient(connect, database, async (client) => {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) throw new DittoError('NOT_FOUND', `no database ${name} in this copy`, { hint: 'it was dropped already, or belongs to another copy' });
        // FORCE: a test that left a connection open does not keep its database alive.
        await client.query(`DROP DATABASE ${name} WITH (FORCE)`);
      });
    },
  };
}
