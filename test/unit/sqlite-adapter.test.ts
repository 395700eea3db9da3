import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../../src/state/store.js';
import { REPO } from '../helpers/ditto.js';
import { DENO, NODE24, quietDeno, requireRuntime } from '../helpers/js-runtimes.js';
import { CHECKS, runChecks, writer } from './sqlite-suite.js';

/**
 * The SQLite adapter under each backend: better-sqlite3 in this Node.js, node:sqlite in Deno and
 * in Node.js 24 (the suite bundled and run there); then two backends writing one state file at once.
 */
let work: string;
let script: string;
quietDeno();

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-sqlite-suite-'));
  script = path.join(work, 'suite.cjs');
  await build({
    stdin: {
      contents: [
        `const { runChecks, writer } = require(${JSON.stringify(path.join(REPO, 'test/unit/sqlite-suite.ts'))});`,
        `const [mode, ...args] = process.argv.slice(2);`,
        `(async () => {`,
        `  const out = mode === 'writer' ? writer(args[0], args[1], Number(args[2]), Number(args[3])) : await runChecks('node:sqlite');`,
        `  process.stdout.write(JSON.stringify(out));`,
        `})();`,
      ].join('\n'),
      resolveDir: REPO,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: script,
    external: ['better-sqlite3'],
    define: { 'import.meta.url': '__meta_url' },
    banner: { js: "const __meta_url = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'silent',
  });
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** argv that runs the bundled suite under `runtime`. */
function under(runtime: 'deno' | 'node24', ...args: string[]): string[] {
  return runtime === 'deno' ? [requireRuntime(DENO), 'run', '-A', script, ...args] : [requireRuntime(NODE24), script, ...args];
}

async function runUnder(runtime: 'deno' | 'node24', ...args: string[]): Promise<unknown> {
  const [file, ...rest] = under(runtime, ...args);
  const result = await execa(file!, rest, { reject: false, env: { NO_COLOR: '1' } });
  if (result.exitCode !== 0) throw new Error(`${runtime} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe.each([
  ['better-sqlite3 (Node.js as a script)', async () => runChecks('better-sqlite3')],
  ['node:sqlite (Deno)', async () => (await runUnder('deno', 'suite')) as Record<string, string>],
  ['node:sqlite (Node.js 24)', async () => (await runUnder('node24', 'suite')) as Record<string, string>],
])('the SQLite adapter on %s', (_name, run) => {
  let results: Record<string, string>;
  beforeAll(async () => {
    results = await run();
  }, 60_000);

  it.each(Object.keys(CHECKS))('%s', (check) => {
    expect(results[check]).toBe('ok');
  });
});

describe('one state file, two backends', () => {
  it('better-sqlite3 and node:sqlite processes (Node.js 20, Deno, Node.js 24) write it at once in immediate transactions, and lose nothing', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-sqlite-shared-'));
    try {
      const db = openState(home);
      const before = db.pragma('data_version');
      const count = 300;
      // All three start writing at one moment, once the runtimes have started.
      const startAt = String(Date.now() + 2000);
      const children = Promise.all(['deno', 'node24'].map((runtime) => runUnder(runtime as 'deno', 'writer', home, runtime, String(count), startAt)));
      const mine = writer(home, 'node20', count, Number(startAt));
      const seen = [mine, ...((await children) as number[])];
      const events = db.prepare('SELECT copy_id, action FROM events ORDER BY id').all() as { copy_id: string; action: string }[];
      expect(events).toHaveLength(3 * count);
      // Each transaction read the count and wrote one row under the write lock: every count seen once.
      expect(new Set(events.map((e) => e.action)).size).toBe(3 * count);
      expect(Math.max(...seen)).toBe(3 * count - 1);
      // They did write at once: the writers take turns many times.
      const turns = events.filter((e, i) => i > 0 && e.copy_id !== events[i - 1]!.copy_id).length;
      expect(turns).toBeGreaterThan(10);
      expect(db.pragma('data_version')).not.toBe(before);
      db.close();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
