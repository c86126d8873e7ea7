#!/usr/bin/env node
// npm run coverage: the whole suite with V8 coverage (vitest --coverage), plus the coverage of
// every relayq process the tests spawn (the CLI, workers: scripts/coverage/child-hook.js), merged
// into one report per folder, so code that only the e2e tests' child processes run is counted.
//
//   npm run coverage                     the suite, then the report
//   npm run coverage -- test/e2e/run.test.ts   only these test files (arguments go to vitest)
//
// Writes coverage/index.html (per file) and coverage/coverage-summary.json; prints a table of
// lines, branches and functions covered per folder.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeProcessCovs } from '@bcoe/v8-coverage';
import convert from 'ast-v8-to-istanbul';
import libCoverage from 'istanbul-lib-coverage';
import libReport from 'istanbul-lib-report';
import reports from 'istanbul-reports';
import { parseAstAsync } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, 'coverage');
const children = join(out, 'children');
const reportOnly = process.argv.includes('--report-only');
const vitestArgs = process.argv.slice(2).filter((arg) => arg !== '--report-only');

if (!reportOnly) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(children, { recursive: true });
  const run = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--coverage', ...vitestArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, RELAYQ_CHILD_COVERAGE: children, RELAYQ_COVERAGE_ROOT: root },
  });
  if (run.status !== 0) console.error(`coverage: the tests failed (exit ${run.status}); the report below still counts what ran`);
}

const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(join(out, 'tests/coverage-final.json'), 'utf8')));
const included = (file) => /^(src|jobs)\//.test(file) || file === 'cli.ts' || file === 'index.ts';

// The child processes: one V8 coverage per script and process; merged per script (the same code
// in every process, as tsx compiles it the same way), then mapped to the TypeScript sources.
const byScript = new Map();
let processes = 0;
for (const name of readdirSync(children)) {
  processes += 1;
  for (const script of JSON.parse(readFileSync(join(children, name), 'utf8'))) {
    const file = relative(root, fileURLToPath(script.url));
    if (!included(file)) continue;
    const key = `${script.url}\0${script.source.length}`;
    const seen = byScript.get(key);
    if (seen) seen.covs.push({ result: [{ scriptId: '0', url: script.url, functions: script.functions }] });
    else
      byScript.set(key, {
        source: script.source,
        url: script.url,
        covs: [{ result: [{ scriptId: '0', url: script.url, functions: script.functions }] }],
      });
  }
}
for (const { source, url, covs } of byScript.values()) {
  const merged = mergeProcessCovs(covs).result[0];
  const inline = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(source);
  const sourceMap = inline ? JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8')) : undefined;
  const data = await convert({ code: source, ast: parseAstAsync(source), coverage: { url, functions: merged.functions }, sourceMap });
  for (const child of Object.values(data)) foldIn(child);
}

/**
 * Adds a child process's hits to the suite's coverage of the same file. The suite's statements,
 * branches and functions stay what is counted (the two come from different compilers, so their
 * exact locations differ a little: a plain merge would count some of them twice); a child's hit
 * counts for the suite's item on the same lines.
 */
function foldIn(child) {
  if (!map.data[child.path]) {
    map.merge({ [child.path]: child });
    return;
  }
  const own = map.fileCoverageFor(child.path).data;
  const lines = (loc) => `${loc.start.line}:${loc.end.line}`;
  const hitsBy = (items, counts, locOf) => {
    const hits = new Map();
    for (const [id, item] of Object.entries(items)) {
      const key = lines(locOf(item));
      const count = counts[id];
      hits.set(
        key,
        Array.isArray(count) ? (hits.get(key) ?? count.map(() => 0)).map((n, i) => n + (count[i] ?? 0)) : (hits.get(key) ?? 0) + count,
      );
    }
    return hits;
  };
  const statements = hitsBy(child.statementMap, child.s, (item) => item);
  for (const [id, item] of Object.entries(own.statementMap)) own.s[id] += statements.get(lines(item)) ?? 0;
  const functions = hitsBy(child.fnMap, child.f, (item) => item.decl);
  for (const [id, item] of Object.entries(own.fnMap)) own.f[id] += functions.get(lines(item.decl)) ?? 0;
  const branches = hitsBy(child.branchMap, child.b, (item) => item.loc);
  for (const [id, item] of Object.entries(own.branchMap)) {
    const hits = branches.get(lines(item.loc));
    if (hits && hits.length === own.b[id].length) own.b[id] = own.b[id].map((n, i) => n + hits[i]);
  }
}

// Only the project's own sources, by path relative to the package root.
map.filter((file) => included(relative(root, file)));

const context = libReport.createContext({ dir: out, coverageMap: map, defaultSummarizer: 'nested' });
reports.create('html', { skipEmpty: false }).execute(context);
reports.create('json-summary').execute(context);

// Per folder: the sums of its files (not of its subfolders).
const folders = new Map();
for (const file of map.files()) {
  const folder = dirname(relative(root, file));
  const summary = map.fileCoverageFor(file).toSummary();
  const sum = folders.get(folder) ?? libCoverage.createCoverageSummary();
  sum.merge(summary);
  folders.set(folder, sum);
}
const total = libCoverage.createCoverageSummary();
for (const sum of folders.values()) total.merge(sum);
const pct = (metric) => (metric.total === 0 ? '   -  ' : `${metric.pct.toFixed(1).padStart(5)}%`);
const rows = [...folders.entries()].sort(([a], [b]) => a.localeCompare(b));
const width = Math.max(...rows.map(([folder]) => folder.length), 'folder'.length);
const lines = [`${'folder'.padEnd(width)}   lines  branches  functions`];
for (const [folder, sum] of [...rows, ['all', total]]) {
  lines.push(`${folder.padEnd(width)}  ${pct(sum.lines)}    ${pct(sum.branches)}     ${pct(sum.functions)}`);
}
const table = lines.join('\n');
writeFileSync(join(out, 'folders.txt'), `${table}\n`);
console.log(`\ncoverage of the tests and of ${processes} relayq processes they spawned (coverage/index.html per file):\n`);
console.log(table);
