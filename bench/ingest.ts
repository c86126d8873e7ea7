/**
 * Ingest of a big prompt file, in one run:
 *  (a) raw BullMQ: addBulk, in chunks of 1,000, of the very jobs relayq enqueues (built in
 *      memory, no file, no validation, no duplicate check);
 *  (b) relayq: `submitFile` of the same prompts from a JSONL file: streaming read, per-line
 *      validation, duplicate custom_id check, addBulk.
 * Prints lines/s of both, their ratio (target >= 0.70) and relayq's peak RSS during its ingest
 * (target < 300 MB). `npm run bench -- ingest --lines 1000000` (default 100,000).
 */
import { createWriteStream } from 'node:fs';
import { PromptQueues } from '../src/batches/prompt-queues.ts';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { promptJobId, promptJobOptions, promptQueueName } from '../jobs/prompt/queue.ts';
import type { PromptJob } from '../jobs/prompt/payload.ts';
import { submitFile } from '../src/ingest/submit.ts';
import { createRedis } from '../src/redis/connection.ts';
import { createKeys } from '../src/redis/keys.ts';
import { formatNumber } from '../src/cli/progress.ts';
import { argValue, benchRedis, rate, table } from './support.ts';

function params(i: number): Record<string, unknown> {
  return {
    model: 'claude-bench',
    max_tokens: 64,
    messages: [{ role: 'user', content: `Question number ${i}: what is ${i} plus ${i}? Answer in one short sentence.` }],
  };
}

async function writeFile(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  let buffer = '';
  for (let i = 0; i < lines; i += 1) {
    buffer += `${JSON.stringify({ custom_id: `p${i}`, params: params(i) })}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** Peak RSS while `work` runs, sampled every 20 ms (plus before and after). */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakMb: peak / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

export default async function ingest(args: string[]): Promise<void> {
  const lines = argValue(args, '--lines', 100_000);
  const redisInfo = await benchRedis();
  const redis = createRedis(redisInfo.url);
  const run = `bench-ingest-${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'relayq-bench-ingest-'));
  const file = join(dir, 'prompts.jsonl');
  console.error(`bench ingest: ${formatNumber(lines)} lines, Redis ${redisInfo.url} (${redisInfo.origin})`);
  await writeFile(file, lines);

  // relayq first, so its peak RSS is its own (not the garbage of building a million raw jobs).
  // (b) relayq submitFile from the file.
  const keys = createKeys(`${run}-relayq`);
  const queue = new PromptQueues(keys, createRedis(redisInfo.url));
  const baseRssMb = process.memoryUsage.rss() / 1024 / 1024;
  let started = performance.now();
  const { value: report, peakMb } = await withPeakRss(() => submitFile(redis, queue, keys, file, { attempts: 3 }));
  const relayqMs = performance.now() - started;
  if (report.accepted !== lines) throw new Error(`relayq accepted ${report.accepted} of ${lines} lines`);
  await queue.close();
  await dropKeys(redis, keys.bullPrefix);

  // (a) raw addBulk of the same jobs.
  const rawKeys = createKeys(`${run}-raw`);
  const rawQueue = new Queue(promptQueueName, { connection: createRedis(redisInfo.url), prefix: rawKeys.bullPrefix });
  const options = promptJobOptions(3);
  const batchId = 'batch_raw';
  started = performance.now();
  for (let i = 0; i < lines; i += 1000) {
    const chunk = [];
    for (let j = i; j < Math.min(i + 1000, lines); j += 1) {
      const data: PromptJob = {
        batchId,
        customId: `p${j}`,
        line: j + 1,
        provider: 'anthropic',
        model: 'claude-bench',
        body: params(j),
        stream: false,
        format: 'native',
      };
      chunk.push({ name: 'anthropic', data, opts: { ...options, jobId: promptJobId(batchId, `p${j}`) } });
    }
    await rawQueue.addBulk(chunk);
  }
  const rawMs = performance.now() - started;
  await rawQueue.close();
  await dropKeys(redis, rawKeys.bullPrefix);

  const ratio = rawMs / relayqMs;
  console.log(
    table([
      ['measure', 'lines/s', 'ratio / memory'],
      ['(a) raw addBulk of the same jobs', rate(lines, rawMs).toFixed(0), '1.00 (baseline)'],
      ['(b) relayq submitFile from JSONL', rate(lines, relayqMs).toFixed(0), `${ratio.toFixed(2)} of raw addBulk (target >= 0.70)`],
      ['(b) peak RSS during relayq ingest', '', `${peakMb.toFixed(0)} MB (before: ${baseRssMb.toFixed(0)} MB; target < 300 MB)`],
    ]),
  );
  rmSync(dir, { recursive: true, force: true });
  redis.disconnect();
  await redisInfo.stop();
}
