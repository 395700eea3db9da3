import crypto from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { DittoError } from '../../errors.js';
import type { TestDatabases } from '../engine.js';
import { quoteId, readSchemaScript, SEAL_PREFIX } from './schema-clone.js';
import { diskFull } from './server.js';

/**
 * A template that could not be made, in the server's words: a full disk as such (the template
 * takes as much room again as the copy's data; the copies floor adds where and how much).
 */
function sealFailure(err: unknown): unknown {
  if (err instanceof DittoError) return err;
  const why = `making ${TEMPLATE}, the template of per-test databases, failed: ${(err as Error).message}`;
  return new DittoError(diskFull(why) ? 'NO_SPACE' : 'PROVISION_FAILED', why);
}

/** The pristine copy of a copy's data that per-test databases are cloned from. */
const TEMPLATE = 'ditto_template';
/** Per-test databases' names; only such a database can be dropped through ditto. */
const TEST_NAME = /^test_[a-z0-9]{12}$/;
/** Where clones made ahead are listed until one is handed out: a row each, deleted by the caller that gets it. */
const STOCK = '`ditto_stock`.`clones`';

/** A connection to the copy as its superuser, taking several statements in one query. */
type Connect = () => Promise<Connection>;
type Rows = Record<string, unknown>[];

async function withConnection<T>(connect: Connect, work: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await connect();
  try {
    return await work(conn);
  } finally {
    await conn.end().catch(() => {});
  }
}

async function rows(conn: Connection, sql: string, params: unknown[] = []): Promise<Rows> {
  return (await conn.query(sql, params))[0] as Rows;
}

function randomName(): string {
  return `test_${crypto.randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12)}`;
}

const noTemplate = () =>
  new DittoError('CONFLICT', 'this copy has no template to clone test databases from (it was made before ditto kept one)', {
    hint: 'make a new copy (ditto down, ditto up): its golden snapshot is rebuilt with the template',
  });

const isNoSchema = (err: unknown) => (err as { code?: string }).code === 'ER_BAD_DB_ERROR' || (err as { code?: string }).code === 'ER_NO_SUCH_TABLE';

/** Makes `to` a clone of `from`; a clone that fails half-way is dropped, not left behind. */
async function cloneSchema(conn: Connection, script: string, to: string): Promise<void> {
  try {
    await conn.query(script);
  } catch (err) {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteId(to)}`).catch(() => {});
    throw err;
  }
}

/**
 * Every write of rows to the template's tables refused, by triggers that fire before any other:
 * the copy's user is the server's root, which no grant can keep out of a schema, so the seal is
 * the tables' own. Clones leave these triggers out (schema-clone.ts).
 */
function sealScript(tables: string[]): string {
  return tables
    .flatMap((table, i) =>
      ['INSERT', 'UPDATE', 'DELETE'].map(
        (op) => `CREATE TRIGGER ${quoteId(`${SEAL_PREFIX}${i}_${op.toLowerCase()}`)} BEFORE ${op} ON ${quoteId(table)} FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ditto_template is sealed: per-test databases are cloned from it'`,
      ),
    )
    .join(';\n');
}

/**
 * Per-test databases in a MySQL or MariaDB copy. MySQL has no template databases, so ditto keeps
 * one: schema `ditto_template`, a clone of the copy's database made when its data was, sealed
 * against writes. A per-test database is a clone of it made in SQL (tables from their own
 * `SHOW CREATE TABLE`, rows by `INSERT ... SELECT`, then views, triggers, routines and events),
 * which needs nothing but a connection, so it works alike on every runtime. That costs a few
 * hundred milliseconds for Sakila, so clones are made ahead (the stock), each under its final
 * random name and listed in `ditto_stock.clones`; a caller takes one by deleting its row, which
 * only one caller can do.
 */
export function mysqlTestDatabases(connect: Connect): TestDatabases {
  /** Drops the clones waiting in the stock, and forgets them. */
  const emptyStock = async (conn: Connection) => {
    for (const r of await rows(conn, `SELECT name FROM ${STOCK}`)) await conn.query(`DROP DATABASE IF EXISTS ${quoteId(String(r.name))}`);
    await conn.query(`DELETE FROM ${STOCK}`);
  };

  /** A clone from the stock, or null when it is empty. */
  const claim = async (conn: Connection): Promise<string | null> => {
    for (const r of await rows(conn, `SELECT name FROM ${STOCK} ORDER BY RAND()`)) {
      const [result] = await conn.query(`DELETE FROM ${STOCK} WHERE name = ?`, [r.name]);
      if ((result as { affectedRows: number }).affectedRows === 1) return String(r.name);
    }
    return null;
  };

  return {
    async seal(database) {
      await withConnection(connect, async (conn) => {
        await conn.query(`CREATE DATABASE IF NOT EXISTS ditto_stock; CREATE TABLE IF NOT EXISTS ${STOCK} (name VARCHAR(64) PRIMARY KEY) ENGINE=InnoDB`);
        // A scrubbed copy replaces the template of its raw rows, and whatever was cloned from it.
        await emptyStock(conn);
        await conn.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
        const script = await readSchemaScript(conn, database);
        await cloneSchema(conn, script.into(TEMPLATE), TEMPLATE);
        if (script.tables.length > 0) await conn.query(`USE ${TEMPLATE};\n${sealScript(script.tables)}`);
      }).catch((err: unknown) => {
        throw sealFailure(err);
      });
    },

    async create() {
      return withConnection(connect, async (conn) => {
        const stocked = await claim(conn).catch((err: unknown) => {
          if (isNoSchema(err)) throw noTemplate();
          throw err;
        });
        if (stocked) return { name: stocked, fromStock: true };
        const name = randomName();
        const script = await readSchemaScript(conn, TEMPLATE).catch((err: unknown) => {
          if (isNoSchema(err)) throw noTemplate();
          throw err;
        });
        await cloneSchema(conn, script.into(name), name);
        return { name, fromStock: false };
      });
    },

    async stock(_database, want) {
      return withConnection(connect, async (conn) => {
        const [size] = await rows(conn, 'SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS bytes, COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [TEMPLATE]);
        if (Number(size!.n) === 0) return 0;
        const count = Math.min(want.count, Math.floor(want.maxBytes / Math.max(1, Number(size!.bytes))));
        const [have] = await rows(conn, `SELECT COUNT(*) AS n FROM ${STOCK}`);
        if (Number(have!.n) >= count) return 0;
        const script = await readSchemaScript(conn, TEMPLATE);
        let made = 0;
        for (let n = Number(have!.n); n < count; n++, made++) {
          const name = randomName();
          await cloneSchema(conn, script.into(name), name);
          // Listed once whole: a clone half made is never handed out.
          await conn.query(`INSERT INTO ${STOCK} (name) VALUES (?)`, [name]);
        }
        return made;
      });
    },

    async drop(_database, name) {
      if (!TEST_NAME.test(name)) {
        throw new DittoError('BAD_INPUT', `'${name}' is not a per-test database`, { hint: 'ditto drops only the databases `ditto db new` made (test_...)' });
      }
      await withConnection(connect, async (conn) => {
        const found = await rows(conn, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ? AND SCHEMA_NAME NOT IN (SELECT name FROM ${STOCK})`, [name]);
        if (found.length === 0) throw new DittoError('NOT_FOUND', `no database ${name} in this copy`, { hint: 'it was dropped already, or belongs to another copy' });
        // As PostgreSQL's FORCE: a test that left a transaction open does not keep its database alive.
        for (const s of await rows(conn, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [name])) {
          await conn.query(`KILL ${Number(s.id)}`).catch(() => {});
        }
        await conn.query(`DROP DATABASE ${quoteId(name)}`);
      });
    },
  };
}
