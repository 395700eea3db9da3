import { describe, expect, it } from 'vitest';
import { healPlan, type HealState } from '../../src/copies/heal-plan.js';
import type { Copy, CopyStatus } from '../../src/model/copy.js';

const NOW = 1_000_000_000;
const ME = '100:1';
const LIVE = new Set([ME, '200:1']);
const alive = (driver: string | null, host: string | null) => driver !== null && (host === 'elsewhere' || LIVE.has(driver));

let n = 0;
function copy(status: CopyStatus, over: Partial<Copy> = {}): Copy {
  n++;
  return { id: `c${n}`, status, warm: false, driver: null, driverHost: null, reservedBy: null, expiresAt: null, ...over } as Copy;
}

function plan(over: Partial<HealState>) {
  return healPlan({ live: [], unreleased: [], now: NOW, me: ME, alive, ...over });
}

describe('heal decisions, one per crash point', () => {
  it.each(['pending', 'creating', 'destroying'] as const)('a copy left %s by a process that died is failed, with the pid in the reason', (status) => {
    const orphan = copy(status, { driver: '999:5', driverHost: 'here' });
    expect(plan({ live: [orphan] }).fail).toEqual([{ copy: orphan, reason: `the process driving it (pid 999) died while it was ${status}` }]);
  });

  it('leaves a copy whose driving process lives, here or on another host', () => {
    const mine = copy('creating', { driver: '200:1', driverHost: 'here' });
    const remote = copy('destroying', { driver: '5:5', driverHost: 'elsewhere' });
    expect(plan({ live: [mine, remote] })).toEqual({ fail: [], expire: [], releaseWaiters: [], cleanUp: [] });
  });

  it('expires a ready copy past its TTL, and only such a one', () => {
    const due = copy('ready', { expiresAt: NOW });
    const later = copy('ready', { expiresAt: NOW + 1 });
    const warm = copy('ready', { warm: true, expiresAt: null });
    expect(plan({ live: [due, later, warm] }).expire).toEqual([due]);
  });

  it('frees an in-flight copy promised to a process that died waiting', () => {
    const promised = copy('creating', { warm: true, driver: '200:1', reservedBy: '777:1' });
    const kept = copy('creating', { warm: true, driver: '200:1', reservedBy: '200:1' });
    expect(plan({ live: [promised, kept] }).releaseWaiters).toEqual(['777:1']);
  });

  it('retries the cleanup of an ended copy whose remover died, or was this process; not one another live process is finishing', () => {
    const dead = copy('destroyed', { driver: '999:5' });
    const ours = copy('failed', { driver: ME });
    const busy = copy('destroyed', { driver: '200:1' });
    const none = copy('destroyed', { driver: null });
    expect(plan({ unreleased: [dead, ours, busy, none] }).cleanUp).toEqual([dead, ours, none]);
  });
});
