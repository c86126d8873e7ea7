/**
 * `npm run bench -- scheduling [--scenario requests|minute|tokens|learned] [--runners naive,peer,relayq] [--prompts N] [--workers N]`
 *
 * Rate-limit-aware scheduling against the simulator with strict limits: 3 accounts of 20
 * requests/s (1,200/min) each and 200 ms latency. In each scenario, in the same run:
 *
 *  (a) naive baseline: one process, fixed concurrency 32, accounts in turn, SDK-style retries
 *      (2 retries honouring retry-after, else 0.5·2^n s backoff with jitter);
 *  (b) the strongest peer (requests and minute): BullMQ workers in `--workers` processes calling
 *      through a Redis-clustered Bottleneck limiter per key (`minTime` pacing), keys round robin,
 *      the same SDK-style retries (bench/peers/bottleneck-worker.ts);
 *  (c) relayq: `--workers` worker processes (default 3) at concurrency 64 each.
 *
 * Scenarios: `requests` (2-second buckets, requests/min binding, limits in the config),
 * `minute` (buckets holding a full minute, as Anthropic documents them, 100 calls in flight per
 * key, 1,800 prompts: the whole batch fits in the buckets), `tokens` (output tokens/min binding),
 * `learned` (limits left out of the config: learned from headers and 429s).
 * Ideal time = work ÷ summed steady capacity of the binding dimension. Possible time = what full
 * buckets at the start allow: the work beyond the buckets' content at the steady rate, or the
 * waves of calls the upstream's concurrency allows, whichever is longer, plus one latency.
 * Targets: requests within 1.05× of possible, minute within 3× of possible, tokens within 1.10×
 * of ideal, each with at most 1% of upstream calls answered 429 and no failed prompt; learned
 * within 1.25× of ideal and at most 5% 429s after the first 30 seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PromptQueues } from '../src/batches/prompt-queues.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { getBatch } from '../src/batches/batch-store.ts';
import { submitFile } from '../src/ingest/submit.ts';
import { createRedis } from '../src/redis/connection.ts';
import { createKeys } from '../src/redis/keys.ts';
import type { SimulatorStats } from '../src/simulator/stats.ts';
import { argValue, benchRedis, startSimulatorProcess, table } from './support.ts';

type ScenarioName = 'requests' | 'minute' | 'tokens' | 'learned';
const scenarioNames: readonly ScenarioName[] = ['requests', 'minute', 'tokens', 'learned'];

interface Limits {
  rpm: number;
  outputTpm?: number;
  concurrency?: number;
}
interface Scenario {
  name: ScenarioName;
  /** What the simulator enforces per key. */
  simLimits: Limits;
  /** What relayq's config says (null: nothing, relayq learns). */
  configLimits: Limits | null;
  /** Filler words per answer (output tokens ≈ 55 with 40). */
  words: number;
  maxTokens: number;
  /** Seconds of refill the simulator's buckets hold. */
  burstSeconds: number;
  /** Prompts when --prompts is not given. */
  prompts: number;
  /** Run the Bottleneck peer too. */
  peer: boolean;
  /**
   * `against`: the ideal (steady rate) or the possible time (full buckets at the start).
   * `afterStart`: the 429 share counts only after the first 30 s (limits are being learned then).
   */
  target: { ratio: number; against: 'ideal' | 'possible'; rate429: number; afterStart?: boolean };
}

const accounts = 3;
const rpm = 1_200;
const latencyMs = 200;
const common = { burstSeconds: 2, prompts: 2_400, peer: false };
const scenarios: Record<ScenarioName, Scenario> = {
  requests: {
    name: 'requests',
    ...common,
    peer: true,
    simLimits: { rpm },
    configLimits: { rpm },
    words: 0,
    maxTokens: 64,
    target: { ratio: 1.05, against: 'possible', rate429: 0.01 },
  },
  minute: {
    name: 'minute',
    ...common,
    burstSeconds: 60,
    prompts: 1_800,
    peer: true,
    simLimits: { rpm, concurrency: 100 },
    configLimits: { rpm },
    words: 0,
    maxTokens: 64,
    target: { ratio: 3, against: 'possible', rate429: 0.01 },
  },
  // About 55 output tokens per answer: 49,500/min ≈ 15 answers/s per account, below the 20 requests/s.
  tokens: {
    name: 'tokens',
    ...common,
    simLimits: { rpm, outputTpm: 49_500 },
    configLimits: { rpm, outputTpm: 49_500 },
    words: 40,
    maxTokens: 128,
    target: { ratio: 1.1, against: 'ideal', rate429: 0.01 },
  },
  learned: {
    name: 'learned',
    ...common,
    simLimits: { rpm },
    configLimits: null,
    words: 0,
    maxTokens: 64,
    target: { ratio: 1.25, against: 'ideal', rate429: 0.05, afterStart: true },
  },
};

export interface RunResult {
  ms: number;
  failed: number;
  stats: SimulatorStats;
  /** 429 share after the first 30 s (learned scenario). */
  late429: number | null;
  /** What `probe` measured from just before the submit to the batch's end (workers' start and cleanup left out). */
  probed: number | null;
}

export default async function scheduling(args: string[]): Promise<void> {
  const promptsArg = args.includes('--prompts') ? argValue(args, '--prompts', 1) : 0;
  const workers = argValue(args, '--workers', 3);
  const concurrency = argValue(args, '--concurrency', 64);
  const baselineConcurrency = argValue(args, '--baseline-concurrency', 32);
  const only = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1] : undefined;
  // --runners relayq,peer,naive: which runners to time (all by default).
  const runners = new Set((args.includes('--runners') ? String(args[args.indexOf('--runners') + 1]) : 'naive,peer,relayq').split(','));
  const chosen = scenarioNames.filter((name) => only === undefined || name === only);
  if (chosen.length === 0) throw new Error(`--scenario wants one of ${scenarioNames.join(', ')}`);
  const redisInfo = await benchRedis();
  const redis = createRedis(redisInfo.url);
  const dir = mkdtempSync(join(tmpdir(), 'relayq-sched-'));
  const run = `sched-${Date.now().toString(36)}`;
  console.error(
    `bench scheduling: ${accounts} accounts of ${rpm / 60} requests/s (${latencyMs} ms latency); relayq and the peer ${workers} processes x ${concurrency}, baseline concurrency ${baselineConcurrency}; Redis ${redisInfo.url}`,
  );

  const rows: string[][] = [
    ['scenario', 'runner', 'wall s', 'ideal s', 'x ideal', 'possible s', 'x possible', '429s', '429 %', 'failed', 'verdict'],
  ];
  for (const name of chosen) {
    const scenario = scenarios[name];
    const prompts = promptsArg > 0 ? promptsArg : scenario.prompts;
    const simConfig = join(dir, `sim-${name}.yaml`);
    writeFileSync(
      simConfig,
      stringify({
        latencyMs,
        burstSeconds: scenario.burstSeconds,
        acceptAnyKey: false,
        keys: Array.from({ length: accounts }, (_, i) => ({ key: `sk-bench-${i}`, limits: scenario.simLimits })),
      }),
    );
    const simulator = await startSimulatorProcess(simConfig);
    try {
      const bodies = Array.from({ length: prompts }, (_, i) => ({
        model: 'claude-bench',
        max_tokens: scenario.maxTokens,
        messages: [
          {
            role: 'user',
            content: `Question ${i}: what is ${i} plus ${i}?${scenario.words > 0 ? ` [[sim:words=${scenario.words}]]` : ''}`,
          },
        ],
      }));

      if (runners.has('naive')) {
        await fetch(`${simulator.url}/_sim/reset`, { method: 'POST' });
        const baseline = await naive(simulator.url, bodies, baselineConcurrency);
        rows.push(row(scenario, `naive, concurrency ${baselineConcurrency}`, baseline, prompts));
      }

      if (scenario.peer && runners.has('peer')) {
        await fetch(`${simulator.url}/_sim/reset`, { method: 'POST' });
        const peer = await bottleneckPeer(redisInfo.url, redis, simulator.url, bodies, workers, concurrency, `${run}-${name}-peer`);
        rows.push(row(scenario, `BullMQ + Bottleneck, ${workers} x ${concurrency}`, peer, prompts));
      }

      await fetch(`${simulator.url}/_sim/reset`, { method: 'POST' });
      const file = join(dir, `prompts-${name}.jsonl`);
      writeFileSync(file, `${bodies.map((params, i) => JSON.stringify({ custom_id: `p${i}`, params })).join('\n')}\n`);
      const prefix = `${run}-${name}`;
      const configFile = join(dir, `relayq-${name}.yaml`);
      writeFileSync(
        configFile,
        stringify({
          redis: { prefix },
          worker: { concurrency, attempts: 5 },
          accounts: Array.from({ length: accounts }, (_, i) => ({
            id: `acct-${i}`,
            provider: 'anthropic',
            baseUrl: simulator.url,
            apiKey: `sk-bench-${i}`,
            ...(scenario.configLimits === null ? {} : { limits: scenario.configLimits }),
          })),
        }),
      );
      if (runners.has('relayq')) {
        const relayq = await relayqRun(redisInfo.url, redis, prefix, configFile, file, workers, simulator.url);
        rows.push(row(scenario, `relayq, ${workers} x ${concurrency}`, relayq, prompts));
        await dropKeys(redis, `{${prefix}}`);
      }
    } finally {
      await simulator.stop();
    }
  }
  console.log(table(rows));
  redis.disconnect();
  await redisInfo.stop();
}

/** Ideal seconds: the binding dimension's work over the accounts' summed steady capacity. */
function idealSeconds(scenario: Scenario, prompts: number, stats: SimulatorStats): number {
  const requests = prompts / ((accounts * scenario.simLimits.rpm) / 60);
  const outputTpm = scenario.simLimits.outputTpm;
  const tokens = outputTpm === undefined ? 0 : stats.totals.outputTokens / ((accounts * outputTpm) / 60);
  return Math.max(requests, tokens);
}

/**
 * Possible seconds with every bucket full at the start: per dimension, the work beyond what the
 * buckets hold at the steady rate; or the waves of calls the upstream's concurrency lets through;
 * whichever is longer, plus one latency for the last answers.
 */
function possibleSeconds(scenario: Scenario, prompts: number, stats: SimulatorStats): number {
  const beyond = (work: number, perMinute: number) => {
    const perSecond = (accounts * perMinute) / 60;
    return Math.max(0, work - perSecond * scenario.burstSeconds) / perSecond;
  };
  const outputTpm = scenario.simLimits.outputTpm;
  const limits = Math.max(
    beyond(prompts, scenario.simLimits.rpm),
    outputTpm === undefined ? 0 : beyond(stats.totals.outputTokens, outputTpm),
  );
  const inFlight = scenario.simLimits.concurrency === undefined ? Infinity : accounts * scenario.simLimits.concurrency;
  const waves = Number.isFinite(inFlight) ? (Math.ceil(prompts / inFlight) - 1) * (latencyMs / 1000) : 0;
  return Math.max(limits, waves) + latencyMs / 1000;
}

function row(scenario: Scenario, runner: string, result: RunResult, prompts: number): string[] {
  const ideal = idealSeconds(scenario, prompts, result.stats);
  const possible = possibleSeconds(scenario, prompts, result.stats);
  const against = scenario.target.against === 'ideal' ? ideal : possible;
  const seconds = result.ms / 1000;
  const limited = result.stats.byStatus['429'] ?? 0;
  const share = limited / Math.max(1, result.stats.requests);
  const judged = scenario.target.afterStart === true ? (result.late429 ?? share) : share;
  const pass = seconds / against <= scenario.target.ratio && judged <= scenario.target.rate429 && result.failed === 0;
  const late = scenario.target.afterStart === true && result.late429 !== null ? ` (${(result.late429 * 100).toFixed(2)} after 30 s)` : '';
  return [
    scenario.name,
    runner,
    seconds.toFixed(1),
    ideal.toFixed(1),
    (seconds / ideal).toFixed(2),
    possible.toFixed(1),
    (seconds / possible).toFixed(2),
    String(limited),
    `${(share * 100).toFixed(2)}${late}`,
    `${result.failed} (${((result.failed / prompts) * 100).toFixed(1)} %)`,
    runner.startsWith('relayq')
      ? `${pass ? 'meets' : 'MISSES'} <= ${scenario.target.ratio}x ${scenario.target.against}, <= ${scenario.target.rate429 * 100} % 429s${scenario.target.afterStart === true ? ' after 30 s' : ''}, 0 failed`
      : '',
  ];
}

/** The naive client: fixed concurrency, accounts in turn, 2 SDK-style retries. */
async function naive(url: string, bodies: Record<string, unknown>[], concurrency: number): Promise<RunResult> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < bodies.length) {
      const index = next++;
      let ok = false;
      for (let retry = 0; retry <= 2 && !ok; retry += 1) {
        const response = await request(`${url}/v1/messages`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'x-api-key': `sk-bench-${index % accounts}`, 'anthropic-version': '2023-06-01' },
          body: JSON.stringify(bodies[index]),
        }).catch(() => null);
        if (response === null) continue;
        await response.body.text();
        ok = response.statusCode === 200;
        const retryable = response.statusCode === 429 || response.statusCode >= 500 || response.statusCode === 408;
        if (ok || !retryable || retry === 2) break;
        const header = Number(response.headers['retry-after']);
        const waitMs =
          Number.isFinite(header) && header <= 60 ? header * 1000 : Math.min(500 * 2 ** retry, 8_000) * (1 - Math.random() * 0.25);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
      if (!ok) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ms = performance.now() - started;
  await agent.close();
  return { ms, failed, stats: await simStats(url), late429: null, probed: null };
}

/**
 * The Bottleneck peer (bench/peers/bottleneck-worker.ts) in `processes` processes; timed from
 * adding the jobs (the workers already wait) to the last job completed or failed.
 */
async function bottleneckPeer(
  redisUrl: string,
  redis: ReturnType<typeof createRedis>,
  simulatorUrl: string,
  bodies: Record<string, unknown>[],
  processes: number,
  concurrency: number,
  name: string,
): Promise<RunResult> {
  const queueName = `peer-${randomUUID().slice(0, 8)}`;
  const prefix = `{${name}}`;
  const limiterId = `${name}-limiter`;
  const options = {
    redisUrl,
    queue: queueName,
    prefix,
    upstream: simulatorUrl,
    keys: Array.from({ length: accounts }, (_, i) => `sk-bench-${i}`),
    rpm,
    concurrency,
    limiterId,
  };
  const children = await Promise.all(
    Array.from({ length: processes }, () => {
      const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/peers/bottleneck-worker.ts', JSON.stringify(options)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.stdout?.once('data', () => {
          child.stdout?.resume();
          resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`a peer worker exited with ${code} before it was ready`)));
      });
    }),
  );
  const queue = new Queue(queueName, { connection: createRedis(redisUrl), prefix });
  try {
    const started = performance.now();
    await queue.addBulk(bodies.map((body, index) => ({ name: 'prompt', data: { index, body }, opts: { removeOnComplete: true } })));
    for (;;) {
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized');
      if ((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ms = performance.now() - started;
    const failed = (await queue.getJobCounts('failed')).failed ?? 0;
    return { ms, failed, stats: await simStats(simulatorUrl), late429: null, probed: null };
  } finally {
    await Promise.all(children.map(stopProcess));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await dropKeys(redis, prefix);
    await dropKeys(redis, `b_${limiterId}`);
  }
}

/** Runs a prompt file through `workers` relayq worker processes; resolves when the batch has nothing pending. */
export async function relayqRun(
  redisUrl: string,
  redis: ReturnType<typeof createRedis>,
  prefix: string,
  configFile: string,
  file: string,
  workers: number,
  simulatorUrl: string,
  probe?: () => Promise<number>,
): Promise<RunResult> {
  const children = await Promise.all(Array.from({ length: workers }, () => startWorkerProcess(configFile, redisUrl)));
  const keys = createKeys(prefix);
  const queue = new PromptQueues(keys, createRedis(redisUrl));
  try {
    const probedBefore = probe === undefined ? null : await probe();
    const started = performance.now();
    let at30: SimulatorStats | null = null;
    const thirty = setTimeout(() => void simStats(simulatorUrl).then((stats) => (at30 = stats)), 30_000);
    const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
    for (;;) {
      const batch = await getBatch(redis, keys, report.batchId);
      if (batch !== null && batch.counts.pending === 0 && batch.ingest === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ms = performance.now() - started;
    const probed = probe === undefined || probedBefore === null ? null : (await probe()) - probedBefore;
    clearTimeout(thirty);
    const stats = await simStats(simulatorUrl);
    const batch = await getBatch(redis, keys, report.batchId);
    const early = at30 as SimulatorStats | null;
    const late429 =
      early === null ? null : ((stats.byStatus['429'] ?? 0) - (early.byStatus['429'] ?? 0)) / Math.max(1, stats.requests - early.requests);
    return { ms, failed: batch?.counts.errored ?? 0, stats, late429, probed };
  } finally {
    await Promise.all(children.map(stopProcess));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}

/**
 * `relayq worker` in its own process; resolves once it logged that it started. One that has not
 * started within `timeoutMs` (a Redis it cannot reach) is killed and the promise rejects.
 */
export function startWorkerProcess(configFile: string, redisUrl: string, timeoutMs = 60_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'cli.ts', 'worker', '-c', configFile], {
    env: { ...process.env, REDIS_URL: redisUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      reject(new Error(`a worker did not start in ${timeoutMs / 1000} s:\n${log.slice(-2000)}`));
      child.kill('SIGKILL');
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('"worker started"')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`a worker exited with ${code} before starting:\n${log.slice(-2000)}`));
    });
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function simStats(url: string): Promise<SimulatorStats> {
  return (await (await fetch(`${url}/_sim/stats`)).json()) as SimulatorStats;
}

export async function dropKeys(redis: ReturnType<typeof createRedis>, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${pattern}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}
