import { DRIVEN_STATUSES, type Copy } from '../model/copy.js';

export interface HealState {
  /** Copies not destroyed or failed. */
  live: Copy[];
  /** Destroyed or failed copies that still hold a port lease: their cleanup did not finish. */
  unreleased: Copy[];
  /** Ready copies whose server was found not running (a copy the runtime could not be asked about is not here). */
  stopped: ReadonlySet<string>;
  now: number;
  /** This process's identity. */
  me: string;
  alive: (driver: string | null, host: string | null) => boolean;
}

export interface HealPlan {
  /** Copies whose driving process died mid-step, and why they fail. */
  fail: { copy: Copy; reason: string }[];
  /** Ready copies past their TTL. */
  expire: Copy[];
  /** Ready copies whose server is to be started again from their data, and why. */
  restart: { copy: Copy; why: string }[];
  /** Processes that were promised an in-flight warm copy and died waiting. */
  releaseWaiters: string[];
  /** Finished copies whose resources are to be removed again (their remover is gone, or is us). */
  cleanUp: Copy[];
}

/** Ready copies that no live process drives, so heal may look at their servers: the ones `stopped` is asked about. */
export function undriven(copies: Copy[], now: number, alive: HealState['alive']): Copy[] {
  return copies.filter((c) => c.status === 'ready' && !(c.expiresAt !== null && c.expiresAt <= now) && !alive(c.driver, c.driverHost));
}

/**
 * What a heal does, decided from the state alone (a crash at any point leaves a record that says
 * what to clean). A copy is its data, not its process: a ready copy whose server stopped is
 * started again, not failed; whether its data is still there is the restart's to find out.
 */
export function healPlan(s: HealState): HealPlan {
  const plan: HealPlan = { fail: [], expire: [], restart: [], releaseWaiters: [], cleanUp: [] };
  const waiters = new Set<string>();
  const restartable = new Set(undriven(s.live, s.now, s.alive));
  for (const copy of s.live) {
    if (copy.reservedBy && !s.alive(copy.reservedBy, null)) waiters.add(copy.reservedBy);
    if (DRIVEN_STATUSES.includes(copy.status) && !s.alive(copy.driver, copy.driverHost)) {
      plan.fail.push({ copy, reason: `the process driving it (pid ${pidOf(copy.driver)}) died while it was ${copy.status}` });
    } else if (copy.status === 'ready' && copy.expiresAt !== null && copy.expiresAt <= s.now) {
      plan.expire.push(copy);
    } else if (restartable.has(copy) && copy.driver !== null) {
      // A restart that died half-way is done again: it may have left the server stopped.
      plan.restart.push({ copy, why: `the process restarting its server (pid ${pidOf(copy.driver)}) died` });
    } else if (restartable.has(copy) && s.stopped.has(copy.id)) {
      plan.restart.push({ copy, why: 'its server had stopped' });
    }
  }
  plan.releaseWaiters = [...waiters];
  plan.cleanUp = s.unreleased.filter((c) => c.driver === s.me || !s.alive(c.driver, c.driverHost));
  return plan;
}

function pidOf(driver: string | null): string {
  return driver?.split(':')[0] ?? 'unknown';
}
