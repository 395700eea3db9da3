import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortPool, isPortHeld } from '../../src/copies/port-pool.js';
import { CopiesRepo } from '../../src/state/copies-repo.js';
import { openState } from '../../src/state/store.js';

describe('port pool', () => {
  let home: string;
  let repo: CopiesRepo;
  const base = 31000 + Number(process.env.VITEST_POOL_ID ?? '1') * 100;

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-ports-'));
    repo = new CopiesRepo(openState(home));
  });

  afterEach(() => {
    repo.db.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('leases distinct ports, lowest first, and frees them', async () => {
    const pool = new PortPool(repo, { min: base, max: base + 2 });
    expect(await pool.lease('a')).toBe(base);
    expect(await pool.lease('b')).toBe(base + 1);
    expect(pool.freeCount()).toBe(1);
    repo.releasePorts('a');
    expect(await pool.lease('c')).toBe(base);
  });

  it('skips a port another program listens on', async () => {
    const server = net.createServer().listen(base + 10, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      expect(await isPortHeld(base + 10)).toBe(true);
      expect(await isPortHeld(base + 11)).toBe(false);
      const pool = new PortPool(repo, { min: base + 10, max: base + 11 });
      expect(await pool.lease('a')).toBe(base + 11);
    } finally {
      server.close();
    }
  });

  it('says how the range was used up', async () => {
    const pool = new PortPool(repo, { min: base + 20, max: base + 20 });
    await pool.lease('a');
    await expect(pool.lease('b')).rejects.toMatchObject({ code: 'NO_CAPACITY', message: `no free port in ${base + 20}-${base + 20} (1 leased by ditto, 0 held by other programs)` });
  });

  it('never hands one port to two concurrent leases, across connections', async () => {
    const other = new CopiesRepo(openState(home));
    const pools = [new PortPool(repo, { min: base + 30, max: base + 49 }), new PortPool(other, { min: base + 30, max: base + 49 })];
    const ports = await Promise.all(Array.from({ length: 20 }, (_, i) => pools[i % 2]!.lease(`copy-${i}`)));
    expect(new Set(ports).size).toBe(20);
    other.db.close();
  });
});
