/**
 * The package as a user gets it: `npm pack`, `npm i -g` of the tarball into a fresh prefix,
 * then the installed `relayq` and `import('relayq')` from another directory, on plain Node
 * (no tsx anywhere in the installed tree).
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { tempDir, writeConfig } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

const run = promisify(execFile);
const root = resolve('.');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with only what a user's shell would have: no tsx loader, no relayq env. */
function runIn(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const base = { ...process.env };
  for (const name of ['RELAYQ_CONFIG', 'RELAYQ_PRICES', 'REDIS_URL', 'NODE_OPTIONS']) delete base[name];
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: { ...base, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Every package folder under a node_modules tree, by name. */
function packageNames(nodeModules: string, found = new Set<string>()): Set<string> {
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const folder = join(nodeModules, entry.name);
    const names = entry.name.startsWith('@') ? readdirSync(folder).map((scoped) => `${entry.name}/${scoped}`) : [entry.name];
    for (const name of names) {
      found.add(name);
      packageNames(join(nodeModules, name, 'node_modules'), found);
    }
  }
  return found;
}

describe('the installed package', () => {
  const dir = tempDir('relayq-package');
  const prefix = join(dir, 'prefix');
  const work = join(dir, 'work');
  const cliPrefix = testPrefix('pkg-cli');
  const apiPrefix = testPrefix('pkg-api');
  const relayq = join(prefix, 'bin', 'relayq');
  const installed = join(prefix, 'lib', 'node_modules', 'relayq');
  let files: string[] = [];
  let redis: Redis;
  let simulator: RunningSimulator;

  beforeAll(async () => {
    redis = testRedis();
    simulator = await startSimulator({ latencyMs: 1 });
    // `npm pack` runs `prepare`, so the tarball holds a dist/ built from these sources.
    const packed = await run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const [tarball] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    files = tarball!.files.map((file) => file.path);
    await run(
      npm,
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball!.filename)],
      { cwd: dir },
    );
    mkdirSync(join(work, 'examples'), { recursive: true });
    cpSync(join(root, 'examples', 'prompts.jsonl'), join(work, 'examples', 'prompts.jsonl'));
  }, 300_000);

  afterAll(async () => {
    await simulator?.close();
    if (redis) {
      for (const keyPrefix of [cliPrefix, apiPrefix]) await dropPrefix(redis, keyPrefix);
      await redis.quit();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('packs dist/, the config examples, README and LICENSE, and no sources, tests, benches or CI', () => {
    for (const path of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli.js',
      'dist/src/cli/main.js',
      'dist/src/redis/scripts/admitAccount.lua',
      'config/prices.example.yaml',
      'bin/relayq.js',
      'config/relayq.example.yaml',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      expect(files).toContain(path);
    }
    const lua = readdirSync(join(root, 'src', 'redis', 'scripts')).filter((name) => name.endsWith('.lua'));
    for (const name of lua) expect(files).toContain(`dist/src/redis/scripts/${name}`);
    expect(
      files.filter((path) => /^(src|test|bench|jobs|\.ci|scripts)\//.test(path) || path === 'bin/run-ts.js' || path.startsWith('tsconfig')),
    ).toEqual([]);
  });

  it('installs without tsx', () => {
    expect(existsSync(relayq)).toBe(true);
    const names = packageNames(join(installed, 'node_modules'));
    expect(names.has('bullmq')).toBe(true);
    expect([...names].filter((name) => ['tsx', 'esbuild', 'typescript', 'vitest'].includes(name))).toEqual([]);
  });

  it('prints its version, and its help into a closed pipe without an error', async () => {
    const version = await runIn(work, relayq, ['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    const piped = await runIn(work, 'sh', ['-c', '"$RELAYQ" --help | head -1'], { RELAYQ: relayq });
    expect(piped).toEqual({ code: 0, stdout: 'Usage: relayq [options] [command]\n', stderr: '' });
  });

  it('runs the example prompts from another directory with the built-in simulator', async () => {
    const config = writeConfig(work, { redis: { url: testRedisUrl(), prefix: cliPrefix } }, 'relayq-cli.yaml');
    const outcome = await runIn(work, relayq, ['run', 'examples/prompts.jsonl', '-o', 'out.jsonl'], { RELAYQ_CONFIG: config });
    expect(outcome.stderr).toContain('built-in simulator');
    expect(outcome.code).toBe(0);
    const results = readFileSync(join(work, 'out.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { status: string });
    expect(results).toHaveLength(
      readFileSync(join(work, 'examples', 'prompts.jsonl'), 'utf8')
        .trim()
        .split('\n').length,
    );
    expect(results.every((result) => result.status === 'succeeded')).toBe(true);
  });

  it("exports the API: import('relayq') submits, works and reads a batch on plain Node", async () => {
    const app = join(dir, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    symlinkSync(installed, join(app, 'node_modules', 'relayq'), 'dir');
    const config = writeConfig(app, {
      redis: { url: testRedisUrl(), prefix: apiPrefix },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-package', models: ['claude-*'] }],
    });
    writeFileSync(
      join(app, 'check.mjs'),
      `import { getBatch, isTerminal, loadConfig, readResults, startWorker, submit } from 'relayq';
const config = await loadConfig({ path: ${JSON.stringify(config)} });
const worker = await startWorker(config);
const report = await submit(config, ${JSON.stringify(join(work, 'examples', 'prompts.jsonl'))});
let batch = await getBatch(config, report.batchId);
while (batch && !isTerminal(batch.status)) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  batch = await getBatch(config, report.batchId);
}
const statuses = [];
for await (const result of readResults(config, report.batchId, { order: 'input' })) statuses.push(result.status);
await worker.close();
console.log(JSON.stringify({ accepted: report.accepted, status: batch?.status, statuses }));
`,
    );
    const outcome = await runIn(app, process.execPath, ['check.mjs']);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const summary = JSON.parse(outcome.stdout) as { accepted: number; status: string; statuses: string[] };
    expect(summary.status).toBe('completed');
    expect(summary.statuses).toHaveLength(summary.accepted);
    expect(new Set(summary.statuses)).toEqual(new Set(['succeeded']));
  });

  it("has types: a strict TypeScript consumer of 'relayq' type-checks", async () => {
    const consumer = join(dir, 'consumer');
    mkdirSync(join(consumer, 'node_modules'), { recursive: true });
    symlinkSync(installed, join(consumer, 'node_modules', 'relayq'), 'dir');
    writeFileSync(join(consumer, 'package.json'), '{"type": "module"}\n');
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(consumer, 'consumer.ts'),
      `import { getBatch, loadConfig, readResults, startWorker, submit, type BatchInfo, type ResultRecord, type SubmitReport } from 'relayq';
const config = await loadConfig({ path: 'relayq.yaml' });
const report: SubmitReport = await submit(config, 'prompts.jsonl', { defaults: { maxTokens: 64 }, onReject: (reject) => console.log(reject.line) });
const batch: BatchInfo | null = await getBatch(config, report.batchId);
const first: ResultRecord[] = [];
for await (const result of readResults(config, report.batchId, { order: 'input' })) first.push(result);
const worker = await startWorker(config);
await worker.close(true);
console.log(batch?.counts.total, first.length);
// @ts-expect-error: the order is 'any' or 'input'
readResults(config, report.batchId, { order: 'newest' });
// @ts-expect-error: the declarations resolve down to the batch statuses (an unresolved type would be any)
const wrong: BatchInfo['status'] = 'nonsense';
console.log(wrong);
`,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const outcome = await runIn(consumer, process.execPath, [tsc, '-p', '.']);
    expect(outcome.stdout + outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
  });
});
