import { defineConfig } from 'vitest/config';

/** `npm run record-histories`: writes tests/histories/ from real runs for the replay test. */
export default defineConfig({
  test: {
    include: ['tests/record/*.record.ts'],
    globalSetup: ['tests/helpers/globalSetup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
