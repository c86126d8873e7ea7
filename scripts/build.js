#!/usr/bin/env node
// Builds dist/: compiles src/ and jobs/ with tsc (tsconfig.build.json), then copies the files the
// compiled code reads at run time next to it, where its import.meta.url paths expect them:
//   src/redis/scripts/ (the Lua scripts, with any subfolder) -> dist/src/redis/scripts/
//   src/dashboard/assets/ (the dashboard's stylesheet) -> dist/src/dashboard/assets/
// Run by `npm run build` and by `prepare` (so `npm ci` and `npm pack` build it).
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const assets = [
  ['src/redis/scripts', 'src/redis/scripts'],
  ['src/dashboard/assets', 'src/dashboard/assets'],
];

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error('build: tsc failed');
  process.exit(compiled.status ?? 1);
}
for (const [from, to] of assets) cpSync(join(root, from), join(dist, to), { recursive: true });
