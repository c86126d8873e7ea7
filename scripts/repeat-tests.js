#!/usr/bin/env node
// npm run test:repeat [-- N]: runs the whole suite N times in a row (default 20), stopping at the
// first failure, and prints how many consecutive runs passed: a flaky test shows up here.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 20);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`test:repeat: the number of runs must be a whole number of at least 1, not ${process.argv[2]}`);
  process.exit(2);
}
let passed = 0;
for (let run = 1; run <= runs; run += 1) {
  const result = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=dot'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(`test:repeat: run ${run} of ${runs} failed after ${passed} consecutive passing runs`);
    process.exit(1);
  }
  passed += 1;
  console.log(`test:repeat: ${passed} of ${runs} consecutive runs passed`);
}
console.log(`test:repeat: ${passed} consecutive runs, no failure`);
