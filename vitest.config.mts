import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit`: pure rules and documents, no server, seconds (`npm run test:unit`). `platform`:
 * everything through HTTP, Temporal, PostgreSQL and SMTP, on the servers globalSetup starts.
 * `npm test` runs both.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 10_000 } },
      {
        extends: true,
        test: {
          name: 'platform',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/unit/**'],
          globalSetup: ['tests/helpers/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
