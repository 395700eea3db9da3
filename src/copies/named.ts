import { DittoError } from '../errors.js';
import type { Copy } from '../model/copy.js';
import type { CopiesContext } from './context.js';
import type { Act } from './lifecycle.js';

/** How often a request for a name looks at the copy another request is making under it. */
const WAIT_POLL_MS = 100;

/**
 * Named copies (`up --name`): an owner's live copy of a name is handed back to whoever asks for
 * the name again. Taking a name is atomic in the state (copies-repo.ts: the look and the claim or
 * insert in one write transaction, and a unique index behind them); this is the handing back.
 */
export class NamedCopies {
  constructor(private readonly ctx: CopiesContext) {}

  /**
   * The live copy `owner` holds named `name`, its TTL renewed to `ttl` seconds from now. One being
   * made (or reset) by another request is waited for. Undefined when there is none, or when the one
   * waited for failed or went: the name is free to take.
   */
  async renew(owner: string | null, name: string, ttl: number, act: Act): Promise<Copy | undefined> {
    const { repo, config } = this.ctx;
    const deadline = Date.now() + (config.ready_timeout + 60) * 1000;
    for (;;) {
      const copy = repo.liveNamed(owner, name);
      if (!copy) return undefined;
      if (copy.status === 'ready') {
        const renewed = repo.transition(copy.id, ['ready'], { ttlSeconds: ttl, expiresAt: Date.now() + ttl * 1000 }, { action: 'renewed', actor: act.actor, metadata: { name, ttl_seconds: ttl } });
        if (renewed) return renewed;
        continue;
      }
      if (act.signal?.aborted) throw new DittoError('INTERRUPTED', `interrupted while waiting for the copy named '${name}'`);
      if (Date.now() > deadline) throw new DittoError('CONFLICT', `the copy named '${name}' (${copy.id}) is still ${copy.status}`, { hint: 'try again in a moment' });
      act.onProgress?.(`Waiting for copy ${copy.id} named ${name}, being made`);
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }
}
