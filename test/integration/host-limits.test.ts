import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { readCopies } from '../helpers/state.js';

/** A team's host: a limit per caller, dump URIs only under listed prefixes, status per caller. */
const ALICE = 'alice-token-limits-0123';
const BOB = 'bob-token-limits-4567';
const ADMIN = 'admin-token-limits-89ab';

let home: TestHome;
let host: HostProcess;
let dumps: http.Server;
let dumpRequests: string[] = [];
let dumpsUrl = '';

beforeAll(async () => {
  // A dump server on loopback that records every request it gets.
  dumps = http.createServer((req, res) => {
    dumpRequests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/sql' }).end('CREATE TABLE fetched (x int);\n');
  });
  await new Promise<void>((resolve) => dumps.listen(0, '127.0.0.1', resolve));
  dumpsUrl = `http://127.0.0.1:${(dumps.address() as AddressInfo).port}`;
  home = new TestHome({}, { portCount: 10 });
  home.writeConfig({
    runtime: 'local',
    host: {
      tokens: [
        { name: 'alice', token: ALICE },
        { name: 'bob', token: BOB },
      ],
      admin_tokens: [{ name: 'ops', token: ADMIN }],
      max_copies_per_owner: 2,
      dump_uris: [`${dumpsUrl}/allowed/`],
    },
  });
  host = await HostProcess.start(home);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await home.cleanup();
  await new Promise((resolve) => dumps.close(resolve));
});

describe('host.max_copies_per_owner', () => {
  it('past the limit: 429 with Retry-After, and nothing is made', async () => {
    for (let i = 0; i < 2; i++) expect((await host.api('POST', '/v2/copies', { token: ALICE, body: { ttl_seconds: 600 } })).status).toBe(201);
    const before = readCopies(home, { builders: true }).length;
    const refused = await host.api('POST', '/v2/copies', { token: ALICE, body: {} });
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 'QUOTA', error: expect.stringMatching(/alice holds 2 copies, the most this host allows one caller/) });
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(500);
    expect(retry).toBeLessThanOrEqual(600);
    expect(readCopies(home, { builders: true })).toHaveLength(before);
  });

  it('the CLI in remote mode says so in one line, exit 75; another caller and an admin are not held back by alice’s copies', async () => {
    const env = { DITTO_SERVER: host.url, DITTO_TOKEN: ALICE };
    expectOneLineError(await home.run(['up'], { env }), 75, /alice holds 2 copies, the most this host allows one caller .*; destroy one \(ditto down\) or wait for one to expire/);
    expect((await host.api('POST', '/v2/copies', { token: BOB, body: {} })).status).toBe(201);
    expect((await host.api('POST', '/v2/copies', { token: ADMIN, body: {} })).status).toBe(201);
  });

  it('a destroyed copy frees its place', async () => {
    const [first] = (await host.api('GET', '/v2/copies', { token: ALICE })).json as { id: string }[];
    expect((await host.api('DELETE', `/v2/copies/${first!.id}`, { token: ALICE })).status).toBe(204);
    expect((await host.api('POST', '/v2/copies', { token: ALICE, body: {} })).status).toBe(201);
    expect((await host.api('GET', '/v2/copies', { token: ALICE })).json).toHaveLength(2);
    expect((await host.api('POST', '/v2/copies', { token: ALICE, body: {} })).status).toBe(429);
  });
});

describe('host.dump_uris', () => {
  it('a dump URI outside the listed prefixes: 403, and the host fetches nothing', async () => {
    const token = BOB;
    dumpRequests = [];
    for (const uri of [`${dumpsUrl}/secret/prod.sql`, `${dumpsUrl}/allowedX/prod.sql`, 'http://127.0.0.2:9/anything.sql']) {
      const res = await host.api('POST', '/v2/copies', { token, body: { dump_uri: uri } });
      expect(res.status, res.text).toBe(403);
      expect(res.json.error).toMatch(/^dump_uri .* is not allowed on this host$/);
      expect(res.json.hint).toContain(`${dumpsUrl}/allowed/`);
    }
    expect(dumpRequests).toEqual([]);
  });

  it('a dump URI under a listed prefix is fetched and restored', async () => {
    dumpRequests = [];
    const res = await host.api('POST', '/v2/copies', { token: ADMIN, body: { dump_uri: `${dumpsUrl}/allowed/seed.sql` } });
    expect(res.status, res.text).toBe(201);
    expect(dumpRequests).toEqual(['/allowed/seed.sql']);
  });
});

describe('GET /v2/status per caller', () => {
  it('a caller sees its own copies; an admin sees the whole host', async () => {
    const status = async (token: string) => (await host.api('GET', '/v2/status', { token })).json as { active_copies: number };
    const all = readCopies(home).filter((c) => c.status === 'ready' && !c.warm).length;
    const alice = ((await host.api('GET', '/v2/copies', { token: ALICE })).json as unknown[]).length;
    const bob = ((await host.api('GET', '/v2/copies', { token: BOB })).json as unknown[]).length;
    expect((await status(ALICE)).active_copies).toBe(alice);
    expect((await status(BOB)).active_copies).toBe(bob);
    expect((await status(ADMIN)).active_copies).toBe(all);
    expect(alice).not.toBe(all);
  });

  it('leaves nothing once the copies are destroyed', async () => {
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, [])).toEqual([]);
  });
});
