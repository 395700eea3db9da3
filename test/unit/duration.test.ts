import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, tryParseDuration } from '../../src/config/duration.js';
import { DittoError } from '../../src/errors.js';

describe('durations', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86400],
    ['45', 45],
    ['1h30m', 5400],
    ['2h15m30s', 8130],
    ['1d12h', 129600],
    ['0h90s', 90],
    [' 10m ', 600],
    [30, 30],
  ])('%j is %i seconds', (text, seconds) => {
    expect(tryParseDuration(text)).toBe(seconds);
  });

  it.each(['', '0', '0s', '-5m', '1.5h', '15 minutes', 'm', '5w', '1e3', '30m1h', '1h1h', 'h30m', '1h 30m', '99999999999999999d', 1.5, -3])('%j is rejected', (text) => {
    expect(tryParseDuration(text)).toBeNull();
  });

  it('parseDuration raises a BAD_INPUT error that names the value and the accepted forms', () => {
    const err = (() => {
      try {
        parseDuration('5x', 'TTL');
      } catch (e) {
        return e as DittoError;
      }
    })();
    expect(err).toBeInstanceOf(DittoError);
    expect(err!.code).toBe('BAD_INPUT');
    expect(err!.toLine()).toBe("bad TTL '5x'; use whole numbers with units: 90s, 15m, 2h, 1d, 1h30m (or plain seconds)");
  });

  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [61, '1m01s'],
    [900, '15m'],
    [3600, '1h'],
    [3660, '1h01m'],
    [86400, '1d'],
    [90000, '1d1h'],
  ])('formats %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
