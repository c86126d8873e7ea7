/**
 * Throughput of the prompt path, in one run:
 *  (a) raw BullMQ: addBulk ingest and no-op processing;
 *  (b) baseline: raw BullMQ workers that POST each job's body with plain undici to the
 *      simulator (no latency, no limits) and SET the answer in Redis;
 *  (c) relayq: `submitFile` ingest of the same prompts, and its worker against the same simulator.
 * Targets: relayq processing >= 0.8 x (b); relayq ingest >= 0.7 x raw addBulk.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { PromptQueues } from '../src/batches/prompt-queues.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { Agent, request } from 'undici';
import { pino } from 'pino';
import { promptJobId, promptJobOptions, promptQueueName } from '../jobs/prompt/queue.ts';
import type { PromptJob } from '../jobs/prompt/payload.ts';
import { getBatch } from '../src/batches/batch-store.ts';
import { parseConfig } from '../src/config/load.ts';
import { submitFile } from '../src/ingest/submit.ts';
import { createRedis } from '../src/redis/connection.ts';
import { createKeys } from '../src/redis/keys.ts';
import { startWorker } from '../src/worker/start-worker.ts';
import { jobTypes } from '../jobs/index.ts';
import { argValue, benchRedis, rate, startSimulatorProcess, table, waitFor } from './support.ts';

export default async function throughput(args: string[]): Promise<void> {
  const jobs = argValue(args, '--jobs', 20_000);
  const concurrency = argValue(args, '--concurrency', 64);
  const redisInfo = await benchRedis();
  const redis = createRedis(redisInfo.url);
  const simulator = await startSimulatorProcess();
  const run = `bench-${Date.now().toString(36)}`;
  console.error(
    `bench throughput: ${jobs} jobs, concurrency ${concurrency}, best of --rounds each, Redis ${redisInfo.url} (${redisInfo.origin}), simulator ${simulator.url}`,
  );

  const file = join(mkdtempSync(join(tmpdir(), 'relayq-bench-')), 'prompts.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < jobs; i += 1) {
    lines.push(
      JSON.stringify({
        custom_id: `p${i}`,
        params: {
          model: 'claude-bench',
          max_tokens: 64,
          messages: [{ role: 'user', content: `Question number ${i}: what is ${i} plus ${i}?` }],
        },
      }),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const bodies = lines.map((line) => (JSON.parse(line) as { params: Record<string, unknown> }).params);

  // (a) raw BullMQ: addBulk of the same jobs relayq would add, then no-op processing.
  const rawKeys = createKeys(`${run}-raw`);
  const rawQueue = new Queue(promptQueueName, { connection: createRedis(redisInfo.url), prefix: rawKeys.bullPrefix });
  const options = promptJobOptions(3);
  const started = performance.now();
  for (let i = 0; i < jobs; i += 1000) {
    const chunk = [];
    for (let j = i; j < Math.min(i + 1000, jobs); j += 1) {
      const data: PromptJob = {
        batchId: 'batch_raw',
        customId: `p${j}`,
        line: j + 1,
        provider: 'anthropic',
        model: 'claude-bench',
        body: bodies[j]!,
        stream: false,
        format: 'native',
      };
      chunk.push({ name: 'anthropic', data, opts: { ...options, jobId: promptJobId('batch_raw', `p${j}`) } });
    }
    await rawQueue.addBulk(chunk);
  }
  const rawIngestMs = performance.now() - started;
  const noopMs = await drain(redisInfo.url, rawKeys.bullPrefix, concurrency, jobs, async () => {});

  // (b) and (c) alternate, best of `rounds` each, so a noisy moment hurts both alike.
  const rounds = argValue(args, '--rounds', 2);
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const setter = createRedis(redisInfo.url);
  const prefixes = [rawKeys.bullPrefix];
  const queues: { obliterate(options: { force: boolean }): Promise<unknown>; close(): Promise<void> }[] = [rawQueue];
  let baselineMs = Infinity;
  let relayqMs = Infinity;
  let ingestMs = Infinity;
  for (let round = 0; round < rounds; round += 1) {
    // (b) baseline: POST each body with plain undici, SET the answer.
    const baseKeys = createKeys(`${run}-base${round}`);
    const baseQueue = new Queue(promptQueueName, { connection: createRedis(redisInfo.url), prefix: baseKeys.bullPrefix });
    prefixes.push(baseKeys.bullPrefix);
    queues.push(baseQueue);
    for (let i = 0; i < jobs; i += 1000) {
      await baseQueue.addBulk(
        bodies.slice(i, i + 1000).map((body, k) => ({
          name: 'anthropic',
          data: { customId: `p${i + k}`, body },
          opts: { jobId: `b${i + k}`, removeOnComplete: true },
        })),
      );
    }
    baselineMs = Math.min(
      baselineMs,
      await drain(redisInfo.url, baseKeys.bullPrefix, concurrency, jobs, async (job: Job) => {
        const response = await request(`${simulator.url}/v1/messages`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-bench', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify(job.data.body),
        });
        const text = await response.body.text();
        await setter.set(`${baseKeys.bullPrefix}:answer:${job.data.customId}`, text);
      }),
    );

    // (c) relayq: ingest from the file, then its worker.
    const config = parseConfig(
      {
        redis: { prefix: `${run}-relayq${round}` },
        worker: { concurrency },
        accounts: [{ id: 'bench', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-bench' }],
      },
      {},
    );
    const keys = createKeys(config.redis.prefix);
    const queue = new PromptQueues(keys, createRedis(redisInfo.url));
    prefixes.push(keys.bullPrefix);
    queues.push(queue);
    let started = performance.now();
    const report = await submitFile(redis, queue, keys, file, { attempts: 3 });
    ingestMs = Math.min(ingestMs, performance.now() - started);
    started = performance.now();
    const worker = await startWorker(config, redisInfo.url, pino({ level: 'warn' }), jobTypes);
    await waitFor(async () => (await getBatch(redis, keys, report.batchId))?.status === 'completed');
    relayqMs = Math.min(relayqMs, performance.now() - started);
    await worker.close();
    const batch = await getBatch(redis, keys, report.batchId);
    if (batch?.counts.succeeded !== jobs) throw new Error(`relayq finished with ${batch?.counts.succeeded} of ${jobs} succeeded`);
  }

  const rows = [
    ['measure', 'jobs/s', 'ratio'],
    ['(a) raw addBulk ingest', rate(jobs, rawIngestMs).toFixed(0), '1.00 (baseline for ingest)'],
    ['(a) raw BullMQ no-op processing', rate(jobs, noopMs).toFixed(0), ''],
    ['(b) raw BullMQ + undici POST + SET', rate(jobs, baselineMs).toFixed(0), '1.00 (baseline for processing)'],
    [
      '(c) relayq ingest (submitFile)',
      rate(jobs, ingestMs).toFixed(0),
      `${(rawIngestMs / ingestMs).toFixed(2)} of raw addBulk (target >= 0.70)`,
    ],
    [
      '(c) relayq processing (worker)',
      rate(jobs, relayqMs).toFixed(0),
      `${(baselineMs / relayqMs).toFixed(2)} of baseline (target >= 0.80)`,
    ],
  ];
  console.log(table(rows));

  for (const q of queues) {
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
  }
  for (const prefix of prefixes) await dropKeys(redis, prefix);
  await agent.close();
  setter.disconnect();
  redis.disconnect();
  await simulator.stop();
  await redisInfo.stop();
}

async function drain(url: string, prefix: string, concurrency: number, jobs: number, work: (job: Job) => Promise<void>): Promise<number> {
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const worker = new Worker(
    promptQueueName,
    async (job) => {
      await work(job);
    },
    { connection: createRedis(url), prefix, concurrency },
  );
  worker.on('completed', () => {
    done += 1;
    if (done === jobs) finish();
  });
  await finished;
  const ms = performance.now() - started;
  await worker.close();
  return ms;
}

async function dropKeys(redis: ReturnType<typeof createRedis>, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}
