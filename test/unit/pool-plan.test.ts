import { describe, expect, it } from 'vitest';
import { poolPlan, type PoolState } from '../../src/copies/pool-plan.js';
import type { Copy, CopyStatus } from '../../src/model/copy.js';

let n = 0;
function warm(status: CopyStatus, poolKey = 'k1'): Copy {
  n++;
  return { id: `c${n}`, status, warm: true, poolKey } as Copy;
}

const NOW = 1_000_000_000;
function state(over: Partial<PoolState>): PoolState {
  return { key: 'k1', warm: [], target: 2, idleTtlMs: 3600_000, lastDemandAt: NOW - 1000, now: NOW, ...over };
}

describe('the pool arithmetic', () => {
  it('counts ready and in-flight copies of the current key, and the stale ones of other keys', () => {
    const copies = [warm('ready'), warm('creating'), warm('pending'), warm('ready', 'old'), warm('creating', 'old')];
    const { report } = poolPlan(state({ warm: copies }));
    expect(report).toEqual({ target: 2, ready: 1, inFlight: 2, stale: 2, lastDemandAt: NOW - 1000, idleAt: NOW - 1000 + 3600_000 });
  });

  it('drains ready copies of an old key, never one still being made', () => {
    const old = warm('ready', 'old');
    const making = warm('creating', 'old');
    const { drain, stale } = poolPlan(state({ warm: [old, making, warm('ready')] }));
    expect(stale).toEqual([old]);
    expect(drain).toEqual([old]);
  });

  it('keeps the target, counting copies in flight toward it: the oldest ready ones stay', () => {
    const ready = [warm('ready'), warm('ready'), warm('ready')];
    expect(poolPlan(state({ warm: ready })).drain).toEqual([ready[2]]);
    // One in flight leaves room for one ready copy.
    const inFlight = warm('creating');
    expect(poolPlan(state({ warm: [...ready, inFlight] })).drain).toEqual([ready[1], ready[2]]);
    // Target 0: none is kept.
    expect(poolPlan(state({ warm: ready, target: 0 })).drain).toEqual(ready);
  });

  it('drains every ready copy once idle: past pool.idle_ttl, paused (down --all), or never asked for', () => {
    const ready = [warm('ready'), warm('ready')];
    expect(poolPlan(state({ warm: ready, lastDemandAt: NOW - 3600_001 })).drain).toEqual(ready);
    const paused = poolPlan(state({ warm: ready, lastDemandAt: 0 }));
    expect(paused.drain).toEqual(ready);
    expect(paused.report).toMatchObject({ lastDemandAt: null, idleAt: null });
    expect(poolPlan(state({ warm: ready, lastDemandAt: NOW - 10 })).drain).toEqual([]);
  });
});
