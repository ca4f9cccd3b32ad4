import { defineConfig } from 'vitest/config';

/** `npm run bench`: the benchmarks, on the same real Temporal dev server set-up as the tests. */
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.test.ts'],
    globalSetup: ['tests/helpers/globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
