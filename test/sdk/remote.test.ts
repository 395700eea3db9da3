import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DittoError, createClient, withCopy, type DittoClient } from '../../sdk/js/src/index.js';
import { TestHome } from '../helpers/ditto.js';
import { ContractProxy } from '../helpers/contract-proxy.js';
import { HostProcess } from '../helpers/host-process.js';
import { query } from '../helpers/pg.js';
import { closeHome, closedPort, thrown } from './helpers.js';

// The SDK in remote mode: /v2 over fetch to a real `ditto host` on 127.0.0.1.
const TOKEN = 'sdk-remote-token-7c1e';
const OTHER = 'sdk-other-token-2b9d';

let home: TestHome;
let host: HostProcess;
/** The host as the SDK reaches it: every answer the SDK gets is checked against docs/openapi.json. */
let checked: ContractProxy;
let client: DittoClient;

beforeAll(async () => {
  home = new TestHome({ host: { tokens: [{ name: 'sdk', token: TOKEN }, { name: 'other', token: OTHER }] } }, { portCount: 6 });
  host = await HostProcess.start(home);
  checked = await ContractProxy.start(host.url);
  client = createClient({ server: checked.url, token: TOKEN });
});

afterAll(async () => {
  await checked?.close();
  expect(checked?.checked).toBeGreaterThan(0);
  expect(checked?.problems).toEqual([]);
  await closeHome(home, host);
});

describe('the SDK in remote mode', () => {
  it('picks remote mode with a server', () => {
    expect(client.mode).toBe('remote');
  });

  it('up sends the v2 fields; list, events, status and down read the host', async () => {
    const copy = await client.up({ ttl: 600, label: 'sdk-remote', runId: 'run-42', jobName: 'integration' });
    expect(copy).toMatchObject({ status: 'ready', host: '127.0.0.1', label: 'sdk-remote', runId: 'run-42', jobName: 'integration', ttlSeconds: 600 });
    expect(await query(copy.connectionString, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    // What the host recorded, in its own words.
    const wire = (await host.api('GET', `/v2/copies/${copy.id}`, { token: TOKEN })).json;
    expect(wire).toMatchObject({ id: copy.id, label: 'sdk-remote', run_id: 'run-42', job_name: 'integration', ttl_seconds: 600 });
    expect(host.logLines.filter((l) => l.includes('"route":"create_copy"')).at(-1)).toContain('"caller":"token:sdk"');

    expect((await client.list()).map((c) => [c.id, c.runId])).toEqual([[copy.id, 'run-42']]);
    expect((await client.events(copy.id)).map((e) => e.action)).toEqual(expect.arrayContaining(['created', 'ready']));
    const report = await client.status();
    expect(report).toMatchObject({ activeCopies: 1, advertiseHost: '127.0.0.1' });
    expect(report.version).toMatch(/^\d+\.\d+\.\d+/);

    await client.down(copy.id);
    expect(await client.list()).toEqual([]);
    expect((await client.list({ all: true })).find((c) => c.id === copy.id)?.status).toBe('destroyed');
    await client.down(copy.id);
  });

  it('up({ name }) twice at once: one copy, sent and read back as name; another caller\'s name is its own; downNamed', async () => {
    const [a, b] = await Promise.all([client.up({ name: 'sdk-pr-2', ttl: 600 }), client.up({ name: 'sdk-pr-2', ttl: 900 })]);
    expect(b!.id).toBe(a!.id);
    expect(a!.name).toBe('sdk-pr-2');
    expect((await host.api('GET', `/v2/copies/${a!.id}`, { token: TOKEN })).json).toMatchObject({ name: 'sdk-pr-2' });
    const other = createClient({ server: host.url, token: OTHER });
    const theirs = await other.up({ name: 'sdk-pr-2', ttl: 600 });
    expect(theirs.id).not.toBe(a!.id);
    expect(await client.downNamed('sdk-pr-2')).toBe(true);
    expect((await other.list()).map((c) => c.id)).toEqual([theirs.id]);
    await other.down(theirs.id);
    expect(await client.list()).toEqual([]);
  });

  it('withCopy destroys the copy when fn throws', async () => {
    let id = '';
    const err = await thrown(() =>
      withCopy({ server: checked.url, token: TOKEN, label: 'sdk-remote-throws' }, (copy) => {
        id = copy.id;
        throw new Error('fn failed');
      }),
    );
    expect(err.message).toBe('fn failed');
    expect(await client.list()).toEqual([]);
    expect((await client.list({ all: true })).find((c) => c.id === id)?.status).toBe('destroyed');
  });

  it('typed errors: a bad token is UNAUTHORIZED 401, and the token is not in the error', async () => {
    const err = await thrown(() => createClient({ server: checked.url, token: 'not-a-token-x1' }).list());
    expect(err).toBeInstanceOf(DittoError);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(`${err.message} ${String(err.hint)}`).not.toContain('not-a-token-x1');
  });

  it("typed errors: an unknown id is NOT_FOUND 404, another caller's copy FORBIDDEN 403", async () => {
    expect(await thrown(() => client.down('nosuchcopy1'))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(await thrown(() => client.events('nosuchcopy1'))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const theirs = await createClient({ server: checked.url, token: OTHER }).up({ label: 'other' });
    try {
      expect(await thrown(() => client.down(theirs.id))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    } finally {
      await createClient({ server: checked.url, token: OTHER }).down(theirs.id);
    }
  });

  it('typed errors: an unreachable host is REMOTE, a missing token UNAUTHORIZED, a local dump BAD_INPUT', async () => {
    const port = await closedPort();
    const away = await thrown(() => createClient({ server: `http://127.0.0.1:${port}`, token: TOKEN }).status());
    expect(away).toMatchObject({ code: 'REMOTE', status: 69, message: `cannot reach the ditto host at http://127.0.0.1:${port}: ECONNREFUSED` });
    expect(away.hint).toMatch(/DITTO_SERVER/);
    const saved = process.env.DITTO_TOKEN;
    delete process.env.DITTO_TOKEN;
    try {
      expect(await thrown(() => createClient({ server: checked.url }).list())).toMatchObject({ code: 'UNAUTHORIZED', status: 77 });
    } finally {
      if (saved !== undefined) process.env.DITTO_TOKEN = saved;
    }
    expect(await thrown(() => client.up({ dump: './prod.dump' }))).toMatchObject({ code: 'BAD_INPUT', status: 2 });
    expect(() => createClient({ server: 'ftp://127.0.0.1' })).toThrow(/not an http\(s\):\/\/ URL/);
  });
});
