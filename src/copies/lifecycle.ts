import crypto from 'node:crypto';
import { customAlphabet } from 'nanoid';
import { obfuscationPlan } from '../engines/obfuscation-plan.js';
import type { DumpFile, Engine } from '../engines/engine.js';
import type { Engines } from '../engines/registry.js';
import { DittoError, asDittoError } from '../errors.js';
import { toInfo, type IssuedCopy, type UpOptions } from '../model/copy-client.js';
import type { Copy } from '../model/copy.js';
import { INTERNAL_SERVING, type Credentials, type Endpoint, type Serving } from '../model/endpoint.js';
import { currentDriver, currentHost } from '../model/process-identity.js';
import type { Runtime } from '../runtimes/runtime.js';
import type { Claim } from '../state/copies-repo.js';
import type { Golden } from '../state/goldens-repo.js';
import type { CopiesContext } from './context.js';
import { failpoint } from './failpoint.js';
import { fillCopy } from './fill.js';
import { failedForSpace, shortageError } from './shortage.js';

/** The golden snapshot a copy was to be cloned from was collected before the copy was recorded: nothing was made; ask for the snapshot again. */
export class GoldenGone extends DittoError {
  constructor(key: string) {
    super('CONFLICT', `golden snapshot ${key} was removed while a copy of it was being made`, { hint: 'try again' });
  }
}

/** Ids are short enough to type and carry ~60 bits of randomness. */
const newId = customAlphabet('0123456789abcdefghjkmnpqrstvwxyz', 12);
const PORT_RETRIES = 3;

/** What a new copy carries from its request: the claim, its pool, and whether it is made warm. */
export type CopyFields = Claim & {
  poolKey: string | null;
  warm: boolean;
  /** Scrub with the configured obfuscation rules before the copy is ready (`up --obfuscate`). */
  obfuscate?: boolean;
  /** The database its connection string names, when not the engine's default (a clone's: its snapshot's). */
  database?: string;
  /** ditto's own work (reseed's scratch copy): served on loopback, in clear, whatever serves users' copies. */
  internal?: boolean;
};

/** How a piece of work is done: who acts (for the events), progress, and the signal that stops it. */
export type Act = UpOptions & { actor: string };

/** How a copy's server starts: on a clone of `from` (else empty), served as `serving`, on a fixed port or a leased one. */
export interface StartHow {
  from: Golden | null;
  serving: Serving;
  port?: number | undefined;
}

/** A copy with the port its server listens on. */
export type StartedCopy = Copy & { port: number };

export function credentialsOf(copy: Copy): Credentials {
  return { user: copy.user, password: copy.password, database: copy.database };
}

/** The connection string of `copy` as its user reaches it: on `dsnHost` (a host's advertised name) when given, else where it listens. */
export function userConnectionString(engines: Pick<Engines, 'get'>, copy: Copy, dsnHost: string | null | undefined): string {
  return engines.get(copy.engine).connectionString({ ...endpointOf(copy), host: dsnHost ?? copy.host }, credentialsOf(copy));
}

export function endpointOf(copy: Copy): Endpoint {
  if (copy.port === null) throw new DittoError('INTERNAL', `copy ${copy.id} has no port`);
  return { host: copy.host, port: copy.port, tls: copy.tls };
}

/**
 * One copy's life: its record, port and server; restore and scrub; failure and destruction. Every
 * transition is written, with its event, before the side effect it announces.
 */
export class Lifecycle {
  constructor(private readonly ctx: CopiesContext) {}

  /** The copy as handed to its user: its connection string names the host they reach. */
  issue(copy: Copy, notices: string[]): IssuedCopy {
    return { ...toInfo(copy), connectionString: this.connectionString(copy), notices };
  }

  /** The connection string of `copy` (its `database`) as its user reaches it: on the advertised host. */
  connectionString(copy: Copy): string {
    return userConnectionString(this.ctx.engines, copy, this.ctx.dsnHost);
  }

  insert(runtime: Runtime, engine: Engine, fields: CopyFields, dump: DumpFile | null, goldenKey: string | null, actor: string, purpose: Copy['purpose'] = 'copy'): Copy {
    const copy: Copy = {
      id: newId(),
      status: 'pending',
      warm: fields.warm,
      runtime: runtime.name,
      engine: engine.name,
      host: '127.0.0.1',
      port: null,
      tls: null,
      user: engine.defaultUser,
      password: crypto.randomBytes(18).toString('base64url'),
      database: fields.database ?? engine.defaultDatabase,
      label: fields.label,
      name: fields.name,
      owner: fields.owner,
      runId: fields.runId,
      jobName: fields.jobName,
      ttlSeconds: fields.ttl,
      dumpPath: dump?.path ?? null,
      obfuscated: fields.obfuscate === true,
      poolKey: fields.poolKey,
      reservedBy: null,
      goldenKey,
      purpose,
      createdAt: Date.now(),
      readyAt: null,
      claimedAt: null,
      expiresAt: null,
      destroyedAt: null,
      driver: currentDriver(),
      driverHost: currentHost(),
      errorMessage: null,
    };
    const event = { action: 'created', actor, metadata: { runtime: runtime.name, engine: engine.name, ttl_seconds: copy.ttlSeconds, dump: copy.dumpPath, warm: copy.warm } };
    // A clone is recorded only while its snapshot is, in one transaction: collect removes a snapshot
    // only when no record names it, in one transaction too, so neither can slip between the other's look and act.
    const recorded = this.ctx.repo.db.immediate(() => {
      if (goldenKey !== null && !this.ctx.goldens.get(goldenKey)) return false;
      this.ctx.repo.insert(copy, event);
      return true;
    });
    if (!recorded) throw new GoldenGone(goldenKey!);
    return copy;
  }

  /**
   * Makes a copy: record, port, server, ready. On a clone of `golden` when there is one; else the
   * dump is restored into it. A warm copy is left unclaimed for the pool; any other is claimed at
   * once, its TTL starting when it is ready.
   */
  async provision(runtime: Runtime, engine: Engine, fields: CopyFields, dump: DumpFile | null, golden: Golden | null, act: Act): Promise<Copy> {
    const copy = this.insert(runtime, engine, golden ? { ...fields, database: golden.database } : fields, dump, golden?.key ?? null, act.actor);
    await failpoint('after-record');
    try {
      const serving = fields.internal ? INTERNAL_SERVING : await this.ctx.serving();
      let started = await this.start(runtime, engine, copy, act, { from: golden, serving });
      await failpoint('after-server-start');
      // A clone has its data; otherwise it is made now (restored, prepared, its test template kept).
      if (!golden) started = await fillCopy(this.ctx, runtime, engine, started, dump, act, { forUsers: !fields.internal });
      if (fields.obfuscate) await this.obfuscate(engine, started, act);
      const readyAt = Date.now();
      const claimed = fields.warm ? { claimedAt: null, expiresAt: null } : { claimedAt: readyAt, expiresAt: readyAt + copy.ttlSeconds * 1000 };
      const ready = this.ctx.repo.transition(
        copy.id,
        ['creating'],
        { status: 'ready', host: started.host, tls: started.tls, database: started.database, readyAt, ...claimed, driver: null, driverHost: null },
        { action: 'ready', actor: act.actor, metadata: { port: started.port, ms: readyAt - copy.createdAt, warm: fields.warm, golden: golden?.key ?? null } },
      );
      if (!ready) throw new DittoError('CONFLICT', `copy ${copy.id} was destroyed while it was being made`);
      return ready;
    } catch (err) {
      throw await this.fail(copy, err, act);
    }
  }

  /**
   * Leases a port and starts a ready-to-connect server on it, moving to another port if one was
   * taken under us; on `how.port`, the port the copy already holds (a reset), no other.
   */
  async start(runtime: Runtime, engine: Engine, copy: Copy, act: Act, how: StartHow): Promise<StartedCopy> {
    const { from, serving } = how;
    const progress = act.onProgress ?? (() => {});
    const taken = new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const port = how.port ?? (await this.ctx.ports.lease(copy.id, taken));
      const creating = this.ctx.repo.transition(copy.id, ['pending', 'creating'], { status: 'creating', port }, { action: 'creating', actor: act.actor, metadata: { port, runtime: runtime.name } });
      if (!creating) throw new DittoError('CONFLICT', `copy ${copy.id} was destroyed while it was being made`);
      progress(from ? `Cloning the golden snapshot and starting on port ${port}` : `Starting the ${engine.name} server on port ${port}`);
      const credentials = credentialsOf(creating);
      const reached = await runtime.start({ copyId: copy.id, engine, port, credentials, serving, dumpPath: copy.dumpPath, from: from?.key, signal: act.signal });
      const endpoint = { ...reached, tls: serving.tls?.mode ?? null };
      const started: StartedCopy = { ...creating, port, host: endpoint.host, tls: endpoint.tls };
      progress('Waiting for the server to accept connections');
      try {
        // A clone answers to the snapshot's superuser password until it is given the copy's own.
        await engine.waitReady(endpoint, from ? { ...credentials, user: from.user, password: from.password } : credentials, {
          timeoutMs: this.ctx.config.ready_timeout * 1000,
          alive: () => runtime.isRunning(copy.id),
          signal: act.signal,
          newPassword: from ? credentials.password : undefined,
        });
        return started;
      } catch (err) {
        if (act.signal?.aborted || (await runtime.isRunning(copy.id))) throw err;
        const failure = await runtime.startFailure(copy.id, engine);
        if (!failure.portTaken || attempt >= PORT_RETRIES || how.port !== undefined) throw failure.error;
        // Someone bound the port between our dial check and the server's bind: try the next one.
        taken.add(port);
        await this.removeResources(started);
      }
    }
  }

  /**
   * `up --obfuscate`: the configured rules applied to the copy before it is handed out. Its user
   * sees only scrubbed rows through SQL, but the raw ones were restored into it: its files and WAL
   * hold them until vacuumed away. Data that must never reach a copy is scrubbed by `ditto reseed`.
   */
  async obfuscate(engine: Engine, copy: StartedCopy, act: Act): Promise<void> {
    act.onProgress?.('Obfuscating');
    const { rules, seed } = obfuscationPlan(this.ctx.config, { required: true });
    await engine.scrub(endpointOf(copy), credentialsOf(copy), rules, seed, act.signal);
    act.signal?.throwIfAborted();
    // Per-test databases are cloned from the template: it must hold the scrubbed rows, not the raw ones.
    await engine.testDatabases(endpointOf(copy), credentialsOf(copy)).seal(copy.database);
  }

  /**
   * Records why a copy being made failed and removes what was made of it; returns the error to
   * throw: a full disk as such, with its directory's free space once the copy is gone.
   */
  async fail(copy: Copy, err: unknown, act: Act): Promise<DittoError> {
    const aborted = act.signal?.aborted === true;
    const error = aborted ? new DittoError('INTERRUPTED', 'interrupted; the copy being made was removed') : asDittoError(err);
    // No port, no server: nothing was made, so nothing is recorded (a full range changes nothing).
    if (this.ctx.repo.discardPending(copy.id)) return error;
    try {
      this.ctx.repo.transition(copy.id, ['pending', 'creating'], { status: 'failed', errorMessage: error.message }, { action: 'failed', actor: act.actor, metadata: { reason: error.message } });
    } catch (stateErr) {
      // A state that cannot be written now (its disk full too) must not keep the copy's server and
      // files: they go, and the next heal settles the record, which still names this process.
      this.ctx.log('could not record a failed copy; removing it anyway', { copy_id: copy.id, error: asDittoError(stateErr).message });
    }
    const full = !aborted && (await failedForSpace(this.ctx, copy, err));
    await this.removeQuietly(copy, 'cleaning up a failed copy');
    return full ? shortageError(this.ctx, copy, err) : error;
  }

  /** Destroys each copy; one that fails does not stop the others, and the failures are reported together. */
  async destroyAll(targets: Copy[], action: 'destroyed' | 'drained', actor: string): Promise<Copy[]> {
    const destroyed: Copy[] = [];
    const failures: string[] = [];
    for (const copy of targets) {
      try {
        const done = await this.destroy(copy, action, actor);
        if (done) destroyed.push(done);
      } catch (err) {
        failures.push(`${copy.id}: ${asDittoError(err).message}`);
      }
    }
    if (failures.length) {
      throw new DittoError('INTERNAL', `could not destroy ${failures.join('; ')}`, { hint: 'run `ditto down` again; ditto retries cleanup on every run' });
    }
    return destroyed;
  }

  /** Destroys one copy; undefined when another process got to it first. */
  async destroy(copy: Copy, action: 'destroyed' | 'expired' | 'drained', actor: string): Promise<Copy | undefined> {
    const destroying = this.ctx.repo.transition(
      copy.id,
      ['pending', 'creating', 'ready'],
      { status: 'destroying', driver: currentDriver(), driverHost: currentHost() },
      { action: 'destroying', actor, metadata: { reason: action } },
    );
    if (!destroying) return undefined;
    await this.removeResources(destroying);
    return this.ctx.repo.transition(copy.id, ['destroying'], { status: 'destroyed', destroyedAt: Date.now(), driver: null, driverHost: null }, { action, actor });
  }

  async removeResources(copy: Copy): Promise<void> {
    const runtime = await this.ctx.runtimes.get(copy.runtime);
    await runtime.remove(copy.id);
    this.ctx.repo.releasePorts(copy.id);
  }

  /**
   * Fails `copy` for `reason` if it is still as read, this process driving its cleanup (so no
   * other heals it meanwhile), and removes its resources; a removal that fails is retried by the
   * next heal.
   */
  async failAndRemove(copy: Copy, reason: string, actor: string, doing: string): Promise<void> {
    const failed = this.ctx.repo.transition(
      copy.id,
      [copy.status],
      { status: 'failed', errorMessage: reason, driver: currentDriver(), driverHost: currentHost() },
      { action: 'failed', actor, metadata: { reason, was: copy.status } },
    );
    if (failed) await this.removeQuietly(failed, doing);
  }

  /** Removes a copy's resources where a failure must not hide the error at hand; the failure is logged, and retried by the next heal. */
  async removeQuietly(copy: Copy, doing: string): Promise<void> {
    try {
      await this.removeResources(copy);
    } catch (err) {
      this.ctx.log(`${doing}: could not remove its resources; the next command retries`, { copy_id: copy.id, error: asDittoError(err).message });
    }
  }
}
