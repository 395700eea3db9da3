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
import { currentDumpPath, dumpFreshness, staleDumpNotice } from '../dump/location.js';
import { obfuscationPlan, scrubDatabase } from '../dump/obfuscation.js';
import { resolveDump } from '../dump/sources.js';
import type { DumpFile, Endpoint, Engine } from '../engines/engine.js';
import { DittoError, asDittoError } from '../errors.js';
import type { Runtimes } from '../runtimes/registry.js';
import type { Runtime, StartableCopy } from '../runtimes/runtime.js';
import type { Claim, CopiesRepo } from '../state/copies-repo.js';
import type { Golden, GoldensRepo } from '../state/goldens-repo.js';
import type { MetaRepo } from '../state/meta-repo.js';
import { VERSION } from '../version.js';
import { DRIVEN_STATUSES, isFinal, type Copy, type CopyEvent, type RuntimeName } from './copy.js';
import { currentDriver, currentHost, isDriverAlive } from './driver.js';
import { PortPool } from './port-pool.js';

/** Ids are short enough to type and carry ~60 bits of randomness. */
const newId = customAlphabet('0123456789abcdefghjkmnpqrstvwxyz', 12);
const PORT_RETRIES = 3;
/** How often a process waiting for an in-flight warm copy looks at it. */
const WAIT_POLL_MS = 50;
/** The last time anyone asked for a copy; the pool drains once this is older than pool.idle_ttl. */
export const LAST_DEMAND_KEY = 'last_demand_at';

export interface ManagerDeps {
  config: Config;
  /** The ditto home: where the default dump and the download cache live. */
  home: string;
  repo: CopiesRepo;
  meta: MetaRepo;
  goldens: GoldensRepo;
  engine: Engine;
  runtimes: Runtimes;
  /** Who acts, for the events log: `cli`, `maintainer`, `host:<caller>`. */
  actor: string;
  /** Called after a command changed copies (the local client starts the maintainer here). */
  onChange?: () => void;
  /**
   * Who is asking, on a shared host: their copies are marked theirs, and they see and destroy
   * only those, unless admin. Absent for local use, where everything is the user's.
   */
  caller?: Caller;
  /** Golden snapshot builds under way in this process: a host's Managers share one map, so each snapshot is built once. */
  goldenBuilds?: Map<string, Promise<Golden>>;
}

export interface Caller {
  name: string;
  admin: boolean;
}

/** What a new copy carries from its request: the claim, its pool, and whether it is made warm. */
type CopyFields = Claim & {
  poolKey: string | null;
  warm: boolean;
  /** Scrub with the configured obfuscation rules before the copy is ready (`up --obfuscate`). */
  obfuscate?: boolean;
  /** Restore the dump into the copy itself, never through a golden snapshot (the dump may hold raw data). */
  direct?: boolean;
};

export interface PoolReport {
  target: number;
  ready: number;
  inFlight: number;
  /** Warm copies made for another dump or runtime setting, waiting to be replaced. */
  stale: number;
  lastDemandAt: number | null;
  /** When the pool drains for lack of demand. */
  idleAt: number | null;
}

/** Decides a copy's life: provisions, claims, destroys, expires and heals, writing state before each side effect. */
export class Manager implements CopyClient {
  readonly ports: PortPool;
  readonly config: Config;
  readonly repo: CopiesRepo;
  readonly meta: MetaRepo;
  readonly goldens: GoldensRepo;
  readonly engine: Engine;
  readonly home: string;
  private readonly runtimes: Runtimes;
  private readonly actor: string;
  private readonly onChange: () => void;
  private readonly caller: Caller | null;
  private readonly goldenBuilds: Map<string, Promise<Golden>>;

  constructor(deps: ManagerDeps) {
    ({ config: this.config, repo: this.repo, meta: this.meta, goldens: this.goldens, engine: this.engine, runtimes: this.runtimes, actor: this.actor } = deps);
    this.home = deps.home;
    this.onChange = deps.onChange ?? (() => {});
    this.caller = deps.caller ?? null;
    this.goldenBuilds = deps.goldenBuilds ?? new Map();
    this.ports = new PortPool(this.repo, this.config.ports);
  }

  async up(request: UpRequest, options: UpOptions = {}): Promise<IssuedCopy> {
    const progress = options.onProgress ?? (() => {});
    await this.heal();
    const dumpPath = request.dumpUri ? await resolveDump(request.dumpUri, { config: this.config, home: this.home, engine: this.engine, signal: options.signal }) : this.currentDump();
    // An obfuscated copy is scrubbed as it is made: a warm copy (unscrubbed) never serves it. The
    // rules and seed are checked now, before anything is made for the request.
    const obfuscate = request.obfuscate === true;
    if (obfuscate) obfuscationPlan(this.config, { required: true });
    const poolKey = this.poolKey(dumpPath);
    const claim: Claim = {
      ttl: request.ttlSeconds ?? this.config.ttl,
      label: request.label ?? null,
      owner: this.caller?.name ?? null,
      runId: request.runId ?? null,
      jobName: request.jobName ?? null,
    };
    this.meta.set(LAST_DEMAND_KEY, String(Date.now()));
    try {
      let copy = obfuscate ? undefined : this.repo.claimWarm(poolKey, currentDriver(), claim, this.actor);
      if (!copy && !obfuscate) copy = await this.awaitInFlight(poolKey, claim, options);
      if (!copy) {
        const { runtime } = await this.runtimes.choose();
        const dump = await this.checkDump(runtime, dumpPath, progress);
        copy = await this.provision(runtime, { ...claim, poolKey, warm: false, obfuscate }, dump, options);
      }
      progress('Ready');
      const stale = staleDumpNotice(this.config, request.dumpUri ? null : dumpPath);
      const notices = dumpPath ? (stale ? [stale] : []) : ['no dump configured: this copy is an empty database; run `ditto reseed --source URL` (or set dump.path) to give copies your data'];
      return { ...toInfo(copy), connectionString: this.engine.connectionString(endpointOf(copy)), notices };
    } finally {
      this.onChange();
    }
  }

  async down(selector: DownSelector): Promise<DownResult> {
    await this.heal();
    const targets: Copy[] = [];
    const alreadyGone: string[] = [];
    if (selector.ids?.length) {
      // Resolve every id before destroying any, so a typo destroys nothing.
      for (const id of selector.ids) {
        const copy = this.resolve(id);
        if (isFinal(copy.status)) alreadyGone.push(copy.id);
        else targets.push(copy);
      }
    } else if (selector.all || selector.label !== undefined) {
      // `down --all` on this machine means done for now: the pool is not refilled until the next up,
      // so nothing is left running. (A caller of a shared host only ever clears its own copies.)
      if (selector.all && !this.caller) this.meta.set(LAST_DEMAND_KEY, '0');
      for (const copy of this.repo.list({ owner: this.visibleOwner(), usersOnly: true })) {
        if (selector.all || copy.label === selector.label) targets.push(copy);
      }
    } else {
      throw new DittoError('BAD_INPUT', 'name the copies to destroy', { hint: 'give ids, --all, or --label L' });
    }
    try {
      return { destroyed: (await this.destroyAll(targets, 'destroyed')).map(toInfo), alreadyGone };
    } finally {
      this.onChange();
    }
  }

  async list(options: { all?: boolean } = {}): Promise<CopyInfo[]> {
    await this.heal();
    return this.repo.list({ includeFinal: options.all ?? false, owner: this.visibleOwner(), usersOnly: true }).map(toInfo);
  }

  async events(id: string): Promise<CopyEvent[]> {
    return this.repo.events(this.resolve(id).id);
  }

  async status(): Promise<StatusReport> {
    const choice = await this.runtimes.choose();
    const copies = this.repo.list();
    const pool = this.poolReport();
    return {
      version: VERSION,
      runtime: { name: choice.runtime.name, reason: choice.reason, detail: choice.runtime.describe() },
      dump: dumpFreshness(this.config, this.currentDump()),
      pool: { ready: pool.ready, target: pool.target },
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
   * retries cleanup that did not finish, frees promises made to dead waiters, and destroys
   * copies past their TTL.
   */
  async heal(): Promise<void> {
    const now = Date.now();
    const deadWaiters = new Set<string>();
    for (const copy of this.repo.list()) {
      if (copy.reservedBy && !isDriverAlive(copy.reservedBy, null)) deadWaiters.add(copy.reservedBy);
      if (DRIVEN_STATUSES.includes(copy.status) && !isDriverAlive(copy.driver, copy.driverHost)) {
        const pid = copy.driver?.split(':')[0] ?? 'unknown';
        const reason = `the process driving it (pid ${pid}) died while it was ${copy.status}`;
        const failed = this.repo.transition(
          copy.id,
          [copy.status],
          { status: 'failed', errorMessage: reason, driver: currentDriver(), driverHost: currentHost() },
          { action: 'failed', actor: this.actor, metadata: { reason, was: copy.status } },
        );
        if (failed) await this.removeResources(failed).catch(() => {});
      } else if (copy.status === 'ready' && copy.expiresAt !== null && copy.expiresAt <= now) {
        await this.destroy(copy, 'expired').catch(() => {});
      }
    }
    for (const waiter of deadWaiters) this.repo.releaseReservations(waiter);
    for (const copy of this.repo.unreleased()) {
      if (copy.driver !== currentDriver() && isDriverAlive(copy.driver, copy.driverHost)) continue;
      await this.removeResources(copy).catch(() => {});
    }
  }

  /**
   * One pass of the maintainer: remove untracked resources, heal, replace warm copies made for an
   * old dump, drain the pool when idle, trim it to its target, and refill it.
   */
  async maintain(log: (message: string, fields?: Record<string, unknown>) => void = () => {}): Promise<void> {
    for (const id of await this.removeOrphans()) log('removed untracked resources', { copy_id: id });
    await this.heal();
    const key = this.poolKey(this.currentDump());
    const warm = this.repo.list().filter((c) => c.warm);
    const stale = warm.filter((c) => c.poolKey !== key && c.status === 'ready');
    const report = this.poolReport();
    const idle = report.idleAt === null || report.idleAt <= Date.now();
    const current = warm.filter((c) => c.poolKey === key && c.status === 'ready');
    // Copies in flight count toward the target: keep only as many ready ones as they leave room for.
    const excess = idle ? current : current.slice(Math.max(0, report.target - report.inFlight));
    for (const copy of await this.destroyAll([...stale, ...excess], 'drained')) {
      log('drained a warm copy', { copy_id: copy.id, reason: stale.includes(copy) ? 'dump or runtime changed' : idle ? 'idle' : 'above target' });
    }
    if (!idle) {
      const made = await this.fillPool();
      if (made > 0) log('refilled the pool', { made, target: report.target });
    }
    await this.collectGoldens({ log });
  }

  /** Provisions warm copies until the pool holds its target (ready or in flight); returns how many it made. */
  async fillPool(options: UpOptions = {}): Promise<number> {
    const dumpPath = this.currentDump();
    const key = this.poolKey(dumpPath);
    const report = this.poolReport();
    const missing = report.target - report.ready - report.inFlight;
    if (missing <= 0) return 0;
    const { runtime } = await this.runtimes.choose();
    const dump = await this.checkDump(runtime, dumpPath, options.onProgress ?? (() => {}));
    const fields = { ttl: this.config.ttl, label: null, owner: null, runId: null, jobName: null, poolKey: key, warm: true };
    // Two at a time: restores are CPU-bound, and a burst beyond the cores only slows each copy down.
    let made = 0;
    const errors: DittoError[] = [];
    const worker = async (count: number) => {
      for (let i = 0; i < count; i++) {
        try {
          await this.provision(runtime, fields, dump, options);
          made++;
        } catch (err) {
          errors.push(asDittoError(err));
          return;
        }
      }
    };
    await Promise.all([worker(Math.ceil(missing / 2)), worker(Math.floor(missing / 2))]);
    if (made === 0 && errors.length) throw errors[0]!;
    return made;
  }

  /** Destroys every warm copy and marks the pool idle, so nothing refills it until the next `up`. */
  async drainPool(): Promise<Copy[]> {
    this.meta.set(LAST_DEMAND_KEY, '0');
    try {
      return await this.destroyAll(this.repo.list().filter((c) => c.warm), 'drained');
    } finally {
      this.onChange();
    }
  }

  poolReport(): PoolReport {
    const key = this.poolKey(this.currentDump());
    const warm = this.repo.list().filter((c) => c.warm);
    const lastDemand = Number(this.meta.get(LAST_DEMAND_KEY) ?? '0');
    return {
      target: this.config.pool.size,
      ready: warm.filter((c) => c.status === 'ready' && c.poolKey === key).length,
      inFlight: warm.filter((c) => (c.status === 'pending' || c.status === 'creating') && c.poolKey === key).length,
      stale: warm.filter((c) => c.poolKey !== key).length,
      lastDemandAt: lastDemand > 0 ? lastDemand : null,
      idleAt: lastDemand > 0 ? lastDemand + this.config.pool.idle_ttl * 1000 : null,
    };
  }

  /** Whether any copy is alive (not destroyed or failed): the maintainer runs only while one is. */
  hasCopies(): boolean {
    return this.repo.list().length > 0;
  }

  /** Whether there is work for a maintainer: live copies, or a pool wanted and not idle. */
  needsMaintainer(): boolean {
    if (this.hasCopies()) return true;
    const { target, idleAt } = this.poolReport();
    return target > 0 && idleAt !== null && idleAt > Date.now();
  }

  /** When the maintainer next has work without being asked: the next expiry or idle drain. */
  nextDeadline(): number | null {
    const deadlines = this.repo
      .list()
      .filter((c) => c.status === 'ready' && c.expiresAt !== null)
      .map((c) => c.expiresAt!);
    const { idleAt, ready, inFlight } = this.poolReport();
    if (idleAt !== null && ready + inFlight > 0) deadlines.push(idleAt);
    return deadlines.length ? Math.min(...deadlines) : null;
  }

  /** Removes runtime resources that no live record accounts for; returns their copy ids. */
  async removeOrphans(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of this.runtimesInUse()) {
      let runtime: Runtime;
      try {
        runtime = await this.runtimes.get(name);
      } catch {
        continue; // Not usable here (no engine, no binaries): nothing of ours can run there either.
      }
      for (const id of await runtime.listResources().catch(() => [])) {
        const record = this.repo.get(id);
        if (record && !isFinal(record.status)) continue;
        if (record && record.driver !== null && record.driver !== currentDriver() && isDriverAlive(record.driver, record.driverHost)) continue;
        await runtime.remove(id);
        if (record) this.repo.releasePorts(id);
        removed.push(id);
      }
    }
    return removed;
  }

  /** Runtimes that may hold this home's resources: any a record names, and any the config may pick. */
  private runtimesInUse(): RuntimeName[] {
    const names = new Set<RuntimeName>(this.repo.list({ includeFinal: true }).map((c) => c.runtime));
    if (this.config.runtime === 'auto') names.add('local').add('docker');
    else names.add(this.config.runtime);
    return [...names];
  }

  /**
   * Waits for a warm copy already being made, instead of making another: the copy is promised to
   * this process, and claimed as soon as it is ready. Undefined when there is none, or it failed.
   */
  private async awaitInFlight(poolKey: string, claim: Claim, options: UpOptions): Promise<Copy | undefined> {
    const me = currentDriver();
    const promised = this.repo.reserveInFlight(poolKey, me);
    if (!promised) return undefined;
    options.onProgress?.('Waiting for a warm copy being made');
    const deadline = Date.now() + (this.config.ready_timeout + 60) * 1000;
    try {
      for (;;) {
        if (options.signal?.aborted) throw new DittoError('INTERRUPTED', 'interrupted while waiting for a warm copy');
        const copy = this.repo.get(promised.id);
        if (!copy || copy.status !== 'pending' && copy.status !== 'creating' && !(copy.status === 'ready' && copy.warm)) return undefined;
        if (copy.status === 'ready') return this.repo.claimWarm(poolKey, me, claim, this.actor);
        if (Date.now() > deadline) return undefined;
        await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
      }
    } finally {
      this.repo.releaseReservations(me);
    }
  }

  private async checkDump(runtime: Runtime, dumpPath: string | null, progress: (step: string) => void): Promise<DumpFile | null> {
    if (!dumpPath) return null;
    progress('Checking the dump');
    return this.engine.inspectDump(dumpPath, { binDir: runtime.hostBinDir() });
  }

  /** What a warm copy must match to serve a request: the runtime setting, the engine, and the dump as it is now. */
  private poolKey(dumpPath: string | null): string {
    return `${this.config.runtime}|${this.engine.name}|${dumpStamp(dumpPath)}`;
  }

  private async destroyAll(targets: Copy[], action: 'destroyed' | 'drained'): Promise<Copy[]> {
    const destroyed: Copy[] = [];
    const failures: string[] = [];
    for (const copy of targets) {
      try {
        const done = await this.destroy(copy, action);
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
  private async destroy(copy: Copy, action: 'destroyed' | 'expired' | 'drained'): Promise<Copy | undefined> {
    const destroying = this.repo.transition(
      copy.id,
      ['pending', 'creating', 'ready'],
      { status: 'destroying', driver: currentDriver(), driverHost: currentHost() },
      { action: 'destroying', actor: this.actor, metadata: { reason: action } },
    );
    if (!destroying) return undefined;
    await this.removeResources(destroying);
    return this.repo.transition(copy.id, ['destroying'], { status: 'destroyed', destroyedAt: Date.now(), driver: null, driverHost: null }, { action, actor: this.actor });
  }

  private async removeResources(copy: Copy): Promise<void> {
    const runtime = await this.runtimes.get(copy.runtime);
    await runtime.remove(copy.id);
    this.repo.releasePorts(copy.id);
  }

  /**
   * Makes a copy: record, port, server, ready. Where the runtime keeps golden snapshots the server
   * starts on a clone of the dump's snapshot (made first if need be); elsewhere the dump is restored
   * into it. A warm copy is left unclaimed for the pool; any other is claimed at once, its TTL
   * starting when it is ready.
   */
  private async provision(runtime: Runtime, fields: CopyFields, dump: DumpFile | null, options: UpOptions): Promise<Copy> {
    const golden = runtime.snapshots && this.config.dump.golden && !fields.direct ? await this.ensureGolden(runtime, dump, options) : null;
    const copy = this.insertCopy(runtime, fields, dump, golden?.key ?? null);
    await failpoint('after-record');
    try {
      const started = await this.startServer(runtime, copy, options, golden);
      await failpoint('after-server-start');
      if (dump && !golden) await this.restore(runtime, started, dump, options);
      if (fields.obfuscate) await this.obfuscate(started, options);
      const readyAt = Date.now();
      const claimed = fields.warm ? { claimedAt: null, expiresAt: null } : { claimedAt: readyAt, expiresAt: readyAt + copy.ttlSeconds * 1000 };
      const ready = this.repo.transition(
        copy.id,
        ['creating'],
        { status: 'ready', readyAt, ...claimed, driver: null, driverHost: null },
        { action: 'ready', actor: this.actor, metadata: { port: started.port, ms: readyAt - copy.createdAt, warm: fields.warm, golden: golden?.key ?? null } },
      );
      if (!ready) throw new DittoError('CONFLICT', `copy ${copy.id} was destroyed while it was being made`);
      return ready;
    } catch (err) {
      throw await this.failCopy(copy, err, options);
    }
  }

  private insertCopy(runtime: Runtime, fields: CopyFields, dump: DumpFile | null, goldenKey: string | null, purpose: Copy['purpose'] = 'copy'): Copy {
    const copy: Copy = {
      id: newId(),
      status: 'pending',
      warm: fields.warm,
      runtime: runtime.name,
      engine: this.engine.name,
      host: '127.0.0.1',
      port: null,
      user: this.engine.defaultUser,
      password: crypto.randomBytes(18).toString('base64url'),
      database: this.engine.defaultDatabase,
      label: fields.label,
      owner: fields.owner,
      runId: fields.runId,
      jobName: fields.jobName,
      ttlSeconds: fields.ttl,
      dumpPath: dump?.path ?? null,
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
    this.repo.insert(copy, { action: 'created', actor: this.actor, metadata: { runtime: runtime.name, ttl_seconds: copy.ttlSeconds, dump: copy.dumpPath, warm: copy.warm } });
    return copy;
  }

  /** Records why a copy being made failed and removes what was made of it; returns the error to throw. */
  private async failCopy(copy: Copy, err: unknown, options: UpOptions): Promise<DittoError> {
    const error = options.signal?.aborted ? new DittoError('INTERRUPTED', 'interrupted; the copy being made was removed') : asDittoError(err);
    // No port, no server: nothing was made, so nothing is recorded (a full range changes nothing).
    if (this.repo.discardPending(copy.id)) return error;
    this.repo.transition(copy.id, ['pending', 'creating'], { status: 'failed', errorMessage: error.message }, { action: 'failed', actor: this.actor, metadata: { reason: error.message } });
    await this.removeResources(copy).catch(() => {});
    return error;
  }

  /**
   * A copy of `dumpPath` for ditto's own work (reseed: restore, scrub, dump): restored directly,
   * never from or into a golden snapshot or the pool, since the dump may hold raw data. The caller
   * destroys it with `down`; its TTL removes it if the caller dies first.
   */
  async scratch(dumpPath: string, ttlSeconds: number, options: UpOptions = {}): Promise<IssuedCopy> {
    const { runtime } = await this.runtimes.choose();
    const dump = await this.checkDump(runtime, dumpPath, options.onProgress ?? (() => {}));
    const fields: CopyFields = { ttl: ttlSeconds, label: 'reseed scratch', owner: this.caller?.name ?? null, runId: null, jobName: null, poolKey: null, warm: false, direct: true };
    try {
      const copy = await this.provision(runtime, fields, dump, options);
      return { ...toInfo(copy), connectionString: this.engine.connectionString(endpointOf(copy)), notices: [] };
    } finally {
      this.onChange();
    }
  }

  /** The dump copies start from now: dump.path, or the one `ditto reseed` made under the home. */
  currentDump(): string | null {
    return currentDumpPath(this.config, this.home);
  }

  /**
   * `up --obfuscate`: the configured rules applied to the copy before it is handed out. Its user
   * sees only scrubbed rows through SQL, but the raw ones were restored into it: its files and WAL
   * hold them until vacuumed away. Data that must never reach a copy is scrubbed by `ditto reseed`.
   */
  private async obfuscate(copy: StartableCopy, options: UpOptions): Promise<void> {
    options.onProgress?.('Obfuscating');
    const { rules, seed } = obfuscationPlan(this.config, { required: true });
    await scrubDatabase(this.engine.connectionString(endpointOf(copy)), rules, seed);
    options.signal?.throwIfAborted();
  }

  private async restore(runtime: Runtime, copy: StartableCopy, dump: DumpFile, options: UpOptions): Promise<void> {
    options.onProgress?.('Restoring the dump');
    await this.engine.restore(runtime.tools(copy), dump, endpointOf(copy));
    options.signal?.throwIfAborted();
  }

  /**
   * The golden snapshot of `dump` in this runtime, made now if there is none. One process makes
   * it (under a lease); others wait, and take over if that process dies.
   */
  private async ensureGolden(runtime: Runtime, dump: DumpFile | null, options: UpOptions): Promise<Golden> {
    const key = this.goldenKey(runtime, dump?.path ?? null);
    // The lease is per process: copies made side by side in this process share one build.
    let shared = this.goldenBuilds.get(key);
    if (!shared) {
      shared = this.awaitGolden(runtime, key, dump, options).finally(() => this.goldenBuilds.delete(key));
      this.goldenBuilds.set(key, shared);
    }
    return shared;
  }

  private async awaitGolden(runtime: Runtime, key: string, dump: DumpFile | null, options: UpOptions): Promise<Golden> {
    const snapshots = runtime.snapshots!;
    const lease = `golden:${key}`;
    const me = currentDriver();
    const builderDead = (l: { holder: string; host: string }) => !isDriverAlive(l.holder, l.host);
    for (let waited = false; ; waited = true) {
      const golden = this.goldens.get(key);
      if (golden && (await snapshots.has(key))) return golden;
      if (this.meta.acquireLease(lease, me, currentHost(), builderDead)) {
        try {
          const again = this.goldens.get(key);
          if (again && (await snapshots.has(key))) return again;
          return await this.buildGolden(runtime, key, dump, options);
        } finally {
          this.meta.releaseLease(lease, me);
        }
      }
      if (!waited) options.onProgress?.('Waiting for the golden snapshot being made');
      if (options.signal?.aborted) throw new DittoError('INTERRUPTED', 'interrupted while waiting for the golden snapshot');
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS * 2));
    }
  }

  /** Restores the dump once into a builder copy, then turns the builder's data into the snapshot. */
  private async buildGolden(runtime: Runtime, key: string, dump: DumpFile | null, options: UpOptions): Promise<Golden> {
    options.onProgress?.(dump ? 'Making the golden snapshot of the dump' : 'Making the golden snapshot');
    const fields: CopyFields = { ttl: this.config.ttl, label: 'golden snapshot', owner: null, runId: null, jobName: null, poolKey: null, warm: false };
    const builder = this.insertCopy(runtime, fields, dump, null, 'golden');
    try {
      const started = await this.startServer(runtime, builder, options, null);
      if (dump) await this.restore(runtime, started, dump, options);
      await failpoint('before-promote');
      await runtime.snapshots!.promote(builder.id, key);
      const golden: Golden = { key, runtime: runtime.name, engine: this.engine.name, dumpPath: dump?.path ?? null, user: builder.user, password: builder.password, database: builder.database, createdAt: Date.now() };
      this.goldens.put(golden);
      this.repo.releasePorts(builder.id);
      this.repo.transition(builder.id, ['creating'], { status: 'destroyed', destroyedAt: Date.now(), driver: null, driverHost: null }, { action: 'promoted', actor: this.actor, metadata: { golden: key } });
      return golden;
    } catch (err) {
      throw await this.failCopy(builder, err, options);
    }
  }

  /**
   * A snapshot is valid for one runtime, engine, server build (binaries or image) and dump as it
   * is now: a replaced dump or an upgraded server gets a new one.
   */
  goldenKey(runtime: Runtime, dumpPath: string | null): string {
    const parts = [this.engine.name, runtime.name, runtime.snapshots?.flavor() ?? '', dumpStamp(dumpPath)];
    return `${runtime.name}-${crypto.createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16)}`;
  }

  /**
   * Removes golden snapshots nothing needs: untracked ones, and ones no live copy was cloned from,
   * keeping the current dump's unless `all`. Returns the keys removed.
   */
  async collectGoldens(opts: { all?: boolean; log?: (message: string, fields?: Record<string, unknown>) => void } = {}): Promise<string[]> {
    const removed: string[] = [];
    for (const name of this.runtimesInUse()) {
      const runtime = await this.runtimes.get(name).catch(() => null);
      if (!runtime?.snapshots) continue;
      const current = opts.all ? null : this.goldenKey(runtime, this.currentDump());
      const present = await runtime.snapshots.list().catch(() => null);
      if (present === null) continue; // the runtime cannot be asked now: nothing to decide
      for (const key of present) {
        const lease = this.meta.lease(`golden:${key}`);
        if (lease && isDriverAlive(lease.holder, lease.host)) continue; // being made
        const tracked = this.goldens.get(key) !== undefined;
        if (tracked && (key === current || this.repo.goldenInUse(key))) continue;
        await runtime.snapshots.remove(key);
        this.goldens.delete(key);
        removed.push(key);
        opts.log?.('removed a golden snapshot', { key, reason: !tracked ? 'untracked' : opts.all ? 'pruned' : 'dump changed and no copy uses it' });
      }
      // A row whose snapshot is gone (its files removed by hand) would only mislead.
      for (const golden of this.goldens.list()) if (golden.runtime === name && !present.includes(golden.key)) this.goldens.delete(golden.key);
    }
    return removed;
  }

  /** Leases a port and starts a ready-to-connect server on it, moving to another port if one was taken under us. */
  private async startServer(runtime: Runtime, copy: Copy, options: UpOptions, from: Golden | null): Promise<StartableCopy> {
    const progress = options.onProgress ?? (() => {});
    const taken = new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const port = await this.ports.lease(copy.id, taken);
      const creating = this.repo.transition(copy.id, ['pending', 'creating'], { status: 'creating', port }, { action: 'creating', actor: this.actor, metadata: { port, runtime: runtime.name } });
      if (!creating) throw new DittoError('CONFLICT', `copy ${copy.id} was destroyed while it was being made`);
      const startable = creating as StartableCopy;
      progress(from ? `Cloning the golden snapshot and starting on port ${port}` : `Starting the ${this.engine.name} server on port ${port}`);
      await runtime.start(startable, options.signal, from?.key);
      progress('Waiting for the server to accept connections');
      // A clone answers to the snapshot's superuser password until it is given the copy's own.
      const endpoint = from ? { ...endpointOf(startable), user: from.user, password: from.password } : endpointOf(startable);
      try {
        await this.engine.waitReady(endpoint, {
          timeoutMs: this.config.ready_timeout * 1000,
          alive: () => runtime.isRunning(copy.id),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(from ? { newPassword: startable.password } : {}),
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

  private visibleOwner(): string | null {
    return visibleOwner(this.caller);
  }

  private resolve(idOrPrefix: string): Copy {
    return lookupCopy(this.repo, idOrPrefix, this.caller);
  }
}

/** Whose copies a caller sees: its own, or (admin, local use) everyone's. */
export function visibleOwner(caller: Caller | null): string | null {
  return caller && !caller.admin ? caller.name : null;
}

/**
 * A copy by id or unambiguous id prefix, as `caller` sees them; another caller's copy is refused.
 * Works on any repo: the state, or a host's in-memory mirror of it.
 */
export function lookupCopy(repo: CopiesRepo, idOrPrefix: string, caller: Caller | null): Copy {
  const owner = visibleOwner(caller);
  let copy = repo.get(idOrPrefix);
  if (!copy) {
    const matches = idOrPrefix.length >= 4 ? repo.list({ includeFinal: true, owner }).filter((c) => c.id.startsWith(idOrPrefix)) : [];
    if (matches.length > 1) throw new DittoError('BAD_INPUT', `copy id '${idOrPrefix}' is ambiguous (${matches.length} copies start with it)`, { hint: 'give more characters of the id' });
    copy = matches[0];
  }
  if (!copy) throw new DittoError('NOT_FOUND', `no copy with id '${idOrPrefix}'`, { hint: 'run `ditto ls --all` to see copies' });
  if (owner !== null && copy.owner !== owner) {
    throw new DittoError('FORBIDDEN', `copy ${copy.id} belongs to another caller`, { hint: 'use the token that made it' });
  }
  return copy;
}

/**
 * Fault injection for the crash-recovery tests: with DITTO_FAILPOINT=<name>, the process stops at
 * that point (and says so in DITTO_FAILPOINT_FILE) until it is killed. Inert otherwise.
 */
async function failpoint(name: string): Promise<void> {
  if (process.env.DITTO_FAILPOINT !== name) return;
  if (process.env.DITTO_FAILPOINT_FILE) fs.writeFileSync(process.env.DITTO_FAILPOINT_FILE, String(process.pid));
  await new Promise(() => setInterval(() => {}, 1 << 30));
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

/**
 * A dump as it is now (path, size, modification time), so a replaced dump never serves old data
 * from the pool or a golden snapshot.
 */
function dumpStamp(dumpPath: string | null): string {
  if (!dumpPath) return 'empty';
  try {
    const stat = fs.statSync(dumpPath);
    return `${dumpPath}:${stat.size}:${Math.round(stat.mtimeMs)}`;
  } catch {
    return `${dumpPath}:missing`;
  }
}
