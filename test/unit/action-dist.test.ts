import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from '../helpers/ditto.js';

// A runner executes actions/ditto/dist as committed: it must be what its sources build today.
it('actions/ditto/dist is what scripts/build-action.mjs builds from the sources (else: npm run build:action)', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-action-dist-'));
  try {
    execFileSync(process.execPath, [path.join(REPO, 'scripts/build-action.mjs'), out], { stdio: 'pipe' });
    const built = fs.readdirSync(out).sort();
    expect(built).toEqual(['main.js', 'post.js']);
    expect(fs.readdirSync(path.join(REPO, 'actions/ditto/dist')).sort()).toEqual(built);
    for (const file of built) {
      const same = fs.readFileSync(path.join(out, file)).equals(fs.readFileSync(path.join(REPO, 'actions/ditto/dist', file)));
      expect(same, `actions/ditto/dist/${file} is out of date: run npm run build:action and commit it`).toBe(true);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
