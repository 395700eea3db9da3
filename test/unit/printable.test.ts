import { describe, expect, it } from 'vitest';
import { checkPrintable, isPrintable, terminalSafe, terminalSafeJson } from '../../src/support/printable.js';
import { withoutDiskPaths } from '../../src/support/path-redaction.js';

describe('printable text', () => {
  it('refuses control, C1, separator and bidi characters, naming the field', () => {
    for (const bad of ['a\u001bb', 'a\nb', 'a\tb', 'a\u007f', 'a\u009b2J', 'a\u2028', 'x\u202ey', 'x\u2066y']) {
      expect(isPrintable(bad)).toBe(false);
      expect(() => checkPrintable('label', bad)).toThrow(/^label holds a control character/);
    }
    for (const good of ['plain', 'ünïcødé ✓ 日本', 'a b-c_d.e/f:g#h', '']) {
      expect(isPrintable(good)).toBe(true);
      expect(() => checkPrintable('label', good)).not.toThrow();
    }
    expect(() => checkPrintable('label', null)).not.toThrow();
  });

  it('escapes for the terminal', () => {
    expect(terminalSafe('a\u001b[31mRED\nnext\t\u0000\u009b\u202e')).toBe('a\\e[31mRED\\nnext\\t\\x00\\x9b\\u202e');
    expect(terminalSafe('日本 ✓')).toBe('日本 ✓');
  });

  it('escapes in JSON what JSON.stringify leaves raw, and the value stays the same', () => {
    const value = { label: 'a\u009b\u2028\u202e\u001b' };
    const safe = terminalSafeJson(JSON.stringify(value, null, 2));
    expect(safe).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(safe)).toEqual(value);
  });
});

describe('withoutDiskPaths', () => {
  it.each([
    ['restoring /home/u/.ditto/cache/dumps/ab.dump failed: x', 'restoring <host path> failed: x'],
    ['see (/var/tmp/ditto-1/copies/x/server.log)', 'see (<host path>)'],
    ["file '/etc/x' and path=/srv/y,", "file '<host path>' and path=<host path>,"],
    ['psql exited with 3: psql:/tmp/d/cache/x.dump:1: ERROR: syntax', 'psql exited with 3: psql:<host path>:1: ERROR: syntax'],
  ])('%s', (text, shown) => {
    expect(withoutDiskPaths(text)).toBe(shown);
  });

  it.each(['dump http://files/dumps/x answered 404', 'GET /v2/copies/{id}', 's3://b/k/l is missing', 'a/b relative', '1/2', 'GET /healthz', 'file:///etc/x'])('keeps %s', (text) => {
    expect(withoutDiskPaths(text)).toBe(text);
  });
});
