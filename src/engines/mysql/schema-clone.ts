import type { Connection } from 'mysql2/promise';

/** Runs one statement (or, on a multi-statement connection, a script) and gives its rows. */
type Rows = Record<string, unknown>[];

/**
 * Everything a schema holds, as the statements that make it again under another name: tables
 * (with their keys and foreign keys, character sets and collations), rows, views, triggers,
 * routines and events. Read once, replayed for every clone.
 */
export interface SchemaScript {
  /** The statements that make `to` a clone of the schema read, in one script. */
  into(to: string): string;
  /** The base tables. */
  tables: string[];
  /** Its views, triggers, routines and events made again in the current schema; and dropped from it. */
  /**
   * Its views, triggers, routines and events made again in the current schema (`ownDefiner`: as
   * the connection's user, not the account that defined them, which another server may lack); and
   * dropped from it.
   */
  programs: { create(to: string, opts?: { ownDefiner?: boolean }): string; drop: string };
}

/** Objects ditto adds to a template, left out of every clone. */
export const SEAL_PREFIX = 'ditto_seal_';

/** Back-quoted, as MySQL quotes an identifier. */
export function quoteId(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function rows(conn: Connection, sql: string, params: unknown[] = []): Promise<Rows> {
  return (await conn.query(sql, params))[0] as Rows;
}

/** Session settings an object was created under: it is made again under the same ones. */
function settings(row: Record<string, unknown>): string {
  // A view's has no sql_mode: the one in force is kept.
  const mode = row.sql_mode === undefined ? '' : `sql_mode = ${quoteString(String(row.sql_mode))}, `;
  return `SET ${mode}character_set_client = ${quoteString(String(row.character_set_client))}, collation_connection = ${quoteString(String(row.collation_connection))}`;
}

/** Views in an order that makes each after the views it reads. */
function viewOrder(views: Map<string, string>): string[] {
  const done: string[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (done.includes(name) || path.has(name)) return;
    path.add(name);
    for (const other of views.keys()) if (other !== name && views.get(name)!.includes(quoteId(other))) visit(other, path);
    done.push(name);
  };
  for (const name of views.keys()) visit(name, new Set());
  return done;
}

/**
 * Reads schema `from` through `conn` (which it leaves using `from`). Definitions are read with
 * `from` as the current schema, so the server writes references inside it unqualified, and they
 * name the clone's own objects when replayed there; references to other schemas stay qualified.
 */
export async function readSchemaScript(conn: Connection, from: string): Promise<SchemaScript> {
  await conn.query(`USE ${quoteId(from)}`);
  const [schema] = await rows(conn, 'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [from]);
  if (!schema) throw Object.assign(new Error(`no schema ${from}`), { code: 'ER_BAD_DB_ERROR' });
  const objects = await rows(conn, 'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [from]);
  // MariaDB calls a table WITH SYSTEM VERSIONING that (its history is not carried: a clone starts one).
  const tables = objects.filter((o) => o.type === 'BASE TABLE' || o.type === 'SYSTEM VERSIONED').map((o) => String(o.name));
  // Generated columns are computed again in the clone: they cannot be inserted.
  const columns = await rows(conn, "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND EXTRA NOT LIKE '%GENERATED%' ORDER BY TABLE_NAME, ORDINAL_POSITION", [from]);
  const tableDdl: string[] = [];
  const copies: ((to: string) => string)[] = [];
  // MariaDB's sequences: made again, and set to go on where the template's goes on.
  for (const o of objects.filter((o) => o.type === 'SEQUENCE')) {
    const name = quoteId(String(o.name));
    const [shown] = await rows(conn, `SHOW CREATE TABLE ${name}`);
    const [next] = await rows(conn, `SELECT next_not_cached_value AS v FROM ${name}`);
    tableDdl.push(String(shown!['Create Table']));
    copies.push((to) => `DO SETVAL(${quoteId(to)}.${name}, ${String(next!.v)}, 0)`);
  }
  for (const table of tables) {
    const [shown] = await rows(conn, `SHOW CREATE TABLE ${quoteId(table)}`);
    tableDdl.push(String(shown!['Create Table']));
    const list = columns.filter((c) => c.t === table).map((c) => quoteId(String(c.c))).join(', ');
    copies.push((to) => `INSERT INTO ${quoteId(to)}.${quoteId(table)} (${list}) SELECT ${list} FROM ${quoteId(from)}.${quoteId(table)}`);
  }
  const views = new Map<string, string>();
  for (const o of objects.filter((o) => o.type === 'VIEW')) {
    const [shown] = await rows(conn, `SHOW CREATE VIEW ${quoteId(String(o.name))}`);
    views.set(String(o.name), `${settings(shown!)}; ${String(shown!['Create View'])}`);
  }
  const later: string[] = [];
  const drops: string[] = [];
  const triggers = await rows(conn, 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER', [from]);
  const dropTriggers = triggers.map((t) => `DROP TRIGGER IF EXISTS ${quoteId(String(t.name))}`);
  for (const t of triggers.filter((t) => !String(t.name).startsWith(SEAL_PREFIX))) {
    const [shown] = await rows(conn, `SHOW CREATE TRIGGER ${quoteId(String(t.name))}`);
    later.push(`${settings(shown!)}; ${String(shown!['SQL Original Statement'])}`);
  }
  const routines = await rows(conn, "SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')", [from]);
  for (const r of routines) {
    const type = String(r.type);
    const [shown] = await rows(conn, `SHOW CREATE ${type} ${quoteId(String(r.name))}`);
    later.push(`${settings(shown!)}; ${String(shown![type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function'])}`);
    drops.push(`DROP ${type} IF EXISTS ${quoteId(String(r.name))}`);
  }
  const events = await rows(conn, 'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [from]);
  for (const e of events) {
    const [shown] = await rows(conn, `SHOW CREATE EVENT ${quoteId(String(e.name))}`);
    later.push(`${settings(shown!)}; ${String(shown!['Create Event'])}`);
    drops.push(`DROP EVENT IF EXISTS ${quoteId(String(e.name))}`);
  }
  for (const name of views.keys()) drops.push(`DROP VIEW IF EXISTS ${quoteId(name)}`);
  const saveSession = 'SET @ditto_mode = @@sql_mode, @ditto_cs = @@character_set_client, @ditto_co = @@collation_connection';
  const restoreSession = 'SET sql_mode = @ditto_mode, character_set_client = @ditto_cs, collation_connection = @ditto_co';
  // A view's columns can still name their schema (`from`.`t`.`c`): in a clone, that is the clone.
  const programs = (to: string) => [...viewOrder(views).map((name) => views.get(name)!.replaceAll(`${quoteId(from)}.`, `${quoteId(to)}.`)), ...later];
  const definer = /DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*` /;
  const charset = `CHARACTER SET ${String(schema.cs)} COLLATE ${String(schema.co)}`;
  return {
    tables,
    programs: {
      create: (to, opts = {}) => [saveSession, ...programs(to).map((p) => (opts.ownDefiner ? p.replace(definer, '') : p)), restoreSession].join(';\n'),
      drop: [...dropTriggers, ...drops].join(';\n') || 'DO 0',
    },
    into(to) {
      return [
        `CREATE DATABASE ${quoteId(to)} ${charset}`,
        `USE ${quoteId(to)}`,
        // Tables in any order and rows without their triggers: the template's rows already satisfy every key.
        'SET @ditto_fk = @@foreign_key_checks, @ditto_uc = @@unique_checks, @ditto_mode = @@sql_mode, @ditto_cs = @@character_set_client, @ditto_co = @@collation_connection',
        'SET foreign_key_checks = 0, unique_checks = 0',
        ...tableDdl,
        "SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
        ...copies.map((copy) => copy(to)),
        ...programs(to),
        'SET foreign_key_checks = @ditto_fk, unique_checks = @ditto_uc, sql_mode = @ditto_mode, character_set_client = @ditto_cs, collation_connection = @ditto_co',
      ].join(';\n');
    },
  };
}
