/**
 * The scheduling bench's strongest peer, one of its processes: what a JS team would build from
 * well-known parts. A BullMQ worker (concurrency C) takes prompt jobs and calls the upstream
 * through a Bottleneck limiter per API key, clustered in Redis (so every process shares one
 * `minTime` pacing per key), keys taken round robin by job index, with the SDKs' retries: 2
 * retries, honouring retry-after, else 0.5·2^n s backoff with jitter. A job that still fails is
 * failed.
 *
 * `node bin/run-ts.js bench/peers/bottleneck-worker.ts <json options>`; prints "ready" on stdout.
 */
import Bottleneck from 'bottleneck';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';

interface Options {
  redisUrl: string;
  /** BullMQ queue name and prefix. */
  queue: string;
  prefix: string;
  upstream: string;
  keys: string[];
  /** Requests per minute of each key: Bottleneck's minTime is 60,000 / rpm ms. */
  rpm: number;
  concurrency: number;
  /** Bottleneck limiter ids start with this (one limiter per key, shared by every process). */
  limiterId: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const url = new URL(options.redisUrl);
const clientOptions = { host: url.hostname, port: Number(url.port || 6379) };
const limiters = options.keys.map(
  (_, i) =>
    new Bottleneck({
      id: `${options.limiterId}-${i}`,
      datastore: 'ioredis',
      clearDatastore: false,
      clientOptions,
      minTime: Math.ceil(60_000 / options.rpm),
      maxConcurrent: null,
    }),
);
const agent = new Agent({ connections: options.concurrency, keepAliveTimeout: 30_000 });

async function call(index: number, body: unknown): Promise<void> {
  const key = options.keys[index % options.keys.length] as string;
  const limiter = limiters[index % limiters.length] as Bottleneck;
  for (let retry = 0; ; retry += 1) {
    const response = await limiter.schedule(() =>
      request(`${options.upstream}/v1/messages`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(body),
      }).then(
        async (answer) => ({ status: answer.statusCode, retryAfter: answer.headers['retry-after'], text: await answer.body.text() }),
        () => ({ status: 0, retryAfter: undefined, text: 'connection failed' }),
      ),
    );
    if (response.status === 200) return;
    const retryable = response.status === 0 || response.status === 429 || response.status === 408 || response.status >= 500;
    if (!retryable || retry === 2) throw new Error(`HTTP ${response.status}: ${response.text.slice(0, 200)}`);
    const header = Number(response.retryAfter);
    const waitMs = Number.isFinite(header) && header <= 60 ? header * 1000 : Math.min(500 * 2 ** retry, 8_000) * (1 - Math.random() * 0.25);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

const worker = new Worker(options.queue, async (job) => call(job.data.index as number, job.data.body), {
  connection: new Redis(options.redisUrl, { maxRetriesPerRequest: null }),
  prefix: options.prefix,
  concurrency: options.concurrency,
});
await Promise.all(limiters.map((limiter) => limiter.ready()));
await worker.waitUntilReady();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await worker.close();
    await Promise.all(limiters.map((limiter) => limiter.disconnect(false)));
    await agent.close();
    process.exit(0);
  })();
});
