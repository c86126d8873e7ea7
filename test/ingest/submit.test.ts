import { mkdtempSync, writeFileSync } from 'node:fs';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promptJobId } from '../../jobs/prompt/queue.ts';
import { getBatch, getRejects } from '../../src/batches/batch-store.ts';
import { writeResult } from '../../src/batches/results.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

function anthropicLine(id: string, text = `prompt ${id}`): string {
  return JSON.stringify({ custom_id: id, params: { model: 'claude-test', max_tokens: 50, messages: [{ role: 'user', content: text }] } });
}

function writeFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'relayq-ingest-'));
  const file = join(dir, 'prompts.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('submitFile', () => {
  let redis: Redis;
  let queue: PromptQueues;
  let keys: Keys;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix('ingest');
    keys = createKeys(prefix);
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
  });

  afterEach(async () => {
    await queue.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('enqueues valid lines and reports bad ones with their line numbers', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => anthropicLine(`p${i + 1}`));
    lines[9] = '{"custom_id": "p10", "params": {'; // line 10: bad JSON
    lines[19] = JSON.stringify({ custom_id: 'p20', params: { model: 'claude-x' } }); // line 20: bad body
    lines[29] = anthropicLine('p5'); // line 30: duplicate of line 5
    lines[39] = JSON.stringify({ params: {} }); // line 40: no custom_id
    lines[49] = '"just a string"'; // line 50: not an object
    const file = writeFile(lines);
    const seen: number[] = [];
    const report = await submitFile(redis, queue, keys, file, { attempts: 3, chunkSize: 7, onReject: (r) => seen.push(r.line) });

    expect(report).toMatchObject({ linesRead: 100, accepted: 95, rejected: 5, alreadyAccepted: 0, status: 'in_progress' });
    expect(seen.sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50]);
    const rejects = await getRejects(redis, keys, report.batchId);
    expect(rejects.map((r) => r.line).sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50]);
    expect(rejects.find((r) => r.line === 30)?.error).toBe('duplicate custom_id "p5" (first used on line 5)');
    expect(rejects.find((r) => r.line === 20)?.error).toMatch(/body\.max_tokens/);
    expect(await queue.getWaitingCount()).toBe(95);
    const job = await queue.getJob(promptJobId(report.batchId, 'p7'));
    expect(job?.data).toMatchObject({ batchId: report.batchId, customId: 'p7', line: 7, provider: 'anthropic', model: 'claude-test' });
    expect(job?.opts).toMatchObject({ attempts: 3, removeOnComplete: true });
    const batch = await getBatch(redis, keys, report.batchId);
    expect(batch).toMatchObject({ status: 'in_progress', ingest: 'done' });
    expect(batch?.counts).toEqual({ total: 95, succeeded: 0, errored: 0, cancelled: 0, expired: 0, pending: 95, rejected: 5 });
  });

  it('a retried submit into the same batch adds no duplicates, re-adds lost jobs and skips finished ones', async () => {
    const file = writeFile(Array.from({ length: 20 }, (_, i) => anthropicLine(`q${i}`)));
    const first = await submitFile(redis, queue, keys, file, { attempts: 3 });
    expect(first.accepted).toBe(20);
    // One prompt finished (its job removed, as removeOnComplete does); one job was lost.
    await writeResult(redis, keys, first.batchId, {
      custom_id: 'q0',
      status: 'succeeded',
      provider: 'anthropic',
      account: 'a',
      model: 'claude-test',
      response: { status_code: 200, body: {} },
      usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 },
      attempts: 1,
      latency_ms: 1,
      line: 1,
    });
    await queue.remove(promptJobId(first.batchId, 'q0'));
    await queue.remove(promptJobId(first.batchId, 'q1'));
    expect(await queue.getWaitingCount()).toBe(18);

    const again = await submitFile(redis, queue, keys, file, { attempts: 3, batchId: first.batchId });
    expect(again).toMatchObject({ batchId: first.batchId, accepted: 0, rejected: 0, alreadyAccepted: 20 });
    expect(await queue.getWaitingCount()).toBe(19);
    expect(await queue.getJob(promptJobId(first.batchId, 'q0'))).toBeUndefined();
    const batch = await getBatch(redis, keys, first.batchId);
    expect(batch?.counts).toEqual({ total: 20, succeeded: 1, errored: 0, cancelled: 0, expired: 0, pending: 19, rejected: 0 });
  });

  it('a file with no valid line gives a failed batch', async () => {
    const file = writeFile(['not json', '{}']);
    const report = await submitFile(redis, queue, keys, file, { attempts: 1 });
    expect(report).toMatchObject({ accepted: 0, rejected: 2, status: 'failed' });
  });

  it('detects each batch file format and fills in the batch defaults where lines lack them', async () => {
    const gemini = writeFile([
      JSON.stringify({ key: 'g1', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }),
      JSON.stringify({ key: 'g2', request: { contents: [{ parts: [{ text: 'yo' }] }], generationConfig: { maxOutputTokens: 5 } } }),
      JSON.stringify({ key: 'g3', request: { content: { parts: [{ text: 'embed me' }] } } }),
    ]);
    const defaults = { model: 'gemini-2.5-flash', maxTokens: 64, system: 'Be brief.' };
    const report = await submitFile(redis, queue, keys, gemini, { attempts: 1, defaults });
    expect(report).toMatchObject({ inputFormat: 'gemini-batch', accepted: 3, rejected: 0 });
    const g1 = await queue.getJob(promptJobId(report.batchId, 'g1'));
    expect(g1?.data).toMatchObject({
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      body: { generationConfig: { maxOutputTokens: 64 }, systemInstruction: { parts: [{ text: 'Be brief.' }] } },
    });
    expect((await queue.getJob(promptJobId(report.batchId, 'g2')))?.data.body).toMatchObject({ generationConfig: { maxOutputTokens: 5 } });
    // An embedding request gets no generation defaults: Gemini refuses them on embedContent.
    expect((await queue.getJob(promptJobId(report.batchId, 'g3')))?.data).toMatchObject({
      endpoint: ':embedContent',
      body: { content: { parts: [{ text: 'embed me' }] } },
    });
    expect((await queue.getJob(promptJobId(report.batchId, 'g3')))?.data.body.generationConfig).toBeUndefined();
    expect((await getBatch(redis, keys, report.batchId))?.input_format).toBe('gemini-batch');

    const noModel = await submitFile(redis, queue, keys, gemini, { attempts: 1 });
    expect(noModel.rejected).toBe(3);
    expect((await getRejects(redis, keys, noModel.batchId))[0]?.error).toMatch(/pass --model/);

    const anthropic = writeFile([JSON.stringify({ custom_id: 'a1', params: { messages: [{ role: 'user', content: 'hi' }] } })]);
    const filled = await submitFile(redis, queue, keys, anthropic, {
      attempts: 1,
      defaults: { model: 'claude-haiku-4-5', maxTokens: 32, system: 'Be brief.' },
      metadata: { team: 'search' },
    });
    expect(filled).toMatchObject({ inputFormat: 'anthropic-batch', accepted: 1 });
    expect((await queue.getJob(promptJobId(filled.batchId, 'a1')))?.data).toMatchObject({
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      body: { max_tokens: 32, system: 'Be brief.' },
    });
    expect((await getBatch(redis, keys, filled.batchId))?.metadata).toEqual({ team: 'search' });

    const openai = writeFile([
      JSON.stringify({
        custom_id: 'o1',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      }),
    ]);
    const chat = await submitFile(redis, queue, keys, openai, { attempts: 1, defaults: { maxTokens: 16, system: 'Be brief.' } });
    expect(chat.inputFormat).toBe('openai-batch');
    expect((await queue.getJob(promptJobId(chat.batchId, 'o1')))?.data).toMatchObject({
      provider: 'openai',
      endpoint: '/v1/chat/completions',
      body: {
        max_completion_tokens: 16,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
      },
    });
  });

  it('stops reading into a batch that was cancelled meanwhile, recording nothing more', async () => {
    const file = writeFile(Array.from({ length: 30 }, (_, i) => anthropicLine(`x${i}`)));
    const first = await submitFile(redis, queue, keys, file, { attempts: 1, chunkSize: 10 });
    await redis.hset(keys.batch(first.batchId), 'status', 'cancelling');
    const more = writeFile(Array.from({ length: 30 }, (_, i) => anthropicLine(`y${i}`)));
    const again = await submitFile(redis, queue, keys, more, { attempts: 1, batchId: first.batchId, chunkSize: 10 });
    expect(again).toMatchObject({ accepted: 0, stoppedBy: 'cancelled' });
    expect(await redis.hlen(keys.batchLines(first.batchId))).toBe(30);
  });

  it('refuses a file that does not exist, creating no batch', async () => {
    await expect(submitFile(redis, queue, keys, '/nonexistent/prompts.jsonl', { attempts: 1 })).rejects.toThrow(/ENOENT/);
    expect(await redis.zcard(keys.batches())).toBe(0);
  });
});
