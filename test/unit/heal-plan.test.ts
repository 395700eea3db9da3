import { describe, expect, it } from 'vitest';
import { healPlan, undriven, type HealState } from '../../src/copies/heal-plan.js';
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
  return healPlan({ live: [], unreleased: [], stopped: new Set(), now: NOW, me: ME, alive, ...over });
}

describe('heal decisions, one per crash point', () => {
  it.each(['pending', 'creating', 'destroying'] as const)('a copy left %s by a process that died is failed, with the pid in the reason', (status) => {
    const orphan = copy(status, { driver: '999:5', driverHost: 'here' });
    expect(plan({ live: [orphan] }).fail).toEqual([{ copy: orphan, reason: `the process driving it (pid 999) died while it was ${status}` }]);
  });

  it('leaves a copy whose driving process lives, here or on another host', () => {
    const mine = copy('creating', { driver: '200:1', driverHost: 'here' });
    const remote = copy('destroying', { driver: '5:5', driverHost: 'elsewhere' });
    expect(plan({ live: [mine, remote] })).toEqual({ fail: [], expire: [], restart: [], releaseWaiters: [], cleanUp: [] });
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

describe('heal decisions for a server that stopped: a copy is its data, not its process', () => {
  it('restarts a ready copy whose server stopped, claimed or warm; leaves one whose server runs', () => {
    const claimed = copy('ready', { expiresAt: NOW + 60_000 });
    const warm = copy('ready', { warm: true });
    const running = copy('ready', { expiresAt: NOW + 60_000 });
    expect(plan({ live: [claimed, warm, running], stopped: new Set([claimed.id, warm.id]) }).restart).toEqual([
      { copy: claimed, why: 'its server had stopped' },
      { copy: warm, why: 'its server had stopped' },
    ]);
  });

  it('expires a stopped copy past its TTL rather than restart it', () => {
    const due = copy('ready', { expiresAt: NOW - 1 });
    const result = plan({ live: [due], stopped: new Set([due.id]) });
    expect(result.expire).toEqual([due]);
    expect(result.restart).toEqual([]);
  });

  it('leaves a copy another live process is restarting, here or on another host', () => {
    const here = copy('ready', { driver: '200:1', driverHost: 'here' });
    const remote = copy('ready', { driver: '5:5', driverHost: 'elsewhere' });
    expect(plan({ live: [here, remote], stopped: new Set([here.id, remote.id]) }).restart).toEqual([]);
  });

  it('restarts again a copy whose restarter died, whether or not its server was found running', () => {
    const halfDone = copy('ready', { driver: '999:5', driverHost: 'here' });
    expect(plan({ live: [halfDone] }).restart).toEqual([{ copy: halfDone, why: 'the process restarting its server (pid 999) died' }]);
  });

  it('never restarts a copy that is not ready: a stopped server of one being made or destroyed is its driver’s', () => {
    const making = copy('creating', { driver: '200:1' });
    const going = copy('destroying', { driver: '200:1' });
    expect(plan({ live: [making, going], stopped: new Set([making.id, going.id]) }).restart).toEqual([]);
  });

  it('asks about the servers of ready, unexpired copies no live process drives, and only those', () => {
    const asked = copy('ready', { expiresAt: NOW + 1 });
    const orphaned = copy('ready', { driver: '999:5' });
    const driven = copy('ready', { driver: '200:1' });
    const due = copy('ready', { expiresAt: NOW });
    const making = copy('creating', { driver: '999:5' });
    expect(undriven([asked, orphaned, driven, due, making], NOW, alive)).toEqual([asked, orphaned]);
  });
});
