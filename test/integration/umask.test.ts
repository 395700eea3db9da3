import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, TestHome } from '../helpers/ditto.js';
import { query } from '../helpers/engines.js';

/** ditto as a root shell with a strict umask runs it: the servers' account must still reach its directories. */
let home: TestHome;

beforeAll(() => {
  home = new TestHome({}, { portCount: 4 });
});

afterAll(async () => home.cleanup());

describe.runIf(process.getuid?.() === 0)('a umask of 077', () => {
  it('copies are made and answer, cold and cloned', async () => {
    for (let i = 0; i < 2; i++) {
      const up = await execa('sh', ['-c', `umask 077; exec "${process.execPath}" "${CLI}" up`], { env: home.env(), reject: false, stdin: 'ignore' });
      expect(up.exitCode, up.stderr).toBe(0);
      expect(await query(up.stdout.trim(), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    }
  });
});
