/**
 * The same prompts as relayq, OpenAI Batch, Anthropic Message Batches and Gemini Batch files all
 * complete, and each export format has the provider's documented result shape field for field:
 * checked at run time against strict schemas of the documented shapes, and at compile time
 * against the official `openai` and `@anthropic-ai/sdk` type definitions (tsc checks this file).
 */
import type Anthropic from '@anthropic-ai/sdk';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import type { BatchError } from 'openai/resources/batches';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import type { AnthropicBatchResult, AnthropicResultLine } from '../../src/batches/export/anthropic.ts';
import { exportResults, type ExportFormat } from '../../src/batches/export/export-results.ts';
import type { OpenAIBatchOutputLine } from '../../src/batches/export/openai.ts';
import { scanResults } from '../../src/batches/results.ts';
import { parseConfig } from '../../src/config/load.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { startWorker, type RunningWorker } from '../../src/worker/start-worker.ts';
import { jobTypes } from '../../jobs/index.ts';
import { promptText, tempDir, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

// ---- compile-time: our exported line types, with the bodies the providers document, are the SDKs' ----
type WithMessage<R> = R extends { type: 'succeeded' } ? { type: 'succeeded'; message: Anthropic.Message } : R;
type TypedAnthropicLine = Omit<AnthropicResultLine, 'result'> & { result: WithMessage<AnthropicBatchResult> };
export const anthropicLineIsSdkLine = (line: TypedAnthropicLine): MessageBatchIndividualResponse => line;
export const sdkResultTypesAreOurs = (type: MessageBatchIndividualResponse['result']['type']): AnthropicBatchResult['type'] => type;
type TypedOpenAILine = Omit<OpenAIBatchOutputLine, 'response'> & {
  response: { status_code: number; request_id: string; body: ChatCompletion } | null;
};
export const openAiErrorIsBatchError = (line: TypedOpenAILine): BatchError | null => line.error;
export const openAiBodyIsChatCompletion = (line: TypedOpenAILine): ChatCompletion | undefined => line.response?.body;

// ---- run time: the documented shapes, strict (no field missing, none added) ----
const openAiOutputLine = z.strictObject({
  id: z.string().regex(/^batch_req_/),
  custom_id: z.string(),
  response: z
    .strictObject({ status_code: z.number().int(), request_id: z.string(), body: z.looseObject({ object: z.literal('chat.completion') }) })
    .nullable(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
});
const anthropicLine = z.strictObject({
  custom_id: z.string(),
  result: z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('succeeded'),
      message: z.looseObject({
        type: z.literal('message'),
        role: z.literal('assistant'),
        content: z.array(z.looseObject({ type: z.string() })),
      }),
    }),
    z.strictObject({
      type: z.literal('errored'),
      error: z.strictObject({
        type: z.literal('error'),
        error: z.strictObject({ type: z.string(), message: z.string() }),
        request_id: z.string().nullable(),
      }),
    }),
    z.strictObject({ type: z.literal('canceled') }),
    z.strictObject({ type: z.literal('expired') }),
  ]),
});
const geminiLine = z.strictObject({
  key: z.string(),
  response: z.looseObject({
    candidates: z.array(z.looseObject({ content: z.looseObject({ parts: z.array(z.looseObject({ text: z.string() })) }) })).min(1),
  }),
});

const count = 12;
const prompts = Array.from({ length: count }, (_, i) => promptText(i));
const files: Record<string, string[]> = {
  native: prompts.map((text, i) =>
    JSON.stringify({ custom_id: `n${i}`, body: { model: 'claude-test', max_tokens: 200, messages: [{ role: 'user', content: text }] } }),
  ),
  'openai-batch': prompts.map((text, i) =>
    JSON.stringify({
      custom_id: `o${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', max_completion_tokens: 200, messages: [{ role: 'user', content: text }] },
    }),
  ),
  'anthropic-batch': prompts.map((text, i) =>
    JSON.stringify({ custom_id: `a${i}`, params: { model: 'claude-test', max_tokens: 200, messages: [{ role: 'user', content: text }] } }),
  ),
  // Gemini names the model per batch: it comes from --model.
  'gemini-batch': prompts.map((text, i) =>
    JSON.stringify({
      key: `g${i}`,
      request: { contents: [{ role: 'user', parts: [{ text }] }], generationConfig: { maxOutputTokens: 200 } },
    }),
  ),
};

function answerOf(format: string, body: unknown): string | undefined {
  const b = body as Record<string, any>;
  if (format === 'openai-batch') return b.choices?.[0]?.message?.content;
  if (format === 'gemini-batch')
    return (b.candidates?.[0]?.content?.parts as { text: string }[] | undefined)?.map((part) => part.text).join('');
  return (b.content as { type: string; text: string }[] | undefined)
    ?.filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

describe('every batch file format, every result format', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  let queue: PromptQueues;
  let worker: RunningWorker;
  const prefix = testPrefix('formats');
  const keys = createKeys(prefix);

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 1 });
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
    const config = parseConfig(
      {
        redis: { prefix },
        accounts: [
          { id: 'claude', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-formats' },
          { id: 'gpt', provider: 'openai', baseUrl: simulator.url, apiKey: 'sk-openai-formats' },
          { id: 'gemini', provider: 'gemini', baseUrl: `${simulator.url}/v1beta`, apiKey: 'gemini-formats' },
        ],
      },
      {},
    );
    worker = await startWorker(config, testRedisUrl(), pino({ level: 'silent' }), jobTypes);
  });

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  /** Submits the format's file and waits for the batch to complete: each test its own batch. */
  async function completedBatch(format: string): Promise<string> {
    const file = writePromptFile(tempDir('relayq-formats'), files[format] as string[]);
    const report = await submitFile(redis, queue, keys, file, {
      attempts: 3,
      defaults: format === 'gemini-batch' ? { model: 'gemini-2.5-flash' } : undefined,
    });
    expect(report).toMatchObject({ accepted: count, rejected: 0, inputFormat: format });
    const deadline = Date.now() + 30_000;
    while ((await getBatch(redis, keys, report.batchId))?.status !== 'completed') {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the ${format} batch to complete`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return report.batchId;
  }

  it.each(Object.keys(files))('a %s file completes, each answer belonging to its prompt', async (format) => {
    const batchId = await completedBatch(format);
    const batch = await getBatch(redis, keys, batchId);
    expect(batch).toMatchObject({ status: 'completed', input_format: format });
    expect(batch?.counts).toEqual({ total: count, succeeded: count, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    expect(batch?.started_at).not.toBeNull();
    expect(batch?.finalizing_at).not.toBeNull();
    for await (const record of scanResults(redis, keys, batchId)) {
      const n = Number(record.custom_id.slice(1));
      expect(record.status).toBe('succeeded');
      expect(answerOf(format, record.response?.body)).toBe(simulatedAnswer(prompts[n] as string));
    }
  });

  async function exported(format: string, as: ExportFormat): Promise<{ output: unknown[]; errors: unknown[] }> {
    const output: unknown[] = [];
    const errors: unknown[] = [];
    const sink = {
      output: (line: string) => void output.push(JSON.parse(line)),
      errors: (line: string) => void errors.push(JSON.parse(line)),
    };
    await exportResults(redis, keys, await completedBatch(format), sink, { format: as, order: 'input' });
    return { output, errors };
  }

  it('exports the OpenAI batch as OpenAI Batch output lines, in input order', async () => {
    const { output, errors } = await exported('openai-batch', 'openai');
    expect(errors).toEqual([]);
    expect(output.map((line) => (line as { custom_id: string }).custom_id)).toEqual(prompts.map((_, i) => `o${i}`));
    for (const line of output) {
      const parsed = openAiOutputLine.parse(line);
      expect(parsed.error).toBeNull();
      expect(parsed.response?.status_code).toBe(200);
    }
  });

  it('exports the Anthropic batch as Message Batches results', async () => {
    const { output } = await exported('anthropic-batch', 'anthropic');
    expect(output).toHaveLength(count);
    for (const line of output) expect(anthropicLine.parse(line).result.type).toBe('succeeded');
  });

  it('exports the Gemini batch as Gemini Batch output lines', async () => {
    const { output } = await exported('gemini-batch', 'gemini');
    expect(output.map((line) => geminiLine.parse(line).key)).toEqual(prompts.map((_, i) => `g${i}`));
  });
});
