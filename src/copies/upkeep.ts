import { asDittoError } from '../errors.js';
import { isFinal } from '../model/copy.js';
import { currentDriver, isDriverAlive } from '../model/process-identity.js';
import { goneHomeRuntimes } from '../runtimes/home-mark.js';
import type { GoneHomeLeftover, Runtime } from '../runtimes/runtime.js';
import { runtimesInUse, type CopiesContext, type Log } from './context.js';
import type { Goldens } from './goldens.js';
import type { Lifecycle } from './lifecycle.js';
import type { Pool } from './pool.js';
import { healPlan, undriven } from './heal-plan.js';
import type { Reviver } from './revive.js';
import type { TestDatabaseStock } from './test-database-stock.js';

/** Recovery and housekeeping: heal after crashes, expire, remove what no record accounts for, forget old history. */
export class Upkeep {
  constructor(
    private readonly ctx: CopiesContext,
    private readonly lifecycle: Lifecycle,
    private readonly pool: Pool,
    private readonly goldens: Goldens,
    private readonly stock: TestDatabaseStock,
    private readonly reviver: Reviver,
  ) {}

  /**
   * Cheap recovery, run by every command: fails and cleans copies whose driving process died,
   * retries cleanup that did not finish, frees promises made to dead waiters, destroys copies
   * past their TTL, and starts again the servers of ready copies that stopped (a copy whose data
   * is gone fails). What it cannot finish now is logged and tried again next time.
   */
  async heal(): Promise<void> {
    const { repo, actor } = this.ctx;
    const live = repo.list();
    const now = Date.now();
    // One look per runtime at the servers of the ready copies: a pid file and /proc, or one Docker list call.
    const stopped = await this.reviver.stopped(undriven(live, now, isDriverAlive));
    const plan = healPlan({ live, unreleased: repo.unreleased(), stopped, now, me: currentDriver(), alive: isDriverAlive });
    for (const { copy, reason } of plan.fail) await this.lifecycle.failAndRemove(copy, reason, actor, 'healing a copy whose process died');
    for (const copy of plan.expire) {
      await this.lifecycle.destroy(copy, 'expired', actor).catch((err: unknown) => {
        this.ctx.log('expiring a copy failed; the next command retries', { copy_id: copy.id, error: asDittoError(err).message });
      });
    }
    for (const waiter of plan.releaseWaiters) repo.releaseReservations(waiter);
    for (const copy of plan.cleanUp) await this.lifecycle.removeQuietly(copy, 'finishing the cleanup of a destroyed copy');
    // After a reboot no maintainer runs: a copy brought back needs one to expire it.
    if (plan.restart.length > 0 && (await this.reviver.reviveAll(plan.restart, actor)) > 0) await this.ctx.onChange();
  }

  /** Whether a ready copy's server stopped: the maintainer looks between its passes, so it heals within seconds. */
  async anyStopped(): Promise<boolean> {
    return (await this.reviver.stopped(undriven(this.ctx.repo.list(), Date.now(), isDriverAlive))).size > 0;
  }

  /** Removes runtime resources that no live record accounts for, and helpers whose maker died; returns their ids and names. */
  async removeOrphans(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of runtimesInUse(this.ctx)) {
      let runtime: Runtime;
      try {
        runtime = await this.ctx.runtimes.get(name);
      } catch {
        continue; // Not usable here (no Docker client): nothing of ours can run there either.
      }
      for (const id of await runtime.listResources().catch(() => [])) {
        const record = this.ctx.repo.get(id);
        if (record && !isFinal(record.status)) continue;
        if (record && record.driver !== null && record.driver !== currentDriver() && isDriverAlive(record.driver, record.driverHost)) continue;
        await runtime.remove(id);
        if (record) this.ctx.repo.releasePorts(id);
        removed.push(id);
      }
      removed.push(...(await runtime.sweepHelpers?.().catch(() => []) ?? []));
    }
    return removed;
  }

  /**
   * Removes what homes that are gone left in the runtimes this home uses and in data directories
   * (containers, golden images, data directories with either runtime's clones: home-mark.ts says
   * what is gone), and logs it. A runtime that cannot
   * be reached now is passed over; what could not be removed is logged and returned in `failures`,
   * and the next pass tries again.
   */
  async sweepGoneHomes(log: Log = this.ctx.log): Promise<{ removed: GoneHomeLeftover[]; failures: string[] }> {
    const removed: GoneHomeLeftover[] = [];
    const failures: string[] = [];
    for (const name of goneHomeRuntimes(runtimesInUse(this.ctx))) {
      const runtime = await this.ctx.runtimes.get(name).catch(() => null);
      try {
        removed.push(...((await runtime?.sweepGoneHomes?.()) ?? []));
      } catch (err) {
        const e = asDittoError(err);
        if (e.code === 'RUNTIME_UNAVAILABLE') continue;
        log('removing what gone homes left failed; the next pass retries', { runtime: name, error: e.message });
        failures.push(e.message);
      }
    }
    for (const leftover of removed) log('removed what a gone home left', { what: leftover.what, homes: leftover.homes });
    return { removed, failures };
  }

  /**
   * One pass of the maintainer: remove untracked resources and what gone homes left, heal, keep
   * the pool and the stocks of per-test databases, collect golden snapshots nothing needs, and
   * forget destroyed copies older than state.retention.
   */
  async maintain(log: Log): Promise<void> {
    for (const id of await this.removeOrphans()) log('removed untracked resources', { copy_id: id });
    await this.sweepGoneHomes(log);
    await this.heal();
    await this.pool.maintain(log);
    await this.stock.maintain(log);
    await this.goldens.collect({ log });
    const forgotten = this.ctx.repo.pruneFinished(Date.now() - this.ctx.config.state.retention * 1000);
    if (forgotten > 0) log('forgot destroyed and failed copies past state.retention', { copies: forgotten });
  }
}
