// Mutation testing (npm run mutate): Stryker changes the code under test one small mutation at a
// time and runs the tests that cover it; a mutant no test notices "survived". scripts/mutate.js
// picks the folder to mutate and its tests; see README.md, "Mutation testing".
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  // Two cores, shared: one test process at a time, each test file's workers kept to one.
  concurrency: 1,
  timeoutMS: 30_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['coverage', 'reports', 'dist', 'bench/out', 'bench/tmp'],
  cleanTempDir: 'always',
};
