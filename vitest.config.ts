import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start simulators and workers; two cores do not gain from many forks.
    maxWorkers: 2,
    // Tests marked concurrent (the credential refresh cases, three worker processes each) run three at a time.
    maxConcurrency: 3,
    // `npm run coverage` (scripts/coverage/run.js) turns this on and merges in the coverage of
    // the relayq processes the tests spawn.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'jobs/**/*.ts', 'cli.ts', 'index.ts'],
      reporter: ['json'],
      reportsDirectory: 'coverage/tests',
    },
  },
});
