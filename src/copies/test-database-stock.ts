import { asDittoError } from '../errors.js';
import type { Copy } from '../model/copy.js';
import type { CopiesContext, Log } from './context.js';
import { credentialsOf, endpointOf } from './lifecycle.js';

/** The event a per-test database leaves: it wakes the maintainer, which refills that copy's stock. */
export const DATABASE_CREATED = 'database_created';

/**
 * Clones of the template made ahead in copies that make per-test databases, so `db new` renames
 * one (under a millisecond) instead of copying the template's files (tens to hundreds of ms).
 * Only copies that made one get a stock, within test_databases.stock_max_bytes: copies that are
 * not used that way cost nothing. Run by the maintainer, in the background of every caller:
 * a `db new` commits its event, the maintainer wakes and tops the stock up.
 */
export class TestDatabaseStock {
  /** The newest event already looked at. */
  private seen = 0;
  /** Copies whose stock may be short. */
  private readonly short = new Set<string>();

  constructor(private readonly ctx: CopiesContext) {}

  async maintain(log: Log): Promise<void> {
    const { repo, config } = this.ctx;
    const { lastId, copyIds } = repo.copiesWithEventSince(DATABASE_CREATED, this.seen);
    this.seen = lastId;
    for (const id of copyIds) this.short.add(id);
    for (const id of this.short) {
      // Tried once per `db new`: a copy that ends or cannot take more is not retried in a loop.
      this.short.delete(id);
      const copy = repo.get(id);
      if (config.test_databases.stock === 0 || !copy || copy.status !== 'ready' || copy.warm || copy.port === null) continue;
      await this.refill(copy, log);
    }
  }

  private async refill(copy: Copy, log: Log): Promise<void> {
    const { stock, stock_max_bytes } = this.ctx.config.test_databases;
    const databases = this.ctx.engines.get(copy.engine).testDatabases(endpointOf(copy), credentialsOf(copy));
    try {
      const made = await databases.stock(copy.database, { count: stock, maxBytes: stock_max_bytes });
      if (made > 0) log('stocked per-test databases', { copy_id: copy.id, made });
    } catch (err) {
      // A copy destroyed or reset meanwhile: its next `db new` clones on demand and asks again.
      log('stocking per-test databases failed', { copy_id: copy.id, error: asDittoError(err).message });
    }
  }
}
