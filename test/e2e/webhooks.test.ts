import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTypes } from '../../jobs/index.ts';
import { finalizeBatch, getBatch } from '../../src/batches/batch-store.ts';
import { cancelBatch, expireBatch } from '../../src/batches/lifecycle.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { readWebhookTotals } from '../../src/metrics/totals.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { listEventLogs } from '../../src/webhooks/delivery-log.ts';
import { currentSecret } from '../../src/webhooks/signing-secrets.ts';
import { startWorker, type RunningWorker } from '../../src/worker/start-worker.ts';
import { startLocalServer, type LocalServer, type RecordedRequest } from '../http/local-server.ts';
import { spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('webhooks when batches end, to a real receiver on 127.0.0.1', () => {
  let simulator: RunningSimulator;
  let receiver: LocalServer;
  let redis: Redis;
  let queue: PromptQueues;
  const prefix = testPrefix('webhooks');
  const keys = createKeys(prefix);
  let config: Config;
  const workers: RunningWorker[] = [];
  const logger = pino({ level: 'silent' });
  const configInput = () => ({
    redis: { prefix },
    worker: { concurrency: 16, lockDurationMs: 2000, stalledIntervalMs: 1000 },
    webhooks: { allowPrivateNetworks: true, timeoutMs: 20_000 },
    accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-hooks' }],
  });
  const policy = { allowPrivateNetworks: true, allowHosts: [] };
  const hooked = (path: string) => (request: RecordedRequest) => request.url === path;

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 5 });
    receiver = await startLocalServer((_req, res) => void res.writeHead(200).end('ok'));
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
    config = parseConfig(configInput(), {});
  });

  afterAll(async () => {
    for (const worker of workers) await worker.close(true);
    await queue.close();
    await receiver.close();
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  async function worker(): Promise<RunningWorker> {
    const running = await startWorker(config, testRedisUrl(), logger, jobTypes);
    workers.push(running);
    return running;
  }

  /** The webhook delivery results `/metrics` counts. */
  async function deliveryResults(): Promise<Record<string, number>> {
    return Object.fromEntries((await readWebhookTotals(redis, keys)).map((row) => [row.result, row.count]));
  }

  function promptFile(count: number, name: string): string {
    return writePromptFile(
      tempDir('relayq-hooks'),
      Array.from({ length: count }, (_, i) => anthropicBatchLine(`${name}-${i}`, promptText(i))),
      `${name}.jsonl`,
    );
  }

  it('sends batch.completed once, verified by standardwebhooks and by the openai SDK', async () => {
    await worker();
    const path = '/completed';
    const report = await submitFile(redis, queue, keys, promptFile(20, 'ok'), {
      attempts: 3,
      webhooks: [`${receiver.url}${path}`],
      webhookPolicy: policy,
    });
    await until(() => receiver.requests.some(hooked(path)), 30_000, 'the batch.completed delivery');
    await sleep(1_500);
    const deliveries = receiver.requests.filter(hooked(path));
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries as [RecordedRequest];
    const secret = await currentSecret(redis, keys, null, undefined);
    const headers = {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    };
    const verified = new Webhook(secret).verify(delivery.body, headers) as Record<string, unknown>;
    const unwrapped = (await new OpenAI({ apiKey: 'unused', webhookSecret: secret }).webhooks.unwrap(delivery.body, headers)) as {
      type: string;
      data: { id: string };
    };
    expect(unwrapped.type).toBe('batch.completed');
    expect(unwrapped.data.id).toBe(report.batchId);
    expect(verified).toMatchObject({
      object: 'event',
      type: 'batch.completed',
      data: { id: report.batchId, status: 'completed', request_counts: { total: 20, completed: 20, failed: 0 } },
    });
    expect(headers['webhook-id']).toBe(verified.id);
    const batch = await getBatch(redis, keys, report.batchId);
    expect(batch?.event_id).toBe(verified.id);
    const [log] = await listEventLogs(redis, keys, { batchId: report.batchId });
    expect(log?.deliveries).toMatchObject([{ state: 'delivered', attempts: 1, last_status_code: 200 }]);
    expect((await listEventLogs(redis, keys)).map((event) => event.batch_id)).toContain(report.batchId);
    await until(async () => (await deliveryResults()).delivered === 1, 5_000, 'the delivery to be counted');
    expect(await deliveryResults()).toEqual({ delivered: 1 });
  });

  it('retries a 500 about 5 s later with the same webhook-id and a fresh timestamp', async () => {
    const path = '/flaky';
    let answered = 0;
    receiver.handle((req, res) => {
      if (req.url === path && answered++ === 0) return void res.writeHead(500).end('not now');
      res.writeHead(200).end('ok');
    });
    const report = await submitFile(redis, queue, keys, promptFile(5, 'flaky'), {
      attempts: 3,
      webhooks: [`${receiver.url}${path}`],
      webhookPolicy: policy,
    });
    await until(() => receiver.requests.filter(hooked(path)).length >= 2, 30_000, 'the retried delivery');
    const [first, second] = receiver.requests.filter(hooked(path)) as [RecordedRequest, RecordedRequest];
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(Number(second.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(Number(first.headers['webhook-timestamp']) + 4);
    expect(second.body).toBe(first.body);
    const [log] = await listEventLogs(redis, keys, { batchId: report.batchId });
    expect(log?.attempts.map((attempt) => attempt.status_code)).toEqual([500, 200]);
    // The schedule's second step: 5 s, with up to 10 % jitter.
    const delay = log?.attempts[0]?.retry_in_ms ?? 0;
    expect(delay).toBeGreaterThanOrEqual(4_500);
    expect(delay).toBeLessThanOrEqual(5_500);
    expect(log?.deliveries).toMatchObject([{ state: 'delivered', attempts: 2 }]);
    // For /metrics: the failed attempt and the delivery (the first test's delivery is counted too).
    await until(async () => (await deliveryResults()).delivered === 2, 5_000, 'the delivery to be counted');
    expect(await deliveryResults()).toEqual({ delivered: 2, retrying: 1 });
    receiver.handle((_req, res) => void res.writeHead(200).end('ok'));
  });

  it('three workers finishing one batch at once produce one event', async () => {
    await worker();
    await worker();
    const path = '/raced';
    const report = await submitFile(redis, queue, keys, promptFile(600, 'race'), {
      attempts: 3,
      webhooks: [`${receiver.url}${path}`],
      webhookPolicy: policy,
    });
    await until(async () => (await getBatch(redis, keys, report.batchId))?.status === 'completed', 60_000, 'the batch to complete');
    // Readers and finishers sealing the same ended batch again change nothing.
    await Promise.all(Array.from({ length: 10 }, () => finalizeBatch(redis, keys, report.batchId)));
    await until(() => receiver.requests.some(hooked(path)), 30_000, 'the delivery');
    await sleep(1_500);
    expect(receiver.requests.filter(hooked(path))).toHaveLength(1);
    expect(await redis.llen(keys.webhookBatchEvents(report.batchId))).toBe(1);
  });

  it('a cancelled, an expired and a failed batch (every line rejected) send their events', async () => {
    const typeAt = (path: string) =>
      JSON.parse(receiver.requests.find(hooked(path))?.body ?? '{}') as { type: string; data: { id: string } };
    for (const running of workers.splice(0)) await running.close();
    const cancelled = await submitFile(redis, queue, keys, promptFile(30, 'cancel'), {
      attempts: 3,
      webhooks: [`${receiver.url}/cancelled`],
      webhookPolicy: policy,
    });
    const expired = await submitFile(redis, queue, keys, promptFile(30, 'expire'), {
      attempts: 3,
      webhooks: [`${receiver.url}/expired`],
      webhookPolicy: policy,
    });
    const rejected = await submitFile(
      redis,
      queue,
      keys,
      writePromptFile(tempDir('relayq-hooks'), ['{"custom_id": "a", "params": 1}', 'not json'], 'bad.jsonl'),
      { attempts: 3, webhooks: [`${receiver.url}/failed`], webhookPolicy: policy },
    );
    expect(rejected.status).toBe('failed');
    // No worker runs: every prompt is still queued when the batches end.
    expect((await cancelBatch({ redis, keys, queue }, cancelled.batchId, { waitMs: 10_000 })).batch?.status).toBe('cancelled');
    expect((await expireBatch({ redis, keys, queue }, expired.batchId, { waitMs: 10_000 })).batch?.status).toBe('expired');
    await worker();
    await until(
      () => ['/cancelled', '/expired', '/failed'].every((path) => receiver.requests.some(hooked(path))),
      30_000,
      'the cancelled, expired and failed events',
    );
    expect(typeAt('/failed')).toMatchObject({ type: 'batch.failed', data: { id: rejected.batchId, counts: { rejected: 2 } } });
    expect(typeAt('/cancelled')).toMatchObject({ type: 'batch.cancelled', data: { id: cancelled.batchId } });
    expect(typeAt('/expired')).toMatchObject({ type: 'batch.expired', data: { id: expired.batchId } });
  });

  it('a worker killed with SIGKILL during a delivery: another delivers it, with the same id', async () => {
    for (const running of workers.splice(0)) await running.close();
    const path = '/slow';
    let held = 0;
    receiver.handle((req, res) => {
      // The first delivery hangs until its worker is gone.
      if (req.url === path && held++ === 0) return;
      res.writeHead(200).end('ok');
    });
    const dir = tempDir('relayq-hooks-kill');
    const file = writeConfig(dir, configInput());
    const env = { REDIS_URL: testRedisUrl() };
    const report = await submitFile(redis, queue, keys, promptFile(10, 'kill'), {
      attempts: 3,
      webhooks: [`${receiver.url}${path}`],
      webhookPolicy: policy,
    });
    const first = spawnCli(['worker', '-c', file], { env });
    const firstExit = new Promise((resolve) => first.once('exit', resolve));
    try {
      await until(() => receiver.requests.some(hooked(path)), 60_000, 'the first delivery to arrive');
      first.kill('SIGKILL');
      await firstExit;
    } finally {
      first.kill('SIGKILL');
    }
    const second = spawnCli(['worker', '-c', file], { env });
    const secondExit = new Promise((resolve) => second.once('exit', resolve));
    try {
      await until(() => receiver.requests.filter(hooked(path)).length >= 2, 60_000, 'the delivery after the kill');
    } finally {
      second.kill('SIGTERM');
      await secondExit;
    }
    const [one, two] = receiver.requests.filter(hooked(path)) as [RecordedRequest, RecordedRequest];
    expect(two.headers['webhook-id']).toBe(one.headers['webhook-id']);
    const [log] = await listEventLogs(redis, keys, { batchId: report.batchId });
    expect(log?.deliveries).toMatchObject([{ state: 'delivered' }]);
  });
});
