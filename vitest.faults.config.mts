import { defineConfig } from 'vitest/config';

/**
 * `npm run faults`: faults between aims-flow and each dependency through a real fault proxy, one scenario
 * file at a time, each bounded in time and count and ending with a count of what was accepted.
 */
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.faults.ts'],
    globalSetup: ['tests/helpers/globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
