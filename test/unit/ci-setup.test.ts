import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/ditto.js';

/** CI installs exactly what the lock names: `npm ci`, never an `npm install` that could rewrite it. */
const read = (file: string) => fs.readFileSync(path.join(REPO, file), 'utf8');

describe('CI set-up', () => {
  it('.ci/run goes through the set-up script, which installs the packages with npm ci only', () => {
    expect(read('.ci/run')).toMatch(/bash scripts\/setup-test-machine\.sh/);
    expect(read('scripts/setup-test-machine.sh')).toMatch(/bash scripts\/install-deps\.sh/);
    const install = read('scripts/install-deps.sh').split('\n').filter((line) => !line.trimStart().startsWith('#'));
    expect(install.filter((line) => /\bnpm (ci|install|i)\b/.test(line))).toEqual(['npm ci --no-audit --no-fund', 'npm ci --prefix scripts/sea-node --no-audit --no-fund >/dev/null']);
  });

  it('the lock is made from scratch: other platforms’ optional packages are in it, so npm ci takes it anywhere', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, unknown> };
    for (const name of ['node_modules/@esbuild/darwin-arm64', 'node_modules/@esbuild/win32-x64', 'node_modules/@rollup/rollup-darwin-arm64']) expect(lock.packages).toHaveProperty([name]);
  });
});
