import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { validate } from '../../src/config/load.js';
import { WebhookOutbox } from '../../src/server/webhook-delivery.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A receiver on loopback answering each request with the next of `statuses` (the last one after that). */
async function receiver(statuses: number[]): Promise<{ url: string; got: { delivery: string; at: number }[] }> {
  const got: { delivery: string; at: number }[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push({ delivery: String(req.headers['x-ditto-delivery']), at: Date.now() });
      res.writeHead(statuses[Math.min(got.length - 1, statuses.length - 1)]!).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, got };
}

async function until(test: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('host.webhooks in config', () => {
  it('takes an http(s) URL or a secret reference, known events, and a secret; webhook_expiring_before is a duration (10m by default)', () => {
    const config = validate({ host: { webhooks: [{ url: 'env:HOOK_URL', events: ['copy.expiring', 'reseed.failed'], secret: 'file:/etc/ditto/hook' }], webhook_expiring_before: '15m' } }, 'ditto.yaml');
    expect(config.host.webhooks).toEqual([{ url: 'env:HOOK_URL', events: ['copy.expiring', 'reseed.failed'], secret: 'file:/etc/ditto/hook' }]);
    expect(config.host.webhook_expiring_before).toBe(900);
    expect(validate({}, 'ditto.yaml').host).toMatchObject({ webhooks: [], webhook_expiring_before: 600 });
  });

  it.each([
    [{ url: 'ftp://example.invalid/x', events: ['copy.failed'], secret: 's' }, /url/],
    [{ url: 'http://127.0.0.1/', events: ['copy.gone'], secret: 's' }, /events/],
    [{ url: 'http://127.0.0.1/', events: [], secret: 's' }, /events/],
    [{ url: 'http://127.0.0.1/', events: ['copy.failed'] }, /secret/],
  ])('refuses %j', (hook, field) => {
    expect(() => validate({ host: { webhooks: [hook] } }, 'ditto.yaml')).toThrow(field);
  });
});

describe('the webhook outbox', () => {
  it('retries a 5xx with backoff, the same delivery id each time, until a 2xx', async () => {
    const r = await receiver([503, 500, 204]);
    const lines: string[] = [];
    const outbox = new WebhookOutbox([{ url: r.url, events: ['copy.failed'], secret: 's' }], (m) => lines.push(m), { firstDelayMs: 50 });
    outbox.send({ event: 'copy.failed', copy: { id: 'x' } });
    await until(() => r.got.length === 3);
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => g.delivery)).size).toBe(1);
    // Waits of 50 then 100 ms (a timer may fire a millisecond early).
    expect(r.got[1]!.at - r.got[0]!.at).toBeGreaterThanOrEqual(48);
    expect(r.got[2]!.at - r.got[1]!.at).toBeGreaterThanOrEqual(98);
    // The answer to reach the outbox before it closes (closing drops a delivery under way, and says so).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await outbox.close();
    expect(lines).toEqual([]);
  });

  it('does not retry a 4xx, sends only the events a hook asked for, and gives up after its tries', async () => {
    const refusing = await receiver([400]);
    const failing = await receiver([500]);
    const lines: string[] = [];
    const outbox = new WebhookOutbox(
      [
        { url: refusing.url, events: ['copy.failed'], secret: 's' },
        { url: failing.url, events: ['copy.failed', 'copy.destroyed'], secret: 's' },
      ],
      (m) => lines.push(m),
      { firstDelayMs: 10, attempts: 3 },
    );
    outbox.send({ event: 'copy.destroyed', copy: { id: 'y' } });
    await until(() => lines.length === 1);
    outbox.send({ event: 'copy.failed', copy: { id: 'x' } });
    await until(() => lines.length === 3);
    await outbox.close();
    expect(refusing.got).toHaveLength(1);
    expect(failing.got).toHaveLength(6);
    expect(lines).toEqual(['webhook failed', 'webhook failed', 'webhook failed']);
  });
});
