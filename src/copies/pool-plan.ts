import type { Copy } from '../model/copy.js';

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

export interface PoolState {
  /** The pool key requests are served from now (runtime setting, engine, dump content). */
  key: string;
  /** Every live warm copy, any key, ready or in flight. */
  warm: Copy[];
  target: number;
  idleTtlMs: number;
  /** 0 when the pool was paused (`down --all`, `pool drain`) or never asked for. */
  lastDemandAt: number;
  now: number;
}

/**
 * The pool's arithmetic, decided from its state alone: what it holds, and which warm copies to
 * drain: those of an old key; all of the current key once idle; else those ready beyond the
 * target, counting copies in flight toward it (the oldest ready ones are kept).
 */
export function poolPlan(s: PoolState): { report: PoolReport; drain: Copy[]; stale: Copy[] } {
  const ofKey = s.warm.filter((c) => c.poolKey === s.key);
  const ready = ofKey.filter((c) => c.status === 'ready');
  const inFlight = ofKey.filter((c) => c.status === 'pending' || c.status === 'creating').length;
  const stale = s.warm.filter((c) => c.poolKey !== s.key && c.status === 'ready');
  const idleAt = s.lastDemandAt > 0 ? s.lastDemandAt + s.idleTtlMs : null;
  const idle = idleAt === null || idleAt <= s.now;
  const excess = idle ? ready : ready.slice(Math.max(0, s.target - inFlight));
  return {
    report: {
      target: s.target,
      ready: ready.length,
      inFlight,
      stale: s.warm.filter((c) => c.poolKey !== s.key).length,
      lastDemandAt: s.lastDemandAt > 0 ? s.lastDemandAt : null,
      idleAt,
    },
    drain: [...stale, ...excess],
    stale,
  };
}
