// Mutation testing (npm run mutate): Stryker changes the code under test one small mutation at a
// time and runs the tests that cover it; a mutant no test notices "survived". scripts/mutate.js
// picks the folder to mutate and its tests; see README.md, "Mutation testing".
// Each folder keeps its own report, incremental file and sandbox (runs of two folders can go at once).
const folder = (process.env.RELAYQ_MUTATE_FOLDER ?? 'all').replace(/[^A-Za-z0-9]+/g, '-');

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
  jsonReporter: { fileName: `reports/mutation/${folder}/mutation.json` },
  htmlReporter: { fileName: `reports/mutation/${folder}/index.html` },
  // A rerun tests again only the mutants whose code or tests changed since the last run.
  incremental: true,
  incrementalFile: `reports/mutation/${folder}/incremental.json`,
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: `.stryker-tmp/${folder}`,
  ignorePatterns: ['coverage', 'reports', 'dist', 'bench/out', 'bench/tmp', '.stryker-tmp'],
  cleanTempDir: 'always',
};
