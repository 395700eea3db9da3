import { describe, expect, it } from 'vitest';
import { translateLegacyCommand } from '../../src/cli/legacy-commands.js';

describe("the established ditto's commands", () => {
  it.each([
    [['copy', 'create', '--ttl', '1h30m'], ['up', '--ttl', '1h30m']],
    [['copy', 'list', '--json'], ['ls', '--json']],
    [['copy', 'delete', 'abc'], ['down', 'abc']],
    [['copy', 'logs', 'abc'], ['logs', 'abc']],
    [['copy', 'run', '--', 'npm', 'test'], ['run', '--', 'npm', 'test']],
    [['env', 'export', '--shell', 'fish'], ['env', '--shell', 'fish']],
    [['env', 'destroy'], ['down', 'c0ffee']],
  ])('%j runs as %j', (old, now) => {
    expect(translateLegacyCommand(old, { DITTO_COPY_ID: 'c0ffee' })).toEqual(now);
  });

  it('leaves today’s commands, and unknown words, to the parser', () => {
    for (const argv of [['up'], ['env', '--shell', 'sh'], ['copy', 'frobnicate'], ['ls', 'create'], []]) expect(translateLegacyCommand(argv, {})).toEqual(argv);
  });

  it('env destroy without DITTO_COPY_ID says what to do', () => {
    expect(() => translateLegacyCommand(['env', 'destroy'], {})).toThrow(/DITTO_COPY_ID is not set/);
  });
});
