import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { TestIssuer, makeKey } from '../helpers/oidc-issuer.js';
import { query } from '../helpers/pg.js';
import { runStep, workflowCommands, type StepResult } from './action-runner.js';
import { closeHome, localOptions } from './helpers.js';

// The GitHub Action (actions/ditto/dist), main then post, in local mode (the built CLI), against a
// ditto host with a static token, and with the job's OIDC token (a test issuer on 127.0.0.1).
const TOKEN = 'action-static-token-93f0';
const AUDIENCE = 'ditto-action-test';
const REQUEST_TOKEN = 'runner-request-token-action-77';

const issuer = new TestIssuer(AUDIENCE, REQUEST_TOKEN);
let home: TestHome;
let host: HostProcess;
let dir: string;

beforeAll(async () => {
  await issuer.start();
  issuer.keys = [await makeKey('k1', 'ES256')];
  issuer.actionsClaims = { repository: 'org/app', sub: 'repo:org/app:ref:refs/heads/main' };
  home = new TestHome({ host: { tokens: [{ name: 'ci', token: TOKEN }], oidc: { issuer: issuer.issuer, audience: AUDIENCE, jwks_url: `${issuer.url}/jwks`, owner_claim: 'repository' } } }, { portCount: 6 });
  host = await HostProcess.start(home);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-action-'));
});

afterAll(async () => {
  await closeHome(home, host);
  await issuer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A job's environment: GitHub's run and job, and no ditto settings but those given. */
function jobEnv(extra: Record<string, string>): Record<string, string> {
  return { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '1234', GITHUB_JOB: 'integration', DITTO_RUN_ID: '', DITTO_JOB_NAME: '', DITTO_SERVER: '', DITTO_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '', ...extra };
}

/** What main must leave: the copy's URL and id as outputs, variables and state; its password and URL masked first. */
function expectCopyHandedOut(main: StepResult): { url: string; id: string } {
  expect(main.exitCode, main.stdout + main.stderr).toBe(0);
  const url = main.outputs['database-url']!;
  const id = main.outputs['copy-id']!;
  expect(url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\//);
  expect(main.outputs).toEqual({ 'database-url': url, 'copy-id': id });
  expect(main.env).toEqual({ DATABASE_URL: url, DITTO_COPY_ID: id });
  expect(main.state).toEqual({ copy_id: id });
  const password = decodeURIComponent(new URL(url).password);
  expect(workflowCommands(main.stdout, 'add-mask')).toEqual(expect.arrayContaining([password, url]));
  // The URL and the password appear nowhere else, and the masks come before anything else names the copy.
  const unmasked = main.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
  expect(unmasked.join('\n')).not.toContain(password);
  expect(main.stdout.indexOf(`::add-mask::${url}`)).toBeLessThan(main.stdout.indexOf(id));
  expect(main.stdout).toContain(`ditto: copy ${id} ready`);
  return { url, id };
}

describe('the GitHub Action', () => {
  it('local mode: main makes a copy with the built CLI, post destroys it', async () => {
    const { bin, env } = localOptions(home);
    const local = jobEnv({ ...env, DITTO_BIN: bin });
    const main = await runStep('main', dir, { ttl: '15m', label: 'action-local', version: '9.9.9' }, local);
    const { url, id } = expectCopyHandedOut(main);
    expect(await query(url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect((await home.ls()).map((c) => [c.id, c.label, c.status])).toEqual([[id, 'action-local', 'ready']]);
    // `version` downloads nothing: the ditto used reports another version, and the step says so.
    expect(workflowCommands(main.stdout, 'warning').join('\n')).toMatch(/version 9\.9\.9 was asked for, and the ditto executable \(DITTO_BIN or PATH\) is \d+\.\d+\.\d+/);

    const post = await runStep('post', dir, { label: 'action-local' }, local, main.state);
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toContain(`ditto: destroyed copy ${id}`);
    expect(await home.ls()).toEqual([]);
    expect((await home.ls(true)).find((c) => c.id === id)?.status).toBe('destroyed');
  });

  it('remote mode with a token: the copy is the token\'s caller\'s, with the job\'s run and name', async () => {
    const inputs = { server: host.url, token: TOKEN, ttl: '10m', label: 'action-remote' };
    const main = await runStep('main', dir, inputs, jobEnv({}));
    const { url, id } = expectCopyHandedOut(main);
    expect(workflowCommands(main.stdout, 'add-mask')).toContain(TOKEN);
    expect(main.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(TOKEN);
    expect(await query(url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    const copy = (await host.api('GET', `/v2/copies/${id}`, { token: TOKEN })).json;
    expect(copy).toMatchObject({ label: 'action-remote', run_id: '1234', job_name: 'integration', ttl_seconds: 600, status: 'ready' });

    const post = await runStep('post', dir, inputs, jobEnv({}), main.state);
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    expect((await host.api('GET', `/v2/copies/${id}`, { token: TOKEN })).json).toMatchObject({ status: 'destroyed' });
    expect((await host.api('GET', '/v2/copies', { token: TOKEN })).json).toEqual([]);
    // A second post (a re-run) finds it gone and says so.
    const again = await runStep('post', dir, inputs, jobEnv({}), main.state);
    expect(again.exitCode).toBe(0);
  });

  it('name: each run gets the same copy back and post keeps it; down: true destroys it', async () => {
    const inputs = { server: host.url, token: TOKEN, ttl: '10m', name: 'pr-31' };
    const first = await runStep('main', dir, inputs, jobEnv({}));
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    const id = first.outputs['copy-id']!;
    expect(first.state).toEqual({ copy_name: `${id} pr-31` });
    const post = await runStep('post', dir, inputs, jobEnv({}), first.state);
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toContain(`copy ${id} named pr-31 is kept`);
    const second = await runStep('main', dir, inputs, jobEnv({ GITHUB_RUN_ID: '1235' }));
    expect(second.outputs['copy-id']).toBe(id);
    expect((await host.api('GET', `/v2/copies/${id}`, { token: TOKEN })).json).toMatchObject({ status: 'ready', name: 'pr-31' });

    const closed = await runStep('main', dir, { ...inputs, down: 'true' }, jobEnv({}));
    expect(closed.exitCode, closed.stdout + closed.stderr).toBe(0);
    expect(closed.stdout).toContain('destroyed the copy named pr-31');
    expect([closed.outputs, closed.state]).toEqual([{}, {}]);
    expect((await host.api('GET', `/v2/copies/${id}`, { token: TOKEN })).json).toMatchObject({ status: 'destroyed' });
  });

  it('remote mode without a token: the job\'s OIDC token, for the audience the host names', async () => {
    const runner = jobEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/actions/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN });
    const main = await runStep('main', dir, { server: host.url }, runner);
    const { id } = expectCopyHandedOut(main);
    expect(issuer.requests.filter((r) => r.path === '/actions/idtoken').at(-1)).toMatchObject({ audience: AUDIENCE, authorization: `bearer ${REQUEST_TOKEN}` });
    expect(host.logLines.filter((l) => l.includes('"route":"create_copy"') && l.includes('"status":201')).at(-1)).toMatch(/"caller":"oidc:[^"#]+#org\/app"/);
    expect(main.stdout + main.stderr).not.toContain(REQUEST_TOKEN);

    const post = await runStep('post', dir, { server: host.url }, runner, main.state);
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    expect(host.logLines.filter((l) => l.includes('"route":"delete_copy"') && l.includes('"status":204')).at(-1)).toMatch(/"caller":"oidc:[^"#]+#org\/app"/);
    expect(await home.ls()).toEqual([]);
    expect((await home.ls(true)).find((c) => c.id === id)?.status).toBe('destroyed');
  });

  it('a refused token: one ::error:: line, exit 1, no state, nothing made; post then has nothing to do', async () => {
    const inputs = { server: host.url, token: 'wrong-token-5e1' };
    const main = await runStep('main', dir, inputs, jobEnv({}));
    expect(main.exitCode).toBe(1);
    expect(workflowCommands(main.stdout, 'error')).toEqual([expect.stringMatching(/^ditto up: invalid token/)]);
    expect(main.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain('wrong-token-5e1');
    expect([main.outputs, main.env, main.state]).toEqual([{}, {}, {}]);
    const post = await runStep('post', dir, inputs, jobEnv({}), main.state);
    expect(post.exitCode).toBe(0);
    expect(post.stdout).toContain('no copy to destroy');
    expect(await home.ls()).toEqual([]);
  });

  it('outside a runner (no GITHUB_OUTPUT): one error, and no copy made', async () => {
    const { bin, env } = localOptions(home);
    const main = await runStep('main', dir, {}, jobEnv({ ...env, DITTO_BIN: bin, GITHUB_OUTPUT: '', GITHUB_ENV: '', GITHUB_STATE: '' }));
    expect(main.exitCode).toBe(1);
    expect(workflowCommands(main.stdout, 'error')).toEqual(['ditto up: GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE not set: this action runs as a step of a GitHub Actions job']);
    expect(await home.ls()).toEqual([]);
  });
});
