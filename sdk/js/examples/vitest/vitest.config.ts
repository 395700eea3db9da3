import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// A project's vitest config with ditto: one copy per worker, DATABASE_URL set in each.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['*.test.ts'],
    globalSetup: ['@ditto/sdk/vitest'],
    setupFiles: ['@ditto/sdk/vitest/setup'],
    pool: 'forks',
    poolOptions: { forks: { minForks: 2, maxForks: 2 } },
  },
});
