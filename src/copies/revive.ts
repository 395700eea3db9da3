import type { Engine } from '../engines/engine.js';
import { asDittoError, type DittoError } from '../errors.js';
import type { Copy } from '../model/copy.js';
import { currentDriver, currentHost } from '../model/process-identity.js';
import type { Runtime } from '../runtimes/runtime.js';
import { idsByRuntime, type CopiesContext } from './context.js';
import { credentialsOf, endpointOf, type Lifecycle } from './lifecycle.js';

/** How many copies one heal restarts at once: after a reboot, every copy's server is down. */
const PARALLEL_RESTARTS = 4;

/**
 * Brings back copies whose server stopped outside ditto (kill -9, the OOM killer, a reboot): a
 * copy is its data, not its process. Its server starts again from its data, on its port, with its
 * password, so its connection string works again. A copy whose data is gone, or whose port another
 * program took meanwhile, fails with the reason instead: its connection string never changes.
 */
export class Reviver {
  constructor(
    private readonly ctx: CopiesContext,
    private readonly lifecycle: Lifecycle,
  ) {}

  /**
   * Ids of those of `copies` whose server is not running, asked in one look per runtime. A runtime
   * that cannot be asked (Docker unreachable) reports none: nothing is restarted or failed on a guess.
   */
  async stopped(copies: Copy[]): Promise<Set<string>> {
    const stopped = new Set<string>();
    for (const [name, ids] of idsByRuntime(copies)) {
      try {
        const running = await (await this.ctx.runtimes.get(name)).running(ids);
        for (const id of ids) if (!running.has(id)) stopped.add(id);
      } catch {
        // Unknown, so left as it is.
      }
    }
    return stopped;
  }

  /** Restarts each copy (a few at once); returns how many came back. */
  async reviveAll(targets: { copy: Copy; why: string }[], actor: string): Promise<number> {
    const queue = [...targets];
    let back = 0;
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) if (await this.revive(next.copy, next.why, actor)) back++;
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_RESTARTS, queue.length) }, worker));
    return back;
  }

  /** `copy` with its server running: started again if it had stopped; undefined when it could not be (it failed, with the reason). */
  async ensureRunning(copy: Copy, actor: string): Promise<Copy | undefined> {
    return (await this.stopped([copy])).has(copy.id) ? this.revive(copy, 'its server had stopped', actor) : copy;
  }

  /**
   * Starts ready `copy`'s server again, this process driving the copy meanwhile: taken over in one
   * statement from the driver the record names, so of two processes healing at once one restarts
   * it. Undefined when another got there first, or it could not come back.
   */
  async revive(copy: Copy, why: string, actor: string): Promise<Copy | undefined> {
    const { ctx } = this;
    const mine = ctx.repo.takeOver(copy.id, copy.driver, { driver: currentDriver(), driverHost: currentHost() }, { action: 'restarting', actor, metadata: { why } });
    if (!mine) return undefined;
    const started = Date.now();
    const engine = ctx.engines.get(copy.engine);
    let remounted: boolean;
    try {
      const runtime = await ctx.runtimes.get(copy.runtime);
      ({ remounted } = await runtime.restart({ copyId: copy.id, engine, from: copy.goldenKey }));
      await engine.waitReady(endpointOf(mine), credentialsOf(mine), { timeoutMs: ctx.config.ready_timeout * 1000, alive: () => runtime.isRunning(copy.id) });
    } catch (err) {
      await this.couldNotRestart(mine, asDittoError(err), engine, actor);
      return undefined;
    }
    const metadata = { why, port: mine.port, ms: Date.now() - started, ...(remounted ? { remounted: 'its overlay clone was mounted again' } : {}) };
    const back = ctx.repo.transition(copy.id, ['ready'], { driver: null, driverHost: null }, { action: 'restarted', actor, metadata });
    if (back) return back;
    // Destroyed meanwhile (`down`, expiry): the server this started goes too.
    await this.lifecycle.removeQuietly(mine, 'removing a server restarted for a copy destroyed meanwhile');
    return undefined;
  }

  /** Fails the copy with why it cannot come back; when the runtime went away meanwhile, leaves it for the next heal instead. */
  private async couldNotRestart(copy: Copy, error: DittoError, engine: Engine, actor: string): Promise<void> {
    const runtime = await this.ctx.runtimes.get(copy.runtime).catch(() => undefined);
    if (error.code === 'RUNTIME_UNAVAILABLE' || !runtime) {
      this.ctx.repo.transition(copy.id, ['ready'], { driver: null, driverHost: null }, { action: 'restart postponed', actor, metadata: { reason: error.message } });
      return;
    }
    const reason = error.code === 'NOT_FOUND' ? `its server had stopped and ${error.message}` : await this.startReason(copy, error, runtime, engine);
    await this.lifecycle.failAndRemove(copy, reason, actor, 'removing a copy that could not be restarted');
  }

  /** Why a restarted server did not answer: another program on its port, the server's own log line, or the wait's error. */
  private async startReason(copy: Copy, error: DittoError, runtime: Runtime, engine: Engine): Promise<string> {
    if (await runtime.isRunning(copy.id).catch(() => true)) return `its server had stopped and did not come back: ${error.message}`;
    const failure = await runtime.startFailure(copy.id, engine);
    if (failure.portTaken) {
      return `its server had stopped and port ${copy.port} is now held by another program; a copy keeps its port, so it was not restarted (ditto up makes a new one)`;
    }
    return `its server had stopped and would not start again: ${failure.error.message}`;
  }
}
