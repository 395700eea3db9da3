import { Cron } from 'croner';
import { maintainerRunning, runMaintainer, type Log } from '../copies/maintainer.js';
import type { Copies } from '../copies/house.js';
import { DittoError } from '../errors.js';

/** How often the host looks whether a detached maintainer has left the lease to it. */
const LEASE_POLL_MS = 1000;

/**
 * The host's maintenance loop: the maintainer's own passes (orphan scan, expiry, pool refill),
 * holding the maintainer lease for as long as the host runs, so no detached `ditto pool
 * maintain` competes with it. A detached maintainer already running is left to finish; the host
 * takes the lease when it leaves. Resolves once `signal` aborts and the pass under way is done.
 */
export async function runHostMaintenance(copies: Copies, opts: { log: Log; stateFile: string; signal: AbortSignal }): Promise<void> {
  const { log, signal } = opts;
  let waiting = false;
  while (!signal.aborted) {
    if (maintainerRunning(copies.meta)) {
      if (!waiting) log('a detached maintainer holds the lease; the host takes over when it leaves');
      waiting = true;
    } else {
      waiting = false;
      await runMaintainer(copies, { log, stateFile: opts.stateFile, signal, stayWhenIdle: true });
    }
    await sleep(LEASE_POLL_MS, signal);
  }
}

/** What the host's reseeds did, for GET /v2/status. */
export interface ReseedReport {
  running: boolean;
  /** The last one this host ran (scheduled or requested) since it started; null before one. */
  last: { at: number; result: 'ok' | 'failed' } | null;
  /** When the next scheduled reseed is due; null without a schedule. */
  next: Date | null;
}

/** An admin's reseed (POST /v2/reseed) and the report of the host's reseeds. */
export interface ReseedControl {
  /** Starts a reseed and returns at once; CONFLICT while one is running. */
  start(): void;
  report(): ReseedReport;
}

export interface ReseedSchedule extends ReseedControl {
  /** When the next reseed is due; null without a schedule. */
  next(): Date | null;
  /** Stops the schedule and waits for a reseed under way. */
  stop(): Promise<void>;
}

/**
 * Runs `reseed` on the cron expression `expression` (host.reseed_cron) and when an admin asks,
 * never two at once. With no reseed available, each due time logs a line saying so instead.
 */
export function scheduleReseed(
  expression: string | undefined,
  reseed: () => Promise<void>,
  log: Log,
  onResult: (result: 'ok' | 'failed') => void,
): ReseedSchedule {
  let running: Promise<void> | null = null;
  let last: ReseedReport['last'] = null;
  const run = (how: 'scheduled' | 'requested'): Promise<void> => {
    if (running) throw new DittoError('CONFLICT', 'a reseed is already running', { hint: 'wait for it to finish' });
    const started = Date.now();
    log(`${how} reseed started`, expression ? { cron: expression } : {});
    const finish = (result: 'ok' | 'failed', fields: Record<string, unknown>) => {
      log(`${how} reseed ${result === 'ok' ? 'done' : 'failed'}`, fields);
      last = { at: Date.now(), result };
      // The metric counts the schedule's runs (ditto_reseeds_total).
      if (how === 'scheduled') onResult(result);
      running = null;
    };
    running = reseed().then(
      () => finish('ok', { ms: Date.now() - started }),
      (err: unknown) => finish('failed', { error: (err as Error).message }),
    );
    return running;
  };
  let cron: Cron | null = null;
  if (expression) {
    try {
      // A due time while a requested reseed runs is skipped; croner's protect skips its own overlaps.
      cron = new Cron(expression, { protect: true }, async () => {
        if (running) return log('scheduled reseed skipped: one is already running');
        await run('scheduled');
      });
    } catch (err) {
      throw new DittoError('CONFIG', `host.reseed_cron '${expression}' is not a cron expression: ${(err as Error).message}`, { hint: "use five fields, e.g. '0 3 * * *' for 03:00 daily" });
    }
  }
  const next = () => cron?.nextRun() ?? null;
  return {
    next,
    start: () => void run('requested'),
    report: () => ({ running: running !== null, last, next: next() }),
    stop: async () => {
      cron?.stop();
      await running;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
