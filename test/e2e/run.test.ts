import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/batches/results.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

function textOf(record: ResultRecord): string {
  const body = record.response?.body as { content: { type: string; text: string }[] };
  return body.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

describe('relayq run', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 2 });
    redis = testRedis();
  });

  afterAll(async () => {
    await simulator.close();
    for (const prefix of prefixes) await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  function setup(lines: string[]) {
    const dir = tempDir('relayq-run');
    const prefix = testPrefix('run');
    prefixes.push(prefix);
    const config = writeConfig(dir, {
      redis: { prefix },
      worker: { concurrency: 32 },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-test' }],
    });
    return { dir, config, file: writePromptFile(dir, lines), out: join(dir, 'results.jsonl') };
  }

  it('gives exactly one result per custom_id for a 1,000-line Anthropic batch file, each answering its own prompt', async () => {
    const { config, file, out } = setup(Array.from({ length: 1000 }, (_, i) => anthropicBatchLine(`id-${i}`, promptText(i))));
    const result = await runCli(['run', file, '-o', out, '-c', config], { env: { REDIS_URL: testRedisUrl() } });
    expect(result.stderr).toContain('1,000 succeeded, 0 errored');
    expect(result.code).toBe(0);
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ResultRecord);
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((record) => record.custom_id)).size).toBe(1000);
    for (const record of records) {
      const n = Number(record.custom_id.slice(3));
      expect(record).toMatchObject({ status: 'succeeded', provider: 'anthropic', account: 'sim', model: 'claude-test', line: n + 1 });
      expect(textOf(record)).toBe(simulatedAnswer(promptText(n)));
      expect(record.usage.output_tokens).toBeGreaterThan(0);
    }
  });

  it('runs the 95 good lines of a file with 5 broken ones, reports the 5 by line number, and exits 3', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => anthropicBatchLine(`id-${i}`, promptText(i)));
    const broken = [3, 17, 42, 64, 99]; // line numbers
    lines[2] = '{"custom_id": "id-2", "params": ';
    lines[16] = JSON.stringify({ custom_id: 'id-16', params: { model: 'claude-test', messages: [{ role: 'user', content: 'x' }] } });
    lines[41] = anthropicBatchLine('id-0', 'duplicate id');
    lines[63] = JSON.stringify({ params: { model: 'claude-test', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } });
    lines[98] = 'not json at all';
    const { config, file, out } = setup(lines);
    const result = await runCli(['run', file, '-o', out, '-c', config], { env: { REDIS_URL: testRedisUrl() } });
    expect(result.code).toBe(3);
    for (const line of broken) expect(result.stderr).toMatch(new RegExp(`^line ${line}\\b`, 'm'));
    expect(result.stderr).toContain('line 42 (custom_id "id-0"): duplicate custom_id "id-0" (first used on line 1)');
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ResultRecord);
    expect(records).toHaveLength(95);
    expect(records.every((record) => record.status === 'succeeded')).toBe(true);
    expect(records.map((record) => record.line).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1).filter((line) => !broken.includes(line)),
    );
  });

  it('stores errors that no retry can fix at once, retries the rest, and exits 4', async () => {
    const lines = [
      anthropicBatchLine('ok', 'a fine prompt'),
      anthropicBatchLine('bad', 'please fail [[sim:fault=invalid]]'),
      anthropicBatchLine('streamed', 'a streamed prompt', { stream: true }),
    ];
    const { config, file, out } = setup(lines);
    const result = await runCli(['run', file, '-o', out, '-c', config], { env: { REDIS_URL: testRedisUrl() } });
    expect(result.code).toBe(4);
    const records = new Map(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const record = JSON.parse(line) as ResultRecord;
          return [record.custom_id, record] as const;
        }),
    );
    expect(records.get('bad')).toMatchObject({ status: 'errored', attempts: 1, error: { kind: 'invalid_request', status_code: 400 } });
    expect(records.get('ok')).toMatchObject({ status: 'succeeded' });
    const streamed = records.get('streamed');
    expect(streamed).toMatchObject({ status: 'succeeded', response: { status_code: 200 } });
    expect(textOf(streamed as ResultRecord)).toBe(simulatedAnswer('a streamed prompt'));
  });

  it('status --json and results read the batch afterwards', async () => {
    const { config, file } = setup([anthropicBatchLine('one', 'first'), anthropicBatchLine('two', 'second')]);
    const env = { REDIS_URL: testRedisUrl() };
    const submitted = await runCli(['submit', file, '-c', config], { env });
    expect(submitted.code).toBe(0);
    const batchId = submitted.stdout.trim().split('\n').pop() as string;
    expect(batchId).toMatch(/^batch_[a-z0-9]+$/);
    const pending = JSON.parse((await runCli(['status', batchId, '--json', '-c', config], { env })).stdout);
    expect(pending).toMatchObject({ id: batchId, status: 'in_progress' });
    expect(pending.counts).toEqual({ total: 2, succeeded: 0, errored: 0, cancelled: 0, expired: 0, pending: 2, rejected: 0 });

    const ran = await runCli(['run', file, '--batch', batchId, '-c', config], { env });
    expect(ran.code).toBe(0);
    const done = JSON.parse((await runCli(['status', batchId, '--json', '-c', config], { env })).stdout);
    expect(done).toMatchObject({ id: batchId, status: 'completed' });
    expect(done.counts).toEqual({ total: 2, succeeded: 2, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    const results = await runCli(['results', batchId, '-c', config], { env });
    expect(
      results.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).custom_id)
        .sort(),
    ).toEqual(['one', 'two']);
    const missing = await runCli(['status', 'batch_doesnotexist', '-c', config], { env });
    expect(missing.code).toBe(5);
  });

  it('rejects a broken config naming the field, with exit status 2', async () => {
    const dir = tempDir('relayq-badconfig');
    const config = writeConfig(dir, { accounts: [{ id: 'x', provider: 'nope' }] });
    const result = await runCli(['status', 'batch_abc', '-c', config], { env: { REDIS_URL: testRedisUrl() } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('accounts[0].provider');
  });
});
