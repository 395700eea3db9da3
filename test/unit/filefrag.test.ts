import { describe, expect, it } from 'vitest';
import { parseFilefrag } from '../../src/runtimes/local/copy-bytes.js';

/** What a reflink clone owns, read from `filefrag -v`: the extents not shared with another file. */

// As XFS prints it for a 20 MB file cloned with `cp --reflink`, then 3 blocks of the clone written.
const XFS = `Filesystem type is: 58465342
File size of m/a is 20000000 (4883 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..      99:         24..       123:    100:             shared
   1:      100..     102:        124..       126:      3:            
   2:      103..    4882:        127..      4906:   4780:             last,shared,eof
m/a: 1 extent found
File size of m/b is 20000000 (4883 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..      99:         24..       123:    100:             shared
   1:      100..     102:       4911..      4913:      3:        124:
   2:      103..    4882:        127..      4906:   4780:       4914: last,shared,eof
m/b: 3 extents found
Filesystem type is: 58465342
File size of m/empty is 0 (0 blocks of 4096 bytes)
m/empty: 0 extents found
`;

describe('filefrag -v output', () => {
  it('sums the unshared extents of every file, with or without an expected column or flags', () => {
    expect(parseFilefrag(XFS)).toBe(2 * 3 * 4096);
  });

  it('counts every extent of a plain copy, in the block size of each file', () => {
    const ext4 = `Filesystem type is: ef53
File size of x is 10000 (3 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..       2:     345600..    345602:      3:             last,eof
x: 1 extent found
File size of y is 2048 (2 blocks of 1024 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..       1:       9000..      9001:      2:             last,eof
y: 1 extent found
`;
    expect(parseFilefrag(ext4)).toBe(3 * 4096 + 2 * 1024);
  });

  it('counts data not yet written out (delayed allocation, length 0) by its logical range', () => {
    const delalloc = `Filesystem type is: ef53
File size of b is 30000000 (7325 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..    7324:          0..         0:      0:             last,unknown_loc,delalloc,eof
b: 1 extent found
`;
    expect(parseFilefrag(delalloc)).toBe(7325 * 4096);
  });

  it("counts a btrfs file inline in the metadata as its size, not as the 4096 'blocks' filefrag shows", () => {
    const inline = `Filesystem type is: 9123683e
File size of pg_hba.conf is 300 (1 block of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..    4095:          0..      4095:   4096:             last,not_aligned,inline,eof
pg_hba.conf: 1 extent found
`;
    expect(parseFilefrag(inline)).toBe(300);
  });

  it('cannot tell when a file with data shows no extent table (no FIEMAP: filefrag fell back to FIBMAP)', () => {
    const fibmap = `Filesystem type is: 1021994
File size of t is 5000 (2 blocks of 4096 bytes)
t: 2 extents found
`;
    expect(parseFilefrag(fibmap)).toBeNull();
    expect(parseFilefrag(fibmap + XFS)).toBeNull();
  });

  it('finds nothing in no output', () => {
    expect(parseFilefrag('')).toBe(0);
  });
});
