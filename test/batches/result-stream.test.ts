import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finishIngest, openBatch } from '../../src/batches/batch-store.ts';
import { exportResults } from '../../src/batches/export/export-results.ts';
import { resultStream } from '../../src/batches/export/result-stream.ts';
import { writeResult, type ResultRecord } from '../../src/batches/results.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

function succeeded(id: string, line: number, text = 'ok'): ResultRecord {
  return {
    custom_id: id,
    status: 'succeeded',
    provider: 'openai',
    account: 'acct-a',
    model: 'gpt-4o-mini',
    response: { status_code: 200, body: { object: 'chat.completion', choices: [{ message: { content: text } }] } },
    usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 },
    attempts: 1,
    latency_ms: 1,
    line,
  };
}

function errored(id: string, line: number): ResultRecord {
  return {
    ...succeeded(id, line),
    status: 'errored',
    response: undefined,
    error: { kind: 'invalid_request', message: 'bad', status_code: 400 },
  } as ResultRecord;
}

/** A logger that keeps what was logged at error level. */
function recordingLogger() {
  const errors: { fields: Record<string, unknown>; message: string }[] = [];
  const logger = { error: (fields: Record<string, unknown>, message: string) => errors.push({ fields, message }) } as unknown as Logger;
  return { logger, errors };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string[]> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.split('\n').filter((line) => line !== '');
}

describe('a results stream for the result routes', () => {
  let redis: Redis;
  let keys: Keys;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix('rstream');
    keys = createKeys(prefix);
    redis = testRedis();
  });

  afterEach(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  async function batchWith(count: number, result: (id: string, line: number) => ResultRecord): Promise<string> {
    const id = `batch_${prefix.replace(/[^a-z0-9]/g, '')}`;
    await openBatch(redis, keys, id, { source: 'x.jsonl' });
    const args: (string | number)[] = [Date.now()];
    for (let i = 0; i < count; i += 1) args.push(`r${i}`, i + 1);
    await withScripts(redis).acceptLines(keys.batchLines(id), keys.batchResults(id), keys.batch(id), ...args);
    await finishIngest(redis, keys, id, 0);
    // Written last line first: input order is not the order results landed.
    for (let i = count - 1; i >= 0; i -= 1) await writeResult(redis, keys, id, result(`r${i}`, i + 1));
    return id;
  }

  it("splits OpenAI's output lines from its error lines, each in input order", async () => {
    const { logger, errors } = recordingLogger();
    const id = await batchWith(6, (customId, line) => (line % 3 === 0 ? errored(customId, line) : succeeded(customId, line)));
    const ctx = { redis, keys, logger };
    const customIds = (lines: string[]) => lines.map((line) => JSON.parse(line).custom_id);
    expect(customIds(await readAll(resultStream(ctx, id, { format: 'openai', part: 'output' })))).toEqual(['r0', 'r1', 'r3', 'r4']);
    expect(customIds(await readAll(resultStream(ctx, id, { format: 'openai', part: 'errors' })))).toEqual(['r2', 'r5']);
    expect(customIds(await readAll(resultStream(ctx, id, { format: 'openai' })))).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    const completion = await readAll(resultStream(ctx, id, { format: 'native', order: 'completion' }));
    expect(customIds(completion)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
    expect(errors).toEqual([]);
  });

  it('reads no further ahead than the client takes', async () => {
    const { logger } = recordingLogger();
    const big = 'x'.repeat(2_000);
    const id = await batchWith(300, (customId, line) => succeeded(customId, line, big));
    const stream = resultStream({ redis, keys, logger }, id, { format: 'native' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 300 lines of over 2 kB (660 kB) are waiting; the stream holds its buffers' worth of them
    // (their size depends on the Node version), and a line more.
    expect(stream.readableLength).toBeGreaterThan(0);
    const buffers = stream.readableHighWaterMark + stream.writableHighWaterMark;
    expect(buffers).toBeLessThan(300_000);
    expect(stream.readableLength + stream.writableLength).toBeLessThan(buffers + 5_000);
    const lines = await readAll(stream);
    expect(lines.length).toBe(300);
    expect(lines.map((line) => JSON.parse(line).line)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('stops reading when the client goes away, logging nothing', async () => {
    const { logger, errors } = recordingLogger();
    const big = 'x'.repeat(2_000);
    const id = await batchWith(300, (customId, line) => succeeded(customId, line, big));
    const stream = resultStream({ redis, keys, logger }, id, { format: 'native' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The input-order read keeps a temporary sorted set while it runs and drops it when it stops.
    expect(await redis.exists(keys.batchOrder(id))).toBe(1);
    stream.destroy();
    const deadline = Date.now() + 5_000;
    while ((await redis.exists(keys.batchOrder(id))) === 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await redis.exists(keys.batchOrder(id))).toBe(0);
    expect(errors).toEqual([]);
  });

  it('ends the stream with the error and logs it when the export fails', async () => {
    const { logger, errors } = recordingLogger();
    const id = `batch_${prefix.replace(/[^a-z0-9]/g, '')}`;
    // A lines key that is no hash: the first read fails.
    await redis.set(keys.batchLines(id), 'not a hash');
    const stream = resultStream({ redis, keys, logger }, id, { format: 'native' });
    await expect(readAll(stream)).rejects.toThrow(/WRONGTYPE/);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.fields).toMatchObject({ batchId: id });
    expect(String(errors[0]?.fields.err)).toMatch(/WRONGTYPE/);
    expect(errors[0]?.message).toBe('results export failed midway');
  });

  it('counts output and error lines, and a follow stops at once when aborted', async () => {
    const id = await batchWith(5, (customId, line) => (line === 2 ? errored(customId, line) : succeeded(customId, line)));
    const lines: string[] = [];
    const sink = { output: (line: string) => void lines.push(`out ${line}`), errors: (line: string) => void lines.push(`err ${line}`) };
    expect(await exportResults(redis, keys, id, sink, { format: 'openai' })).toEqual({ output: 4, errors: 1 });
    expect(lines.filter((line) => line.startsWith('err ')).map((line) => JSON.parse(line.slice(4)).custom_id)).toEqual(['r1']);
    expect(await exportResults(redis, keys, id, sink, { format: 'anthropic', order: 'completion' })).toEqual({ output: 5, errors: 0 });
    const aborted = new AbortController();
    aborted.abort();
    expect(await exportResults(redis, keys, id, sink, { format: 'native', follow: true, signal: aborted.signal })).toEqual({
      output: 0,
      errors: 0,
    });
    // A batch that does not exist has ended: a follow returns what there is (nothing).
    expect(await exportResults(redis, keys, 'batch_none', sink, { format: 'native', follow: true, pollMs: 10 })).toEqual({
      output: 0,
      errors: 0,
    });
  });
});
