import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { ENGINE_RUNTIME_CASES, query, type EngineRuntimeCase } from '../helpers/engines.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { httpAgent, stdioAgent, type Agent } from '../helpers/mcp.js';

/** `ditto mcp` and a host's /v2/mcp, through the MCP SDK's own client, on each engine. */

const TOOLS = ['copy_down', 'copy_extend', 'copy_list', 'copy_reset', 'copy_up', 'database_drop', 'database_new', 'schema', 'sql'];
const LIMITS = { max_copies: 2, max_ttl: '2h', max_rows: 100, statement_timeout: 2 };
const CASES = ENGINE_RUNTIME_CASES.filter((c) => c.runtime === 'local');
const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef01';

type Events = (id: string) => Promise<{ action: string; actor: string }[]>;

/**
 * What an agent does with a copy: make it, create and fill a table, read it back (within the row
 * cap), reset it and see the table gone, a database for one test, the schema, then
 * destroy it. Each call is an event on the copy. The copy, destroyed.
 */
async function session(agent: Agent, c: EngineRuntimeCase, events: Events, actor: RegExp): Promise<{ id: string; port: number }> {
  expect(await agent.tools()).toEqual(TOOLS);
  const copy = await agent.ok('copy_up', { ttl: '30m', label: 'agent' });
  expect(copy.connection_string).toMatch(new RegExp(`^${c.scheme}://`));
  expect(copy.ttl_seconds).toBe(1800);
  const s = c.sample.schema;
  const made = await agent.ok('sql', {
    id: copy.id,
    sql: `CREATE TABLE ${s}.agent_note (id int primary key, body varchar(40)); INSERT INTO ${s}.agent_note VALUES (1, 'one'), (2, 'two'); SELECT id, body FROM ${s}.agent_note ORDER BY id`,
  });
  expect(made.results).toHaveLength(3);
  expect(made.results[1].row_count).toBe(2);
  expect(made.results[2]).toEqual({ command: c.engine === 'postgres' ? 'SELECT' : null, row_count: 2, columns: ['id', 'body'], rows: [[1, 'one'], [2, 'two']], rows_omitted: 0 });
  // A result past the row cap: the first rows, and a count of the rest.
  const many = await agent.ok('sql', { id: copy.id, sql: `SELECT rental_id FROM ${s}.${c.sample.table} ORDER BY rental_id` });
  expect(many.results[0].rows).toHaveLength(LIMITS.max_rows);
  expect(many.results[0].rows_omitted).toBe(c.sample.rows - LIMITS.max_rows);
  // A statement the server refuses: its own words.
  const refused = await agent.call('sql', { id: copy.id, sql: `SELECT * FROM ${s}.no_such_table` });
  expect(refused.isError).toBe(true);
  expect(refused.text).toMatch(/^SQL_ERROR: /);
  expect(refused.text).toMatch(c.errors.missingTable);

  const reset = await agent.ok('copy_reset', { id: copy.id });
  expect(reset.connection_string).toBe(copy.connection_string);
  const gone = await agent.call('sql', { id: copy.id, sql: `SELECT * FROM ${s}.agent_note` });
  expect(gone.isError, gone.text).toBe(true);
  expect(gone.text).toMatch(c.errors.missingTable);
  const counted = await agent.ok('sql', { id: copy.id, sql: `SELECT count(*) FROM ${s}.${c.sample.table}` });
  expect(String(counted.results[0].rows[0][0])).toBe(String(c.sample.rows));

  const db = await agent.ok('database_new', { id: copy.id });
  expect(db.database).toMatch(/^test_/);
  await agent.ok('sql', { id: copy.id, database: db.database, sql: 'CREATE TABLE only_here (x int)' });
  const inTest = await agent.ok('sql', { id: copy.id, database: db.database, sql: `SELECT count(*) FROM ${c.sample.table}; SELECT count(*) FROM only_here` });
  expect(inTest.results.map((r: { rows: unknown[][] }) => String(r.rows[0]![0]))).toEqual([String(c.sample.rows), '0']);
  expect((await agent.call('sql', { id: copy.id, sql: 'SELECT * FROM only_here' })).text).toMatch(c.errors.missingTable);
  expect(await agent.ok('database_drop', { id: copy.id, database: db.database })).toEqual({ dropped: db.database });

  const schema = await agent.ok('schema', { id: copy.id });
  const rental = schema.tables.find((t: { name: string }) => t.name === c.sample.table);
  expect(rental.primary_key).toEqual(['rental_id']);
  expect(rental.columns.find((col: { name: string }) => col.name === 'rental_id')).toMatchObject({ primary_key: true, nullable: false });
  expect(schema.foreign_keys).toContainEqual(expect.objectContaining({ from: { schema: s, name: 'rental' }, columns: ['inventory_id'], to: { schema: s, name: 'inventory' } }));
  const mermaid = await agent.call('schema', { id: copy.id, format: 'mermaid' });
  expect(mermaid.text).toMatch(/^erDiagram\n/);
  expect(mermaid.text).toMatch(/rental/);

  expect((await agent.ok('copy_list')).map((l: { id: string }) => l.id)).toContain(copy.id);
  const extended = await agent.ok('copy_extend', { id: copy.id, ttl: '1h' });
  expect(extended.ttl_seconds).toBe(3600);

  const logged = await events(copy.id);
  const actions = logged.map((e) => e.action);
  for (const action of ['sql', 'reset', 'schema_read', 'extended', ...(c.engine === 'postgres' ? ['database_created', 'database_dropped'] : [])]) expect(actions).toContain(action);
  expect(logged.filter((e) => e.action === 'sql').every((e) => actor.test(e.actor))).toBe(true);

  expect(await agent.ok('copy_down', { id: copy.id })).toEqual({ destroyed: [copy.id], already_gone: [] });
  expect(await agent.ok('copy_list')).toEqual([]);
  return { id: copy.id, port: copy.port };
}

/** A session by `agent`, which is closed after; the copy's server, files, port and lease are gone. */
async function sessionLeavingNothing(home: TestHome, agent: Agent, c: EngineRuntimeCase, events: Events, actor: RegExp): Promise<void> {
  try {
    const { id, port } = await session(agent, c, events, actor);
    expect(await leftovers(home, [port], [id])).toEqual([]);
  } finally {
    await agent.close();
  }
}

/** The statements of a copy's server still running that hold `marker`, seen from a connection of the test's own. */
async function running(c: EngineRuntimeCase, dsn: string, marker: string): Promise<number> {
  const sql =
    c.engine === 'postgres'
      ? `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%${marker}%' AND pid <> pg_backend_pid()`
      : `SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${marker}%' AND ID <> CONNECTION_ID()`;
  return Number((await query<{ n: number }>(dsn, sql))[0]!.n);
}

describe.each(CASES)('ditto mcp on stdio ($name)', (c) => {
  let home: TestHome;
  const logs: Events = async (id) => JSON.parse((await home.run(['logs', id, '--json'])).stdout);

  beforeAll(() => {
    home = new TestHome(c.config, { portCount: 6 });
    home.writeConfig({ ...c.config, dump: { path: c.sample.write(path.join(home.dir, c.sample.file)) }, mcp: LIMITS });
  });

  afterAll(async () => home.cleanup());

  it('initializes, lists its tools, and runs a session on a copy; nothing is left', async () => {
    await sessionLeavingNothing(home, await stdioAgent(home), c, logs, /^mcp$/);
  });

  it('refuses a TTL over mcp.max_ttl and a copy over mcp.max_copies, making nothing', async () => {
    const agent = await stdioAgent(home);
    try {
      const long = await agent.call('copy_up', { ttl: '3h' });
      expect(long).toMatchObject({ isError: true });
      expect(long.text).toMatch(/^BAD_INPUT: ttl 3h is over the 2h an agent may ask \(mcp\.max_ttl\)/);
      expect(await home.ls()).toEqual([]);
      const held = [await agent.ok('copy_up', { ttl: 600, name: 'feature-x' }), await agent.ok('copy_up')];
      const third = await agent.call('copy_up');
      expect(third.isError).toBe(true);
      expect(third.text).toMatch(/^QUOTA: an agent may hold 2 live copies \(mcp\.max_copies\), and 2 are live/);
      // At the cap, the copy it holds by name still comes back: asking for it makes nothing.
      expect((await agent.ok('copy_up', { name: 'feature-x' })).id).toBe(held[0].id);
      expect((await home.ls()).map((l) => l.id).sort()).toEqual(held.map((h) => h.id).sort());
      const over = await agent.call('copy_extend', { id: held[0].id, ttl: '1d' });
      expect(over.text).toMatch(/mcp\.max_ttl/);
      for (const copy of held) await agent.ok('copy_down', { id: copy.id });
      expect(await home.ls()).toEqual([]);
    } finally {
      await agent.close();
    }
  });

  it('a statement past the timeout is cancelled on the server, and so is a script that turns the timeout off', async () => {
    const agent = await stdioAgent(home);
    try {
      const copy = await agent.ok('copy_up');
      const sleep = c.engine === 'postgres' ? 'pg_sleep' : 'SLEEP';
      const off = c.engine === 'postgres' ? 'SET statement_timeout = 0' : 'SET SESSION max_statement_time = 0';
      for (const [marker, sql] of [
        ['4711', `SELECT ${sleep}(30.4711)`],
        ['4712', `${off}; SELECT ${sleep}(30.4712)`],
      ] as const) {
        const started = Date.now();
        const answer = await agent.call('sql', { id: copy.id, sql });
        expect(answer.isError, answer.text).toBe(true);
        expect(answer.text).toMatch(/^SQL_ERROR: .*(timeout|max_statement_time|interrupted)/i);
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(await running(c, copy.connection_string, marker)).toBe(0);
      }
      await agent.ok('copy_down', { id: copy.id });
    } finally {
      await agent.close();
    }
  });

  it('with mcp.sql false, sql is a tool error and runs nothing', async () => {
    home.writeConfig({ ...c.config, dump: { path: path.join(home.dir, c.sample.file) }, mcp: { ...LIMITS, sql: false } });
    const agent = await stdioAgent(home);
    try {
      const copy = await agent.ok('copy_up');
      const answer = await agent.call('sql', { id: copy.id, sql: `CREATE TABLE ${c.sample.schema}.made_anyway (x int)` });
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(/^FORBIDDEN: the sql tool is turned off here \(mcp\.sql: false\)/);
      await expect(query(copy.connection_string, `SELECT * FROM ${c.sample.schema}.made_anyway`)).rejects.toThrow(c.errors.missingTable);
      await agent.ok('copy_down', { id: copy.id });
    } finally {
      await agent.close();
      home.writeConfig({ ...c.config, dump: { path: path.join(home.dir, c.sample.file) }, mcp: LIMITS });
    }
  });
});

describe.each(CASES)('a host at /v2/mcp and ditto mcp --remote ($name)', (c) => {
  let home: TestHome;
  let host: HostProcess;
  const events = (token: string): Events => async (id) => (await host.api('GET', `/v2/copies/${id}/events`, { token })).json;

  beforeAll(async () => {
    home = new TestHome(c.config, { portCount: 6 });
    home.writeConfig({
      ...c.config,
      dump: { path: c.sample.write(path.join(home.dir, c.sample.file)) },
      mcp: LIMITS,
      host: { tokens: [{ name: 'alice', token: ALICE }, { name: 'bob', token: BOB }] },
    });
    host = await HostProcess.start(home);
  });

  afterAll(async () => {
    if (host && host.child.exitCode === null) await host.stop();
    await home.cleanup();
  });

  it.each([
    ['over streamable HTTP: initializes, lists its tools, and runs a session as its caller', () => httpAgent(host.url, ALICE)],
    ['ditto mcp --remote: the same session through the host, with DITTO_TOKEN', () => stdioAgent(home, ['--remote', host.url], { DITTO_TOKEN: ALICE })],
  ])('%s; nothing is left', async (_, connect) => {
    await sessionLeavingNothing(home, await connect(), c, events(ALICE), /^host:token:alice$/);
  });

  it('refuses a call without a valid token (401), and another caller\'s copy, making and changing nothing', async () => {
    await expect(httpAgent(host.url, undefined)).rejects.toMatchObject({ code: 401, message: expect.stringMatching(/missing bearer token/) });
    await expect(httpAgent(host.url, 'not-a-token')).rejects.toMatchObject({ code: 401, message: expect.stringMatching(/invalid token/) });
    const bare = await host.api('POST', '/v2/mcp', { body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'copy_up', arguments: {} } } });
    expect(bare.status).toBe(401);
    expect(bare.json).toMatchObject({ code: 'UNAUTHORIZED', error: 'missing bearer token' });
    expect((await host.api('GET', '/v2/copies', { token: ALICE })).json).toEqual([]);

    const alice = await httpAgent(host.url, ALICE);
    const bob = await httpAgent(host.url, BOB);
    try {
      const copy = await alice.ok('copy_up');
      const s = c.sample.schema;
      await alice.ok('sql', { id: copy.id, sql: `CREATE TABLE ${s}.alices (x int)` });
      for (const [tool, args] of [
        ['sql', { id: copy.id, sql: `DROP TABLE ${s}.alices` }],
        ['schema', { id: copy.id }],
        ['copy_reset', { id: copy.id }],
        ['copy_down', { id: copy.id }],
      ] as const) {
        const answer = await bob.call(tool, args);
        expect(answer.isError, `${tool}: ${answer.text}`).toBe(true);
        expect(answer.text).toMatch(new RegExp(`^FORBIDDEN: copy ${copy.id} belongs to another caller`));
      }
      expect(await bob.ok('copy_list')).toEqual([]);
      // Alice's table is still there: nothing bob sent ran.
      expect((await alice.ok('sql', { id: copy.id, sql: `SELECT count(*) FROM ${s}.alices` })).results[0].rows[0].map(String)).toEqual(['0']);
      expect((await events(ALICE)(copy.id)).filter((e) => e.action === 'sql').every((e) => e.actor === 'host:token:alice')).toBe(true);
      await alice.ok('copy_down', { id: copy.id });
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});
