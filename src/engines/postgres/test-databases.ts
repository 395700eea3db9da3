import crypto from 'node:crypto';
import type pg from 'pg';
import { DittoError } from '../../errors.js';
import type { TestDatabases } from '../engine.js';

/** The pristine copy of a copy's data that per-test databases are cloned from: nobody may connect to it. */
const TEMPLATE = 'ditto_template';
/** Per-test databases' names; only such a database can be dropped through ditto. */
const TEST_NAME = /^test_[a-z0-9]{12}$/;
/** Clones made ahead, waiting to be renamed to a test's name; nobody may connect to them meanwhile. */
const STOCK_PREFIX = 'ditto_stock_';
const STOCK_LIKE = 'ditto\\_stock\\_%';
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

function randomName(prefix: string): string {
  return `${prefix}${crypto.randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12)}`;
}

/** `CREATE DATABASE name` as a clone of `template`, by the fastest correct strategy the server has. */
async function clone(client: pg.Client, name: string, template: string, options = ''): Promise<void> {
  const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
  const strategy = version >= FILE_COPY_SINCE ? ' STRATEGY FILE_COPY' : '';
  await client.query(`CREATE DATABASE ${name} TEMPLATE ${client.escapeIdentifier(template)}${strategy}${options}`);
}

async function stockNames(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY random()', [STOCK_LIKE]);
  return rows.map((r) => r.datname);
}

/**
 * Renames a clone from the stock to `name`; false when the stock is empty. A rename is atomic in
 * the server, so of two callers after one clone, one gets it and the other tries the next.
 */
async function claimStock(client: pg.Client, name: string): Promise<boolean> {
  for (const stocked of await stockNames(client)) {
    try {
      await client.query(`ALTER DATABASE ${client.escapeIdentifier(stocked)} RENAME TO ${name}`);
    } catch (err) {
      if ((err as { code?: string }).code === '3D000') continue;
      throw err;
    }
    await client.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    return true;
  }
  return false;
}

const noTemplate = () =>
  new DittoError('CONFLICT', 'this copy has no template to clone test databases from (it was made before ditto kept one)', {
    hint: 'make a new copy (ditto down, ditto up): its golden snapshot is rebuilt with the template',
  });

/**
 * Per-test databases in a PostgreSQL copy: `CREATE DATABASE ... TEMPLATE ditto_template`, a
 * template sealed (no connections allowed) when the copy's data was made, so no session can be in
 * it when a clone is taken, and every clone starts from the data as restored. Clones made ahead
 * (the stock) are sealed the same way until one is handed out.
 */
export function postgresTestDatabases(connect: Connect): TestDatabases {
  return {
    async seal(database) {
      // From template1: CREATE DATABASE needs its template free of sessions, our own included.
      await withClient(connect, 'template1', async (client) => {
        // A scrubbed copy replaces the template of its raw rows, and whatever was cloned from it.
        const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2', [TEMPLATE, STOCK_LIKE]);
        for (const { datname } of rows) {
          await client.query(`ALTER DATABASE ${client.escapeIdentifier(datname)} IS_TEMPLATE false`);
          await client.query(`DROP DATABASE ${client.escapeIdentifier(datname)}`);
        }
        await clone(client, TEMPLATE, database);
        await client.query(`ALTER DATABASE ${TEMPLATE} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
      });
    },

    async create(database) {
      const name = randomName('test_');
      return withClient(connect, database, async (client) => {
        if (await claimStock(client, name)) return { name, fromStock: true };
        try {
          await clone(client, name, TEMPLATE);
        } catch (err) {
          if ((err as { code?: string }).code === '3D000') throw noTemplate();
          throw err;
        }
        return { name, fromStock: false };
      });
    },

    async stock(database, want) {
      return withClient(connect, database, async (client) => {
        const { rows } = await client.query<{ size: string }>('SELECT pg_database_size(oid) AS size FROM pg_database WHERE datname = $1', [TEMPLATE]);
        if (rows.length === 0) return 0;
        const count = Math.min(want.count, Math.floor(want.maxBytes / Math.max(1, Number(rows[0]!.size))));
        let made = 0;
        for (let have = (await stockNames(client)).length; have < count; have++, made++) {
          await clone(client, randomName(STOCK_PREFIX), TEMPLATE, ' ALLOW_CONNECTIONS false');
        }
        return made;
      });
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
