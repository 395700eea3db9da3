import process from 'node:process';
import pg from 'pg';
import { expect, it } from 'vitest';

/**
 * What each sample file checks: DATABASE_URL reaches a database that this worker alone uses.
 * Every file leaves a row naming its worker and copy; a row of another worker would mean a copy
 * shared between workers running at the same time.
 */
export function itHasADatabaseOfItsOwnWorker(file: string): void {
  it(`${file}: DATABASE_URL is this worker's own copy`, async () => {
    expect(process.env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query('CREATE TABLE IF NOT EXISTS seen (worker text NOT NULL, copy_id text NOT NULL, file text NOT NULL)');
      await client.query('INSERT INTO seen VALUES ($1, $2, $3)', [process.env.VITEST_POOL_ID, process.env.DITTO_COPY_ID, file]);
      const rows = (await client.query('SELECT DISTINCT worker, copy_id FROM seen')).rows as { worker: string; copy_id: string }[];
      expect(rows).toEqual([{ worker: process.env.VITEST_POOL_ID, copy_id: process.env.DITTO_COPY_ID }]);
    } finally {
      await client.end();
    }
  });
}
