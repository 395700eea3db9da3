import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionsTokenSource, hostToken } from '../../src/client/actions-token.js';
import type { HttpClient } from '../../src/client/http-client.js';
import { callerFromClaims, type OidcConfig } from '../../src/server/oidc-auth.js';

const BASE: OidcConfig = { issuer: 'https://issuer.example', audience: 'ditto', owner_claim: 'sub', clock_skew: 60 };

describe('callerFromClaims', () => {
  it('names the caller by owner_claim, which must be a non-empty string', () => {
    expect(callerFromClaims({ sub: 'repo:org/a' }, BASE)).toEqual({ caller: { owner: 'oidc:https://issuer.example#repo:org/a', admin: false } });
    expect(callerFromClaims({ sub: 'x', repository: 'org/a' }, { ...BASE, owner_claim: 'repository' })).toEqual({ caller: { owner: 'oidc:https://issuer.example#org/a', admin: false } });
    for (const claims of [{}, { sub: '' }, { sub: '  ' }, { sub: 42 }, { sub: ['a'] }, { sub: null }]) {
      expect(callerFromClaims(claims as Record<string, unknown>, BASE)).toEqual({ refused: 'the "sub" claim (host.oidc.owner_claim) is not a non-empty string' });
    }
    expect(callerFromClaims({ sub: 'a\u001b[2J' }, BASE)).toEqual({ refused: 'the "sub" claim (host.oidc.owner_claim) holds control characters' });
  });

  it('refuses a token without every required claim at an allowed value', () => {
    const config: OidcConfig = { ...BASE, required_claims: { repository_owner: 'org', environment: ['ci', 'staging'] } };
    expect(callerFromClaims({ sub: 'a', repository_owner: 'org', environment: 'staging' }, config)).toEqual({ caller: { owner: 'oidc:https://issuer.example#a', admin: false } });
    const refusals: [Record<string, unknown>, string][] = [
      [{ environment: 'ci' }, 'repository_owner'],
      [{ repository_owner: 'evil', environment: 'ci' }, 'repository_owner'],
      [{ repository_owner: ['org'], environment: 'ci' }, 'repository_owner'],
      [{ repository_owner: 'org', environment: 'prod' }, 'environment'],
      [{ repository_owner: 'org' }, 'environment'],
    ];
    for (const [claims, claim] of refusals) {
      expect(callerFromClaims({ sub: 'a', ...claims }, config)).toEqual({ refused: `the "${claim}" claim is not one host.oidc.required_claims allows` });
    }
  });

  it('makes an admin only when admin_claim is set and says so', () => {
    const admin = (claims: Record<string, unknown>, extra: Partial<OidcConfig>) => {
      const outcome = callerFromClaims({ sub: 'a', ...claims }, { ...BASE, ...extra });
      return 'caller' in outcome && outcome.caller.admin;
    };
    expect(admin({ admin: true }, {})).toBe(false);
    // Without admin_value: true or "true", nothing else.
    expect(admin({ admin: true }, { admin_claim: 'admin' })).toBe(true);
    expect(admin({ admin: 'true' }, { admin_claim: 'admin' })).toBe(true);
    for (const value of [false, 'false', 'yes', 1, 'TRUE', undefined, ['true']]) expect(admin({ admin: value }, { admin_claim: 'admin' }), String(value)).toBe(false);
    // With admin_value: equal to it, or a list (groups) that holds it.
    expect(admin({ role: 'ops' }, { admin_claim: 'role', admin_value: 'ops' })).toBe(true);
    expect(admin({ groups: ['dev', 'ops'] }, { admin_claim: 'groups', admin_value: 'ops' })).toBe(true);
    for (const value of ['dev', 'ops ', 'OPS', true, ['dev'], undefined]) expect(admin({ role: value }, { admin_claim: 'role', admin_value: 'ops' }), String(value)).toBe(false);
  });
});

describe('the CLI’s bearer', () => {
  it('is DITTO_TOKEN; else an Actions source when both runner variables are set; else none', () => {
    expect(hostToken({ DITTO_TOKEN: 't', ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'r' })).toBe('t');
    expect(typeof hostToken({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'r' })).toBe('function');
    expect(hostToken({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x' })).toBeUndefined();
    expect(hostToken({ DITTO_TOKEN: '' })).toBeUndefined();
  });
});

describe('actionsTokenSource', () => {
  let server: http.Server;
  let url = '';
  let lifetime = 3600;
  const asked: string[] = [];
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      const exp = Math.floor(Date.now() / 1000) + lifetime;
      // Slow enough that concurrent asks overlap.
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: `${segment({ alg: 'ES256' })}.${segment({ exp, n: asked.length })}.sig` })), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('asks once for concurrent requests and reuses the token while it is fresh', async () => {
    asked.length = 0;
    lifetime = 3600;
    const source = actionsTokenSource({ url, requestToken: 'r', audience: 'a b' });
    const client = {} as HttpClient;
    const tokens = await Promise.all([source(client), source(client), source(client)]);
    expect(new Set(tokens).size).toBe(1);
    expect(await source(client)).toBe(tokens[0]);
    expect(asked).toEqual(['/token?audience=a%20b']);
  });

  it('asks again when the token it holds is about to expire', async () => {
    asked.length = 0;
    lifetime = 30;
    const source = actionsTokenSource({ url: `${url}?api-version=2.0&`, requestToken: 'r', audience: 'a' });
    const client = {} as HttpClient;
    const first = await source(client);
    const second = await source(client);
    expect(second).not.toBe(first);
    expect(asked).toEqual(['/token?api-version=2.0&audience=a', '/token?api-version=2.0&audience=a']);
  });
});
