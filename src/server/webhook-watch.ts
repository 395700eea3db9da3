import { copyWire } from '../api/wire.js';
import type { Log } from '../copies/context.js';
import { asDittoError } from '../errors.js';
import { toInfo } from '../model/copy-client.js';
import type { Copy } from '../model/copy.js';
import { scrubbed } from '../reseed/failure-hooks.js';
import { CopiesRepo, newestEventId } from '../state/copies-repo.js';
import { EventFeed } from '../state/event-feed.js';
import type { Db } from '../state/store.js';
import type { WebhookEvent, WebhookOutbox } from './webhook-delivery.js';

/** How often the state is read for events to tell. */
const POLL_MS = 1000;
/** The event that records a copy's `copy.expiring` was sent: once per copy, across restarts of the host. */
export const EXPIRY_WARNED = 'expiry_warned';
/** The copy events that become webhook events: a copy's end, and its failure. */
const ENDS: Record<string, 'copy.destroyed' | 'copy.failed'> = { destroyed: 'copy.destroyed', expired: 'copy.destroyed', failed: 'copy.failed' };

export interface WebhookWatch {
  /** A reseed of the host's schedule failed. */
  reseedFailed(err: unknown): void;
  /** Stops reading the state and drops the deliveries not done. */
  stop(): Promise<void>;
}

/**
 * Reads the state for what webhooks are told, off every request's path: the copy events written
 * since the last look (by this host or any process on its home), and the copies about to expire
 * that were not yet warned of. Events from before the host started are not told.
 */
export function watchForWebhooks(opts: { db: Db; outbox: WebhookOutbox; expiringBeforeMs: number; advertiseHost: string; log: Log }): WebhookWatch {
  const { outbox, advertiseHost } = opts;
  const repo = new CopiesRepo(opts.db);
  const feed = new EventFeed(opts.db);
  const copyOf = (copy: Copy) => copyWire(toInfo(copy), advertiseHost);
  // What came before the host is not told.
  let seen = newestEventId(opts.db);
  const look = () => {
    const { lastId, events } = feed.eventsSince(seen, Object.keys(ENDS));
    seen = lastId;
    for (const e of events) {
      const copy = repo.get(e.copyId);
      // Golden snapshot builders and reseed's scratch copies are ditto's own work; a pool's drain is not an end.
      if (!copy || copy.purpose !== 'copy') continue;
      const event: WebhookEvent = { event: ENDS[e.action]!, copy: copyOf(copy) };
      if (e.action !== 'failed') event.reason = e.action;
      outbox.send(event);
    }
    for (const copy of feed.expiringWithout(Date.now() + opts.expiringBeforeMs, EXPIRY_WARNED)) {
      // Recorded before it is sent: at most once, even if the host stops in between.
      repo.addEvent(copy.id, { action: EXPIRY_WARNED, actor: 'host', metadata: { expires_at: new Date(copy.expiresAt!).toISOString() } });
      outbox.send({ event: 'copy.expiring', copy: copyOf(copy) });
    }
  };
  const timer = setInterval(() => {
    try {
      look();
    } catch (err) {
      opts.log('webhooks: could not read the state; trying again', { error: asDittoError(err).message });
    }
  }, POLL_MS);
  timer.unref();
  return {
    reseedFailed: (err) => {
      const error = asDittoError(err);
      outbox.send({ event: 'reseed.failed', error: scrubbed(error.message), code: error.code });
    },
    stop: async () => {
      clearInterval(timer);
      await outbox.close();
    },
  };
}
