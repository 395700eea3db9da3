import fs from 'node:fs';
import type { Db } from '../state/store.js';
import { currentDriver, currentHost, isDriverAlive } from '../model/process-identity.js';
import type { Copies } from './house.js';
import type { MetaRepo } from '../state/meta-repo.js';

export const MAINTAINER_LEASE = 'maintainer';
/** A holder on another host that has not beaten for this long is presumed dead. */
const STALE_HEARTBEAT_MS = 60_000;
/** How often the sleeping maintainer checks whether another process changed the state. */
const CHANGE_POLL_MS = 250;
/** The longest it sleeps without a pass, so a missed change is still picked up. */
const MAX_SLEEP_MS = 30_000;
/** How often the sleeping maintainer looks whether a copy's server stopped (killed, OOM): a cheap look, a quick heal. */
const SERVER_CHECK_MS = 2000;

export type Log = (message: string, fields?: Record<string, unknown>) => void;

/** Whether some live process holds the maintainer lease. */
export function maintainerRunning(meta: MetaRepo): boolean {
  const lease = meta.lease(MAINTAINER_LEASE);
  return lease !== undefined && isDriverAlive(lease.holder, lease.host);
}

/**
 * The detached maintainer (`ditto pool maintain`): takes the lease (or leaves at once when a live
 * process holds it), then passes over the state, removing orphans, expiring, restarting stopped
 * servers, draining and refilling, and sleeps until the next deadline, a change by another
 * process, or a copy's server found stopped. It leaves when
 * no copy is left, so an idle machine runs no ditto process; a host's loop (`stayWhenIdle`) stays
 * until its signal. It also leaves when its config file changed, for its caller to start a
 * successor that reads the new one.
 */
export async function runMaintainer(
  copies: Copies,
  opts: {
    log: Log;
    stateFile: string;
    signal?: AbortSignal;
    stayWhenIdle?: boolean;
    /** True once the config it runs with is not the one on disk: it leaves, and says so in what it returns. */
    configChanged?: () => boolean;
  },
): Promise<'done' | 'config changed'> {
  const { log } = opts;
  const { meta, db, pool, upkeep } = copies;
  const me = currentDriver();
  const stale = (lease: { holder: string; host: string; heartbeatAt: number }) =>
    lease.host === currentHost() ? !isDriverAlive(lease.holder, lease.host) : Date.now() - lease.heartbeatAt > STALE_HEARTBEAT_MS;
  if (!meta.acquireLease(MAINTAINER_LEASE, me, currentHost(), stale)) {
    log('another maintainer holds the lease; leaving');
    return 'done';
  }
  log('maintainer started');
  try {
    for (;;) {
      if (!meta.heartbeat(MAINTAINER_LEASE, me)) {
        log('lost the maintainer lease; leaving');
        return 'done';
      }
      // Read before the pass: a change another process makes during it must still wake the next sleep.
      const seen = dataVersion(db);
      try {
        await upkeep.maintain(log);
      } catch (err) {
        log('maintenance pass failed', { error: (err as Error).message });
      }
      if (!opts.stayWhenIdle && !pool.hasCopies()) {
        log('no copies left; leaving');
        return 'done';
      }
      const deadline = await pool.nextDeadline();
      await sleepUntilChange(db, seen, Math.min(deadline ?? Infinity, Date.now() + MAX_SLEEP_MS), () => upkeep.anyStopped(), opts.signal);
      if (opts.signal?.aborted || !fs.existsSync(opts.stateFile)) {
        log('stopping');
        return 'done';
      }
      if (opts.configChanged?.()) {
        log('the config changed; a maintainer that reads it takes over');
        return 'config changed';
      }
    }
  } finally {
    meta.releaseLease(MAINTAINER_LEASE, me);
  }
}

/** Moves whenever another connection commits to the state file. */
function dataVersion(db: Db): number {
  return db.pragma('data_version') as number;
}

/** Sleeps until `until`, until the state has changed since data version `seen`, or until `stopped` finds a server that stopped. */
async function sleepUntilChange(db: Db, seen: number, until: number, stopped: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
  let nextCheck = Date.now() + SERVER_CHECK_MS;
  while (Date.now() < until && !signal?.aborted && dataVersion(db) === seen) {
    if (Date.now() >= nextCheck) {
      if (await stopped()) return;
      nextCheck = Date.now() + SERVER_CHECK_MS;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(CHANGE_POLL_MS, until - Date.now()))));
  }
}
