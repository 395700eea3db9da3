import { SignJWT, exportSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { TestIssuer, makeKey, segment, type TestKey } from '../helpers/oidc-issuer.js';
import { waitFor } from '../helpers/state.js';

/**
 * A host that takes OIDC tokens of an issuer this test plays on 127.0.0.1 (its JWKS and
 * openid-configuration), beside a static token. Owners are the `repository` claim; `role: ops` is
 * admin; only tokens of `repository_owner: org` are taken.
 */
const AUDIENCE = 'ditto-test host&team=a b';
const STATIC = 'static-token-oidc-0123456789';
const GENERIC = { error: 'invalid token', code: 'UNAUTHORIZED' };

const issuer = new TestIssuer(AUDIENCE, 'unused');
let home: TestHome;
let host: HostProcess;
let first: TestKey;
/** Every token sent to the host, to look for in its log. */
const sent: string[] = [];

function oidcConfig(extra: Record<string, unknown> = {}) {
  return { issuer: issuer.issuer, audience: AUDIENCE, owner_claim: 'repository', admin_claim: 'role', admin_value: 'ops', required_claims: { repository_owner: 'org' }, ...extra };
}

async function token(claims: Record<string, unknown>, opts: Partial<Parameters<TestIssuer['mint']>[1]> = {}): Promise<string> {
  const jwt = await issuer.mint({ repository_owner: 'org', ...claims }, { key: first, ...opts });
  sent.push(jwt);
  return jwt;
}

async function list(bearer: string, all = false) {
  return host.api('GET', all ? '/v2/copies?all=true' : '/v2/copies', { token: bearer });
}

/** The `refused` reasons the host logged for 401s, in order. */
function refusals(of: HostProcess): string[] {
  return of.logLines.filter((l) => l.includes('"status":401')).map((l) => (JSON.parse(l) as { refused?: string }).refused ?? '(none)');
}

beforeAll(async () => {
  await issuer.start();
  first = await makeKey('k1');
  issuer.keys = [first];
  home = new TestHome({}, { portCount: 6 });
  home.writeConfig({ host: { tokens: [{ name: 'static-caller', token: STATIC }], oidc: oidcConfig({ jwks_url: `${issuer.url}/jwks` }) } });
  host = await HostProcess.start(home);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await home?.cleanup();
  await issuer.stop();
});

describe('ditto host with host.oidc', () => {
  it('answers GET /v2/oidc without a token', async () => {
    const res = await host.api('GET', '/v2/oidc');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ issuer: issuer.issuer, audience: AUDIENCE });
  });

  it('takes a valid token, and one expired by less than clock_skew', async () => {
    expect((await list(await token({ repository: 'org/a' }))).status).toBe(200);
    expect((await list(await token({ repository: 'org/a' }, { expiresIn: -20 }))).status).toBe(200);
    expect(issuer.count('/jwks')).toBe(1);
  });

  it('refuses bad tokens with one generic 401; the log names each reason', async () => {
    const outsider = await makeKey('k-out');
    const now = Math.floor(Date.now() / 1000);
    const claims = { repository: 'org/a', repository_owner: 'org', iss: issuer.issuer, aud: AUDIENCE, exp: now + 300 };
    const publicPem = await exportSPKI(first.publicKey);
    const cases: [string, string][] = [
      [await token({ repository: 'org/a' }, { expiresIn: -3600 }), 'token expired'],
      [await token({ repository: 'org/a' }, { notBeforeIn: 3600 }), 'token not yet valid'],
      [await token({ repository: 'org/a' }, { issuer: 'https://evil.example' }), 'wrong issuer'],
      [await token({ repository: 'org/a' }, { audience: 'another-host' }), 'wrong audience'],
      [await token({ repository: 'org/a' }, { key: outsider }), 'unknown signing key'],
      [await token({ repository: 'org/a' }, { key: outsider, kid: 'k1' }), 'bad signature'],
      [`${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims)}.`, 'signing algorithm "none" is not allowed'],
      // The classic confusion: HMAC keyed with the issuer's public key, which anyone can fetch.
      [await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode(publicPem)), 'signing algorithm "HS256" is not allowed'],
      ['not-a-jwt', 'malformed token'],
      [`${segment({ alg: 'RS256', kid: 'k1' })}.e30.c2ln`, 'bad signature'],
      [await token({ repository: 'org/a' }, { expiresIn: null }), 'token has no "exp" claim'],
      [await token({ sub: 'no-repository' }), 'the "repository" claim (host.oidc.owner_claim) is not a non-empty string'],
      [await token({ repository: '' }), 'the "repository" claim (host.oidc.owner_claim) is not a non-empty string'],
      [await token({ repository: 'evil/a', repository_owner: 'evil' }), 'the "repository_owner" claim is not one host.oidc.required_claims allows'],
    ];
    const before = refusals(host).length;
    for (const [bearer, reason] of cases) {
      sent.push(bearer);
      const res = await list(bearer);
      expect(res.status, reason).toBe(401);
      expect(res.json, reason).toMatchObject(GENERIC);
      expect(res.text, reason).toBe((await list('not-a-jwt')).text);
    }
    const logged = await waitFor(() => refusals(host).length >= before + 2 * cases.length && refusals(host).slice(before), 'the refusals in the log', 5_000);
    expect(logged.filter((_, i) => i % 2 === 0)).toEqual(cases.map(([, reason]) => reason));
  });

  it('picks up a rotated key: a token with a new kid makes the host fetch the JWKS again', async () => {
    const second = await makeKey('k2', 'ES256');
    // The issuer publishes its new key beside the old one, and signs with the new one from now on.
    issuer.keys = [first, second];
    const fetched = issuer.count('/jwks');
    const rotated = await token({ repository: 'org/a' }, { key: second });
    // jose waits out a short cooldown after its last fetch before it refetches for an unknown kid.
    const started = Date.now();
    let status = 0;
    while ((status = (await list(rotated)).status) !== 200 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 250));
    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(issuer.count('/jwks')).toBeGreaterThan(fetched);
    expect((await list(await token({ repository: 'org/a' }))).status).toBe(200);
  });
});

describe('ditto host with host.oidc: callers', () => {
  it('scopes copies by the owner claim; the admin claim sees them all; a static token works beside', async () => {
    const a = await token({ repository: 'org/a', role: 'dev' });
    const b = await token({ repository: 'org/b' });
    const ops = await token({ repository: 'org/ops', role: 'ops' });
    const made = await host.api('POST', '/v2/copies', { token: a, body: { ttl_seconds: 600 } });
    expect(made.status, made.text).toBe(201);
    const theirs = await host.api('POST', '/v2/copies', { token: STATIC, body: { ttl_seconds: 600 } });
    expect(theirs.status, theirs.text).toBe(201);
    expect((await list(a)).json.map((c: { id: string }) => c.id)).toEqual([made.json.id]);
    expect((await list(a, true)).json.map((c: { id: string }) => c.id)).toEqual([made.json.id]);
    expect((await list(b)).json).toEqual([]);
    expect((await list(STATIC)).json.map((c: { id: string }) => c.id)).toEqual([theirs.json.id]);
    expect((await host.api('GET', `/v2/copies/${made.json.id}/events`, { token: b })).status).toBe(403);
    expect((await host.api('DELETE', `/v2/copies/${made.json.id}`, { token: b })).status).toBe(403);
    const all = (await list(ops, true)).json.map((c: { id: string }) => c.id);
    expect(all).toEqual(expect.arrayContaining([made.json.id, theirs.json.id]));
    const events = (await host.api('GET', `/v2/copies/${made.json.id}/events`, { token: ops })).json as { action: string; actor: string }[];
    expect(events.find((e) => e.action === 'created')?.actor).toBe(`host:oidc:${issuer.issuer}#org/a`);
    expect((await host.api('DELETE', `/v2/copies/${made.json.id}`, { token: ops })).status).toBe(204);
    expect((await host.api('DELETE', `/v2/copies/${theirs.json.id}`, { token: STATIC })).status).toBe(204);
  });

  it('logs the caller by its owner claim, and never a token', async () => {
    const log = host.logLines.join('\n');
    expect(log).toMatch(/"caller":"oidc:[^"#]+#org\/a"/);
    expect(log).toMatch(/"oidc_issuer":"http:\/\/127\.0\.0\.1:\d+"/);
    expect(sent.length).toBeGreaterThan(15);
    for (const secret of [...sent, STATIC]) expect(log).not.toContain(secret);
    // Nor the signature part alone (a log that cut a token at its dots).
    for (const secret of sent.filter((t) => (t.split('.')[2] ?? '').length > 20)) expect(log).not.toContain(secret.split('.')[2]);
  });
});

describe('ditto host with host.oidc and no jwks_url', () => {
  let discovering: HostProcess;
  let other: TestHome;

  beforeAll(async () => {
    other = new TestHome({}, { portCount: 2 });
    other.writeConfig({ host: { oidc: oidcConfig() } });
    discovering = await HostProcess.start(other);
  });

  afterAll(async () => {
    if (discovering?.child.exitCode === null) await discovering.stop();
    await other?.cleanup();
  });

  it('finds the JWKS through the issuer’s openid-configuration, once; a failed discovery is tried again', async () => {
    const valid = await token({ repository: 'org/d' });
    issuer.brokenDiscovery = true;
    const refused = await discovering.api('GET', '/v2/copies', { token: valid });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject(GENERIC);
    const [reason] = await waitFor(() => refusals(discovering).length > 0 && refusals(discovering), 'the refusal in the log', 5_000);
    expect(reason).toBe(`discovery at ${issuer.issuer}/.well-known/openid-configuration failed: it answered 500`);
    issuer.brokenDiscovery = false;
    const discoveries = issuer.count('/.well-known/openid-configuration');
    for (let i = 0; i < 3; i++) expect((await discovering.api('GET', '/v2/copies', { token: valid })).status).toBe(200);
    expect(issuer.count('/.well-known/openid-configuration')).toBe(discoveries + 1);
    expect(issuer.count('/discovered/jwks')).toBe(1);
  });

  it('needs no static token when host.oidc is set', async () => {
    expect((await discovering.api('GET', '/v2/copies', { token: STATIC })).status).toBe(401);
    expect(discovering.logLines.join('\n')).toMatch(/"callers":0/);
  });
});
