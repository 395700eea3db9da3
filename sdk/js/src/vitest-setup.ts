import process from 'node:process';
import { inject } from 'vitest';
import type { WorkerCopy } from './vitest.js';

/**
 * vitest's setup file (`setupFiles: ['@ditto/sdk/vitest/setup']`), run in each worker before each
 * test file: DATABASE_URL and DITTO_COPY_ID name this worker's own copy, made by the global setup
 * `@ditto/sdk/vitest`. Files run one after another in a worker, so no two run on one copy at once.
 */

/** This worker's copy. */
export function dittoCopy(): WorkerCopy {
  const copies = inject('dittoCopies');
  if (!Array.isArray(copies)) {
    throw new Error("ditto: no copies were provided: add '@ditto/sdk/vitest' (or your dittoGlobalSetup file) to globalSetup in vitest.config");
  }
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  const copy = copies[worker - 1];
  if (!copy) throw new Error(`ditto: worker ${worker} has no copy: the global setup made ${copies.length}; give dittoGlobalSetup({ copies }) at least maxWorkers`);
  return copy;
}

const copy = dittoCopy();
process.env.DATABASE_URL = copy.connectionString;
process.env.DITTO_COPY_ID = copy.id;
