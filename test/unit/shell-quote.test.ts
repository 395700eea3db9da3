import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportLines, quoteSh } from '../../src/support/shell-quote.js';

const NASTY = [`plain`, `it's`, `$HOME and \`date\``, `a"b\\c`, `new\nline`, `'`, ``];

describe('shell quoting', () => {
  it.each(NASTY)('sh reads %j back unchanged', (value) => {
    const out = execFileSync('sh', ['-c', `${exportLines({ V: value }, 'sh')}\nprintf '%s' "$V"`], { encoding: 'utf8' });
    expect(out).toBe(value);
  });

  it('quotes with single quotes', () => {
    expect(quoteSh(`it's`)).toBe(`'it'\\''s'`);
  });

  it('writes fish set -gx lines with fish escapes', () => {
    expect(exportLines({ A: `x'y\\z`, B: 'plain' }, 'fish')).toBe(`set -gx A 'x\\'y\\\\z';\nset -gx B 'plain';`);
  });
});
