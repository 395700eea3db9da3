import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortHeld } from '../../src/copies/port-pool.js';
import { REPO, TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { readCopies, waitFor } from '../helpers/state.js';

// One host for the whole file (real PostgreSQL servers through the local runtime); the shutdown
// tests at the end restart it.
const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-9876543210';
const ADMIN = 'admin-token-abcdefabcdef';
const BODY_LIMIT = 2048;

let home: TestHome;
let host: HostProcess;
const env = { DITTO_TEST_BOB_TOKEN: BOB };

function hostConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    runtime: 'local',
    host: {
      tokens: [
        { name: 'alice', token: ALICE },
        { name: 'bob', token: 'env:DITTO_TEST_BOB_TOKEN' },
      ],
      admin_tokens: [{ name: 'ops', token: `file:${path.join(home.dir, 'admin.token')}` }],
      body_limit: BODY_LIMIT,
      // Every second (croner's six-field form): the schedule is seen firing within the suite.
      reseed_cron: '* * * * * *',
    },
    ...extra,
  };
}

const V2_CREATE_FIELDS = ['id', 'status', 'port', 'connection_string', 'run_id', 'job_name', 'created_at', 'ready_at', 'ttl_seconds', 'warm'];
const V2_LIST_FIELDS = ['id', 'status', 'port', 'run_id', 'job_name', 'error_message', 'created_at', 'ready_at', 'destroyed_at', 'ttl_seconds', 'warm'];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function create(token: string, body: Record<string, unknown> = {}) {
  const res = await host.api('POST', '/v2/copies', { token, body });
  expect(res.status, res.text).toBe(201);
  return res.json as Record<string, any>;
}

beforeAll(async () => {
  home = new TestHome({}, { portCount: 8 });
  fs.writeFileSync(path.join(home.dir, 'admin.token'), `${ADMIN}\n`, { mode: 0o600 });
  home.writeConfig(hostConfig());
  host = await HostProcess.start(home, env);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await home.cleanup();
});

describe('ditto host: /v2 API', () => {
  it('answers /healthz without a token', async () => {
    const res = await host.api('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('serves its contract at /v2/openapi.json without a token: the committed docs/openapi.json', async () => {
    const res = await host.api('GET', '/v2/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual(JSON.parse(fs.readFileSync(path.join(REPO, 'docs', 'openapi.json'), 'utf8')));
  });

  it('refuses a request with no token, a wrong token or another scheme with 401 and an error body', async () => {
    const variants: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${ALICE}` }, { authorization: `Bearer ${ALICE}x` }];
    for (const headers of variants) {
      const res = await host.api('GET', '/v2/copies', { headers });
      expect(res.status).toBe(401);
      expect(typeof res.json.error).toBe('string');
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
    }
    expect((await host.api('POST', '/v2/copies', { body: {} })).status).toBe(401);
    expect((await host.api('DELETE', '/v2/copies/abcdef', { token: 'nope' })).status).toBe(401);
  });

  it('creates a copy for the caller: 201 with the v2 fields, a working connection string on the advertised host', async () => {
    const copy = await create(ALICE, { ttl_seconds: 900, run_id: 'run-42', job_name: 'unit tests' });
    for (const field of V2_CREATE_FIELDS) expect(copy, field).toHaveProperty(field);
    expect(copy.status).toBe('ready');
    expect(copy.ttl_seconds).toBe(900);
    expect(copy.run_id).toBe('run-42');
    expect(copy.job_name).toBe('unit tests');
    expect(copy.warm).toBe(false);
    expect(copy.created_at).toMatch(ISO);
    expect(copy.ready_at).toMatch(ISO);
    expect(copy.connection_string).toMatch(new RegExp(`^postgresql://postgres:[^@]+@127\\.0\\.0\\.1:${copy.port}/postgres`));
    expect(await query(copy.connection_string, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    // Read after write: the list answered right after the 201 already has it.
    const list = await host.api('GET', '/v2/copies', { token: ALICE });
    expect(list.json.map((c: any) => c.id)).toContain(copy.id);
  });

  it('lists only the caller’s own copies, every copy for an admin, with the v2 fields', async () => {
    const mine = await create(ALICE, { ttl_seconds: 600 });
    const bobs = await create(BOB, {});
    const alice = (await host.api('GET', '/v2/copies', { token: ALICE })).json as any[];
    const bob = (await host.api('GET', '/v2/copies', { token: BOB })).json as any[];
    const admin = (await host.api('GET', '/v2/copies', { token: ADMIN })).json as any[];
    expect(alice.map((c) => c.id)).toContain(mine.id);
    expect(alice.map((c) => c.id)).not.toContain(bobs.id);
    expect(bob.map((c) => c.id)).toEqual([bobs.id]);
    expect(admin.map((c) => c.id)).toEqual(expect.arrayContaining([mine.id, bobs.id]));
    for (const field of V2_LIST_FIELDS) expect(alice[0], field).toHaveProperty(field);
    expect(alice[0]).not.toHaveProperty('connection_string');
    expect(JSON.stringify(admin)).not.toMatch(/password|postgresql:\/\//);
  });

  it('answers events for the caller’s copy; 403 for another caller’s, 404 for an unknown id', async () => {
    const copy = await create(ALICE, {});
    const events = await host.api('GET', `/v2/copies/${copy.id}/events`, { token: ALICE });
    expect(events.status).toBe(200);
    expect(events.json.map((e: any) => e.action)).toEqual(expect.arrayContaining(['created', 'ready']));
    for (const event of events.json) {
      expect(Object.keys(event).sort()).toEqual(['action', 'actor', 'created_at', 'metadata']);
      expect(event.created_at).toMatch(ISO);
    }
    expect(events.json[0].actor).toBe('host:token:alice');
    const forbidden = await host.api('GET', `/v2/copies/${copy.id}/events`, { token: BOB });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error).toMatch(/another caller/);
    expect((await host.api('GET', `/v2/copies/${copy.id}/events`, { token: ADMIN })).status).toBe(200);
    const unknown = await host.api('GET', '/v2/copies/zzzzzzzzzzzz/events', { token: ALICE });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/no copy/);
  });

  it('DELETE: 403 for another caller, 204 for the owner (and the server is gone), 404 for an unknown id', async () => {
    const copy = await create(ALICE, {});
    expect(await isPortHeld(copy.port)).toBe(true);
    const forbidden = await host.api('DELETE', `/v2/copies/${copy.id}`, { token: BOB });
    expect(forbidden.status).toBe(403);
    expect(await isPortHeld(copy.port)).toBe(true);
    const deleted = await host.api('DELETE', `/v2/copies/${copy.id}`, { token: ALICE });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(await isPortHeld(copy.port)).toBe(false);
    await expect(query(copy.connection_string, 'SELECT 1')).rejects.toThrow();
    // No stale read after the 204: the list no longer has it, the full list says destroyed.
    const active = (await host.api('GET', '/v2/copies', { token: ALICE })).json as any[];
    expect(active.map((c) => c.id)).not.toContain(copy.id);
    const all = (await host.api('GET', '/v2/copies?all=true', { token: ALICE })).json as any[];
    const gone = all.find((c) => c.id === copy.id);
    expect(gone.status).toBe('destroyed');
    expect(gone.destroyed_at).toMatch(ISO);
    expect((await host.api('DELETE', '/v2/copies/zzzzzzzzzzzz', { token: ALICE })).status).toBe(404);
    // An admin may destroy anyone's copy.
    const bobs = await create(BOB, {});
    expect((await host.api('DELETE', `/v2/copies/${bobs.id}`, { token: ADMIN })).status).toBe(204);
  });

  it('refuses bad input with 400: malformed JSON, a bad ttl, wrong field types, a path as dump_uri', async () => {
    const bad: { raw: string; error: RegExp }[] = [
      { raw: '{"ttl_seconds": 60', error: /not valid JSON/ },
      { raw: '[1, 2]', error: /JSON object/ },
      { raw: '"up"', error: /JSON object/ },
      { raw: '{"ttl_seconds": -5}', error: /ttl_seconds/ },
      { raw: '{"ttl_seconds": 1.5}', error: /ttl_seconds/ },
      { raw: '{"ttl_seconds": "15m"}', error: /ttl_seconds/ },
      { raw: '{"run_id": 7}', error: /run_id/ },
      { raw: '{"obfuscate": "yes"}', error: /obfuscate/ },
      { raw: '{"dump_uri": "/etc/passwd"}', error: /http\(s\):\/\/ or s3:\/\// },
    ];
    const before = readCopies(home).length;
    for (const { raw, error } of bad) {
      const res = await host.api('POST', '/v2/copies', { token: ALICE, raw });
      expect(res.status, raw).toBe(400);
      expect(res.json.error, raw).toMatch(error);
    }
    expect(readCopies(home).length).toBe(before);
  });

  it('refuses an oversized body with 413, and unknown routes with 404', async () => {
    const res = await host.api('POST', '/v2/copies', { token: ALICE, raw: JSON.stringify({ label: 'x'.repeat(BODY_LIMIT * 2) }) });
    expect(res.status).toBe(413);
    expect(res.json.error).toMatch(/over 2048 bytes/);
    expect((await host.api('GET', '/v2/nothing', { token: ALICE })).status).toBe(404);
  });

  it('answers 503 when no port is free, recording nothing', async () => {
    // Every port of the range this test home owns is held: by ditto's copies or by our listeners.
    const listeners: net.Server[] = [];
    for (let port = home.ports.min; port <= home.ports.max; port++) {
      if (await isPortHeld(port)) continue;
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
      listeners.push(server);
    }
    try {
      const before = readCopies(home).length;
      const res = await host.api('POST', '/v2/copies', { token: ALICE, body: {} });
      expect(res.status).toBe(503);
      expect(res.json.error).toMatch(/no free port/);
      expect(readCopies(home).length).toBe(before);
    } finally {
      await Promise.all(listeners.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('reports status with the v2 fields, from the mirror: the whole host to an admin, its own copies to a caller', async () => {
    const res = await host.api('GET', '/v2/status', { token: ADMIN });
    expect(res.status).toBe(200);
    for (const field of ['version', 'active_copies', 'warm_copies', 'port_pool_free', 'advertise_host']) expect(res.json, field).toHaveProperty(field);
    expect(res.json.advertise_host).toBe('127.0.0.1');
    const live = readCopies(home).filter((c) => c.status === 'ready' && !c.warm).length;
    expect(res.json.active_copies).toBe(live);
    expect(res.json.port_pool_free).toBe(home.ports.max - home.ports.min + 1 - live);
    const bobs = ((await host.api('GET', '/v2/copies', { token: BOB })).json as { status: string }[]).filter((c) => c.status === 'ready').length;
    const mine = await host.api('GET', '/v2/status', { token: BOB });
    expect(mine.json.active_copies).toBe(bobs);
    expect(mine.json.port_pool_free).toBe(res.json.port_pool_free);
  });

  it('sees a copy made by another process on the same state at the next read', async () => {
    // A local `ditto up` on the host's home writes through its own connection (no owner: admin sees it).
    const dsn = await home.up(['--label', 'from-cli']);
    const admin = (await host.api('GET', '/v2/copies', { token: ADMIN })).json as any[];
    const local = admin.find((c) => c.label === 'from-cli');
    expect(local).toBeDefined();
    expect(dsn).toContain(`:${local.port}/`);
    expect((await host.api('DELETE', `/v2/copies/${local.id}`, { token: ADMIN })).status).toBe(204);
  });

  it('serves Prometheus metrics', async () => {
    const res = await host.api('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/^# TYPE ditto_http_requests_total counter$/m);
    expect(res.text).toMatch(/^ditto_http_requests_total\{method="POST",route="create_copy",status="201"\} \d+$/m);
    expect(res.text).toMatch(/^ditto_http_requests_total\{method="GET",route="list_copies",status="401"\} \d+$/m);
    expect(res.text).toMatch(/^ditto_http_request_duration_seconds_bucket\{route="list_copies",le="\+Inf"\} \d+$/m);
    expect(res.text).toMatch(/^ditto_copies\{state="active"\} \d+$/m);
    expect(res.text).toMatch(/^ditto_maintainer_lease_held 1$/m);
    expect(res.text).toMatch(/^ditto_state_mirror_reloads_total \d+$/m);
  });

  it('runs the reseed schedule; with no source configured, each due reseed fails with the reason in the log and metrics', async () => {
    await waitFor(() => host.logLines.some((l) => l.includes('scheduled reseed failed') && l.includes('no source to reseed from')), 'a scheduled reseed', 5_000);
    expect((await host.api('GET', '/metrics')).text).toMatch(/^ditto_reseeds_total\{result="failed"\} [1-9]\d*$/m);
  });

  it('never writes a token or a password to its log', async () => {
    const copy = await create(ALICE, {});
    const password = decodeURIComponent(new URL(copy.connection_string).password);
    const log = host.logLines.join('\n');
    expect(log).toMatch(/"route":"create_copy"/);
    for (const secret of [ALICE, BOB, ADMIN, password]) expect(log).not.toContain(secret);
  });
});

describe('ditto host: configuration it refuses at start', () => {
  it('exits with one clear line without tokens, with an unset token variable, or a bad cron expression', async () => {
    const other = new TestHome({}, { portCount: 1 });
    try {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ host: {} }, /^ditto: the host has no tokens: every caller would be refused; add host\.tokens/],
        [{ host: { tokens: [{ name: 'a', token: 'env:DITTO_TEST_UNSET_TOKEN' }] } }, /^ditto: host\.tokens\[0\]\.token refers to environment variable DITTO_TEST_UNSET_TOKEN, which is not set/],
        [{ host: { tokens: [{ name: 'a', token: 't' }], reseed_cron: 'every day' } }, /^ditto: host\.reseed_cron 'every day' is not a cron expression/],
        [{ host: { tokens: [{ name: 'a', token: 't' }, { name: 'b', token: 't' }] } }, /^ditto: host: two callers share one token/],
      ];
      for (const [config, message] of cases) {
        other.writeConfig(config);
        const result = await other.run(['host', '--port', '0']);
        expect(result.exitCode, result.stderr).toBe(78);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr.trim()).toMatch(message);
        expect(result.stdout).not.toMatch(/listening/);
      }
    } finally {
      await other.cleanup();
    }
  });
});

describe('ditto host: graceful shutdown', () => {
  /** A dump whose restore takes seconds (no golden snapshot): a request stays in flight long enough to signal. */
  function slowDumpConfig(): Record<string, unknown> {
    const dump = path.join(home.dir, 'slow.sql');
    fs.writeFileSync(dump, 'CREATE TABLE slow (n int);\nSELECT pg_sleep(2);\nINSERT INTO slow VALUES (1);\n');
    return hostConfig({ dump: { path: dump, golden: false } });
  }

  async function restart(): Promise<void> {
    if (host.child.exitCode === null) await host.stop();
    home.writeConfig(slowDumpConfig());
    host = await HostProcess.start(home, env);
  }

  async function postWhileProvisioning(): Promise<{ answer: Promise<{ status: number; json: any }>; copyId: string }> {
    const known = new Set(readCopies(home).map((c) => c.id));
    const answer = host.api('POST', '/v2/copies', { token: ALICE, body: { run_id: 'shutdown' } });
    const row = await waitFor(() => readCopies(home).find((c) => !known.has(c.id) && c.status === 'creating'), 'a copy being made', 30_000);
    return { answer, copyId: row.id };
  }

  it('a client that goes away mid-POST: its copy is failed and removed', async () => {
    await restart();
    const known = new Set(readCopies(home).map((c) => c.id));
    const controller = new AbortController();
    const request = fetch(`${host.url}/v2/copies`, { method: 'POST', headers: { authorization: `Bearer ${ALICE}` }, body: '{}', signal: controller.signal });
    const row = await waitFor(() => readCopies(home).find((c) => !known.has(c.id) && c.status === 'creating'), 'a copy being made', 30_000);
    controller.abort();
    await expect(request).rejects.toThrow();
    await waitFor(() => readCopies(home).find((c) => c.id === row.id && c.status === 'failed'), 'the abandoned copy failed', 30_000);
    const deadline = Date.now() + 30_000;
    while ((await leftovers(home, [], [row.id])).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await leftovers(home, [], [row.id])).toEqual([]);
    expect(host.logLines.join('\n')).toMatch(/"route":"create_copy","status":499/);
  });

  it('SIGTERM during a POST: the request completes, then the host exits 0 with nothing half-made', async () => {
    await restart();
    const { answer, copyId } = await postWhileProvisioning();
    host.signal('SIGTERM');
    const res = await answer;
    expect(res.status).toBe(201);
    expect(res.json.id).toBe(copyId);
    expect((await host.child).exitCode).toBe(0);
    expect(await query(res.json.connection_string, 'SELECT n FROM slow')).toEqual([{ n: 1 }]);
    const row = readCopies(home).find((c) => c.id === copyId)!;
    expect(row.status).toBe('ready');
    expect(host.logLines.join('\n')).toMatch(/ditto host stopped/);
    expect(readCopies(home).filter((c) => ['pending', 'creating', 'destroying'].includes(c.status))).toEqual([]);
  });

  it('a second SIGTERM cuts the POST short: its copy is failed and removed, and the host exits 0', async () => {
    await restart();
    const { answer, copyId } = await postWhileProvisioning();
    host.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    host.signal('SIGTERM');
    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.json.error).toMatch(/shutting down/);
    expect((await host.child).exitCode).toBe(0);
    const row = readCopies(home).find((c) => c.id === copyId);
    expect(row?.status ?? 'discarded').toMatch(/failed|discarded/);
    expect(await leftovers(home, [], [copyId])).toEqual([]);
    expect(readCopies(home).filter((c) => ['pending', 'creating', 'destroying'].includes(c.status))).toEqual([]);
  });

  it('leaves no server, directory or lease behind once the copies are destroyed', async () => {
    await home.run(['down', '--all']);
    expect(await leftovers(home, [])).toEqual([]);
  });
});
