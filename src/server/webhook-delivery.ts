import crypto from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { resolveSecret } from '../config/secrets.js';
import type { WebhookConfig, WebhookEventName } from '../config/webhooks.js';
import type { Log } from '../copies/context.js';
import { asDittoError } from '../errors.js';
import { VERSION } from '../version.js';

/** What a webhook is told: the event, when, and its details (a copy as the API shows it, an error). Never a password or secret. */
export interface WebhookEvent {
  event: WebhookEventName;
  [field: string]: unknown;
}

export interface DeliveryOptions {
  /** Tries per delivery, the first included. */
  attempts: number;
  /** The wait before the second try; doubled before each next one. */
  firstDelayMs: number;
  /** The longest one try may take, connecting included. */
  timeoutMs: number;
  /** Deliveries waiting or under way at most; past it, new ones are dropped (and logged). */
  maxPending: number;
}

const DEFAULTS: DeliveryOptions = { attempts: 5, firstDelayMs: 1000, timeoutMs: 10_000, maxPending: 1000 };

/**
 * The signature of a webhook request: HMAC-SHA256 with the hook's secret over `<timestamp>.<raw
 * body>`, hex, as `sha256=<hex>`. The timestamp (X-Ditto-Timestamp, Unix seconds) is signed so
 * that a receiver can refuse an old request replayed.
 */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A hook's URL as logs show it: its origin, never a path or query that may carry a credential. */
function shown(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * The host's outbox of webhook requests: `send` queues and returns at once (a request or the
 * maintenance loop never waits on a receiver); each delivery is tried in the background, with a
 * timeout per try and a bounded number of tries, backing off. Closing drops what is left and cuts
 * tries under way short, so a host with an unreachable receiver still stops at once.
 */
export class WebhookOutbox {
  private readonly options: DeliveryOptions;
  private readonly closing = new AbortController();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly hooks: readonly WebhookConfig[],
    private readonly log: Log,
    options: Partial<DeliveryOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Queues `event` for every hook that asked for it. */
  send(event: WebhookEvent): void {
    if (this.closing.signal.aborted) return;
    const body = JSON.stringify({ id: crypto.randomUUID(), at: new Date().toISOString(), ...event });
    this.hooks.forEach((hook, index) => {
      if (!hook.events.includes(event.event)) return;
      if (this.pending.size >= this.options.maxPending) {
        this.log('webhook dropped: too many deliveries pending', { hook: index, event: event.event });
        return;
      }
      const delivery = this.deliver(hook, index, event.event, body).finally(() => this.pending.delete(delivery));
      this.pending.add(delivery);
    });
  }

  /** Drops deliveries not done and waits for them to stop (at once: their waits and tries are aborted). */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all(this.pending);
  }

  private async deliver(hook: WebhookConfig, index: number, event: WebhookEventName, body: string): Promise<void> {
    const where = { hook: index, event };
    const delivery = (JSON.parse(body) as { id: string }).id;
    let url: string;
    let secret: string;
    try {
      url = resolveSecret(hook.url, `host.webhooks[${index}].url`);
      secret = resolveSecret(hook.secret, `host.webhooks[${index}].secret`);
    } catch (err) {
      return this.log('webhook not sent', { ...where, error: asDittoError(err).message });
    }
    const { signal } = this.closing;
    let problem = '';
    for (let attempt = 1; attempt <= this.options.attempts && !signal.aborted; attempt++) {
      // Closing ends the wait (the rejection) and the loop with it.
      if (attempt > 1) await delay(this.options.firstDelayMs * 2 ** (attempt - 2), undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      const timestamp = String(Math.floor(Date.now() / 1000));
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': `ditto/${VERSION}`,
            'x-ditto-event': event,
            'x-ditto-delivery': delivery,
            'x-ditto-timestamp': timestamp,
            'x-ditto-signature': webhookSignature(secret, timestamp, body),
          },
          body,
          redirect: 'error',
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]),
        });
        await response.body?.cancel();
        if (response.ok) return;
        problem = `HTTP ${response.status}`;
        // A receiver that refuses the request as such (4xx but 408 and 429) would refuse it again.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
      } catch (err) {
        problem = (err as Error).name === 'TimeoutError' ? `no answer in ${this.options.timeoutMs} ms` : (err as Error).message;
      }
    }
    this.log(signal.aborted ? 'webhook dropped: the host is stopping' : 'webhook failed', { ...where, url: shown(url), error: problem });
  }
}
