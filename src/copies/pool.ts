import { dumpKey } from '../dump/identity.js';
import { servingKey } from './serving.js';
import { prepareIdentity } from './prepare.js';
import type { Engine } from '../engines/engine.js';
import { DittoError, asDittoError } from '../errors.js';
import type { UpOptions } from '../model/copy-client.js';
import type { Copy } from '../model/copy.js';
import { currentDriver } from '../model/process-identity.js';
import type { Claim } from '../state/copies-repo.js';
import { LAST_DEMAND_KEY, type CopiesContext, type Log } from './context.js';
import type { Act, Lifecycle } from './lifecycle.js';
import { poolPlan, type PoolReport } from './pool-plan.js';
import type { Provisioner } from './provision.js';
import type { Reviver } from './revive.js';

/** How often a process waiting for an in-flight warm copy looks at it. */
const WAIT_POLL_MS = 50;

/** The warm pool: copies made ahead of demand, claimed in one statement, refilled, drained when idle. */
export class Pool {
  constructor(
    private readonly ctx: CopiesContext,
    private readonly lifecycle: Lifecycle,
    private readonly provisioner: Provisioner,
    private readonly reviver: Reviver,
  ) {}

  /** What a warm copy must match to serve a request: the runtime setting, the engine, and the dump's content. */
  async key(engine: Engine, dumpPath: string | null): Promise<string> {
    const prepared = await prepareIdentity(this.ctx.config.prepare);
    return `${this.ctx.config.runtime}|${engine.name}|${await dumpKey(dumpPath, this.ctx.home)}|${prepared?.hash ?? ''}|${servingKey(await this.ctx.serving())}`;
  }

  private async currentKey(): Promise<string> {
    return this.key(this.ctx.engines.current(this.ctx.config), this.provisioner.currentDump());
  }

  /** Someone asked for a copy now: the pool stays filled for another pool.idle_ttl. */
  markDemand(): void {
    this.ctx.meta.set(LAST_DEMAND_KEY, String(Date.now()));
  }

  /** Nothing is wanted until the next `up`: the maintainer drains the pool and leaves. */
  pause(): void {
    this.ctx.meta.set(LAST_DEMAND_KEY, '0');
  }

  async report(): Promise<PoolReport> {
    return (await this.plan()).report;
  }

  private async plan(): Promise<ReturnType<typeof poolPlan>> {
    return poolPlan({
      key: await this.currentKey(),
      warm: this.ctx.repo.list().filter((c) => c.warm),
      target: this.ctx.config.pool.size,
      idleTtlMs: this.ctx.config.pool.idle_ttl * 1000,
      lastDemandAt: Number(this.ctx.meta.get(LAST_DEMAND_KEY) ?? '0'),
      now: Date.now(),
    });
  }

  /**
   * A warm copy of `key` claimed for this request in one statement, or undefined when none is
   * ready. One whose server stopped while it waited is started again before it is handed out, as
   * heal does; if it cannot be (its data is gone), it fails and the next is tried.
   */
  async claim(key: string, claim: Claim, actor: string): Promise<Copy | undefined> {
    for (;;) {
      const copy = this.ctx.repo.claimWarm(key, currentDriver(), claim, actor);
      if (!copy) return undefined;
      const running = await this.reviver.ensureRunning(copy, actor);
      if (running) return running;
    }
  }

  /**
   * Waits for a warm copy already being made, instead of making another: the copy is promised to
   * this process, and claimed as soon as it is ready. Undefined when there is none, or it failed.
   */
  async awaitInFlight(key: string, claim: Claim, act: Act): Promise<Copy | undefined> {
    const me = currentDriver();
    const promised = this.ctx.repo.reserveInFlight(key, me);
    if (!promised) return undefined;
    act.onProgress?.('Waiting for a warm copy being made');
    const deadline = Date.now() + (this.ctx.config.ready_timeout + 60) * 1000;
    try {
      for (;;) {
        if (act.signal?.aborted) throw new DittoError('INTERRUPTED', 'interrupted while waiting for a warm copy');
        const copy = this.ctx.repo.get(promised.id);
        if (!copy || (copy.status !== 'pending' && copy.status !== 'creating' && !(copy.status === 'ready' && copy.warm))) return undefined;
        if (copy.status === 'ready') return this.ctx.repo.claimWarm(key, me, claim, act.actor);
        if (Date.now() > deadline) return undefined;
        await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
      }
    } finally {
      this.ctx.repo.releaseReservations(me);
    }
  }

  /** Provisions warm copies until the pool holds its target (ready or in flight); returns how many it made. */
  async fill(options: UpOptions = {}): Promise<number> {
    const report = await this.report();
    const missing = report.target - report.ready - report.inFlight;
    if (missing <= 0) return 0;
    const act: Act = { ...options, actor: this.ctx.actor };
    const engine = this.ctx.engines.current(this.ctx.config);
    const dumpPath = this.provisioner.currentDump();
    const { runtime } = await this.ctx.runtimes.choose(engine);
    const dump = await this.provisioner.checkDump(runtime, engine, dumpPath, act);
    const fields = { ttl: this.ctx.config.ttl, label: null, name: null, owner: null, runId: null, jobName: null, poolKey: await this.key(engine, dumpPath), warm: true };
    // Two at a time: restores are CPU-bound, and a burst beyond the cores only slows each copy down.
    let made = 0;
    const errors: DittoError[] = [];
    const worker = async (count: number) => {
      for (let i = 0; i < count; i++) {
        try {
          await this.provisioner.make(runtime, engine, fields, dump, act);
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
  async drain(): Promise<Copy[]> {
    this.pause();
    try {
      return await this.lifecycle.destroyAll(this.ctx.repo.list().filter((c) => c.warm), 'drained', this.ctx.actor);
    } finally {
      await this.ctx.onChange();
    }
  }

  /** One maintainer pass over the pool (after heal, which restarted warm copies whose server stopped): replace those of an old dump, drain when idle, trim to the target, refill. */
  async maintain(log: Log): Promise<void> {
    const { report, drain, stale } = await this.plan();
    const idle = report.idleAt === null || report.idleAt <= Date.now();
    for (const copy of await this.lifecycle.destroyAll(drain, 'drained', this.ctx.actor)) {
      log('drained a warm copy', { copy_id: copy.id, reason: stale.includes(copy) ? 'dump or runtime changed' : idle ? 'idle' : 'above target' });
    }
    if (!idle) {
      const made = await this.fill();
      if (made > 0) log('refilled the pool', { made, target: report.target });
    }
  }

  /** Whether any copy is alive (not destroyed or failed): the maintainer runs only while one is. */
  hasCopies(): boolean {
    return this.ctx.repo.list().length > 0;
  }

  /** Whether there is work for a maintainer: live copies, or a pool wanted and not idle. */
  async needsMaintainer(): Promise<boolean> {
    if (this.hasCopies()) return true;
    const { target, idleAt } = await this.report();
    return target > 0 && idleAt !== null && idleAt > Date.now();
  }

  /** When the maintainer next has work without being asked: the next expiry or idle drain. */
  async nextDeadline(): Promise<number | null> {
    const deadlines = this.ctx.repo
      .list()
      .filter((c) => c.status === 'ready' && c.expiresAt !== null)
      .map((c) => c.expiresAt!);
    const { idleAt, ready, inFlight } = await this.report();
    if (idleAt !== null && ready + inFlight > 0) deadlines.push(idleAt);
    return deadlines.length ? Math.min(...deadlines) : null;
  }
}
