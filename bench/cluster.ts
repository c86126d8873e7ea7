/**
 * `npm run bench -- cluster [--prompts N] [--batches B] [--limits]`
 *
 * How relayq's Redis work spreads over the masters of a Redis Cluster. The same workload,
 * B batches (6) of N prompts (2,000) each submitted at once and run by 2 relayq worker
 * processes (concurrency 64 each) against the simulator at zero latency, an account without
 * limits (`--limits`: six accounts with limits far above the load, so every call also runs the
 * admission and settle scripts), first on a cluster of 1 master, then on one of 3 masters, each cluster of its own
 * (redis-server processes on free ports, test/helpers/redis-cluster.ts). Per run: Redis CPU
 * (`used_cpu_sys` + `used_cpu_user` from INFO cpu) per prompt on each master from before the
 * submits to the last batch's end, their total, the busiest master's share of the total,
 * prompts/s and failed prompts. Target: on 3 masters the busiest carries at most 45% of the total.
 * The prefix gets the cluster's default of six batch shards (src/redis/keys.ts), on 1 master as
 * on 3: the batches and the prompt queues spread over the shards, the shards over the masters.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { PromptQueues } from '../src/batches/prompt-queues.ts';
import { getBatch, isTerminal, type BatchInfo } from '../src/batches/batch-store.ts';
import { submitFile } from '../src/ingest/submit.ts';
import { createRedis } from '../src/redis/connection.ts';
import type { Keys } from '../src/redis/keys.ts';
import { openKeys } from '../src/redis/shards.ts';
import { clusterUnavailable, startRedisCluster } from '../test/helpers/redis-cluster.ts';
import { startWorkerProcess, stopProcess } from './scheduling.ts';
import { argValue, redisCpuSeconds, startSimulatorProcess, table } from './support.ts';

const workers = 2;
const concurrency = 64;
const clusterSizes = [1, 3];
/** On the largest cluster, the busiest master's share of the Redis CPU at most. */
const targetShare = 0.45;
/** A run that has not finished by then is stuck (12,000 prompts take some 10-30 s here). */
const runTimeoutMs = 10 * 60_000;

interface ClusterRun {
  masters: number;
  /** Redis CPU seconds of each master over the run, in slot order. */
  cpu: number[];
  seconds: number;
  failed: number;
}

export default async function cluster(args: string[]): Promise<void> {
  const prompts = argValue(args, '--prompts', 2_000);
  const batches = argValue(args, '--batches', 6);
  // --limits: six accounts with limits (far above what the run sends), so every call also goes
  // through the admission and settle scripts, on the tag of its account's group.
  const limits = args.includes('--limits') ? { rpm: 10_000_000, outputTpm: 1_000_000_000, burst: 60 } : undefined;
  const unavailable = clusterUnavailable();
  if (unavailable !== null) throw new Error(`bench cluster: ${unavailable}`);
  const dir = mkdtempSync(join(tmpdir(), 'relayq-cluster-bench-'));
  const files = Array.from({ length: batches }, (_, b) => {
    const file = join(dir, `prompts-${b}.jsonl`);
    const lines = Array.from({ length: prompts }, (_, i) =>
      JSON.stringify({
        custom_id: `p${i}`,
        params: { model: 'claude-bench', max_tokens: 16, messages: [{ role: 'user', content: `B${b} Q${i}` }] },
      }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  });
  const simConfig = join(dir, 'sim.yaml');
  writeFileSync(simConfig, stringify({ latencyMs: 0 }));
  const simulator = await startSimulatorProcess(simConfig);
  const prefix = `bench-cluster-${Date.now().toString(36)}`;
  console.error(
    `bench cluster: ${batches} batches x ${prompts} prompts at once, ${workers} workers x ${concurrency}, simulator at zero latency, ` +
      `${limits ? 'six accounts with limits' : 'an account without limits'}, clusters of ${clusterSizes.join(' and ')} masters of its own, prefix ${prefix}`,
  );
  const runs: ClusterRun[] = [];
  try {
    for (const masters of clusterSizes) {
      runs.push(await clusterRun(masters, prefix, files, prompts, simulator.url, dir, limits));
    }
  } finally {
    await simulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const total = batches * prompts;
  const single = runs[0] as ClusterRun;
  const us = (seconds: number): string => ((seconds / total) * 1e6).toFixed(0);
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
  const rows = [['masters', 'prompts/s', 'failed', 'Redis us/prompt per master', 'total', 'x 1 master', 'busiest share', 'verdict']];
  for (const run of runs) {
    const all = sum(run.cpu);
    const share = Math.max(...run.cpu) / all;
    const last = run.masters === clusterSizes.at(-1);
    rows.push([
      String(run.masters),
      (total / run.seconds).toFixed(0),
      String(run.failed),
      run.cpu.map(us).join(' / '),
      us(all),
      (all / sum(single.cpu)).toFixed(2),
      `${(share * 100).toFixed(0)} %`,
      last
        ? `${share <= targetShare && run.failed === 0 ? 'meets' : 'MISSES'} busiest <= ${targetShare * 100} % of the total, 0 failed`
        : '',
    ]);
  }
  console.log(table(rows));
}

/** The workload on a fresh cluster of `masters`; the cluster is stopped afterwards. */
async function clusterRun(
  masters: number,
  prefix: string,
  files: string[],
  prompts: number,
  simulatorUrl: string,
  dir: string,
  limits?: Record<string, number>,
): Promise<ClusterRun> {
  const cluster = await startRedisCluster({ masters });
  const redis = createRedis(cluster.url);
  // The prefix's shards: the default on a cluster, the same on 1 master as on 3.
  const keys = await openKeys(redis, prefix);
  const queueConnection = createRedis(cluster.url);
  const queue = new PromptQueues(keys, queueConnection);
  const nodes: Redis[] = [];
  const children: ChildProcess[] = [];
  try {
    // One plain connection per master, in slot order: INFO cpu is each node's own.
    for (const master of (await cluster.masters()).sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0))) {
      nodes.push(new Redis({ host: '127.0.0.1', port: master.port, maxRetriesPerRequest: 1 }));
    }
    const cpu = (): Promise<number[]> => Promise.all(nodes.map(redisCpuSeconds));
    const configFile = join(dir, `relayq-${masters}.yaml`);
    writeFileSync(
      configFile,
      stringify({
        redis: { cluster: cluster.ports.map((port) => `redis://127.0.0.1:${port}`), prefix },
        worker: { concurrency, attempts: 5 },
        accounts: limits
          ? Array.from({ length: 6 }, (_, n) => ({
              id: `sim-${n}`,
              provider: 'anthropic',
              baseUrl: simulatorUrl,
              apiKey: `sk-bench-${n}`,
              limits,
            }))
          : [{ id: 'sim', provider: 'anthropic', baseUrl: simulatorUrl, apiKey: 'sk-bench' }],
      }),
    );
    for (let n = 0; n < workers; n += 1) children.push(await startWorkerProcess(configFile, cluster.url));
    const before = await cpu();
    const started = performance.now();
    const batchIds = await Promise.all(files.map((file) => submitBatch(redis, queue, keys, file)));
    const finished = await untilEnded(redis, keys, batchIds, masters);
    const seconds = (performance.now() - started) / 1000;
    const after = await cpu();
    const succeeded = finished.reduce((sum, batch) => sum + batch.counts.succeeded, 0);
    console.error(`${masters} master${masters === 1 ? '' : 's'}: ${seconds.toFixed(1)} s`);
    // A prompt without a success counts as failed, and so does a line the submits did not accept.
    return { masters, cpu: after.map((value, n) => value - (before[n] as number)), seconds, failed: files.length * prompts - succeeded };
  } finally {
    try {
      await Promise.all(children.map(stopProcess));
      await queue.close();
      await dropPrefix(nodes, prefix);
    } finally {
      for (const node of nodes) node.disconnect();
      queueConnection.disconnect();
      redis.disconnect();
      await cluster.stop();
    }
  }
}

/** One batch from `file`: the one place that says how the submit reaches the prompt queue. */
async function submitBatch(redis: Redis, queue: PromptQueues, keys: Keys, file: string): Promise<string> {
  return (await submitFile(redis, queue, keys, file, { attempts: 5 })).batchId;
}

/** Waits until every batch has ended (completed, or failed, cancelled, expired); their last records. */
async function untilEnded(redis: Redis, keys: Keys, batchIds: string[], masters: number): Promise<BatchInfo[]> {
  const deadline = Date.now() + runTimeoutMs;
  for (;;) {
    const batches = await Promise.all(batchIds.map((id) => getBatch(redis, keys, id)));
    if (batches.every((batch) => batch !== null && isTerminal(batch.status))) return batches as BatchInfo[];
    if (Date.now() > deadline) {
      const states = batches.map((batch, n) => `${batchIds[n]} ${batch?.status ?? 'missing'} ${JSON.stringify(batch?.counts)}`);
      throw new Error(`on ${masters} masters the batches did not end in ${runTimeoutMs / 60_000} min:\n  ${states.join('\n  ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deletes the prefix's keys on every master (each key alone: they may sit in different slots). */
async function dropPrefix(nodes: Redis[], prefix: string): Promise<void> {
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await Promise.all(found.map((key) => node.unlink(key)));
    } while (cursor !== '0');
  }
}
