/**
 * `/metrics` gives the whole system's view from Redis: a batch run by two worker processes
 * (`relayq worker --metrics-port`), against a simulator that answers some calls with 429 and
 * 500, is counted once per prompt whichever process is scraped, and the upstream calls and
 * tokens the workers counted equal what the simulator saw, after the workers stopped. Every
 * answer passes `promtool check metrics`.
 */
import type { ChildProcess } from 'node:child_process';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import { parseConfig } from '../../src/config/load.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { freePort } from '../../src/lib/free-port.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { startServer } from '../../src/server/start-server.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { hasPromtool, parseMetrics, promtoolCheck, sumOf, type MetricSample } from '../helpers/metrics.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return response.text();
}

async function expectPromtoolPasses(text: string): Promise<void> {
  if (!hasPromtool) {
    console.warn('promtool is not installed (Debian package "prometheus"): the exposition format check is skipped');
    return;
  }
  const checked = await promtoolCheck(text);
  expect(checked.output).toBe('');
  expect(checked.code).toBe(0);
}

describe('/metrics after a batch run by two worker processes', () => {
  const total = 40;
  const prefix = testPrefix('metrics');
  const keys = createKeys(prefix);
  let simulator: RunningSimulator;
  let redis: Redis;
  let queue: PromptQueues;

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 50, faults: { seed: 7, rateLimitRate: 0.1, serverErrorRate: 0.05 } });
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
  });

  afterAll(async () => {
    await queue.close();
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('counts each prompt once, and every upstream call and token, whichever process is scraped', async () => {
    const dir = tempDir('relayq-metrics');
    const file = writePromptFile(
      dir,
      Array.from({ length: total }, (_, i) => anthropicBatchLine(`m${i}`, promptText(i))),
    );
    const accounts = [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-metrics' }];
    const config = { redis: { prefix }, worker: { concurrency: 4, attempts: 5 }, accounts };
    const configFile = writeConfig(dir, config);
    const env = { REDIS_URL: testRedisUrl() };
    const ports = [await freePort(), await freePort()];
    const workers: ChildProcess[] = ports.map((port) => spawnCli(['worker', '-c', configFile, '--metrics-port', String(port)], { env }));
    const exits = workers.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    const workerUrls = ports.map((port) => `http://127.0.0.1:${port}`);
    let beforeStop: MetricSample[];
    let histograms: number[];
    try {
      // Both workers take part: the batch goes in once both answer.
      for (const url of workerUrls) {
        await until(
          () =>
            fetch(`${url}/metrics`).then(
              (r) => r.ok,
              () => false,
            ),
          60_000,
          `the worker at ${url} to serve /metrics`,
        );
      }
      const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
      expect(report.accepted).toBe(total);
      await until(async () => (await getBatch(redis, keys, report.batchId))?.status === 'completed', 90_000, 'the batch to complete');

      const text = await scrape(workerUrls[0]!);
      await expectPromtoolPasses(text);
      beforeStop = parseMetrics(text);
      expect(sumOf(beforeStop, 'relayq_workers')).toBe(2);
      expect(sumOf(beforeStop, 'relayq_batches', { status: 'completed' })).toBe(1);
      // Results are counted as they are stored, not when a worker flushes.
      expect(sumOf(beforeStop, 'relayq_prompts_total')).toBe(total);
      histograms = [];
      for (const url of workerUrls) {
        const own = parseMetrics(await scrape(url));
        histograms.push(sumOf(own, 'relayq_upstream_request_duration_seconds_count'));
      }
    } finally {
      for (const child of workers) child.kill('SIGTERM');
      await Promise.all(exits);
    }
    // Each worker made calls and timed them in its own histogram.
    for (const count of histograms) expect(count).toBeGreaterThan(0);

    // The workers are gone: the server reads what they left in Redis, upstream counts flushed on stop included.
    const server = await startServer({
      config: parseConfig(config, {}),
      redisUrl: testRedisUrl(),
      logger: pino({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const text = await scrape(server.url);
      await expectPromtoolPasses(text);
      const samples = parseMetrics(text);
      const stats = simulator.stats();
      const batch = await getBatch(redis, keys, (await redis.zrange(keys.batches(), 0, 0))[0]!);

      expect(sumOf(samples, 'relayq_prompts_total')).toBe(total);
      expect(sumOf(samples, 'relayq_prompts_total', { status: 'succeeded', provider: 'anthropic', model: 'claude-test' })).toBe(
        batch?.counts.succeeded,
      );
      expect(sumOf(samples, 'relayq_upstream_requests_total')).toBe(stats.requests);
      expect(sumOf(samples, 'relayq_upstream_requests_total')).toBeGreaterThanOrEqual(total);
      expect(sumOf(samples, 'relayq_upstream_request_duration_seconds_count')).toBe(0); // the server ran no worker
      expect(histograms.reduce((a, b) => a + b, 0)).toBe(stats.requests);
      for (const [code, count] of Object.entries(stats.byStatus)) {
        expect(sumOf(samples, 'relayq_upstream_requests_total', { account: 'sim', code }), `calls answered ${code}`).toBe(count);
      }
      expect(sumOf(samples, 'relayq_upstream_rate_limited_total', { account: 'sim' })).toBe(stats.byStatus['429'] ?? 0);
      expect(sumOf(samples, 'relayq_tokens_total', { type: 'input' })).toBe(batch?.usage.input_tokens);
      expect(sumOf(samples, 'relayq_tokens_total', { type: 'output' })).toBe(batch?.usage.output_tokens);
      expect(sumOf(samples, 'relayq_tokens_total', { type: 'input' })).toBe(stats.totals.inputTokens);
      expect(sumOf(samples, 'relayq_tokens_total', { type: 'output' })).toBe(stats.totals.outputTokens);
      expect(sumOf(samples, 'relayq_account_state', { provider: 'anthropic', account: 'sim' })).toBeLessThanOrEqual(1);
      for (const name of ['prompt', 'webhook']) {
        expect(samples.some((sample) => sample.name === 'relayq_queue_jobs' && sample.labels.queue === name)).toBe(true);
      }
      // No label carries a batch or a custom_id.
      expect(text).not.toContain(batch?.id ?? 'batch_');
      expect(text).not.toMatch(/custom_id|"m\d+"/);
    } finally {
      await server.close();
    }
  }, 180_000);
});
