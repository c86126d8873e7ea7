/**
 * Chaos: a batch of a few thousand prompts runs through two worker processes while the Redis
 * under them is killed with SIGKILL and started again from its append-only file (fsynced on
 * every write), twice, and the upstream injects 529s, 500s, 429s, dropped connections and cut
 * streams. Afterwards every prompt has exactly one result, answering its own prompt, and every
 * token is counted once: in the batch record, in the daily usage table and in the results.
 *
 * An upstream call may legitimately be made twice (a worker's lock expired while Redis was down
 * and another worker ran the prompt again); what must hold is one result per prompt and usage
 * counted once per result.
 */
import type { ChildProcess } from 'node:child_process';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import { rmSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch, type BatchInfo } from '../../src/batches/batch-store.ts';
import { scanResults, type ResultRecord } from '../../src/batches/results.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { composeAnswer, inputTokensOf, simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { readBatchUsage } from '../../src/usage/usage-store.ts';
import { spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { hasRedisServer, startOwnRedis, type OwnRedis } from '../helpers/own-redis.ts';
import { testPrefix } from '../helpers/redis.ts';

const total = 2000;
const maxTokens = 200;
/** Every fifth prompt is streamed, so cut streams and errors inside streams happen too. */
const streamed = (n: number) => n % 5 === 0;
/** The Redis kills: when this share of the prompts has a result, and how long Redis stays down. */
const outages = [
  { at: 0.25, downMs: 3_000 },
  { at: 0.6, downMs: 3_000 },
];
/** Bounds of each phase: a hang fails the test instead of stalling CI. */
const phaseTimeoutMs = 90_000;

function body(n: number) {
  return { model: 'claude-test', max_tokens: maxTokens, messages: [{ role: 'user', content: promptText(n) }] };
}

/** The usage the simulator bills for prompt n (a pure function of the request). */
function billed(n: number): { input: number; output: number } {
  return {
    input: inputTokensOf(body(n)),
    output: composeAnswer(simulatedAnswer(promptText(n)), maxTokens, undefined).outputTokens,
  };
}

function textOf(record: ResultRecord): string {
  const content = (record.response?.body as { content?: { type: string; text: string }[] } | undefined)?.content ?? [];
  return content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = phaseTimeoutMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A command queued while Redis is down waits for the reconnect: race it against the deadline.
    const answer = await Promise.race([
      check(),
      new Promise<'late'>((done) => setTimeout(() => done('late'), Math.max(1, deadline - Date.now()))),
    ]);
    if (answer === true) return;
    if (answer === 'late' || Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** A worker process and the tail of what it logged (shown when the test fails). */
interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  log(): string;
}

function spawnWorker(config: string, redisUrl: string): WorkerProcess {
  const child = spawnCli(['worker', '-c', config], { env: { REDIS_URL: redisUrl } });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { child, exited, log: () => log };
}

const runnable = hasRedisServer() || process.env.CI !== undefined;

describe.skipIf(!runnable)('a batch through two workers while Redis is killed with SIGKILL and restarted from its AOF', () => {
  let dir: string;
  const prefix = testPrefix('chaos');
  const keys = createKeys(prefix);
  let own: OwnRedis;
  let simulator: RunningSimulator;
  let redis: Redis;
  let queue: PromptQueues;
  let queueConnection: Redis;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dir = tempDir('relayq-chaos');
    own = await startOwnRedis({ dir });
    redis = createRedis(own.url);
    // Refused connections while Redis is down are expected; the commands wait for the reconnect.
    redis.on('error', () => {});
    queueConnection = createRedis(own.url);
    queueConnection.on('error', () => {});
    queue = new PromptQueues(keys, queueConnection);
    queue.onError(() => {});
    // 5xx, dropped connections and cut streams cost the prompt an attempt; 429s and 529s also cool
    // the whole account down (for the retry-after, or a back-off), so they are rarer: at a few
    // percent the accounts would be cooling down most of the time and the batch would take minutes.
    simulator = await startSimulator({
      latencyMs: 5,
      faults: {
        seed: 10,
        overloadedRate: 0.003,
        serverErrorRate: 0.03,
        rateLimitRate: 0.002,
        dropRate: 0.03,
        cutStreamRate: 0.03,
        rateLimitRetryAfterSeconds: 1,
      },
    });
  });

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    // Not queue.close(): it would wait for a Redis that a failed test may have left down.
    queueConnection?.disconnect();
    redis?.disconnect();
    await own?.close();
    await simulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ends every prompt with exactly one result, its usage counted once: 0 lost, 0 doubled', async () => {
    const startedAt = Date.now();
    const lines = Array.from({ length: total }, (_, n) => anthropicBatchLine(`c${n}`, promptText(n), streamed(n) ? { stream: true } : {}));
    const file = writePromptFile(dir, lines);
    const config = writeConfig(dir, {
      redis: { prefix },
      // Short locks: jobs whose worker lost them while Redis was down come back within seconds.
      worker: { concurrency: 32, attempts: 10, lockDurationMs: 3_000, stalledIntervalMs: 1_000 },
      accounts: [
        { id: 'open', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-chaos-open' },
        // Concurrency leases live in Redis: they must survive the kills too.
        { id: 'leased', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-chaos-leased', limits: { concurrency: 16 } },
      ],
    });
    const report = await submitFile(redis, queue, keys, file, { attempts: 10 });
    expect(report.accepted).toBe(total);
    const batchId = report.batchId;
    const results = () => redis.hlen(keys.batchResults(batchId));

    workers.push(spawnWorker(config, own.url), spawnWorker(config, own.url));
    const describeWorkers = () =>
      workers.map((worker, i) => `--- worker ${i} (exit ${worker.child.exitCode ?? worker.child.signalCode}):\n${worker.log()}`).join('\n');

    try {
      let lastRestart = 0;
      for (const outage of outages) {
        await until(async () => (await results()) >= total * outage.at, `${outage.at * 100}% of the results`);
        // Acknowledged by Redis before the kill: must still be there after the restart.
        const acknowledged = await results();
        await own.kill();
        await new Promise((done) => setTimeout(done, outage.downMs));
        await own.restart();
        lastRestart = Date.now();
        expect(await results()).toBeGreaterThanOrEqual(acknowledged);
      }
      // Both workers reconnected: each heartbeats again after the last restart.
      await until(
        async () => (await redis.zcount(keys.schedWorkers(), lastRestart, '+inf')) >= 2,
        'both workers to heartbeat after the restart',
      );
      await until(async () => (await getBatch(redis, keys, batchId))?.status === 'completed', 'the batch to complete');
      // Prompts run a second time (their lock expired during the outage) find their result and end.
      await until(async () => (await queue.getJobCountByTypes('active', 'waiting', 'delayed', 'prioritized')) === 0, 'the queue to drain');
    } catch (error) {
      console.error(describeWorkers());
      throw error;
    }
    for (const worker of workers) expect(worker.child.exitCode, describeWorkers()).toBeNull();

    const batch = (await getBatch(redis, keys, batchId)) as BatchInfo;
    const records: ResultRecord[] = [];
    for await (const record of scanResults(redis, keys, batchId)) records.push(record);
    const byId = new Map<string, ResultRecord[]>();
    for (const record of records) byId.set(record.custom_id, [...(byId.get(record.custom_id) ?? []), record]);
    const lost = Array.from({ length: total }, (_, n) => `c${n}`).filter((id) => !byId.has(id));
    const doubled = [...byId].filter(([, found]) => found.length > 1).map(([id]) => id);
    const done = await redis.lrange(keys.batchDone(batchId), 0, -1);
    const doneTwice = done.length - new Set(done).size;

    let input = 0;
    let output = 0;
    let expectedInput = 0;
    let expectedOutput = 0;
    for (let n = 0; n < total; n += 1) {
      const expected = billed(n);
      expectedInput += expected.input;
      expectedOutput += expected.output;
    }
    for (const record of records) {
      input += record.usage.input_tokens;
      output += record.usage.output_tokens;
    }
    const upstream = simulator.stats();
    const upstreamSucceeded = Object.values(upstream.byKey).reduce((sum, key) => sum + key.succeeded, 0);
    console.log(
      `chaos: ${total} prompts, ${outages.length} Redis kills, ${lost.length} lost, ${doubled.length + doneTwice} doubled; ` +
        `${upstream.requests} upstream calls (${upstreamSucceeded} answered, ${upstreamSucceeded - records.length} answers run twice), ` +
        `faults ${JSON.stringify(upstream.faults)}, at most ${Math.max(...records.map((record) => record.attempts))} attempts, ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );

    // 0 lost, 0 doubled.
    expect(lost).toEqual([]);
    expect(doubled).toEqual([]);
    expect(records).toHaveLength(total);
    expect(await redis.hlen(keys.batchLines(batchId))).toBe(total);
    expect(done).toHaveLength(total);
    expect(doneTwice).toBe(0);
    // The faults were drawn, and retried until they succeeded.
    expect(Object.keys(upstream.faults).length).toBeGreaterThan(0);
    expect(
      records.filter((record) => record.status !== 'succeeded').map((record) => [record.custom_id, record.status, record.error]),
    ).toEqual([]);
    expect(batch.counts).toEqual({ total: total, succeeded: total, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
    expect(await redis.scard(keys.batchErrored(batchId))).toBe(0);
    expect(await queue.getFailedCount()).toBe(0);

    // Each result answers its own prompt, with the usage upstream billed for it.
    for (const record of records) {
      const n = Number(record.custom_id.slice(1));
      expect(textOf(record)).toBe(simulatedAnswer(promptText(n)));
      const expected = billed(n);
      expect([record.usage.input_tokens, record.usage.output_tokens]).toEqual([expected.input, expected.output]);
    }

    // Usage counted once: results, batch record and daily usage table agree with one bill per prompt.
    expect([input, output]).toEqual([expectedInput, expectedOutput]);
    expect(batch.usage).toMatchObject({ input_tokens: expectedInput, output_tokens: expectedOutput });
    const rows = await readBatchUsage(redis, keys, [batch]);
    const table = rows.reduce(
      (sum, row) => ({
        requests: sum.requests + row.requests,
        input: sum.input + row.input_tokens,
        output: sum.output + row.output_tokens,
      }),
      { requests: 0, input: 0, output: 0 },
    );
    expect(table).toEqual({ requests: total, input: expectedInput, output: expectedOutput });
    // Upstream answered every prompt at least once; a second answer is billed by upstream but is no second result.
    expect(upstreamSucceeded).toBeGreaterThanOrEqual(total);
    expect(upstream.totals.inputTokens).toBeGreaterThanOrEqual(expectedInput);
  }, 300_000);
});
