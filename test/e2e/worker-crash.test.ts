import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { expectOneAnswerEach } from '../helpers/batch-checks.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a worker killed with SIGKILL mid-batch', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  const prefix = testPrefix('crash');

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 40 });
    redis = testRedis();
  });

  afterAll(async () => {
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('loses nothing: after a new worker takes over, every prompt has exactly one result', async () => {
    const dir = tempDir('relayq-crash');
    const total = 2000;
    const file = writePromptFile(
      dir,
      Array.from({ length: total }, (_, i) => anthropicBatchLine(`c${i}`, promptText(i))),
    );
    const config = writeConfig(dir, {
      redis: { prefix },
      worker: { concurrency: 24, lockDurationMs: 2000, stalledIntervalMs: 1000 },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-test' }],
    });
    const keys = createKeys(prefix);
    const queue = new PromptQueues(keys, testRedis());
    const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
    expect(report.accepted).toBe(total);
    const env = { REDIS_URL: testRedisUrl() };
    const results = () => redis.hlen(keys.batchResults(report.batchId));
    const billed = () => simulator.stats().byStatus['200'] ?? 0;

    const first = spawnCli(['worker', '-c', config], { env });
    const firstExit = new Promise((resolve) => first.once('exit', resolve));
    await until(async () => (await results()) >= 300, 30_000, 'the first worker to store 300 results');
    first.kill('SIGKILL');
    await firstExit;
    // Calls the dead worker had in flight end (answered or aborted) before anything is counted.
    await until(async () => simulator.stats().inFlight === 0, 10_000, "the dead worker's calls to end");
    const afterKill = await results();
    expect(afterKill).toBeLessThan(total);
    // Answers billed whose result the dead worker never stored: only these prompts may run twice.
    const lost = billed() - afterKill;
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(await queue.getActiveCount()).toBeGreaterThan(0); // jobs the dead worker held

    const second = spawnCli(['worker', '-c', config], { env });
    const secondExit = new Promise((resolve) => second.once('exit', resolve));
    try {
      await until(async () => (await getBatch(redis, keys, report.batchId))?.status === 'completed', 90_000, 'the batch to complete');
    } finally {
      second.kill('SIGTERM');
      await secondExit;
      await queue.close();
    }

    await expectOneAnswerEach(redis, keys, report.batchId, total);
    // No double billing: every prompt answered once, plus once more only for the answers lost with the worker.
    expect(billed()).toBe(total + lost);
  });
});

describe('a worker stopped with SIGTERM mid-batch', () => {
  it('lets its in-flight prompts finish, holds no job, and exits 0', async () => {
    const simulator = await startSimulator({ latencyMs: 300 });
    const redis = testRedis();
    const prefix = testPrefix('sigterm');
    const keys = createKeys(prefix);
    const queue = new PromptQueues(keys, testRedis());
    try {
      const dir = tempDir('relayq-sigterm');
      const file = writePromptFile(
        dir,
        Array.from({ length: 200 }, (_, i) => anthropicBatchLine(`s${i}`, promptText(i))),
      );
      const config = writeConfig(dir, {
        redis: { prefix },
        worker: { concurrency: 8 },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-test' }],
      });
      const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
      const worker = spawnCli(['worker', '-c', config], { env: { REDIS_URL: testRedisUrl() } });
      const exit = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      // Stop it while upstream calls are in flight: those must finish and store their results.
      await until(async () => simulator.stats().inFlight > 0, 30_000, 'the worker to call upstream');
      const inFlight = simulator.stats().inFlight;
      worker.kill('SIGTERM');
      expect(await exit).toBe(0);
      // Nothing is left active (locked by the stopped worker); what it took has a result.
      expect(await queue.getActiveCount()).toBe(0);
      const results = await redis.hlen(keys.batchResults(report.batchId));
      const queued = await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized');
      expect(results).toBeGreaterThanOrEqual(inFlight);
      expect(results + queued).toBe(200);
      // Each answer it was billed for is stored, once.
      expect(simulator.stats().byStatus['200'] ?? 0).toBe(results);
      expect(simulator.stats().requests).toBe(results);
    } finally {
      await queue.close();
      await simulator.close();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
