/**
 * The sharding rule, checked on what relayq really sends: no script call (relayq's own Lua or
 * BullMQ's) touches keys in two hash slots. A prefix with six batch shards on the test Redis,
 * watched with MONITOR while batches run through every script: ingest, results, a retry of
 * errored prompts, pause, resume, cancel, admission and settlement on a limited account, and a
 * prompt parked for its account and taken back. A Redis Cluster refuses such a call
 * (CROSSSLOT); a single Redis runs it, so this is where a new script that breaks the rule fails.
 */
import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { cancelBatch, pauseBatch, resumeBatch } from '../../src/batches/lifecycle.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { scriptSources } from '../../src/redis/scripts.ts';
import { tempDir, writePromptFile } from '../helpers/files.ts';
import { testRedis } from '../helpers/redis.ts';
import { anthropicLine, type Harness, openaiLine, startHarness, until } from '../scheduler/harness.ts';
import { promptText } from '../helpers/files.ts';

interface ScriptCall {
  script: string;
  keys: string[];
}

describe('the sharding rule', () => {
  let harness: Harness | undefined;
  let monitor: Redis | undefined;

  afterAll(async () => {
    monitor?.disconnect();
    await harness?.close();
  });

  it('no script call touches two slots, across every script relayq runs', async () => {
    harness = await startHarness({
      name: 'shard-rules',
      shards: 6,
      // Some answers fail (one attempt each): the retry has errored prompts to take back.
      simulator: { latencyMs: 20, faults: { seed: 7, serverErrorRate: 0.5 } },
      config: (url) => ({
        worker: { concurrency: 4, attempts: 1 },
        accounts: [
          // Four accounts with room to spare, in different account groups: each admission samples one group's.
          ...Array.from({ length: 4 }, (_, n) => ({
            id: `open-${n}`,
            provider: 'openai',
            baseUrl: url,
            apiKey: `sk-open-${n}`,
            limits: { rpm: 1_000_000 },
          })),
          // Limited: every call is admitted and settled; 6 a minute parks the second prompt for 10 s.
          { id: 'slow', provider: 'anthropic', baseUrl: url, apiKey: 'sk-slow', limits: { rpm: 6 } },
        ],
      }),
    });
    const h = harness;
    expect(h.keys.shards).toBe(6);
    expect(new Set([0, 1, 2, 3].map((n) => h.keys.accountGroupOf(`open-${n}`))).size).toBeGreaterThan(1);
    const shas = new Map(scriptSources().map(({ name, lua }) => [createHash('sha1').update(lua).digest('hex'), name]));
    // ioredis sends a script's first call on a connection as EVAL with the source, which MONITOR
    // shows escaped: compared without whitespace, quotes and escapes.
    const bare = (text: string) => text.replace(/\\[ntr]/g, '').replace(/[\s\\"']/g, '');
    const bySource = new Map(scriptSources().map(({ name, lua }) => [bare(lua), name]));
    const calls: ScriptCall[] = [];
    monitor = await testRedis().monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      const command = args[0]?.toLowerCase();
      if (command !== 'evalsha' && command !== 'eval') return;
      const keys = args.slice(3, 3 + Number(args[2]));
      if (!keys.some((key) => key.includes(h.prefix))) return;
      const script = command === 'evalsha' ? shas.get(args[1] ?? '') : bySource.get(bare(args[1] ?? ''));
      calls.push({ script: script ?? 'other', keys });
    });

    const dir = tempDir('relayq-shard-rules');
    const file = writePromptFile(
      dir,
      Array.from({ length: 30 }, (_, i) => openaiLine(`a${i}`, promptText(i))),
    );
    const first = await submitFile(h.redis, h.queue, h.keys, file, { attempts: 1 });
    const parked = await h.submit(Array.from({ length: 2 }, (_, i) => anthropicLine(`s${i}`, promptText(i))));
    await until(async () => (await h.batch(first.batchId)).status === 'completed', 'the first batch to complete');
    const errored = (await h.batch(first.batchId)).counts.errored;
    expect(errored).toBeGreaterThan(0);
    const retry = await submitFile(h.redis, h.queue, h.keys, file, { attempts: 1, batchId: first.batchId, retryErrored: true });
    expect(retry.retried).toBe(errored);
    await until(async () => (await h.batch(first.batchId)).status === 'completed', 'the retried batch to complete');

    const deps = { redis: h.redis, keys: h.keys, queue: h.queue };
    // Big enough to be still running when the pause comes (4 at a time, 20 ms each).
    const paused = await h.submit(Array.from({ length: 400 }, (_, i) => openaiLine(`p${i}`, promptText(i))));
    expect((await pauseBatch(deps, paused, { waitMs: 10_000 })).batch?.status).toBe('paused');
    await resumeBatch(deps, paused);
    expect((await cancelBatch(deps, paused, { waitMs: 10_000 })).batch?.status).toBe('cancelled');
    await until(async () => (await h.batch(parked)).counts.pending === 0, 'the parked prompt to be taken back and run', 20_000);

    const crossing = calls.filter(({ keys }) => new Set(keys.map((key) => calculateSlot(key))).size > 1);
    expect(crossing).toEqual([]);
    const seen = new Set(calls.map(({ script }) => script));
    for (const name of [
      'acceptLines',
      'finishIngest',
      'storeResults',
      'finalizeBatch',
      'transitionBatch',
      'pendingLines',
      'reopenResults',
      'admitAccount',
      'settleAccount',
      'parkJob',
      'unparkJobs',
    ]) {
      expect(seen, `${name} ran`).toContain(name);
    }
    // BullMQ's scripts ran too, on every shard's prompt queue.
    const queueSlots = new Set(h.keys.promptQueuePrefixes.map((prefix) => calculateSlot(prefix)));
    const used = new Set(calls.filter(({ script }) => script === 'other').flatMap(({ keys }) => keys.map((key) => calculateSlot(key))));
    for (const slot of queueSlots) expect(used).toContain(slot);
  }, 90_000);
});
