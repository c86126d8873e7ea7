/**
 * The acceptance test of "one request format for all": one prompt file in OpenAI Chat
 * Completions shape, spread by routing rules and model families over Anthropic, Gemini, OpenAI,
 * Azure OpenAI and Bedrock accounts (all pointed at one simulator), comes back as chat.completion
 * answers, each answering its own prompt, with usage counted for every provider.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/batches/results.ts';
import type { ProviderName } from '../../src/config/schema.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import type { ChatCompletion } from '../../src/translate/openai-chat/from-result.ts';
import { runCli } from '../helpers/cli.ts';
import { promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

const bedrockKey = { accessKeyId: 'AKIAMIXEDPROVIDERS01', secretAccessKey: 'mixed-providers-test-secret' };

/** Model of the n-th line, and the provider the routing below must pick for it. */
const models: readonly [string, ProviderName][] = [
  ['claude-sonnet-4-5', 'anthropic'], // family claude-*
  ['claude-haiku-4-5', 'bedrock'], // rule claude-haiku-* → bedrock
  ['gemini-2.5-flash', 'gemini'], // family gemini-*
  ['gpt-4o-mini', 'openai'], // family gpt-*
  ['gpt-4.1-mini', 'azure-openai'], // rule gpt-4.1* → azure-openai
];
const routing = [
  { model: 'claude-haiku-*', provider: 'bedrock' },
  { model: 'gpt-4.1*', provider: 'azure-openai' },
];
const lineCount = 300;

/** An OpenAI Batch line; every 4th one streamed, every 5th one with a seed only some providers honour. */
function promptLine(n: number): string {
  const [model] = models[n % models.length] as [string, ProviderName];
  return JSON.stringify({
    custom_id: `q-${n}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model,
      messages: [
        { role: 'system', content: 'You are a helpful assistant. Keep answers short.' },
        { role: 'user', content: promptText(n) },
      ],
      max_completion_tokens: 200,
      temperature: 0.2,
      ...(n % 4 === 0 ? { stream: true } : {}),
      ...(n % 5 === 0 ? { seed: 42 } : {}),
    },
  });
}

describe('one OpenAI-format prompt file over five providers', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  const prefix = testPrefix('mixed');

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 2, keys: [{ key: bedrockKey.accessKeyId, secret: bedrockKey.secretAccessKey }] });
    redis = testRedis();
  });

  afterAll(async () => {
    await simulator?.close();
    if (redis) {
      await dropPrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('runs 300 lines routed to Anthropic, Gemini, OpenAI, Azure and Bedrock, each answer a chat.completion for its own prompt', async () => {
    const dir = tempDir('relayq-mixed');
    const config = writeConfig(dir, {
      redis: { prefix },
      worker: { concurrency: 32 },
      routing,
      accounts: [
        { id: 'claude', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-mixed' },
        { id: 'claude-on-aws', provider: 'bedrock', baseUrl: simulator.url, region: 'us-east-1', ...bedrockKey },
        { id: 'gemini', provider: 'gemini', baseUrl: `${simulator.url}/v1beta`, apiKey: 'gemini-mixed-key' },
        { id: 'openai', provider: 'openai', baseUrl: simulator.url, apiKey: 'sk-openai-mixed' },
        { id: 'azure', provider: 'azure-openai', baseUrl: simulator.url, apiKey: 'azure-mixed-key' },
      ],
    });
    const file = writePromptFile(
      dir,
      Array.from({ length: lineCount }, (_, n) => promptLine(n)),
    );
    const out = join(dir, 'results.jsonl');

    const result = await runCli(['run', file, '-o', out, '-c', config], { env: { REDIS_URL: testRedisUrl() } });
    expect(result.stderr).toContain(`${lineCount} succeeded, 0 errored`);
    expect(result.code).toBe(0);

    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ResultRecord);
    expect(records).toHaveLength(lineCount);
    expect(new Set(records.map((record) => record.custom_id)).size).toBe(lineCount);
    const servedBy = new Map<ProviderName, number>();
    const tokensBy = new Map<ProviderName, { input: number; output: number }>();
    for (const record of records) {
      const n = Number(record.custom_id.slice(2));
      const [model, provider] = models[n % models.length] as [string, ProviderName];
      expect(record).toMatchObject({ status: 'succeeded', provider, model, line: n + 1 });
      servedBy.set(provider, (servedBy.get(provider) ?? 0) + 1);

      const completion = record.response?.body as ChatCompletion;
      expect(completion).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop' }] });
      expect(completion.choices[0].message.content).toBe(simulatedAnswer(promptText(n)));
      // The request id comes from the provider module's request-id headers (the simulated Gemini sends none).
      if (provider === 'gemini') expect(record.response?.request_id).toBeUndefined();
      else expect(record.response?.request_id).toMatch(/\S/);

      expect(record.usage.input_tokens).toBeGreaterThan(0);
      expect(record.usage.output_tokens).toBeGreaterThan(0);
      expect(completion.usage.prompt_tokens).toBeGreaterThanOrEqual(record.usage.input_tokens);
      expect(completion.usage.completion_tokens).toBe(record.usage.output_tokens);
      expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + completion.usage.completion_tokens);
      const tokens = tokensBy.get(provider) ?? { input: 0, output: 0 };
      tokensBy.set(provider, { input: tokens.input + record.usage.input_tokens, output: tokens.output + record.usage.output_tokens });

      // A seed is honoured by OpenAI, Azure and Gemini; Anthropic and Bedrock report it as ignored.
      const seedIgnored = n % 5 === 0 && (provider === 'anthropic' || provider === 'bedrock');
      expect(record.warnings ?? []).toEqual(seedIgnored ? [`seed=42: ${provider} has no sampling seed; ignored`] : []);
    }
    for (const [, provider] of models) {
      expect([provider, servedBy.get(provider)]).toEqual([provider, lineCount / models.length]);
      expect(tokensBy.get(provider)?.input).toBeGreaterThan(0);
      expect(tokensBy.get(provider)?.output).toBeGreaterThan(0);
    }

    // The batch's token counters add up every provider's usage.
    const status = await runCli(['status', batchIdOf(result.stderr), '--json', '-c', config], { env: { REDIS_URL: testRedisUrl() } });
    const batch = JSON.parse(status.stdout) as { usage: { input_tokens: number; output_tokens: number } };
    const sum = (field: 'input' | 'output') => [...tokensBy.values()].reduce((total, tokens) => total + tokens[field], 0);
    expect(batch.usage).toMatchObject({ input_tokens: sum('input'), output_tokens: sum('output') });
  });
});

/** The batch id from `relayq run`'s summary ("batch      batch_... completed in ..."). */
function batchIdOf(stderr: string): string {
  const match = /^batch\s+(batch_[a-z0-9]+)\s/m.exec(stderr);
  if (match === null) throw new Error(`no batch id in the run summary:\n${stderr}`);
  return match[1] as string;
}
