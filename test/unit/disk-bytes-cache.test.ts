import { describe, expect, it } from 'vitest';
import type { CopyInfo } from '../../src/model/copy-client.js';
import { cachedDiskBytes } from '../../src/server/disk-bytes-cache.js';

const copy = (id: string) => ({ id, diskBytes: null }) as CopyInfo;

describe('the host’s cache of copy sizes', () => {
  it('measures each copy once per period, and callers asking together wait for one measurement', async () => {
    let clock = 0;
    const measured: string[][] = [];
    const sizes = cachedDiskBytes(
      async (copies) => {
        measured.push(copies.map((c) => c.id));
        await new Promise((r) => setTimeout(r, 10));
        return copies.map((c) => ({ ...c, diskBytes: c.id.length * 100 + clock }));
      },
      1000,
      () => clock,
    );
    const together = await Promise.all(Array.from({ length: 20 }, () => sizes([copy('a'), copy('bb')])));
    expect(measured).toEqual([['a', 'bb']]);
    for (const answer of together) expect(answer.map((c) => c.diskBytes)).toEqual([100, 200]);

    clock = 500;
    expect((await sizes([copy('a'), copy('ccc')])).map((c) => c.diskBytes)).toEqual([100, 800]);
    expect(measured).toEqual([['a', 'bb'], ['ccc']]);

    clock = 1200;
    expect((await sizes([copy('a')])).map((c) => c.diskBytes)).toEqual([1300]);
    expect(measured.at(-1)).toEqual(['a']);
  });

  it('a failed measurement fails its callers only; the next one measures again', async () => {
    let fail = true;
    const sizes = cachedDiskBytes(async (copies) => {
      if (fail) throw new Error('walk failed');
      return copies.map((c) => ({ ...c, diskBytes: 1 }));
    }, 1000);
    await expect(sizes([copy('a')])).rejects.toThrow('walk failed');
    fail = false;
    expect((await sizes([copy('a')]))[0]!.diskBytes).toBe(1);
  });
});
