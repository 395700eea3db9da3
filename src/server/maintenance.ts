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

export interface ReseedSchedule {
  /** When the next reseed is due; null without a schedule. */
  next(): Date | null;
  /** Stops the schedule and waits for a reseed under way. */
  stop(): Promise<void>;
}

/**
 * Runs `reseed` on the cron expression `expression` (host.reseed_cron), never two at once. With
 * no reseed available, each due time logs a line saying so instead.
 */
export function scheduleReseed(
  expression: string | undefined,
  reseed: () => Promise<void>,
  log: Log,
  onResult: (result: 'ok' | 'failed') => void,
): ReseedSchedule {
  if (!expression) return { next: () => null, stop: async () => {} };
  let running: Promise<void> | null = null;
  const job = async () => {
    const started = Date.now();
    log('scheduled reseed started', { cron: expression });
    running = reseed().then(
      () => {
        log('scheduled reseed done', { ms: Date.now() - started });
        onResult('ok');
      },
      (err: unknown) => {
        log('scheduled reseed failed', { error: (err as Error).message });
        onResult('failed');
      },
    );
    await running;
    running = null;
  };
  let cron: Cron;
  try {
    cron = new Cron(expression, { protect: true }, job);
  } catch (err) {
    throw new DittoError('CONFIG', `host.reseed_cron '${expression}' is not a cron expression: ${(err as Error).message}`, { hint: "use five fields, e.g. '0 3 * * *' for 03:00 daily" });
  }
  return {
    next: () => cron.nextRun(),
    stop: async () => {
      cron.stop();
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
