import { describe, expect, it } from 'vitest';
import { RowCaps, jsonValue, withDeadline } from '../../src/engines/sql-caps.js';
import { tighter } from '../../src/model/sql.js';

describe('the caps of the sql tool', () => {
  it('keeps rows up to the row cap of each result, and counts the rest', () => {
    const caps = new RowCaps({ maxRows: 2, maxBytes: 1e6, timeoutMs: 1000 });
    const [a, b] = [caps.open(['x']), caps.open(['y'])];
    for (let i = 0; i < 5; i++) caps.add(a, [i]);
    caps.add(b, ['only']);
    expect(a).toMatchObject({ columns: ['x'], rows: [[0], [1]], rowsOmitted: 3 });
    expect(b).toMatchObject({ rows: [['only']], rowsOmitted: 0 });
  });

  it('keeps rows up to the byte cap across results (as JSON), and counts the rest', () => {
    const caps = new RowCaps({ maxRows: 100, maxBytes: 20, timeoutMs: 1000 });
    const [a, b] = [caps.open(['x']), caps.open(['y'])];
    caps.add(a, ['0123456789']); // ["0123456789"]: 14 bytes
    caps.add(a, ['abc']); // 7 more would make 21
    caps.add(b, [1]); // [1]: 3 bytes fits
    expect([a.rows, a.rowsOmitted, b.rows, b.rowsOmitted]).toEqual([[['0123456789']], 1, [[1]], 0]);
  });

  it('makes values JSON: bytes as \\x hex, dates as ISO text, big integers as text', () => {
    expect([Buffer.from([1, 255]), new Date(Date.UTC(2026, 0, 2)), 2n ** 70n, 'x', null].map(jsonValue)).toEqual([
      '\\x01ff', '2026-01-02T00:00:00.000Z', '1180591620717411303424', 'x', null,
    ]);
  });

  it('the tighter of two sets of caps, each cap on its own', () => {
    expect(tighter({ maxRows: 10, maxBytes: 500, timeoutMs: 9 }, { maxRows: 20, maxBytes: 100, timeoutMs: 30 })).toEqual({ maxRows: 10, maxBytes: 100, timeoutMs: 9 });
  });

  it('past its deadline a call is cancelled, and ends with the timeout\'s error even when the work ends quietly', async () => {
    let cancels = 0;
    let finish: (value: string) => void = () => {};
    const work = () => new Promise<string>((resolve) => (finish = resolve));
    const cancel = async () => {
      cancels++;
      finish('ended quietly');
    };
    await expect(withDeadline(10, undefined, cancel, work)).rejects.toMatchObject({ code: 'SQL_ERROR', message: expect.stringMatching(/ran past the timeout of 0.01s/) });
    expect(cancels).toBe(1);
    await expect(withDeadline(60_000, undefined, cancel, async () => 'done')).resolves.toBe('done');
    expect(cancels).toBe(1);
  });
});
