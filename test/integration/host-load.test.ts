import fs from 'node:fs';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueServerCert, makeCa } from '../../src/support/certificates.js';
import { TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { checkContract } from '../helpers/openapi.js';
import { leftovers } from '../helpers/leaks.js';
import { TestIssuer, makeKey } from '../helpers/oidc-issuer.js';
import { readCopies } from '../helpers/state.js';

/**
 * A team's host under load: 20 clients at once, each its own OIDC caller, over HTTPS, with copies
 * that take TLS only. Each creates, lists and deletes in turn, a bounded number of rounds within a
 * bounded time. No request may fail, no caller may see another's copy, and nothing is left.
 */
const CLIENTS = 20;
const ROUNDS = 3;
const DEADLINE_MS = 150_000;
const AUDIENCE = 'ditto-load';

const issuer = new TestIssuer(AUDIENCE, 'unused');
let home: TestHome;
let host: HostProcess;
let agent: Agent;

beforeAll(async () => {
  await issuer.start();
  issuer.keys = [await makeKey('load-key', 'ES256')];
  home = new TestHome({}, { portCount: 40 });
  const ca = await makeCa('load test API CA');
  const cert = await issueServerCert(ca, ['127.0.0.1']);
  const files = { cert: path.join(home.dir, 'api.crt'), key: path.join(home.dir, 'api.key') };
  fs.writeFileSync(files.cert, cert.cert);
  fs.writeFileSync(files.key, cert.key, { mode: 0o600 });
  agent = new Agent({ connect: { ca: ca.cert } });
  home.writeConfig({
    pool: { size: 4 },
    host: { tls: files, copy_tls: 'auto', oidc: { issuer: issuer.issuer, audience: AUDIENCE, jwks_url: `${issuer.url}/jwks` } },
  });
  host = await HostProcess.start(home);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await agent?.close();
  await home?.cleanup();
  await issuer.stop();
});

async function call(bearer: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(host.url + pathname, {
    method,
    dispatcher: agent,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  checkContract(method, pathname, response.status, response.headers.get('content-type') ?? '', text);
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

describe('20 concurrent clients, HTTPS and OIDC, copies over TLS', () => {
  it('create, list and delete in turn: no error, no caller sees another’s copy, nothing left', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const errors: string[] = [];
    const sawOthers: string[] = [];
    let created = 0;
    const client = async (n: number) => {
      const bearer = await issuer.mint({ sub: `client-${n}` }, { key: issuer.keys[0]!, expiresIn: 600 });
      for (let round = 0; round < ROUNDS && Date.now() < deadline; round++) {
        const made = await call(bearer, 'POST', '/v2/copies', { ttl_seconds: 300 });
        if (made.status !== 201) {
          errors.push(`client-${n} create: ${made.status} ${JSON.stringify(made.json)}`);
          continue;
        }
        created++;
        if (!/sslmode=require$/.test(made.json.connection_string)) errors.push(`client-${n}: DSN without TLS: ${made.json.connection_string.replace(/:[^@/]*@/, ':***@')}`);
        const listed = await call(bearer, 'GET', '/v2/copies');
        if (listed.status !== 200) errors.push(`client-${n} list: ${listed.status}`);
        else if (listed.json.length !== 1 || listed.json[0].id !== made.json.id) sawOthers.push(`client-${n} saw ${listed.json.map((c: { id: string }) => c.id).join(',')}`);
        const removed = await call(bearer, 'DELETE', `/v2/copies/${made.json.id}`);
        if (removed.status !== 204) errors.push(`client-${n} delete: ${removed.status} ${JSON.stringify(removed.json)}`);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    expect(errors).toEqual([]);
    expect(sawOthers).toEqual([]);
    expect(created).toBe(CLIENTS * ROUNDS);
    // What is left is the warm pool: no copy of any caller.
    const live = readCopies(home).filter((c) => c.status !== 'destroyed' && c.status !== 'failed');
    expect(live.every((c) => c.warm === 1)).toBe(true);
  });

  it('once the pool is drained and the host stops, no server, port, directory or lease is left', async () => {
    await host.stop();
    expect((await home.run(['pool', 'drain'])).exitCode).toBe(0);
    expect(await leftovers(home)).toEqual([]);
  });
});
