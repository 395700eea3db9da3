import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO, TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { SDK_DIR, childEnv, closeHome, localOptions } from './helpers.js';

// The vitest helper in a sample project (sdk/js/examples/vitest: two workers, four files), run as
// its users run it: its global setup makes one copy per worker, its setup file gives each worker
// its own as DATABASE_URL, and the sample's tests check that no other worker's rows are in it.
const TOKEN = 'vitest-sample-token-8d21';
let home: TestHome;

beforeAll(() => {
  home = new TestHome({ host: { tokens: [{ name: 'sample', token: TOKEN }] } }, { portCount: 4 });
});

afterAll(() => closeHome(home));

/** Runs the sample project with `env`: exit 0 and its four files passed, or the test fails with its output. */
async function runSample(env: Record<string, string>): Promise<void> {
  const config = path.join(SDK_DIR, 'examples/vitest/vitest.config.ts');
  const run = await execa('npx', ['vitest', 'run', '--config', config], { cwd: REPO, env: childEnv(env), reject: false, stdin: 'ignore' });
  const output = run.stdout + run.stderr;
  expect(run.exitCode, output).toBe(0);
  expect(output).toMatch(/Test Files {2}4 passed \(4\)/);
}

it('through a host (DITTO_SERVER, DITTO_TOKEN): the same sample, the copies made and destroyed there', async () => {
  const host = await HostProcess.start(home);
  try {
    await runSample({ DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN });
    const copies = (await host.api('GET', '/v2/copies?all=true', { token: TOKEN })).json as { label: string; status: string }[];
    expect(copies.map((c) => [c.label, c.status]).sort()).toEqual([
      ['vitest worker 1', 'destroyed'],
      ['vitest worker 2', 'destroyed'],
    ]);
  } finally {
    await host.stop();
  }
});

it('gives each vitest worker a copy of its own, and destroys them all after the run', async () => {
  const { bin, env } = localOptions(home);
  const before = (await home.ls(true)).length;
  await runSample({ ...env, DITTO_BIN: bin, DITTO_SERVER: '' });
  expect(await home.ls()).toEqual([]);
  // One copy per worker (the sample runs two), both destroyed by the teardown.
  const copies = (await home.ls(true)).slice(before);
  expect(copies.map((c) => [c.label, c.status]).sort()).toEqual([
    ['vitest worker 1', 'destroyed'],
    ['vitest worker 2', 'destroyed'],
  ]);
});
