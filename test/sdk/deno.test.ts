import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { SDK_DIR, childEnv, closeHome, localOptions } from './helpers.js';

// The built SDK (sdk/js/dist) under Deno (the npm package @deno/linux-x64-glibc): the example
// script makes a copy, reaches its server and destroys it, in local mode and in remote mode.
const DENO = path.join(REPO, 'node_modules/@deno/linux-x64-glibc/deno');
const SCRIPT = path.join(SDK_DIR, 'examples/deno/make-and-destroy.ts');
const TOKEN = 'sdk-deno-token-41ad';

let home: TestHome;
let host: HostProcess;
let scratch: string;

beforeAll(async () => {
  home = new TestHome({ host: { tokens: [{ name: 'deno', token: TOKEN }] } }, { portCount: 4 });
  host = await HostProcess.start(home);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-deno-'));
});

afterAll(async () => {
  await closeHome(home, host);
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Runs the script with Deno's narrowest permissions, outside any Deno or npm project (no config, no downloads). */
async function runScript(env: Record<string, string>): Promise<{ deno: string; mode: string; id: string; listed: boolean }> {
  const args = ['run', '--allow-env', '--allow-run', '--allow-net=127.0.0.1', '--allow-read', SCRIPT];
  const result = await execa(DENO, args, {
    cwd: scratch,
    env: childEnv({ DENO_DIR: path.join(scratch, 'cache'), DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', ...env }),
    reject: false,
    stdin: 'ignore',
  });
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { deno: string; mode: string; id: string; listed: boolean };
}

describe('the JS SDK under Deno', () => {
  it('local mode: node:child_process runs the ditto executable', async () => {
    const { bin, env } = localOptions(home);
    const out = await runScript({ ...env, DITTO_BIN: bin, DITTO_SERVER: '' });
    expect(out).toMatchObject({ mode: 'local', listed: true });
    expect(out.deno).toMatch(/^2\./);
    expect((await home.ls(true)).find((c) => c.id === out.id)?.status).toBe('destroyed');
  });

  it('remote mode: fetch to a ditto host', async () => {
    const out = await runScript({ ...home.env(), DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN });
    expect(out).toMatchObject({ mode: 'remote', listed: true });
    expect((await host.api('GET', `/v2/copies/${out.id}`, { token: TOKEN })).json).toMatchObject({ status: 'destroyed', label: 'deno' });
    expect(await home.ls()).toEqual([]);
  });
});
