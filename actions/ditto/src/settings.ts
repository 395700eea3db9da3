import { DittoError, createClient, type DittoClient } from '../../../sdk/js/src/index.js';
import { error, input, mask } from './runner.js';

/** The state entry that hands the copy's id from main to post. */
export const COPY_STATE = 'copy_id';
/** The state entry that tells post the copy is named: it is kept for the next run. */
export const NAMED_STATE = 'copy_name';

/**
 * The client the inputs select, the same in main and post: remote mode with `server` (or
 * DITTO_SERVER), its bearer `token`, else DITTO_TOKEN, else the job's OIDC token
 * (`permissions: id-token: write`); local mode without a server (DITTO_BIN or `ditto` on PATH).
 */
export function clientFromInputs(): DittoClient {
  const token = input('token');
  mask(token);
  return createClient({ server: input('server') || undefined, token: token || undefined });
}

/** A step's end on failure: one `::error::` line (ditto's message and hint, never a secret), exit 1. */
export async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    error(`ditto ${name}: ${err instanceof DittoError ? err.toLine() : err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
