import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, type CopyJson } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { TestIssuer, makeKey } from '../helpers/oidc-issuer.js';

/**
 * The CLI inside GitHub Actions (`permissions: id-token: write`, no DITTO_TOKEN): it asks the
 * runner's token service (played here on 127.0.0.1) for an ID token whose audience the host
 * names at GET /v2/oidc, and sends it as its bearer.
 */
const AUDIENCE = 'ditto-actions aud/x&y=1';
const REQUEST_TOKEN = 'runner-request-token-5f3a9c';
const STATIC = 'static-token-actions-0123456789';

const issuer = new TestIssuer(AUDIENCE, REQUEST_TOKEN);
let home: TestHome;
let host: HostProcess;

/** The environment of a job step: the runner's two variables, the host, and no DITTO_TOKEN. */
function actionsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DITTO_SERVER: host.url,
    DITTO_TOKEN: '',
    DITTO_OIDC_AUDIENCE: '',
    ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/actions/idtoken?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    ...extra,
  };
}

const tokenRequests = () => issuer.requests.filter((r) => r.path === '/actions/idtoken');

/** The failure a user sees names neither the request token nor the request URL's path. */
function expectNoRunnerSecrets(result: { stdout: string; stderr: string }): void {
  for (const secret of [REQUEST_TOKEN, '/actions/idtoken']) expect(result.stdout + result.stderr).not.toContain(secret);
}

beforeAll(async () => {
  await issuer.start();
  issuer.keys = [await makeKey('k1', 'ES256')];
  issuer.actionsClaims = { repository: 'org/actions', sub: 'repo:org/actions:ref:refs/heads/main' };
  home = new TestHome({}, { portCount: 4 });
  home.writeConfig({
    host: { tokens: [{ name: 'static-caller', token: STATIC }], oidc: { issuer: issuer.issuer, audience: AUDIENCE, jwks_url: `${issuer.url}/jwks`, owner_claim: 'repository' } },
  });
  host = await HostProcess.start(home);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await home?.cleanup();
  await issuer.stop();
});

describe('the CLI in GitHub Actions, without DITTO_TOKEN', () => {
  it('ditto up and ditto ls work with an ID token for the audience the host names', async () => {
    const up = await home.run(['up', '--json'], { env: actionsEnv() });
    expect(up.exitCode, up.stderr).toBe(0);
    const copy = JSON.parse(up.stdout) as CopyJson;
    expect(copy.connection_string).toMatch(/^postgres(ql)?:\/\//);
    const ls = await home.run(['ls', '--json'], { env: actionsEnv() });
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as CopyJson[]).map((c) => c.id)).toEqual([copy.id]);
    // One ID token per command, asked with the request token, for the host's audience (query-encoded).
    expect(tokenRequests()).toEqual([
      { path: '/actions/idtoken', audience: AUDIENCE, authorization: `bearer ${REQUEST_TOKEN}` },
      { path: '/actions/idtoken', audience: AUDIENCE, authorization: `bearer ${REQUEST_TOKEN}` },
    ]);
    expect(host.logLines.filter((l) => l.includes('"route":"create_copy"') && l.includes('"status":201')).at(-1)).toMatch(/"caller":"oidc:[^"#]+#org\/actions"/);
    // The static caller does not see the job's copy.
    expect((await host.api('GET', '/v2/copies', { token: STATIC })).json).toEqual([]);
  });

  it('asks once per command, however many requests the command makes', async () => {
    const before = tokenRequests().length;
    const down = await home.run(['down', '--all'], { env: actionsEnv() });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout + down.stderr).toMatch(/destroyed/i);
    expect(tokenRequests().length).toBe(before + 1);
    expect(host.logLines.filter((l) => l.includes('"route":"delete_copy"') && l.includes('"status":204'))).toHaveLength(1);
  });

  it('takes DITTO_OIDC_AUDIENCE instead of asking the host, and a request URL without a query string', async () => {
    const asked = host.logLines.filter((l) => l.includes('"route":"oidc"')).length;
    const ls = await home.run(['ls'], { env: actionsEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/actions/idtoken`, DITTO_OIDC_AUDIENCE: AUDIENCE }) });
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect(tokenRequests().at(-1)!.audience).toBe(AUDIENCE);
    expect(host.logLines.filter((l) => l.includes('"route":"oidc"'))).toHaveLength(asked);
    const wrong = await home.run(['ls'], { env: actionsEnv({ DITTO_OIDC_AUDIENCE: 'another-host' }) });
    expect(tokenRequests().at(-1)!.audience).toBe('another-host');
    expectOneLineError(wrong, 77, /^ditto: invalid token; /);
  });

  it('prefers DITTO_TOKEN when it is set', async () => {
    const before = tokenRequests().length;
    expect((await home.run(['ls'], { env: actionsEnv({ DITTO_TOKEN: STATIC }) })).exitCode).toBe(0);
    expect(tokenRequests().length).toBe(before);
  });
});

describe('the CLI in GitHub Actions: a token it cannot get', () => {
  it('a refused request token: one line, exit 77, the request token not printed, nothing made', async () => {
    const result = await home.run(['up'], { env: actionsEnv({ ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-request-token' }) });
    expectOneLineError(result, 77, /^ditto: cannot get an OIDC token from the GitHub Actions token service at 127\.0\.0\.1:\d+: it answered 403 Forbidden; check that the job has `permissions: id-token: write`, or set DITTO_TOKEN$/);
    expect(result.stderr).not.toContain('wrong-request-token');
    expectNoRunnerSecrets(result);
    expect((await host.api('GET', '/v2/copies?all=true', { token: STATIC })).json).toEqual([]);
  });

  it('an answer without a token, or a service that is not there: one line, exit 69', async () => {
    issuer.actionsAnswer = (res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"count":0}');
    try {
      const empty = await home.run(['ls'], { env: actionsEnv() });
      expectOneLineError(empty, 69, /token service at 127\.0\.0\.1:\d+: its answer holds no token \("value"\); /);
      expectNoRunnerSecrets(empty);
    } finally {
      issuer.actionsAnswer = null;
    }
    const closed = await freePort();
    const away = await home.run(['ls'], { env: actionsEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${closed}/actions/idtoken?api-version=2.0` }) });
    expectOneLineError(away, 69, new RegExp(`token service at 127\\.0\\.0\\.1:${closed}: ECONNREFUSED; `));
    expectNoRunnerSecrets(away);
  });

  it('a host that takes no OIDC tokens: GET /v2/oidc is 404, and the CLI says so in one line', async () => {
    const plain = new TestHome({ host: { tokens: [{ name: 'static-caller', token: STATIC }] } }, { portCount: 2 });
    const plainHost = await HostProcess.start(plain);
    try {
      const res = await plainHost.api('GET', '/v2/oidc');
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ code: 'NOT_FOUND', error: 'this host takes no OIDC tokens' });
      const result = await plain.run(['ls'], { env: { ...actionsEnv(), DITTO_SERVER: plainHost.url } });
      expectOneLineError(result, 77, /^ditto: DITTO_TOKEN is not set, and the host at http:\/\/127\.0\.0\.1:\d+ takes no OIDC tokens; export DITTO_TOKEN=/);
      expectNoRunnerSecrets(result);
    } finally {
      await plainHost.stop();
      await plain.cleanup();
    }
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
