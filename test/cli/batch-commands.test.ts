import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

describe('the batch commands', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  const prefixes: string[] = [];
  const env = () => ({ REDIS_URL: testRedisUrl() });

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 1 });
    redis = testRedis();
  });

  afterAll(async () => {
    await simulator.close();
    for (const prefix of prefixes) await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  interface Setup {
    prefix: string;
    dir: string;
    config: string;
    file: string;
  }

  /** A key prefix, config and prompt file of the test's own: 20 prompts, id-4 refused every time. */
  function setup(): Setup {
    const prefix = testPrefix('cli');
    prefixes.push(prefix);
    const dir = tempDir('relayq-cli');
    const config = writeConfig(dir, {
      redis: { prefix },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-cli', models: ['claude-*'] }],
    });
    const lines = Array.from({ length: 20 }, (_, i) => anthropicBatchLine(`id-${i}`, promptText(i)));
    lines[4] = anthropicBatchLine('id-4', 'fails every time [[sim:fault=invalid]]');
    return { prefix, dir, config, file: writePromptFile(dir, lines) };
  }

  /** `relayq run` over the setup's file: the finished batch's id, and what run printed. */
  async function ranBatch(own: Setup, extra: string[] = []) {
    const out = join(own.dir, 'out.jsonl');
    const result = await runCli(['run', own.file, '-o', out, '--format', 'openai', '--tag', 'team=qa', ...extra, '-c', own.config], {
      env: env(),
    });
    const batchId = /batch (batch_[a-z0-9]+)/.exec(result.stderr)?.[1] ?? '';
    expect(batchId, result.stderr).not.toBe('');
    return { batchId, out, result };
  }

  it('submit --dry-run prints prompts, tokens, cost and accounts without submitting', async () => {
    const { prefix, file, config } = setup();
    const result = await runCli(['submit', file, '--dry-run', '--json', '-c', config], { env: env() });
    expect(result.code).toBe(0);
    const estimate = JSON.parse(result.stdout);
    expect(estimate).toMatchObject({
      prompts: 20,
      rejected: 0,
      input_format: 'anthropic-batch',
      groups: [{ model: 'claude-test', accounts: ['sim'] }],
    });
    expect(await redis.exists(`{${prefix}}:batches`)).toBe(0);
  });

  it('run --format openai writes the output and error files and exits 4 for an errored prompt', async () => {
    const own = setup();
    const { out, result } = await ranBatch(own);
    expect(result.code).toBe(4);
    const output = readFileSync(out, 'utf8').trim().split('\n');
    const errors = readFileSync(join(own.dir, 'out.errors.jsonl'), 'utf8').trim().split('\n');
    expect(output).toHaveLength(19);
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0] as string)).toMatchObject({ custom_id: 'id-4', response: { status_code: 400 }, error: null });
  });

  it('batches, status and usage read it back, as tables and as JSON', async () => {
    const { config, ...own } = setup();
    const { batchId } = await ranBatch({ config, ...own });
    const list = await runCli(['batches', '-c', config], { env: env() });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${batchId}\\s+completed\\s+100%`));
    expect(list.stdout).not.toContain('\x1b['); // no colour when not on a terminal
    const status = JSON.parse((await runCli(['status', batchId, '--json', '-c', config], { env: env() })).stdout);
    expect(status).toMatchObject({
      id: batchId,
      status: 'completed',
      accounts: { sim: 20 },
      metadata: { team: 'qa' },
    });
    expect(status.counts).toEqual({ total: 20, succeeded: 19, errored: 1, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    expect(status.errors).toEqual({ invalid_request: 1 });
    const usage = JSON.parse((await runCli(['usage', '--by', 'account', '--json', '-c', config], { env: env() })).stdout);
    expect(usage.groups).toMatchObject([{ key: 'sim', requests: 20, input_tokens: status.usage.input_tokens }]);
    // A finished batch: --watch returns at once with the batch's outcome.
    expect((await runCli(['status', batchId, '--watch', '-c', config], { env: env() })).code).toBe(4);
  });

  it('cancel refuses a finished batch, names a missing one, and retry queues the errored prompt again', async () => {
    const { config, ...own } = setup();
    const { batchId } = await ranBatch({ config, ...own });
    const cancel = await runCli(['cancel', batchId, '-c', config], { env: env() });
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toContain('is completed; it cannot be cancelled now');
    expect((await runCli(['cancel', 'batch_nosuchbatch', '-c', config], { env: env() })).code).toBe(5);
    const retry = await runCli(['retry', batchId, '-c', config], { env: env() });
    expect(retry.code).toBe(0);
    expect(retry.stderr).toContain('1 errored prompts queued again');
    const status = JSON.parse((await runCli(['status', batchId, '--json', '-c', config], { env: env() })).stdout);
    expect(status.status).toBe('in_progress');
    expect(status.counts).toEqual({ total: 20, succeeded: 19, errored: 0, cancelled: 0, expired: 0, pending: 1, rejected: 0 });
    expect(status.errors).toEqual({});
  });

  it('explains itself: examples in --help, exit statuses, usage errors exit 2', async () => {
    const { file, config } = setup();
    const help = await runCli(['submit', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--dry-run');
    expect((await runCli(['--help'])).stdout).toContain('6 batch cancelled');
    const bad = await runCli(['submit', file, '--window', 'soon', '-c', config], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--window wants a duration');
    expect(existsSync(file)).toBe(true);
  });
});
