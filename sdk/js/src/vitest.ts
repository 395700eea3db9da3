import os from 'node:os';
import type { TestProject } from 'vitest/node';
import { createClient } from './index.js';
import type { ClientOptions, IssuedCopy, UpOptions } from './types.js';

/**
 * vitest's global setup (in the main process): one copy per test worker, made before any test
 * file runs and destroyed after the last one, handed to the workers with `provide`. The setup
 * file `@ditto/sdk/vitest/setup` then gives each worker its own (by VITEST_POOL_ID, which runs
 * from 1 to the number of workers and is never held by two workers at once) as DATABASE_URL.
 *
 * vitest.config.ts:
 *   test: { globalSetup: ['@ditto/sdk/vitest'], setupFiles: ['@ditto/sdk/vitest/setup'] }
 * or, with options, a global setup file of your own: `export default dittoGlobalSetup({ ttl: '30m' })`.
 */

/** What a worker gets: no more than it needs to connect and to name the copy. */
export interface WorkerCopy {
  id: string;
  connectionString: string;
}

export const PROVIDED_KEY = 'dittoCopies';

declare module 'vitest' {
  export interface ProvidedContext {
    dittoCopies: WorkerCopy[];
  }
}

export interface DittoVitestOptions extends ClientOptions, Omit<UpOptions, 'signal'> {
  /** How many copies to make; default: as many as vitest runs workers. */
  copies?: number;
}

/** A global-setup function: makes the copies, provides them, and returns the teardown that destroys them. */
export function dittoGlobalSetup(options: DittoVitestOptions = {}): (project: TestProject) => Promise<() => Promise<void>> {
  return async (project) => {
    const client = createClient(options);
    const count = options.copies ?? workerCount(project);
    const made: IssuedCopy[] = [];
    const destroyAll = async () => {
      const results = await Promise.allSettled(made.map((copy) => client.down(copy.id)));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length) throw new AggregateError(failed.map((r) => r.reason as unknown), `ditto: ${failed.length} of ${made.length} copies could not be destroyed (they end at their TTL)`);
    };
    // One after another: concurrent first uses of a fresh local home can find its state file locked.
    try {
      for (let i = 0; i < count; i++) made.push(await client.up({ ...options, label: options.label ?? `vitest worker ${i + 1}` }));
    } catch (err) {
      await destroyAll().catch(() => {});
      throw err;
    }
    project.provide(PROVIDED_KEY, made.map((c) => ({ id: c.id, connectionString: c.connectionString })));
    return destroyAll;
  };
}

/** The default export: a global setup with the defaults (ditto's TTL, one copy per worker). */
export default dittoGlobalSetup();

/**
 * How many workers vitest runs at most, as its pools count them: the pool's own maximum
 * (vitest 3's poolOptions), else maxWorkers, else vitest's default; one without file parallelism.
 */
export function workerCount(project: TestProject): number {
  const config = project.vitest.config as unknown as {
    pool?: string;
    watch?: boolean;
    fileParallelism?: boolean;
    maxWorkers?: number;
    poolOptions?: Record<string, { maxForks?: number; maxThreads?: number; singleFork?: boolean; singleThread?: boolean } | undefined>;
  };
  const pool = config.poolOptions?.[config.pool ?? 'forks'];
  if (config.fileParallelism === false || pool?.singleFork || pool?.singleThread) return 1;
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  const fallback = config.watch ? Math.max(Math.floor(cpus / 2), 1) : Math.max(cpus - 1, 1);
  return pool?.maxForks ?? pool?.maxThreads ?? config.maxWorkers ?? fallback;
}
