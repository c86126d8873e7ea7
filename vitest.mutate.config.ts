/**
 * The test run Stryker uses (stryker.config.mjs): only the test files given in RELAYQ_MUTATE_TESTS
 * (scripts/mutate.js picks them per folder), which run the code under test in their own process.
 * A mutant is switched on inside the test process, so tests that exercise a spawned relayq CLI or
 * worker cannot see it and only slow the run down.
 */
import { defineConfig } from 'vitest/config';

const tests = (process.env.RELAYQ_MUTATE_TESTS ?? '').split(',').filter((entry) => entry !== '');

export default defineConfig({
  test: {
    include: tests.length > 0 ? tests : ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
