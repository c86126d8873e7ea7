/** `relayq run` of embeddings files end to end: an OpenAI Batch file and a Gemini Batch file, against the simulator. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/batches/results.ts';
import { countTokens, simulatedEmbedding } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

describe('relayq run with embeddings', () => {
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

  async function run(lines: string[], extraArgs: string[] = []): Promise<{ stderr: string; code: number | null; records: ResultRecord[] }> {
    const dir = tempDir('relayq-embeddings');
    const prefix = testPrefix('embeddings');
    prefixes.push(prefix);
    const config = writeConfig(dir, {
      redis: { prefix },
      worker: { concurrency: 8 },
      accounts: [
        { id: 'sim-openai', provider: 'openai', baseUrl: simulator.url, apiKey: 'sk-test' },
        { id: 'sim-gemini', provider: 'gemini', baseUrl: `${simulator.url}/v1beta`, apiKey: 'gem-test' },
      ],
    });
    const file = writePromptFile(dir, lines);
    const out = join(dir, 'results.jsonl');
    const result = await runCli(['run', file, '-o', out, '-c', config, ...extraArgs], { env: { REDIS_URL: testRedisUrl() } });
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ResultRecord);
    return { stderr: result.stderr, code: result.code, records };
  }

  it('runs an OpenAI Batch file of /v1/embeddings lines: every line succeeds with its vectors', async () => {
    const inputs: (string | string[])[] = ['embed me', ['one', 'two'], 'a third, longer text to embed'];
    const lines = inputs.map((input, i) =>
      JSON.stringify({ custom_id: `emb-${i}`, method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input } }),
    );
    const { stderr, code, records } = await run(lines);
    expect(stderr).toContain('3 succeeded, 0 errored');
    expect(code).toBe(0);
    expect(records).toHaveLength(3);
    for (const record of records) {
      const input = inputs[Number(record.custom_id.slice(4))] as string | string[];
      const texts = typeof input === 'string' ? [input] : input;
      expect(record).toMatchObject({ status: 'succeeded', provider: 'openai', account: 'sim-openai' });
      const data = (record.response?.body as { data: { embedding: number[] }[] }).data;
      expect(data.map((item) => item.embedding)).toEqual(texts.map((text) => simulatedEmbedding(text)));
      expect(record.usage).toMatchObject({ input_tokens: texts.reduce((sum, text) => sum + countTokens(text), 0), output_tokens: 0 });
    }
  });

  it('runs a Gemini Batch file of embedding requests: every line succeeds with its vector', async () => {
    const texts = ['first gemini text', 'second gemini text'];
    const lines = texts.map((text, i) =>
      JSON.stringify({ key: `g-${i}`, request: { content: { parts: [{ text }] }, taskType: 'RETRIEVAL_DOCUMENT' } }),
    );
    const { stderr, code, records } = await run(lines, ['--model', 'gemini-embedding-001']);
    expect(stderr).toContain('2 succeeded, 0 errored');
    expect(code).toBe(0);
    expect(records).toHaveLength(2);
    for (const record of records) {
      const text = texts[Number(record.custom_id.slice(2))] as string;
      expect(record).toMatchObject({ status: 'succeeded', provider: 'gemini', account: 'sim-gemini', model: 'gemini-embedding-001' });
      expect(record.response?.body).toEqual({ embedding: { values: simulatedEmbedding(text) } });
    }
  });
});
