import { DRIVEN_STATUSES, type Copy } from '../model/copy.js';

export interface HealState {
  /** Copies not destroyed or failed. */
  live: Copy[];
  /** Destroyed or failed copies that still hold a port lease: their cleanup did not finish. */
  unreleased: Copy[];
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
  /** Processes that were promised an in-flight warm copy and died waiting. */
  releaseWaiters: string[];
  /** Finished copies whose resources are to be removed again (their remover is gone, or is us). */
  cleanUp: Copy[];
}

/** What a heal does, decided from the state alone (a crash at any point leaves a record that says what to clean). */
export function healPlan(s: HealState): HealPlan {
  const plan: HealPlan = { fail: [], expire: [], releaseWaiters: [], cleanUp: [] };
  const waiters = new Set<string>();
  for (const copy of s.live) {
    if (copy.reservedBy && !s.alive(copy.reservedBy, null)) waiters.add(copy.reservedBy);
    if (DRIVEN_STATUSES.includes(copy.status) && !s.alive(copy.driver, copy.driverHost)) {
      const pid = copy.driver?.split(':')[0] ?? 'unknown';
      plan.fail.push({ copy, reason: `the process driving it (pid ${pid}) died while it was ${copy.status}` });
    } else if (copy.status === 'ready' && copy.expiresAt !== null && copy.expiresAt <= s.now) {
      plan.expire.push(copy);
    }
  }
  plan.releaseWaiters = [...waiters];
  plan.cleanUp = s.unreleased.filter((c) => c.driver === s.me || !s.alive(c.driver, c.driverHost));
  return plan;
}
