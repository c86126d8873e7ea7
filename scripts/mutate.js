#!/usr/bin/env node
// npm run mutate [-- FOLDER]: Stryker over one folder (default src/batches) with the tests that
// run its code in their own process. Stryker 10 needs Node 22 or newer: on an older Node this
// runs it under Node 24 from the npm registry (npx -p node@24). Prints Stryker's score table
// (per file and folder); the full report is reports/mutation/FOLDER/index.html, and a rerun
// tests again only what changed (reports/mutation/FOLDER/incremental.json).
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Per folder: the test files that exercise it in-process (spawned CLIs cannot see a mutant). */
const folders = {
  'src/batches': ['test/batches/*.test.ts', 'test/jobs/*.test.ts', 'test/ingest/submit.test.ts'],
  'src/scheduler': [
    'test/scheduler/admission.test.ts',
    'test/scheduler/settlement.test.ts',
    'test/scheduler/sampling.test.ts',
    'test/scheduler/estimate.test.ts',
    'test/scheduler/rate-meter.test.ts',
    'test/scheduler/overload-reset.test.ts',
    'test/scheduler/unpark-resend.test.ts',
    'test/scheduler/scheduling.test.ts',
    'test/scheduler/waiting.test.ts',
    'test/scheduler/waiting-reasons.test.ts',
    'test/accounts/candidates.test.ts',
  ],
  'src/accounts': ['test/accounts/bindings.test.ts', 'test/accounts/candidates.test.ts', 'test/accounts/routing.test.ts'],
  jobs: [
    'test/jobs/*.test.ts',
    'test/scheduler/scheduling.test.ts',
    'test/batches/*.test.ts',
    // In-process workers: the webhook processor, usage and result fields, export formats, cancels.
    'test/e2e/webhooks.test.ts',
    'test/e2e/batch-usage.test.ts',
    'test/e2e/batch-formats.test.ts',
    'test/e2e/batch-cancel.test.ts',
  ],
  'src/translate': ['test/translate/**/*.test.ts', 'test/providers/*/from-openai-chat.test.ts'],
};

const folder = (process.argv[2] ?? 'src/batches').replace(/\/+$/, '');
const tests = folders[folder];
if (!tests) {
  console.error(`mutate: no test selection for ${folder}; one of: ${Object.keys(folders).join(', ')}`);
  process.exit(2);
}
const extra = process.argv.slice(3);
const stryker = ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run', '--mutate', `${folder}/**/*.ts`, ...extra];
const nodeMajor = Number(process.versions.node.split('.')[0]);
const command = nodeMajor >= 22 ? [process.execPath, stryker] : ['npx', ['-y', '-p', 'node@24', 'node', ...stryker]];
const [bin, args] = nodeMajor >= 22 ? [command[0], command[1]] : command;
const run = spawnSync(bin, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, RELAYQ_MUTATE_TESTS: tests.join(','), RELAYQ_MUTATE_FOLDER: folder },
});
process.exit(run.status ?? 1);
