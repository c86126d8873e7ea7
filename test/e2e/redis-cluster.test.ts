import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAccountStates } from '../../src/accounts/state.ts';
import { getBatch } from '../../src/batches/batch-store.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { freePort } from '../../src/lib/free-port.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { openKeys } from '../../src/redis/shards.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { expectOneAnswerEach } from '../helpers/batch-checks.ts';
import { clusterUnavailable, reshard, startTestCluster, type TestCluster } from '../helpers/redis-cluster.ts';
import { dropPrefix, testPrefix } from '../helpers/redis.ts';
import { anthropicLine, startHarness } from '../scheduler/harness.ts';

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const unavailable = clusterUnavailable();
// CI installs redis-server, so there a missing binary is a failure, not a skip.
if (unavailable !== null && process.env.CI) throw new Error(`the Redis Cluster tests cannot run: ${unavailable}`);

describe.skipIf(unavailable !== null)('relayq on a Redis Cluster of three masters', () => {
  let cluster: TestCluster;
  let simulator: RunningSimulator;
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    simulator = await startSimulator({ latencyMs: 20 });
    redis = createRedis(cluster.url);
  }, 60_000);

  afterAll(async () => {
    await simulator?.close();
    if (redis) for (const prefix of prefixes) await dropPrefix(redis, prefix);
    redis?.disconnect();
    await cluster?.stop();
  });

  /** Submits `total` prompts under `prefix`, a config for workers, and checks on the finished batch. */
  async function batchOf(prefix: string, total: number, worker: Record<string, unknown> = {}) {
    prefixes.push(prefix);
    const dir = tempDir('relayq-cluster');
    const file = writePromptFile(
      dir,
      Array.from({ length: total }, (_, i) => anthropicBatchLine(`c${i}`, promptText(i))),
    );
    const config = writeConfig(dir, {
      redis: { prefix },
      worker: { concurrency: 16, ...worker },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-test' }],
    });
    // The prefix's shards as every process will see them (six: the default on a cluster).
    const keys = await openKeys(redis, prefix);
    const queue = new PromptQueues(keys, createRedis(cluster.url));
    const billedBefore = simulator.stats().byStatus['200'] ?? 0;
    const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
    expect(report.accepted).toBe(total);
    return {
      config,
      keys,
      queue,
      batchId: report.batchId,
      results: () => redis.hlen(keys.batchResults(report.batchId)),
      billed: () => (simulator.stats().byStatus['200'] ?? 0) - billedBefore,
      /** Waits for the batch to complete; a timeout says where its prompts and jobs were. */
      async untilCompleted(timeoutMs: number): Promise<void> {
        const done = async () => (await getBatch(redis, keys, report.batchId))?.status === 'completed';
        try {
          await until(done, timeoutMs, 'the batch to complete');
        } catch (error) {
          const counts = (await getBatch(redis, keys, report.batchId))?.counts;
          const jobs = await queue.getJobCounts('active', 'wait', 'delayed', 'failed', 'completed');
          throw new Error(`${(error as Error).message}: batch ${JSON.stringify(counts)}, jobs ${JSON.stringify(jobs)}`);
        }
      },
      async expectOneResultEach(): Promise<void> {
        await expectOneAnswerEach(redis, keys, report.batchId, total);
        const counts = await queue.getJobCounts('active', 'wait', 'delayed', 'failed');
        expect(counts).toEqual({ active: 0, wait: 0, delayed: 0, failed: 0 });
      },
    };
  }

  function startWorker(config: string, url: string) {
    const child = spawnCli(['worker', '-c', config], { env: { REDIS_URL: url } });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exit, stderr: () => stderr };
  }

  it('runs a batch through two workers seeded by a redis:// URL of a node that does not serve its slot', async () => {
    const prefix = testPrefix('cluster-run');
    const batch = await batchOf(prefix, 600);
    const owner = await cluster.ownerOf(await cluster.slotOf(batch.keys.batch(batch.batchId)));
    const other = (await cluster.masters()).find((master) => master.id !== owner.id);
    // A plain redis:// URL of one node: relayq sees it is a cluster node and uses a cluster client.
    const url = `redis://127.0.0.1:${other?.port}`;
    const workers = [startWorker(batch.config, url), startWorker(batch.config, url)];
    try {
      await batch.untilCompleted(60_000);
    } finally {
      for (const worker of workers) worker.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((worker) => worker.exit))).toEqual([0, 0]);
      await batch.queue.close();
    }
    expect(workers.map((worker) => worker.stderr())).not.toContainEqual(expect.stringMatching(/MOVED|ASK|CROSSSLOT/));
    await batch.expectOneResultEach();
    expect(batch.billed()).toBe(600);
  });

  it("moves the batch's slot to another master while it runs, losing and repeating nothing", async () => {
    const batch = await batchOf(testPrefix('cluster-move'), 3000, { lockDurationMs: 5000, stalledIntervalMs: 2000 });
    // The batch's shard: its keys and one of the prompt queues. `redis-cli --cluster reshard`
    // moves a master's lowest slots: the slots below it go first, before the workers start.
    const slot = await cluster.slotOf(batch.keys.batch(batch.batchId));
    expect(batch.keys.promptQueuePrefixes.map((prefix) => calculateSlot(prefix))).toContain(slot);
    const source = await cluster.ownerOf(slot);
    const target = (await cluster.masters()).find((master) => master.id !== source.id)!;
    const below = source.slots.reduce((sum, [first, last]) => sum + Math.max(0, Math.min(last, slot - 1) - first + 1), 0);
    if (below > 0) await reshard(source, target, below);
    const workers = [startWorker(batch.config, cluster.url), startWorker(batch.config, cluster.url)];
    try {
      await until(async () => (await batch.results()) >= 300, 30_000, '300 results');
      await reshard(source, target);
      expect((await cluster.ownerOf(slot)).id).toBe(target.id);
      expect(await batch.results()).toBeLessThan(3000);
      await batch.untilCompleted(90_000);
    } finally {
      for (const worker of workers) worker.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((worker) => worker.exit))).toEqual([0, 0]);
      await batch.queue.close();
    }
    await batch.expectOneResultEach();
    expect(batch.billed()).toBe(3000);
  }, 150_000);

  it('loses nothing when a worker is killed mid-batch: another finishes it, one result each', async () => {
    const total = 1500;
    const batch = await batchOf(testPrefix('cluster-crash'), total, { lockDurationMs: 2000, stalledIntervalMs: 1000 });
    const first = startWorker(batch.config, cluster.url);
    await until(async () => (await batch.results()) >= 200, 30_000, 'the first worker to store 200 results');
    first.child.kill('SIGKILL');
    await first.exit;
    await until(async () => simulator.stats().inFlight === 0, 10_000, "the dead worker's calls to end");
    const afterKill = await batch.results();
    expect(afterKill).toBeLessThan(total);
    // Answers billed whose result the dead worker never stored: only these prompts may run twice.
    const lost = batch.billed() - afterKill;
    expect(lost).toBeGreaterThanOrEqual(0);
    const second = startWorker(batch.config, cluster.url);
    try {
      await batch.untilCompleted(90_000);
    } finally {
      second.child.kill('SIGTERM');
      await second.exit;
      await batch.queue.close();
    }
    await batch.expectOneResultEach();
    expect(batch.billed()).toBe(total + lost);
  }, 150_000);

  it("keeps two workers within the accounts' limits (admission and settle scripts on the cluster): no 429", async () => {
    const keys = ['sk-a', 'sk-b'];
    const harness = await startHarness({
      name: 'cluster-limits',
      redisUrl: cluster.url,
      simulator: { latencyMs: 20, burstSeconds: 2, acceptAnyKey: false, keys: keys.map((key) => ({ key, limits: { rpm: 600 } })) },
      config: (url) => ({
        worker: { concurrency: 16 },
        accounts: keys.map((key, i) => ({ id: `acct-${i}`, provider: 'anthropic', baseUrl: url, apiKey: key, limits: { rpm: 600 } })),
      }),
      workers: 2,
    });
    try {
      const total = 70;
      const batchId = await harness.submit(Array.from({ length: total }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
      await until(async () => (await harness.batch(batchId)).counts.pending === 0, 30_000, 'the batch to finish');
      expect(harness.simulator.stats().byStatus['429'] ?? 0).toBe(0);
      const results = await harness.results(batchId);
      expect(results.filter((record) => record.status === 'succeeded' && record.attempts === 1)).toHaveLength(total);
      expect(new Set(results.map((record) => record.account))).toEqual(new Set(['acct-0', 'acct-1']));
      const states = await readAccountStates(harness.redis, harness.keys, ['acct-0', 'acct-1']);
      expect(states.map((state) => state.counters.admitted).reduce((a, b) => a + b, 0)).toBe(total);
    } finally {
      await harness.close();
    }
  }, 60_000);

  it('exits with a clear error when no node of the cluster answers', async () => {
    const port = await freePort();
    const result = await runCli(['accounts', 'list'], { env: { REDIS_URL: `redis+cluster://127.0.0.1:${port}` } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Redis at redis+cluster://127.0.0.1:${port} does not answer (127.0.0.1:${port}: ECONNREFUSED)`);
  });
});
