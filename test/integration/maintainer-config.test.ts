import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { maintainerPids } from '../helpers/processes.js';
import { readCopies, waitFor } from '../helpers/state.js';

/** The detached maintainer follows an edited ditto.yaml: it hands over to one that reads it. */
describe('the maintainer and an edited config', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ pool: { size: 1 } }, { portCount: 8 });
  });

  afterAll(async () => {
    await home.cleanup();
    await waitFor(() => maintainerPids(home.dir).length === 0 || undefined, 'the maintainer to leave', 10_000);
  });

  const warmReady = () => readCopies(home).filter((c) => c.warm === 1 && c.status === 'ready').length;

  it('a larger pool.size is filled once a change wakes the maintainer, by its successor', async () => {
    const claimed = await home.upJson(['--ttl', '10m']);
    await waitFor(() => warmReady() === 1 || undefined, 'the pool of one to fill');
    const [first] = maintainerPids(home.dir);
    expect(first).toBeDefined();

    home.writeConfig({ pool: { size: 3 } });
    // Any change to the state wakes it; an extend is one that makes nothing.
    expect((await home.run(['extend', claimed.id, '--ttl', '5m'])).exitCode).toBe(0);
    await waitFor(() => warmReady() === 3 || undefined, 'the successor to fill the pool to three', 60_000);
    expect(maintainerPids(home.dir)).not.toContain(first);
    expect(maintainerPids(home.dir)).toHaveLength(1);
    const log = fs.readFileSync(path.join(home.dir, 'logs', 'maintainer.log'), 'utf8');
    expect(log).toContain('the config changed; a maintainer that reads it takes over');
  });
});
