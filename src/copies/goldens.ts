import crypto from 'node:crypto';
import { dumpKey } from '../dump/identity.js';
import { currentDumpPath } from '../dump/location.js';
import type { DumpFile, Engine } from '../engines/engine.js';
import { DittoError } from '../errors.js';
import { currentDriver, currentHost, isDriverAlive } from '../model/process-identity.js';
import { INTERNAL_SERVING } from '../model/endpoint.js';
import type { Runtime } from '../runtimes/runtime.js';
import type { Golden } from '../state/goldens-repo.js';
import type { StatusReport } from '../model/copy-client.js';
import { runtimesInUse, type CopiesContext, type Log } from './context.js';
import { failpoint } from './failpoint.js';
import { fillCopy } from './fill.js';
import { prepareIdentity } from './prepare.js';
import { credentialsOf, endpointOf, type Act, type CopyFields, Lifecycle } from './lifecycle.js';

/** What a snapshot holds besides its data, in the key so older snapshots are not reused: 2 keeps a template for per-test databases. */
const SNAPSHOT_FORMAT = 'format-2';

/** How often a process waiting for a snapshot another process is making looks at it. */
const WAIT_POLL_MS = 100;

/** Golden snapshots: a dump restored once into a builder whose stopped data copies are cloned from; and their collection. */
export class Goldens {
  constructor(
    private readonly ctx: CopiesContext,
    private readonly lifecycle: Lifecycle,
  ) {}

  /**
   * The key of the snapshot of `dumpPath` for `engine` in `runtime`: one per engine, runtime, server
   * build (binaries or image), dump content and prepare command and inputs, so a replaced dump, an
   * upgraded server or an edited migration gets a new one.
   */
  async key(runtime: Runtime, engine: Engine, dumpPath: string | null): Promise<string> {
    const prepared = await prepareIdentity(this.ctx.config.prepare);
    const parts = [SNAPSHOT_FORMAT, engine.name, runtime.name, runtime.snapshots?.flavor(engine) ?? '', await dumpKey(dumpPath, this.ctx.home), prepared?.hash ?? ''];
    return `${runtime.name}-${crypto.createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16)}`;
  }

  /** For `status`, with `prepare` configured: its command, its inputs' hash, and the snapshot made of them if there is one yet. */
  async preparedReport(runtime: Runtime, engine: Engine, dumpPath: string | null): Promise<Pick<StatusReport, 'prepare'>> {
    const prepared = await prepareIdentity(this.ctx.config.prepare);
    if (!prepared) return {};
    const key = await this.key(runtime, engine, dumpPath);
    return { prepare: { command: prepared.command, files: prepared.files.length, inputsHash: prepared.hash, snapshot: this.ctx.goldens.get(key) ? key : null } };
  }

  /** For `status`: the snapshot copies of `dumpPath` are cloned from, with the bytes it takes; null until it is made. */
  async current(runtime: Runtime, engine: Engine, dumpPath: string | null): Promise<{ key: string; bytes: number | null } | null> {
    const key = await this.key(runtime, engine, dumpPath);
    if (!this.ctx.goldens.get(key)) return null;
    return { key, bytes: (await runtime.snapshots?.size(key).catch(() => null)) ?? null };
  }

  /**
   * The golden snapshot of `dump` in this runtime, made now if there is none. One process makes
   * it (under a lease); others wait, and take over if that process dies.
   */
  async ensure(runtime: Runtime, engine: Engine, dump: DumpFile | null, act: Act): Promise<Golden> {
    const key = await this.key(runtime, engine, dump?.path ?? null);
    // The lease is per process: copies made side by side in this process share one build.
    let shared = this.ctx.goldenBuilds.get(key);
    if (!shared) {
      shared = this.await(runtime, engine, key, dump, act).finally(() => this.ctx.goldenBuilds.delete(key));
      this.ctx.goldenBuilds.set(key, shared);
    }
    return shared;
  }

  private async await(runtime: Runtime, engine: Engine, key: string, dump: DumpFile | null, act: Act): Promise<Golden> {
    const snapshots = runtime.snapshots!;
    const lease = `golden:${key}`;
    const me = currentDriver();
    const builderDead = (l: { holder: string; host: string }) => !isDriverAlive(l.holder, l.host);
    for (let waited = false; ; waited = true) {
      const golden = this.ctx.goldens.get(key);
      if (golden && (await snapshots.has(key))) return golden;
      if (this.ctx.meta.acquireLease(lease, me, currentHost(), builderDead)) {
        try {
          const again = this.ctx.goldens.get(key);
          if (again && (await snapshots.has(key))) return again;
          return await this.build(runtime, engine, key, dump, act);
        } finally {
          this.ctx.meta.releaseLease(lease, me);
        }
      }
      if (!waited) act.onProgress?.('Waiting for the golden snapshot being made');
      if (act.signal?.aborted) throw new DittoError('INTERRUPTED', 'interrupted while waiting for the golden snapshot');
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
  }

  /** Restores the dump once into a builder copy, then turns the builder's data into the snapshot. */
  private async build(runtime: Runtime, engine: Engine, key: string, dump: DumpFile | null, act: Act): Promise<Golden> {
    act.onProgress?.(dump ? 'Making the golden snapshot of the dump' : 'Making the golden snapshot');
    const fields: CopyFields = { ttl: this.ctx.config.ttl, label: 'golden snapshot', name: null, owner: null, runId: null, jobName: null, poolKey: null, warm: false };
    const builder = this.lifecycle.insert(runtime, engine, fields, dump, null, act.actor, 'golden');
    try {
      // Served on loopback in clear: the snapshot's data, and a committed image, carry no certificate.
      let started = await this.lifecycle.start(runtime, engine, builder, act, { from: null, serving: INTERNAL_SERVING });
      started = await fillCopy(this.ctx, runtime, engine, started, dump, act, { forUsers: true });
      await engine.settle?.(endpointOf(started), credentialsOf(started));
      await failpoint('before-promote');
      await runtime.snapshots!.promote(builder.id, key, engine);
      const golden: Golden = { key, runtime: runtime.name, engine: engine.name, dumpPath: dump?.path ?? null, user: builder.user, password: builder.password, database: started.database, createdAt: Date.now() };
      this.ctx.goldens.put(golden);
      this.ctx.repo.releasePorts(builder.id);
      this.ctx.repo.transition(builder.id, ['creating'], { status: 'destroyed', destroyedAt: Date.now(), driver: null, driverHost: null }, { action: 'promoted', actor: act.actor, metadata: { golden: key } });
      return golden;
    } catch (err) {
      throw await this.lifecycle.fail(builder, err, act);
    }
  }

  /**
   * Removes golden snapshots nothing needs: untracked ones, and ones no live copy was cloned from,
   * keeping the current dump's unless `all`. Returns the keys removed.
   */
  async collect(opts: { all?: boolean; log?: Log } = {}): Promise<string[]> {
    const removed: string[] = [];
    const engine = this.ctx.engines.current(this.ctx.config);
    for (const name of runtimesInUse(this.ctx)) {
      const runtime = await this.ctx.runtimes.get(name).catch(() => null);
      if (!runtime?.snapshots) continue;
      const current = opts.all ? null : await this.key(runtime, engine, currentDumpPath(this.ctx.config, this.ctx.home)).catch(() => null);
      const present = await runtime.snapshots.list().catch(() => null);
      if (present === null) continue; // the runtime cannot be asked now: nothing to decide
      for (const key of present) {
        const lease = this.ctx.meta.lease(`golden:${key}`);
        if (lease && isDriverAlive(lease.holder, lease.host)) continue; // being made
        // The row goes first, in one transaction with the look for copies of it (see Lifecycle.insert): no copy can be recorded on it after.
        const released = this.ctx.repo.db.immediate(() => {
          const tracked = this.ctx.goldens.get(key) !== undefined;
          if (tracked && (key === current || this.ctx.repo.goldenInUse(key))) return null;
          this.ctx.goldens.delete(key);
          return { tracked };
        });
        if (released === null) continue;
        const { tracked } = released;
        await runtime.snapshots.remove(key);
        removed.push(key);
        opts.log?.('removed a golden snapshot', { key, reason: !tracked ? 'untracked' : opts.all ? 'pruned' : 'dump changed and no copy uses it' });
      }
      // A row whose snapshot is gone (its files removed by hand) would only mislead.
      for (const golden of this.ctx.goldens.list()) if (golden.runtime === name && !present.includes(golden.key)) this.ctx.goldens.delete(golden.key);
    }
    return removed;
  }
}
