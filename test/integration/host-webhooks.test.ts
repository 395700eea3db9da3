import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';

/**
 * host.webhooks against receivers on loopback: real node http servers in the test, which check
 * each request's signature as a receiver would (from the documentation, not ditto's code).
 */
const TOKEN = 'hooks-token-0123456789';
const SECRET = 'hook-secret-5f2a9c0e7b';

interface Received {
  event: string;
  body: Record<string, any>;
  raw: string;
  headers: http.IncomingHttpHeaders;
}

/** A receiver that records what it gets and answers `status`. */
class Receiver {
  readonly got: Received[] = [];
  private server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      this.got.push({ event: String(req.headers['x-ditto-event']), body: JSON.parse(raw) as Record<string, any>, raw, headers: req.headers });
      res.writeHead(this.status).end();
    });
  });
  status = 204;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/hooks/ditto`;
  }

  async waitFor(event: string, copyId: string, timeoutMs = 30_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.got.find((r) => r.event === event && r.body.copy?.id === copyId);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${event} for ${copyId}; got ${this.got.map((r) => r.event).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What a receiver does with a request (docs/operating-a-host.md, "Webhooks"): the HMAC over `<timestamp>.<raw body>`, compared in constant time, and a recent timestamp. */
function expectSigned(r: Received): void {
  const timestamp = String(r.headers['x-ditto-timestamp']);
  const expected = `sha256=${crypto.createHmac('sha256', SECRET).update(`${timestamp}.${r.raw}`).digest('hex')}`;
  const given = String(r.headers['x-ditto-signature']);
  expect(given.length).toBe(expected.length);
  expect(crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))).toBe(true);
  expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);
  expect(r.headers['content-type']).toBe('application/json');
  expect(r.body.event).toBe(r.event);
  expect(r.raw).not.toContain(SECRET);
  expect(r.raw).not.toMatch(/password|connection_string/);
}

let home: TestHome | null = null;
let host: HostProcess | null = null;
const receivers: Receiver[] = [];

afterEach(async () => {
  if (host && host.child.exitCode === null) await host.stop();
  host = null;
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  if (home) {
    await home.run(['down', '--all']);
    const left = await leftovers(home);
    await home.cleanup();
    home = null;
    expect(left).toEqual([]);
  }
});

async function startHost(hostConfig: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<HostProcess> {
  home = new TestHome({ ...config, host: { tokens: [{ name: 'team', token: TOKEN }], ...hostConfig } }, { portCount: 6 });
  host = await HostProcess.start(home, { HOOK_SECRET: SECRET });
  return host;
}

const ALL = ['copy.expiring', 'copy.destroyed', 'copy.failed', 'reseed.failed'];

describe('webhooks', () => {
  it('copy.expiring before the TTL ends, once, then copy.destroyed when it expires; signed, and the secret in no log', async () => {
    const receiver = new Receiver();
    receivers.push(receiver);
    const url = await receiver.start();
    const h = await startHost({ webhooks: [{ url, events: ALL, secret: 'env:HOOK_SECRET' }], webhook_expiring_before: '4s' });
    const made = await h.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 6, name: 'hooked' } });
    expect(made.status, made.text).toBe(201);
    const id = made.json.id as string;

    const expiring = await receiver.waitFor('copy.expiring', id);
    expectSigned(expiring);
    expect(expiring.body.copy).toMatchObject({ id, name: 'hooked', owner: 'token:team', status: 'ready', expires_at: made.json.expires_at });
    expect(expiring.headers['x-ditto-delivery']).toBe(expiring.body.id);
    // Told before it ended, by about webhook_expiring_before.
    expect(Date.parse(made.json.expires_at) - Date.parse(expiring.body.at)).toBeGreaterThan(1000);

    const destroyed = await receiver.waitFor('copy.destroyed', id);
    expectSigned(destroyed);
    expect(destroyed.body).toMatchObject({ event: 'copy.destroyed', reason: 'expired', copy: { id, status: 'destroyed' } });
    expect(receiver.got.filter((r) => r.body.copy?.id === id).map((r) => r.event)).toEqual(['copy.expiring', 'copy.destroyed']);
    const events = (await h.api('GET', `/v2/copies/${id}/events`, { token: TOKEN })).json as { action: string }[];
    expect(events.map((e) => e.action)).toContain('expiry_warned');

    // A copy destroyed by its caller: reason destroyed.
    const other = await h.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600 } });
    expect((await h.api('DELETE', `/v2/copies/${other.json.id}`, { token: TOKEN })).status).toBe(204);
    expect((await receiver.waitFor('copy.destroyed', other.json.id)).body.reason).toBe('destroyed');
    expect(receiver.got.filter((r) => r.event === 'copy.expiring')).toHaveLength(1);

    await h.stop();
    expect(h.logLines.join('\n')).not.toContain(SECRET);
  });

  it('copy.failed when a copy fails being made, with its error; reseed.failed when a scheduled reseed fails', async () => {
    const receiver = new Receiver();
    receivers.push(receiver);
    const url = await receiver.start();
    // Only the events asked for: this receiver gets failures. A reseed every 2 s, with no source to reseed from.
    const h = await startHost({ webhooks: [{ url, events: ['copy.failed', 'reseed.failed'], secret: SECRET }], reseed_cron: '*/2 * * * * *' }, { dump: { path: 'broken.sql', golden: false } });
    fs.writeFileSync(path.join(home!.dir, 'broken.sql'), 'CREATE TABLE broken (;\n');
    const made = await h.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600 } });
    expect(made.status).toBeGreaterThanOrEqual(400);
    const [copy] = (await h.api('GET', '/v2/copies?all=true', { token: TOKEN })).json as { id: string; status: string }[];
    expect(copy!.status).toBe('failed');
    const failed = await receiver.waitFor('copy.failed', copy!.id);
    expectSigned(failed);
    expect(failed.body.copy.error_message).toMatch(/restoring <host path> failed: psql/);
    const deadline = Date.now() + 20_000;
    while (!receiver.got.some((r) => r.event === 'reseed.failed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const reseed = receiver.got.find((r) => r.event === 'reseed.failed')!;
    expectSigned(reseed);
    expect(reseed.body).toMatchObject({ event: 'reseed.failed', code: expect.any(String), error: expect.stringMatching(/source/) });
    expect(receiver.got.every((r) => r.event === 'copy.failed' || r.event === 'reseed.failed')).toBe(true);
  });

  it('an unreachable receiver (a closed port) and one that never answers delay no request, and the host still stops at once', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    // Takes the connection and the request, never answers.
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const h = await startHost({
        webhooks: [
          { url: `http://127.0.0.1:${closedPort}/`, events: ALL, secret: SECRET },
          { url: `http://127.0.0.1:${silentPort}/`, events: ALL, secret: SECRET },
        ],
      });
      const made = await h.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600 } });
      expect(made.status).toBe(201);
      // Deliveries of this copy's end are tried (one refused at once and retried, one waiting on its timeout) while the next requests run.
      const started = Date.now();
      expect((await h.api('DELETE', `/v2/copies/${made.json.id}`, { token: TOKEN })).status).toBe(204);
      await new Promise((r) => setTimeout(r, 1500));
      const listStarted = Date.now();
      expect((await h.api('GET', '/v2/copies', { token: TOKEN })).status).toBe(200);
      // Bounds far under a delivery's timeout (10 s) and its retries (15 s of backoff): generous for a loaded machine.
      expect(Date.now() - listStarted).toBeLessThan(2000);
      expect(Date.now() - started).toBeLessThan(8000);
      const stopping = Date.now();
      expect(await h.stop()).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(5000);
      expect(h.logLines.join('\n')).toMatch(/webhook (dropped: the host is stopping|failed)/);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
