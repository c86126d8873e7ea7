/**
 * `relayq usage` costs what the providers' price lists say, end to end: a batch through the
 * simulator with Claude Opus 4.6, Claude Sonnet 4.5 prompts on both sides of its 200k-token
 * long-context boundary, and a Bedrock model id, then `relayq usage --by model --json`. The
 * expected costs are computed here, request by request, from the list prices written below and
 * the usage each result reports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/batches/results.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli } from '../helpers/cli.ts';
import { promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

const aws = { accessKeyId: 'AKIAUSAGECOSTS000001', secretAccessKey: 'usage-costs-test-secret' };
const bedrockModel = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

/** USD per million tokens [input, output]: the providers' list prices. */
function listPrice(model: string, promptTokens: number): [number, number] {
  if (model === 'claude-opus-4-6') return [5, 25];
  // Sonnet 4.5 above 200k prompt tokens: the whole request at $6 / $22.50.
  if (model === 'claude-sonnet-4-5') return promptTokens > 200_000 ? [6, 22.5] : [3, 15];
  // Bedrock's in-region and geographic (us.) Claude Haiku 4.5: 10% over Anthropic's $1 / $5.
  if (model === bedrockModel) return [1.1, 5.5];
  throw new Error(`no list price written for ${model}`);
}

function line(id: string, model: string, text: string, provider?: string): string {
  return JSON.stringify({
    custom_id: id,
    ...(provider ? { provider } : {}),
    body: { model, max_tokens: 50, messages: [{ role: 'user', content: text }] },
  });
}

describe('relayq usage costs', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  const prefix = testPrefix('usage-costs');

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 1, keys: [{ key: aws.accessKeyId, secret: aws.secretAccessKey }] });
    redis = testRedis();
  });

  afterAll(async () => {
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('prices claude-opus-4-6, a long-context Sonnet prompt and a Bedrock model id at their list prices', async () => {
    const dir = tempDir('relayq-usage-costs');
    const config = writeConfig(dir, {
      redis: { prefix },
      worker: { concurrency: 8 },
      accounts: [
        { id: 'claude', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-usage-costs' },
        { id: 'aws', provider: 'bedrock', baseUrl: simulator.url, region: 'us-east-1', ...aws },
      ],
    });
    // About 220,000 tokens of prompt (the simulator counts 4 characters a token).
    const long = (n: number) => `${promptText(n)} ${'context '.repeat(110_000)}`;
    const lines = [
      ...[0, 1, 2].map((n) => line(`opus-${n}`, 'claude-opus-4-6', promptText(n))),
      ...[3, 4].map((n) => line(`sonnet-short-${n}`, 'claude-sonnet-4-5', promptText(n))),
      ...[5, 6].map((n) => line(`sonnet-long-${n}`, 'claude-sonnet-4-5', long(n))),
      ...[7, 8, 9].map((n) => line(`bedrock-${n}`, bedrockModel, promptText(n), 'bedrock')),
    ];
    const file = writePromptFile(dir, lines);
    const out = join(dir, 'results.jsonl');
    const env = { REDIS_URL: testRedisUrl() };
    const run = await runCli(['run', file, '-o', out, '-c', config], { env });
    expect(run.stderr).toContain('10 succeeded, 0 errored');
    expect(run.code).toBe(0);

    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as ResultRecord);
    const expected = new Map<string, number>();
    for (const record of records) {
      const model = record.model ?? '';
      const { input_tokens, output_tokens, cache_read_tokens, cache_write_tokens } = record.usage;
      const promptTokens = input_tokens + cache_read_tokens + cache_write_tokens;
      if (record.custom_id.startsWith('sonnet-long')) expect(promptTokens).toBeGreaterThan(200_000);
      const [input, output] = listPrice(model, promptTokens);
      expected.set(model, (expected.get(model) ?? 0) + (input_tokens * input + output_tokens * output) / 1e6);
    }
    expect([...expected.keys()].sort()).toEqual(['claude-opus-4-6', 'claude-sonnet-4-5', bedrockModel]);

    const usage = await runCli(['usage', '--by', 'model', '--json', '-c', config], { env });
    expect(usage.code).toBe(0);
    const report = JSON.parse(usage.stdout) as {
      groups: { key: string; cost: number | null; requests: number }[];
      total: { cost: number };
    };
    const costs = Object.fromEntries(report.groups.map((group) => [group.key, group.cost]));
    for (const [model, cost] of expected) expect(costs[model], model).toBeCloseTo(cost, 6);
    const sum = [...expected.values()].reduce((a, b) => a + b, 0);
    expect(report.total.cost).toBeCloseTo(sum, 6);
    // Priced at the base rate instead, the long Sonnet prompts would cost half as much: the tier matters.
    expect(costs['claude-sonnet-4-5']).toBeGreaterThan(2 * 220_000 * 5e-6);
  });

  it('shows an unknown model as unknown, with the reason and the tokens it leaves out', async () => {
    const dir = tempDir('relayq-usage-costs');
    const own = `${prefix}-unknown`;
    const config = writeConfig(dir, {
      redis: { prefix: own },
      accounts: [{ id: 'claude', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-usage-costs' }],
    });
    const file = writePromptFile(dir, [line('a', 'claude-opus-4-6', promptText(1)), line('b', 'claude-house-model-1', promptText(2))]);
    const env = { REDIS_URL: testRedisUrl() };
    try {
      const run = await runCli(['run', file, '-o', join(dir, 'out.jsonl'), '-c', config], { env });
      expect(run.code).toBe(0);
      const json = await runCli(['usage', '--by', 'model', '--json', '-c', config], { env });
      const report = JSON.parse(json.stdout) as {
        groups: { key: string; cost: number | null; input_tokens: number; output_tokens: number }[];
        total: { cost: number | null; partial_cost: number; unpriced_tokens: number; unpriced_models: { model: string; reason: string }[] };
      };
      const house = report.groups.find((group) => group.key === 'claude-house-model-1');
      expect(house?.cost).toBeNull();
      expect(report.total.cost).toBeNull();
      expect(report.total.unpriced_tokens).toBe((house?.input_tokens ?? 0) + (house?.output_tokens ?? 0));
      expect(report.total.unpriced_models).toEqual([
        {
          provider: 'anthropic',
          model: 'claude-house-model-1',
          reason: expect.stringContaining('no price for Anthropic model "claude-house-model-1"'),
        },
      ]);
      expect(report.total.partial_cost).toBeGreaterThan(0);
      const text = await runCli(['usage', '--by', 'model', '-c', config], { env });
      expect(text.stderr).toContain(`cost unknown for ${report.total.unpriced_tokens.toLocaleString('en-US')} tokens`);
      expect(text.stdout).toMatch(/claude-house-model-1 .*\+\?/);
    } finally {
      await dropPrefix(redis, own);
    }
  });
});
