import { DittoError } from '../errors.js';
import type { ReadyOptions } from './engine.js';

/**
 * Tries `attempt` (a real connection and query) until it succeeds, backing off a little each time;
 * every few tries asks whether the server still runs, so a server that died does not cost the
 * whole timeout. `attempt` rejects with the reason it could not connect.
 */
export async function retryUntilReady(attempt: () => Promise<void>, opts: ReadyOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = 'no answer';
  for (let n = 0; ; n++) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (n % 4 === 3 && !(await opts.alive())) {
      throw new DittoError('PROVISION_FAILED', 'the database server exited while starting');
    }
    if (Date.now() > deadline) {
      throw new DittoError('PROVISION_FAILED', `the database server did not accept connections within ${Math.round(opts.timeoutMs / 1000)}s (${lastError})`, {
        hint: 'raise ready_timeout in ditto.yaml if the machine is slow',
      });
    }
    await new Promise((r) => setTimeout(r, Math.min(25 * (n + 1), 200)));
  }
}
