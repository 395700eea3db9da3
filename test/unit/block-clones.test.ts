import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockClones } from '../../src/runtimes/docker/block-clones.js';
import type { ClonePreference } from '../../src/runtimes/local/clone.js';

const asRoot = process.getuid?.() === 0;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-block-clones-'));
const clonesIn = (name: string, clone: ClonePreference) => new BlockClones({ root: path.join(scratch, name), clone, home: path.join(scratch, 'home') });

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe("the Docker runtime's block-level clones", () => {
  it('are used where the local cloner chooses a block-level method, as root only', () => {
    expect(clonesIn('a', 'reflink').active).toBe(asRoot);
    expect(clonesIn('b', 'btrfs').active).toBe(asRoot);
    expect(clonesIn('c', 'overlay').active).toBe(false);
    expect(clonesIn('d', 'copy').active).toBe(false);
  });

  it('a fresh data directory becomes a golden snapshot; removing both leaves no data directory behind', async () => {
    const clones = clonesIn('e', 'reflink');
    const data = await clones.prepare('c1', null);
    expect(fs.readdirSync(data)).toEqual([]);
    fs.writeFileSync(path.join(data, 'PG_VERSION'), '15');
    expect(clones.listCopies()).toEqual(['c1']);
    expect(clones.hasGolden('k')).toBe(false);

    await clones.promote('c1', 'k', 'postgres');
    expect(clones.hasGolden('k')).toBe(true);
    expect(clones.listGoldens()).toEqual(['k']);
    expect(await clones.goldenSize('k')).toBeGreaterThan(0);
    await clones.remove('c1');
    expect(clones.listCopies()).toEqual([]);
    await clones.removeGolden('k');
    expect(clones.listGoldens()).toEqual([]);
    expect(fs.existsSync(path.join(scratch, 'e')), 'the data directory is left').toBe(false);
  });
});
