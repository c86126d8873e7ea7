/**
 * `npm run bench -- sizing [--prompts N] [--chars C]`
 *
 * The numbers behind the sizing rule in docs/architecture.md, on a redis-server of its own:
 * Redis memory per queued prompt (after the submit, before any worker runs), per retained
 * prompt (the batch finished, its results kept until its retention ends), and Redis CPU per
 * prompt over the whole run (submit, one worker x 64 against the simulator at zero latency, an
 * account without limits), printed as prompts/s one Redis core carries. Memory against the
 * input file's size, CPU against raw BullMQ's add + process of the same count (the floor any
 * BullMQ-based design pays).
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { PromptQueues } from '../src/batches/prompt-queues.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { stringify } from 'yaml';
import { getBatch } from '../src/batches/batch-store.ts';
import { submitFile } from '../src/ingest/submit.ts';
import { createRedis } from '../src/redis/connection.ts';
import { startEmbeddedRedis } from '../src/redis/embedded.ts';
import { createKeys } from '../src/redis/keys.ts';
import { startWorkerProcess, stopProcess } from './scheduling.ts';
import { argValue, redisCpuSeconds, startSimulatorProcess, table } from './support.ts';

export default async function sizing(args: string[]): Promise<void> {
  const prompts = argValue(args, '--prompts', 20_000);
  const chars = argValue(args, '--chars', 400);
  const dir = mkdtempSync(join(tmpdir(), 'relayq-sizing-'));
  const own = await startEmbeddedRedis(join(dir, 'redis'));
  const redis = createRedis(own.url);
  const simConfig = join(dir, 'sim.yaml');
  writeFileSync(simConfig, stringify({ latencyMs: 0 }));
  const simulator = await startSimulatorProcess(simConfig);
  console.error(`bench sizing: ${prompts} prompts of ~${chars} characters, 1 worker x 64, a redis-server of its own at ${own.url}`);
  const memory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const cpu = (): Promise<number> => redisCpuSeconds(redis);
  try {
    // The floor: raw BullMQ, the same count of jobs added and processed by a worker that does nothing.
    const raw = new Queue('raw', { connection: createRedis(own.url), prefix: '{bench-sizing-raw}' });
    const rawCpu = await cpu();
    for (let i = 0; i < prompts; i += 1000) {
      await raw.addBulk(Array.from({ length: Math.min(1000, prompts - i) }, (_, k) => ({ name: 'p', data: { n: i + k } })));
    }
    let done = 0;
    const rawWorker = new Worker('raw', async () => void (done += 1), {
      connection: createRedis(own.url),
      prefix: '{bench-sizing-raw}',
      concurrency: 64,
      removeOnComplete: { count: 0 },
    });
    while (done < prompts) await new Promise((resolve) => setTimeout(resolve, 50));
    const rawUs = (((await cpu()) - rawCpu) / prompts) * 1e6;
    await rawWorker.close();
    await raw.obliterate({ force: true });
    await raw.close();

    const prefix = 'bench-sizing';
    const keys = createKeys(prefix);
    const file = join(dir, 'prompts.jsonl');
    const filler = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27)).slice(0, chars);
    const lines = Array.from({ length: prompts }, (_, i) =>
      JSON.stringify({
        custom_id: `p${i}`,
        params: { model: 'claude-bench', max_tokens: 64, messages: [{ role: 'user', content: `${i} ${filler}` }] },
      }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const fileBytes = statSync(file).size;
    const configFile = join(dir, 'relayq.yaml');
    writeFileSync(
      configFile,
      stringify({
        redis: { prefix },
        worker: { concurrency: 64 },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-bench' }],
      }),
    );
    const queue = new PromptQueues(keys, createRedis(own.url));
    const before = await memory();
    const cpuBefore = await cpu();
    const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
    const queued = (await memory()) - before;
    const worker = await startWorkerProcess(configFile, own.url);
    const started = performance.now();
    for (;;) {
      const batch = await getBatch(redis, keys, report.batchId);
      if (batch !== null && batch.status === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    await stopProcess(worker);
    const runUs = (((await cpu()) - cpuBefore) / prompts) * 1e6;
    const retained = (await memory()) - before;
    await queue.close();
    const bytes = (n: number): string => `${Math.round(n / prompts).toLocaleString('en-US')} B`;
    console.log(
      table([
        ['measure', 'per prompt', 'against'],
        ['input file', bytes(fileBytes), ''],
        ['Redis memory, queued', bytes(queued), `${(queued / fileBytes).toFixed(2)}x the input`],
        ['Redis memory, finished and retained', bytes(retained), `${(retained / fileBytes).toFixed(2)}x the input`],
        [
          'Redis CPU, submit to results',
          `${runUs.toFixed(0)} us (${Math.round(1e6 / runUs).toLocaleString('en-US')} prompts/s a core)`,
          `${(runUs / rawUs).toFixed(2)}x raw BullMQ (${rawUs.toFixed(0)} us)`,
        ],
        ['relayq prompts/s (1 worker x 64)', (prompts / seconds).toFixed(0), ''],
      ]),
    );
  } finally {
    redis.disconnect();
    await simulator.stop();
    await own.stop();
  }
}
