import { asDittoError, DittoError } from '../errors.js';
import type { CallOptions, CopyInfo, IssuedCopy, TestDatabase, UpOptions } from '../model/copy-client.js';
import type { DbSchema } from '../model/schema.js';
import { tighter, type SqlRequest, type SqlResult } from '../model/sql.js';
import { checkPrintable } from '../support/printable.js';
import { firstLine } from '../support/text.js';
import { toInfo } from '../model/copy-client.js';
import type { Copy } from '../model/copy.js';
import { currentDriver, currentHost } from '../model/process-identity.js';
import { lookupCopy } from './access.js';
import { actorOf, type CopiesContext } from './context.js';
import { failpoint } from './failpoint.js';
import { fillCopy } from './fill.js';
import { credentialsOf, endpointOf, type Act, type Lifecycle } from './lifecycle.js';
import { DATABASE_CREATED } from './test-database-stock.js';
import { checkTtl } from './ttl-policy.js';

/**
 * What is done to a copy in use without changing how it is reached: its TTL extended, its data
 * reset to what it started from, databases made in it for one test each.
 */
export class InPlace {
  constructor(
    private readonly ctx: CopiesContext,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** The copy now expires `ttlSeconds` from now, within max_ttl. */
  extend(id: string, ttlSeconds: number, options: CallOptions): CopyInfo {
    const { ctx } = this;
    checkTtl(ctx.config, ttlSeconds);
    const copy = this.readyCopy(id, options, 'extended');
    const extended = ctx.repo.transition(
      copy.id,
      ['ready'],
      { ttlSeconds, expiresAt: Date.now() + ttlSeconds * 1000 },
      { action: 'extended', actor: actorOf(ctx, options.caller), metadata: { ttl_seconds: ttlSeconds } },
    );
    if (!extended) throw new DittoError('CONFLICT', `copy ${copy.id} ended while it was being extended`);
    return toInfo(extended);
  }

  /**
   * Puts the copy's data back as it started: its server is replaced by a new one on the same port
   * with the same password, from its golden snapshot (or its dump, restored again). Connections
   * open to it are closed. While it runs the copy is `creating`, driven by this process: a second
   * reset is refused, a `down` wins (this reset then fails), and a crash is healed like a copy
   * that died being made.
   */
  async reset(id: string, options: UpOptions): Promise<IssuedCopy> {
    const { ctx, lifecycle } = this;
    const act: Act = { ...options, actor: actorOf(ctx, options.caller) };
    const copy = this.readyCopy(id, options, 'reset');
    // Its server being started again (revive.ts): a reset now would replace it under the restart.
    if (copy.driver !== null) throw new DittoError('CONFLICT', `copy ${copy.id} is being restarted`, { hint: 'try again in a moment' });
    const runtime = await ctx.runtimes.get(copy.runtime);
    const engine = ctx.engines.get(copy.engine);
    const golden = copy.goldenKey ? (ctx.goldens.get(copy.goldenKey) ?? null) : null;
    if (copy.goldenKey && !(golden && (await runtime.snapshots?.has(golden.key)))) {
      throw new DittoError('CONFLICT', `copy ${copy.id}'s golden snapshot is gone, so there is nothing to reset it to`, { hint: 'make a new copy (ditto down, ditto up)' });
    }
    // Checked before the server goes: a dump that is gone leaves the copy as it was.
    const dump = !golden && copy.dumpPath ? await engine.inspectDump(copy.dumpPath, { binDir: runtime.hostBinDir(engine) }) : null;
    const started = Date.now();
    const resetting = ctx.repo.transition(copy.id, ['ready'], { status: 'creating', driver: currentDriver(), driverHost: currentHost() }, { action: 'resetting', actor: act.actor });
    if (!resetting) throw new DittoError('CONFLICT', `copy ${copy.id} is being reset or destroyed by another process`, { hint: 'wait for it, then try again' });
    // The old server's files go while the new one starts; they are gone before this returns.
    let replaced: Promise<void> | undefined;
    try {
      const retired = runtime.retire ? await runtime.retire(copy.id) : (await runtime.remove(copy.id), null);
      replaced = retired?.gone.catch((err: unknown) => ctx.log('removing the files a reset replaced failed; the maintainer removes them', { copy_id: copy.id, error: asDittoError(err).message }));
      const serving = await ctx.serving();
      let made = await lifecycle.start(runtime, engine, resetting, act, { from: golden, serving, port: copy.port! });
      await replaced;
      await failpoint('reset-after-server-start');
      if (!golden) made = await fillCopy(ctx, runtime, engine, made, dump, act, { forUsers: true });
      if (copy.obfuscated) await lifecycle.obfuscate(engine, made, act);
      const ready = ctx.repo.transition(
        copy.id,
        ['creating'],
        { status: 'ready', driver: null, driverHost: null },
        { action: 'reset', actor: act.actor, metadata: { ms: Date.now() - started, golden: golden?.key ?? null } },
      );
      if (!ready) throw new DittoError('CONFLICT', `copy ${copy.id} was destroyed while it was being reset`);
      return lifecycle.issue(ready, []);
    } catch (err) {
      await replaced;
      throw await lifecycle.fail(resetting, err, act);
    }
  }

  /** A new database in the copy, cloned from the template of its starting data (ahead of time, when the stock has one). */
  async createDatabase(id: string, options: CallOptions): Promise<TestDatabase> {
    const copy = this.readyCopy(id, options, 'given a database');
    const { name, fromStock } = await this.testDatabases(copy).create(copy.database);
    // The event wakes the maintainer, which refills this copy's stock (test-database-stock.ts).
    this.ctx.repo.addEvent(copy.id, { action: DATABASE_CREATED, actor: actorOf(this.ctx, options.caller), metadata: { database: name, from_stock: fromStock } });
    await this.ctx.onChange();
    return { copyId: copy.id, database: name, connectionString: this.lifecycle.connectionString({ ...copy, database: name }) };
  }

  async dropDatabase(id: string, name: string, options: CallOptions): Promise<void> {
    const copy = this.readyCopy(id, options, 'changed');
    await this.testDatabases(copy).drop(copy.database, name);
    this.ctx.repo.addEvent(copy.id, { action: 'database_dropped', actor: actorOf(this.ctx, options.caller), metadata: { database: name } });
  }

  /**
   * A caller's SQL on its copy, within the caps it asks and mcp's (the tighter of each); refused
   * when mcp.sql is off. Each call is an event on the copy: what ran where, how long, how it ended
   * (never the statement, which may hold a secret).
   */
  async sql(id: string, request: SqlRequest, options: CallOptions & { signal?: AbortSignal | undefined }): Promise<SqlResult> {
    const { mcp } = this.ctx.config;
    if (!mcp.sql) throw new DittoError('FORBIDDEN', 'running SQL through ditto is turned off here (mcp.sql: false)', { hint: "connect with the copy's connection string instead, or ask the operator" });
    const copy = this.readyCopy(id, options, 'queried');
    const database = this.databaseIn(copy, request.database);
    const limits = tighter(request.limits, { maxRows: mcp.max_rows, maxBytes: mcp.max_bytes, timeoutMs: mcp.statement_timeout * 1000 });
    const started = Date.now();
    const event = (metadata: Record<string, unknown>) =>
      this.ctx.repo.addEvent(copy.id, { action: 'sql', actor: actorOf(this.ctx, options.caller), metadata: { database, bytes: Buffer.byteLength(request.sql), ms: Date.now() - started, ...metadata } });
    try {
      const results = await this.ctx.engines.get(copy.engine).runSql(endpointOf(copy), { ...credentialsOf(copy), database }, { ...request, limits }, options.signal);
      event({ statements: results.length, rows: results.reduce((n, r) => n + r.rows.length + r.rowsOmitted, 0) });
      return { copyId: copy.id, database, results, ms: Date.now() - started };
    } catch (err) {
      event({ error: firstLine(asDittoError(err).message) });
      throw err;
    }
  }

  /** The tables, columns and keys of the copy's database (or `database` in it), read from its catalogue. */
  async schema(id: string, options: CallOptions & { database?: string | undefined }): Promise<DbSchema> {
    const copy = this.readyCopy(id, options, 'read');
    const database = this.databaseIn(copy, options.database);
    const engine = this.ctx.engines.get(copy.engine);
    const schema = await engine.schemaOf(engine.connectionString(endpointOf(copy), { ...credentialsOf(copy), database }));
    this.ctx.repo.addEvent(copy.id, { action: 'schema_read', actor: actorOf(this.ctx, options.caller), metadata: { database, tables: schema.tables.length } });
    return schema;
  }

  /** The database of `copy` a call names: its own when none; a name printed later (events) must be printable. */
  private databaseIn(copy: Copy, database: string | undefined): string {
    if (database === undefined || database === '') return copy.database;
    checkPrintable('database', database);
    if (database.length > 128) throw new DittoError('BAD_INPUT', 'database: a name of at most 128 characters');
    return database;
  }

  private testDatabases(copy: Copy) {
    return this.ctx.engines.get(copy.engine).testDatabases(endpointOf(copy), credentialsOf(copy));
  }

  /** The caller's copy `id`, ready and handed out: the only kind that can be `doing` something. */
  private readyCopy(id: string, options: CallOptions, doing: string): Copy {
    const copy = lookupCopy(this.ctx.repo, id, options.caller);
    if (copy.status !== 'ready' || copy.warm || copy.port === null) {
      throw new DittoError('CONFLICT', `copy ${copy.id} is ${copy.status}: only a ready copy can be ${doing}`, { hint: 'ditto ls shows the copies that are ready' });
    }
    return copy;
  }
}
