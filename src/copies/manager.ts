import crypto from 'node:crypto';
import fs from 'node:fs';
import { customAlphabet } from 'nanoid';
import type {
  CopyClient,
  CopyInfo,
  DownResult,
  DownSelector,
  IssuedCopy,
  StatusReport,
  UpOptions,
  UpRequest,
} from '../client/copy-client.js';
import type { Config } from '../config/schema.js';
import type { DumpFile, Endpoint, Engine } from '../engines/engine.js';
import { DittoError, asDittoError } from '../errors.js';
import type { Runtimes } from '../runtimes/registry.js';
import type { Runtime, StartableCopy } from '../runtimes/runtime.js';
import type { CopiesRepo } from '../state/copies-repo.js';
import { VERSION } from '../version.js';
import { DRIVEN_STATUSES, type Copy, type CopyEvent } from './copy.js';
import { currentDriver, currentHost, isDriverAlive } from './driver.js';
import { PortPool } from './port-pool.js';

/** Ids are short enough to type and carry ~60 bits of randomness. */
const newId = customAlphabet('0123456789abcdefghjkmnpqrstvwxyz', 12);
const PORT_RETRIES = 3;

export interface ManagerDeps {
  config: Config;
  repo: CopiesRepo;
  engine: Engine;
  runtimes: Runtimes;
  /** Who acts, for the events log: `cli`, `maintainer`, `host:<caller>`. */
  actor: string;
}

/** Decides a copy's life: provisions, claims, destroys, expires and heals, writing state before each side effect. */
export class Manager implements CopyClient {
  readonly ports: PortPool;
  private readonly config: Config;
  private readonly repo: CopiesRepo;
  private readonly engine: Engine;
  private readonly runtimes: Runtimes;
  private readonly actor: string;

  constructor(deps: ManagerDeps) {
    ({ config: this.config, repo: this.repo, engine: this.engine, runtimes: this.runtimes, actor: this.actor } = deps);
    this.ports = new PortPool(this.repo, this.config.ports);
  }

  async up(request: UpRequest, options: UpOptions = {}): Promise<IssuedCopy> {
    const progress = options.onProgress ?? (() => {});
    const ttlSeconds = request.ttlSeconds ?? this.config.ttl;
    const { runtime } = await this.runtimes.choose();
    await this.heal();

    const notices: string[] = [];
    const dumpPath = request.dumpUri ?? this.config.dump.path ?? null;
    let dump: DumpFile | null = null;
    if (dumpPath) {
      progress('Checking the dump');
      dump = await this.engine.inspectDump(dumpPath, { binDir: runtime.hostBinDir() });
    } else {
      notices.push('no dump configured: this copy is an empty database; run `ditto reseed --source URL` (or set dump.path) to give copies your data');
    }

    const copy = await this.provision(runtime, { ttlSeconds, label: request.label ?? null, runId: request.runId ?? null, jobName: request.jobName ?? null }, dump, options);
    progress('Ready');
    return { ...toInfo(copy), connectionString: this.engine.connectionString(endpointOf(copy)), notices };
  }

  async down(selector: DownSelector): Promise<DownResult> {
    await this.heal();
    const targets: Copy[] = [];
    const alreadyGone: string[] = [];
    if (selector.ids?.length) {
      // Resolve every id before destroying any, so a typo destroys nothing.
      for (const id of selector.ids) {
        const copy = this.resolve(id);
        if (copy.status === 'destroyed' || copy.status === 'failed') alreadyGone.push(copy.id);
        else targets.push(copy);
      }
    } else if (selector.all || selector.label !== undefined) {
      for (const copy of this.repo.list()) {
        if (selector.all || copy.label === selector.label) targets.push(copy);
      }
    } else {
      throw new DittoError('BAD_INPUT', 'name the copies to destroy', { hint: 'give ids, --all, or --label L' });
    }
    const destroyed: CopyInfo[] = [];
    const failures: string[] = [];
    for (const copy of targets) {
      try {
        const done = await this.destroy(copy, 'destroyed');
        if (done) destroyed.push(toInfo(done));
      } catch (err) {
        failures.push(`${copy.id}: ${asDittoError(err).message}`);
      }
    }
    if (failures.length) {
      throw new DittoError('INTERNAL', `could not destroy ${failures.join('; ')}`, { hint: 'run `ditto down` again; ditto retries cleanup on every run' });
    }
    return { destroyed, alreadyGone };
  }

  async list(options: { all?: boolean } = {}): Promise<CopyInfo[]> {
    await this.heal();
    return this.repo.list({ includeFinal: options.all ?? false }).map(toInfo);
  }

  async events(id: string): Promise<CopyEvent[]> {
    return this.repo.events(this.resolve(id).id);
  }

  async status(): Promise<StatusReport> {
    const choice = await this.runtimes.choose();
    const copies = this.repo.list();
    const dumpPath = this.config.dump.path ?? null;
    const age = dumpPath ? fileAgeSeconds(dumpPath) : null;
    return {
      version: VERSION,
      runtime: { name: choice.runtime.name, reason: choice.reason, detail: choice.runtime.describe() },
      dump: {
        path: dumpPath,
        ageSeconds: age,
        stale: age !== null && age > this.config.dump.stale_threshold,
        staleThresholdSeconds: this.config.dump.stale_threshold,
      },
      pool: { ready: copies.filter((c) => c.status === 'ready' && c.warm).length, target: this.config.pool.size },
      ports: { min: this.config.ports.min, max: this.config.ports.max, free: this.ports.freeCount() },
      copies: {
        active: copies.filter((c) => c.status === 'ready' && !c.warm).length,
        provisioning: copies.filter((c) => c.status === 'pending' || c.status === 'creating').length,
      },
    };
  }

  async close(): Promise<void> {
    this.repo.db.close();
  }

  /**
   * Cheap recovery, run by every command: fails and cleans copies whose driving process died,
   * retries cleanup that did not finish, and destroys copies past their TTL.
   */
  async heal(): Promise<void> {
    const now = Date.now();
    for (const copy of this.repo.list()) {
      if (DRIVEN_STATUSES.includes(copy.status) && !isDriverAlive(copy.driver, copy.driverHost)) {
        const pid = copy.driver?.split(':')[0] ?? 'unknown';
        const failed = this.repo.transition(copy.id, [copy.status], { status: 'failed', errorMessage: `the process driving it (pid ${pid}) died while it was ${copy.status}`, driver: currentDriver(), driverHost: currentHost() }, { action: 'failed', actor: this.actor, metadata: { reason: 'driver died', was: copy.status } });
        if (failed) await this.removeResources(failed).catch(() => {});
      } else if (copy.status === 'ready' && copy.expiresAt !== null && copy.expiresAt <= now) {
        await this.destroy(copy, 'expired').catch(() => {});
      }
    }
    for (const copy of this.repo.unreleased()) {
      if (isDriverAlive(copy.driver, copy.driverHost) && copy.driver !== currentDriver()) continue;
      await this.removeResources(copy).catch(() => {});
    }
  }

  /** Destroys one copy; undefined when another process got to it first. */
  private async destroy(copy: Copy, action: 'destroyed' | 'expired'): Promise<Copy | undefined> {
    const destroying = this.repo.transition(copy.id, ['pending', 'creating', 'ready'], { status: 'destroying', driver: currentDriver(), driverHost: currentHost() }, { action: 'destroying', actor: this.actor, metadata: { reason: action } });
    if (!destroying) return undefined;
    await this.removeResources(destroying);
    return this.repo.transition(copy.id, ['destroying'], { status: 'destroyed', destroyedAt: Date.now(), driver: null, driverHost: null }, { action, actor: this.actor });
  }

  private async removeResources(copy: Copy): Promise<void> {
    const runtime = await this.runtimes.get(copy.runtime);
    await runtime.remove(copy.id);
    this.repo.releasePorts(copy.id);
  }

  private async provision(
    runtime: Runtime,
    fields: Pick<Copy, 'ttlSeconds' | 'label' | 'runId' | 'jobName'>,
    dump: DumpFile | null,
    options: UpOptions,
  ): Promise<Copy> {
    const progress = options.onProgress ?? (() => {});
    const now = Date.now();
    let copy: Copy = {
      id: newId(),
      status: 'pending',
      warm: false,
      runtime: runtime.name,
      engine: this.engine.name,
      host: '127.0.0.1',
      port: null,
      user: this.engine.defaultUser,
      password: crypto.randomBytes(18).toString('base64url'),
      database: this.engine.defaultDatabase,
      owner: null,
      ...fields,
      dumpPath: dump?.path ?? null,
      createdAt: now,
      readyAt: null,
      claimedAt: null,
      expiresAt: null,
      destroyedAt: null,
      driver: currentDriver(),
      driverHost: currentHost(),
      errorMessage: null,
    };
    this.repo.insert(copy, { action: 'created', actor: this.actor, metadata: { runtime: runtime.name, ttl_seconds: copy.ttlSeconds, dump: copy.dumpPath } });
    try {
      const started = await this.startServer(runtime, copy, options);
      if (dump) {
        progress('Restoring the dump');
        await this.engine.restore(runtime.tools(started), dump, endpointOf(started));
        options.signal?.throwIfAborted();
      }
      const readyAt = Date.now();
      const ready = this.repo.transition(copy.id, ['creating'], { status: 'ready', warm: false, readyAt, claimedAt: readyAt, expiresAt: readyAt + copy.ttlSeconds * 1000, driver: null, driverHost: null }, { action: 'ready', actor: this.actor, metadata: { port: started.port, ms: readyAt - now } });
      if (!ready) throw new DittoError('CONFLICT', `copy ${copy.id} was destroyed while it was being made`);
      copy = ready;
      return copy;
    } catch (err) {
      const error = options.signal?.aborted ? new DittoError('INTERRUPTED', 'interrupted; the copy being made was removed') : asDittoError(err);
      // No port, no server: nothing was made, so nothing is recorded (a full range changes nothing).
      if (this.repo.discardPending(copy.id)) throw error;
      this.repo.transition(copy.id, ['pending', 'creating'], { status: 'failed', errorMessage: error.message }, { action: 'failed', actor: this.actor, metadata: { reason: error.message } });
      await this.removeResources(copy).catch(() => {});
      throw error;
    }
  }

  /** Leases a port and starts a ready-to-connect server on it, moving to another port if one was taken under us. */
  private async startServer(runtime: Runtime, copy: Copy, options: UpOptions): Promise<StartableCopy> {
    const progress = options.onProgress ?? (() => {});
    const taken = new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const port = await this.ports.lease(copy.id, taken);
      const creating = this.repo.transition(copy.id, ['pending', 'creating'], { status: 'creating', port }, { action: 'creating', actor: this.actor, metadata: { port, runtime: runtime.name } });
      if (!creating) throw new DittoError('CONFLICT', `copy ${copy.id} was destroyed while it was being made`);
      const startable = creating as StartableCopy;
      progress(`Starting the ${this.engine.name} server on port ${port}`);
      await runtime.start(startable, options.signal);
      progress('Waiting for the server to accept connections');
      try {
        await this.engine.waitReady(endpointOf(startable), {
          timeoutMs: this.config.ready_timeout * 1000,
          alive: () => runtime.isRunning(copy.id),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return startable;
      } catch (err) {
        if (options.signal?.aborted || (await runtime.isRunning(copy.id))) throw err;
        const failure = await runtime.startFailure(copy.id);
        if (!failure.portTaken || attempt >= PORT_RETRIES) throw failure.error;
        // Someone bound the port between our dial check and the server's bind: try the next one.
        taken.add(port);
        await this.removeResources(startable);
      }
    }
  }

  /** A copy by id or unambiguous id prefix. */
  private resolve(idOrPrefix: string): Copy {
    const exact = this.repo.get(idOrPrefix);
    if (exact) return exact;
    const matches = idOrPrefix.length >= 4 ? this.repo.list({ includeFinal: true }).filter((c) => c.id.startsWith(idOrPrefix)) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new DittoError('BAD_INPUT', `copy id '${idOrPrefix}' is ambiguous (${matches.length} copies start with it)`, { hint: 'give more characters of the id' });
    throw new DittoError('NOT_FOUND', `no copy with id '${idOrPrefix}'`, { hint: 'run `ditto ls --all` to see copies' });
  }
}

export function endpointOf(copy: Copy & { port: number | null }): Endpoint & { port: number } {
  if (copy.port === null) throw new DittoError('INTERNAL', `copy ${copy.id} has no port`);
  return { host: copy.host, port: copy.port, user: copy.user, password: copy.password, database: copy.database };
}

export function toInfo(copy: Copy): CopyInfo {
  return {
    id: copy.id,
    status: copy.status,
    warm: copy.warm,
    runtime: copy.runtime,
    host: copy.host,
    port: copy.port,
    label: copy.label,
    runId: copy.runId,
    jobName: copy.jobName,
    ttlSeconds: copy.ttlSeconds,
    createdAt: copy.createdAt,
    readyAt: copy.readyAt,
    expiresAt: copy.expiresAt,
    destroyedAt: copy.destroyedAt,
    errorMessage: copy.errorMessage,
  };
}

function fileAgeSeconds(file: string): number | null {
  try {
    return Math.round((Date.now() - fs.statSync(file).mtimeMs) / 1000);
  } catch {
    return null;
  }
}
