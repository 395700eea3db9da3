import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/support/byte-size.js';

describe('parseByteSize', () => {
  it.each([
    ['100G', 100 * 2 ** 30],
    ['1.5g', 1.5 * 2 ** 30],
    ['500MB', 500e6],
    ['20GiB', 20 * 2 ** 30],
    ['512 k', 512 * 2 ** 10],
    [4096, 4096],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'lots', '0', '-1G', '10X', 'G'])('%j is no size', (text) => {
    expect(parseByteSize(text)).toBeNull();
  });
});
